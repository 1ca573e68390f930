/**
 * One connection to one broker URL: connects lazily, sends ApiVersions first,
 * authenticates when a SASL mechanism is configured (SaslHandshake →
 * SaslAuthenticate*, before any other request), sends every later request with
 * the version negotiated from the ApiVersions answer,
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
  type Clock,
  type Connector,
  type RequestBody,
  type ResponseBody,
  type RpcResponse,
} from '@tributary/protocol'
import { ApiVersionTable } from './api-versions.js'
import { authenticate, type SaslClientMechanism } from './sasl/index.js'
import { backoffMs, sleep } from './backoff.js'
import { assert, closedError, responseError } from './errors.js'

export interface ConnectionOptions {
  clientId: string
  connector: () => Promise<Connector>
  connectTimeoutMs: number
  requestTimeoutMs: number
  /** Requests in flight on this connection at once (pipelining depth). */
  inFlightMax: number
  reconnectBackoffMs: number
  reconnectBackoffMaxMs: number
  /** A fresh mechanism per connection (it holds that exchange's nonces); absent = no authentication. */
  sasl?: () => SaslClientMechanism
  clock: Clock
  random: () => number
}

export const CLIENT_SOFTWARE_VERSION = '0.1.0'
/** Re-authenticate within this window of a session's lifetime (Kafka's client uses 85-95 % too). */
const REAUTH_AT_MIN = 0.85
const REAUTH_AT_MAX = 0.95

export class BrokerConnection {
  private rpc: RpcConnection | undefined
  private connecting: Promise<RpcConnection> | undefined
  private failures = 0
  private retryAt = 0
  private readonly abort = new AbortController()
  /** Negotiated per connection: a reconnect may land on an upgraded (or downgraded) broker. */
  private readonly versions = new WeakMap<RpcConnection, ApiVersionTable>()
  /** From the broker's ApiVersions answer. */
  nodeId: number | undefined
  clusterId: string | null = null
  /** From the last authentication: 0 = the session never expires, else re-authenticate within this many ms. */
  sessionLifetimeMs = 0

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
    const apiVersion = this.versionFor(rpc, apiKey)
    return rpc.request<ResponseBody<K>>(apiKey, body, { ...opts, apiVersion })
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
    rpc.send(apiKey, body, this.versionFor(rpc, apiKey))
  }

  /** Milliseconds until the next connect attempt may start (0 when connected or not backing off). */
  reconnectWaitMs(now = this.opts.clock.now()): number {
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

  private versionFor(rpc: RpcConnection, apiKey: number): number {
    const table = this.versions.get(rpc)
    assert(table, 'a connection is handed out only after its ApiVersions answer')
    return table.versionFor(apiKey, this.url)
  }

  ensureConnected(): Promise<RpcConnection> {
    if (this.abort.signal.aborted) return Promise.reject(closedError(`connection to ${this.url}`))
    if (this.rpc && !this.rpc.closed) return Promise.resolve(this.rpc)
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined
    })
    return this.connecting
  }

  private async connect(): Promise<RpcConnection> {
    const wait = this.retryAt - this.opts.clock.now()
    if (wait > 0) await sleep(wait, this.abort.signal, this.opts.clock)
    let rpc: RpcConnection | undefined
    try {
      const connector = await this.opts.connector()
      const transport = await connector(this.url, { connectTimeoutMs: this.opts.connectTimeoutMs })
      rpc = new RpcConnection(transport, { inFlightMax: this.opts.inFlightMax, requestTimeoutMs: this.opts.requestTimeoutMs, clock: this.opts.clock })
      if (this.abort.signal.aborted) throw closedError(`connection to ${this.url}`)
      // ApiVersions itself goes at v0, the one version every broker answers (Kafka's rule too).
      const r = await rpc.request<ApiVersionsResponse>(ApiKey.ApiVersions, { clientId: this.opts.clientId, clientSoftwareVersion: CLIENT_SOFTWARE_VERSION }, { timeoutMs: this.opts.connectTimeoutMs, apiVersion: 0 })
      if (r.errorCode !== ErrorCode.NONE) throw responseError(r.errorCode, (r.body as { errorMessage?: string })?.errorMessage, `ApiVersions from ${this.url}`)
      this.versions.set(rpc, new ApiVersionTable(r.body.apiKeys ?? []))
      this.nodeId = r.body.nodeId
      this.clusterId = r.body.clusterId
      if (this.opts.sasl) this.sessionLifetimeMs = (await authenticate(rpc, this.opts.sasl(), { timeoutMs: this.opts.connectTimeoutMs })).sessionLifetimeMs
    } catch (err) {
      rpc?.close()
      this.failures++
      this.retryAt = this.opts.clock.now() + backoffMs(this.failures - 1, { initialRetryTimeMs: this.opts.reconnectBackoffMs, maxRetryTimeMs: this.opts.reconnectBackoffMaxMs }, this.opts.random)
      if (err instanceof TributaryError && err.code !== ErrorCode.REQUEST_TIMED_OUT) throw err
      throw new TributaryError(ErrorCode.NETWORK_EXCEPTION, `cannot connect to ${this.url}: ${(err as Error).message}`, { cause: err })
    }
    this.failures = 0
    this.retryAt = 0
    const reauth = { cancel: () => {} }
    rpc.onClose = () => {
      reauth.cancel()
      if (this.rpc === rpc) this.rpc = undefined
    }
    this.rpc = rpc
    this.scheduleReauthentication(rpc, reauth)
    return rpc
  }

  /**
   * KIP-368: authenticate again on the same connection before the session ends,
   * at a random 85-95 % of its lifetime (as Kafka's client), so the broker never
   * has to refuse a request for an expired session. A failed re-authentication
   * (a deleted user, a changed password, a token that can no longer be had) closes
   * the connection; the next request reconnects and reports why it cannot log in.
   */
  private scheduleReauthentication(rpc: RpcConnection, reauth: { cancel: () => void }): void {
    const lifetimeMs = this.sessionLifetimeMs
    const sasl = this.opts.sasl
    if (!sasl || lifetimeMs <= 0 || rpc.closed) return
    const at = REAUTH_AT_MIN + this.opts.random() * (REAUTH_AT_MAX - REAUTH_AT_MIN)
    // background: a connection's re-authentication must not keep a Node process alive
    reauth.cancel = this.opts.clock.setTimeout(() => {
      authenticate(rpc, sasl(), { timeoutMs: this.opts.connectTimeoutMs }).then(
        (outcome) => {
          this.sessionLifetimeMs = outcome.sessionLifetimeMs
          this.scheduleReauthentication(rpc, reauth)
        },
        () => rpc.close(),
      )
    }, Math.floor(lifetimeMs * at), true)
  }
}
