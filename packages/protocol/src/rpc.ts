/**
 * Request/response over one Transport: correlation ids, many requests in
 * flight, per-request timeouts, a bound on in-flight requests. Browser-safe.
 */
import { isSupported } from './api.js'
import { systemClock, type Clock } from './clock.js'
import { decodeResponse, encodeRequest } from './envelope.js'
import { ErrorCode, TributaryError } from './errors.js'
import type { Transport } from './transport.js'

export interface RpcOptions {
  /** Requests waiting for a response at once; further requests wait their turn. */
  inFlightMax?: number
  requestTimeoutMs?: number
  /** Arms the request timeouts (the system clock by default). */
  clock?: Clock
}

export interface RpcResponse<B = any> { errorCode: number; body: B }

interface Pending {
  resolve: (r: RpcResponse) => void
  reject: (e: Error) => void
  /** Cancels the request's timeout; undefined = none armed. */
  cancelTimer: (() => void) | undefined
}

export const IN_FLIGHT_MAX_DEFAULT = 1024
export const REQUEST_TIMEOUT_MS_DEFAULT = 30_000

export class RpcConnection {
  private nextCorrelationId = 1
  private readonly pending = new Map<number, Pending>()
  private readonly waiting: Array<() => void> = []
  private closedError: TributaryError | undefined
  private readonly inFlightMax: number
  private readonly requestTimeoutMs: number
  private readonly clock: Clock
  /** Called once when the underlying transport closes. */
  onClose: (err: TributaryError) => void = () => {}

  constructor(private readonly transport: Transport, opts: RpcOptions = {}) {
    this.inFlightMax = opts.inFlightMax ?? IN_FLIGHT_MAX_DEFAULT
    this.requestTimeoutMs = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS_DEFAULT
    this.clock = opts.clock ?? systemClock
    transport.onFrame = (frame) => this.handleFrame(frame)
    transport.onClose = (code, reason) => this.handleClose(code, reason)
  }

  get closed(): boolean {
    return this.closedError !== undefined
  }

  inFlight(): number {
    return this.pending.size
  }

  bufferedAmount(): number {
    return this.transport.bufferedAmount()
  }

  /**
   * Send a request and wait for its response. Resolves with the envelope's
   * errorCode and body (a non-zero errorCode is a value, not a rejection);
   * rejects only on timeout or a closed connection (NETWORK_EXCEPTION / REQUEST_TIMED_OUT).
   */
  async request<B = any>(apiKey: number, body: unknown, opts: { timeoutMs?: number; apiVersion?: number } = {}): Promise<RpcResponse<B>> {
    const apiVersion = opts.apiVersion ?? 0
    if (!isSupported(apiKey, apiVersion)) throw new TributaryError(ErrorCode.UNSUPPORTED_VERSION, `api ${apiKey} v${apiVersion}`)
    while (this.pending.size >= this.inFlightMax && !this.closedError) {
      await new Promise<void>((resolve) => this.waiting.push(resolve))
    }
    if (this.closedError) throw this.closedError
    const correlationId = this.nextCorrelationId++
    if (this.nextCorrelationId > 0x7fffffff) this.nextCorrelationId = 1
    const timeoutMs = opts.timeoutMs ?? this.requestTimeoutMs
    return new Promise<RpcResponse<B>>((resolve, reject) => {
      const cancelTimer = timeoutMs > 0
        ? this.clock.setTimeout(() => {
            if (this.pending.delete(correlationId)) {
              this.release()
              reject(new TributaryError(ErrorCode.REQUEST_TIMED_OUT, `no response to api ${apiKey} within ${timeoutMs} ms`))
            }
          }, timeoutMs)
        : undefined
      this.pending.set(correlationId, { resolve, reject, cancelTimer })
      this.transport.send(encodeRequest(apiKey, apiVersion, correlationId, body))
    })
  }

  /** Fire and forget (acks=0 produce, Raft messages): no response is expected or tracked. */
  send(apiKey: number, body: unknown, apiVersion = 0): void {
    if (this.closedError) throw this.closedError
    const correlationId = this.nextCorrelationId++
    if (this.nextCorrelationId > 0x7fffffff) this.nextCorrelationId = 1
    this.transport.send(encodeRequest(apiKey, apiVersion, correlationId, body))
  }

  close(): void {
    this.transport.close(1000, 'closed by client')
    this.handleClose(1000, 'closed by client')
  }

  private handleFrame(frame: Uint8Array): void {
    const decoded = decodeResponse(frame)
    if (!decoded.ok) {
      // A peer that sends garbage cannot be trusted with the rest of the stream.
      this.transport.close(1002, 'malformed response')
      this.handleClose(1002, `malformed response: ${decoded.message}`)
      return
    }
    const { correlationId, errorCode, body } = decoded.value
    const p = this.pending.get(correlationId)
    if (!p) return // timed out already, or a one-way send the server answered anyway
    this.pending.delete(correlationId)
    p.cancelTimer?.()
    this.release()
    p.resolve({ errorCode, body })
  }

  private release(): void {
    const next = this.waiting.shift()
    if (next) next()
  }

  private handleClose(code: number, reason: string): void {
    if (this.closedError) return
    this.closedError = new TributaryError(ErrorCode.NETWORK_EXCEPTION, `connection closed (${code}${reason ? ` ${reason}` : ''})`)
    for (const [, p] of this.pending) {
      p.cancelTimer?.()
      p.reject(this.closedError)
    }
    this.pending.clear()
    for (const w of this.waiting.splice(0)) w()
    this.onClose(this.closedError)
  }
}
