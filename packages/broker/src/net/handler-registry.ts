/**
 * The node's HandlerRegistry: one handler per API key. Registering a key twice is
 * a wiring bug (two modules claiming one API) and throws at startup.
 */
import { apiName } from '@tributary/protocol'
import type { HandlerOptions, HandlerRegistry, RequestHandler } from '../seams.js'

export interface HandlerEntry {
  handler: RequestHandler
  /** see HandlerOptions.clusterInternal */
  clusterInternal: boolean | 'unless-authenticated'
}

export class Handlers implements HandlerRegistry {
  private readonly handlers = new Map<number, HandlerEntry>()

  register(apiKey: number, handler: RequestHandler, opts: HandlerOptions = {}): void {
    if (this.handlers.has(apiKey)) throw new Error(`a handler for ${apiName(apiKey)} (${apiKey}) is already registered`)
    this.handlers.set(apiKey, { handler, clusterInternal: opts.clusterInternal ?? false })
  }

  get(apiKey: number): RequestHandler | undefined {
    return this.handlers.get(apiKey)?.handler
  }

  entry(apiKey: number): HandlerEntry | undefined {
    return this.handlers.get(apiKey)
  }

  has(apiKey: number): boolean {
    return this.handlers.has(apiKey)
  }

  /** Wrap a registered handler (the authorizer puts its checks in front of each API this way). */
  wrap(apiKey: number, wrapper: (inner: RequestHandler) => RequestHandler): void {
    const entry = this.handlers.get(apiKey)
    if (!entry) throw new Error(`no handler for ${apiName(apiKey)} (${apiKey}) to wrap`)
    this.handlers.set(apiKey, { ...entry, handler: wrapper(entry.handler) })
  }

  keys(): number[] {
    return [...this.handlers.keys()].sort((a, b) => a - b)
  }
}
