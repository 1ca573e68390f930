/**
 * The node's HandlerRegistry: one handler per API key. Registering a key twice is
 * a wiring bug (two modules claiming one API) and throws at startup.
 */
import { apiName } from '@tributary/protocol'
import type { HandlerRegistry, RequestHandler } from '../seams.js'

export class Handlers implements HandlerRegistry {
  private readonly handlers = new Map<number, RequestHandler>()

  register(apiKey: number, handler: RequestHandler): void {
    if (this.handlers.has(apiKey)) throw new Error(`a handler for ${apiName(apiKey)} (${apiKey}) is already registered`)
    this.handlers.set(apiKey, handler)
  }

  get(apiKey: number): RequestHandler | undefined {
    return this.handlers.get(apiKey)
  }

  has(apiKey: number): boolean {
    return this.handlers.has(apiKey)
  }

  /** Wrap a registered handler (the authorizer puts its checks in front of each API this way). */
  wrap(apiKey: number, wrapper: (inner: RequestHandler) => RequestHandler): void {
    const inner = this.handlers.get(apiKey)
    if (!inner) throw new Error(`no handler for ${apiName(apiKey)} (${apiKey}) to wrap`)
    this.handlers.set(apiKey, wrapper(inner))
  }

  keys(): number[] {
    return [...this.handlers.keys()].sort((a, b) => a - b)
  }
}
