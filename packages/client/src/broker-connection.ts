/**
 * One connection to one broker URL: connects lazily, sends ApiVersions first,
 * pipelines requests over an RpcConnection, and reconnects with capped
 * exponential backoff after a failure. A request never waits forever: each has
 * a timeout, and a failed connect rejects it with NETWORK_EXCEPTION (retriable).
 */
import {
  ApiKey,
  ErrorCode,
  RpcConnection,
  TributaryError,
  type ApiVersionsResponse,
  type Connector,
  type RequestBody,
  type ResponseBody,
  type RpcResponse,
} from '@tributary/protocol'
import { backoffMs, sleep } from './backoff.js'
import { closedError, responseError } from './errors.js'

export interface ConnectionOptions {
  clientId: string
  connector: () => Promise<Connector>
  connectTimeoutMs: number
  requestTimeoutMs: number
  /** Requests in flight on this connection at once (pipelining depth). */
  inFlightMax: number
  reconnectBackoffMs: number
  reconnectBackoffMaxMs: number
}

export const CLIENT_SOFTWARE_VERSION = '0.1.0'

export class BrokerConnection {
  private rpc: RpcConnection | undefined
  private connecting: Promise<RpcConnection> | undefined
  private failures = 0
  private retryAt = 0
  private readonly abort = new AbortController()
  private apis = new Map<number, [number, number]>()
  /** From the broker's ApiVersions answer. */
  nodeId: number | undefined
  clusterId: string | null = null

  constructor(readonly url: string, private readonly opts: ConnectionOptions) {}

  get connected(): boolean {
    return this.rpc !== undefined && !this.rpc.closed
  }

  get isClosed(): boolean {
    return this.abort.signal.aborted
  }

  /** Consecutive failed connects; 0 once connected. */
  get failureCount(): number {
    return this.failures
  }

  async request<K extends ApiKey>(apiKey: K, body: RequestBody<K>, opts: { timeoutMs?: number } = {}): Promise<RpcResponse<ResponseBody<K>>> {
    const rpc = await this.ensureConnected()
    this.checkSupported(apiKey)
    return rpc.request<ResponseBody<K>>(apiKey, body, opts)
  }

  /** Like request, but a non-zero error code in the envelope is thrown as a TributaryError. */
  async call<K extends ApiKey>(apiKey: K, body: RequestBody<K>, opts: { timeoutMs?: number } = {}): Promise<ResponseBody<K>> {
    const r = await this.request(apiKey, body, opts)
    if (r.errorCode !== ErrorCode.NONE) {
      throw responseError(r.errorCode, (r.body as { errorMessage?: string } | undefined)?.errorMessage, `${this.url}`)
    }
    return r.body
  }

  /** One-way (acks=0 produce): nothing comes back, so nothing is tracked. */
  async sendOneWay<K extends ApiKey>(apiKey: K, body: RequestBody<K>): Promise<void> {
    const rpc = await this.ensureConnected()
    this.checkSupported(apiKey)
    rpc.send(apiKey, body)
  }

  /** Milliseconds until the next connect attempt may start (0 when connected or not backing off). */
  reconnectWaitMs(now = Date.now()): number {
    return this.connected ? 0 : Math.max(0, this.retryAt - now)
  }

  bufferedAmount(): number {
    return this.rpc?.bufferedAmount() ?? 0
  }

  close(): void {
    this.abort.abort()
    this.rpc?.close()
    this.rpc = undefined
  }

  ensureConnected(): Promise<RpcConnection> {
    if (this.abort.signal.aborted) return Promise.reject(closedError(`connection to ${this.url}`))
    if (this.rpc && !this.rpc.closed) return Promise.resolve(this.rpc)
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined
    })
    return this.connecting
  }

  private checkSupported(apiKey: number): void {
    const range = this.apis.get(apiKey)
    if (this.apis.size > 0 && (range === undefined || range[0] > 0)) {
      throw new TributaryError(ErrorCode.UNSUPPORTED_VERSION, `broker ${this.url} does not support api ${apiKey} v0`)
    }
  }

  private async connect(): Promise<RpcConnection> {
    const wait = this.retryAt - Date.now()
    if (wait > 0) await sleep(wait, this.abort.signal)
    let rpc: RpcConnection | undefined
    try {
      const connector = await this.opts.connector()
      const transport = await connector(this.url, { connectTimeoutMs: this.opts.connectTimeoutMs })
      rpc = new RpcConnection(transport, { inFlightMax: this.opts.inFlightMax, requestTimeoutMs: this.opts.requestTimeoutMs })
      if (this.abort.signal.aborted) throw closedError(`connection to ${this.url}`)
      const r = await rpc.request<ApiVersionsResponse>(ApiKey.ApiVersions, { clientId: this.opts.clientId, clientSoftwareVersion: CLIENT_SOFTWARE_VERSION }, { timeoutMs: this.opts.connectTimeoutMs })
      if (r.errorCode !== ErrorCode.NONE) throw responseError(r.errorCode, (r.body as { errorMessage?: string })?.errorMessage, `ApiVersions from ${this.url}`)
      this.apis = new Map(r.body.apiKeys.map((a) => [a.apiKey, [a.minVersion, a.maxVersion]]))
      this.nodeId = r.body.nodeId
      this.clusterId = r.body.clusterId
    } catch (err) {
      rpc?.close()
      this.failures++
      this.retryAt = Date.now() + backoffMs(this.failures - 1, { initialRetryTimeMs: this.opts.reconnectBackoffMs, maxRetryTimeMs: this.opts.reconnectBackoffMaxMs })
      if (err instanceof TributaryError && err.code !== ErrorCode.REQUEST_TIMED_OUT) throw err
      throw new TributaryError(ErrorCode.NETWORK_EXCEPTION, `cannot connect to ${this.url}: ${(err as Error).message}`, { cause: err })
    }
    this.failures = 0
    this.retryAt = 0
    rpc.onClose = () => {
      if (this.rpc === rpc) this.rpc = undefined
    }
    this.rpc = rpc
    return rpc
  }
}
