/**
 * The connection layer every component shares: one BrokerConnection per broker
 * URL (bootstrap URLs and advertised endpoints alike), the metadata cache and
 * its refreshes, and routing to a partition leader or the controller.
 */
import {
  ApiKey,
  ErrorCode,
  IN_FLIGHT_MAX_DEFAULT,
  systemClock,
  type Clock,
  REQUEST_TIMEOUT_MS_DEFAULT,
  TributaryError,
  type Connector,
  type RequestBody,
  type ResponseBody,
  type TopicMetadata,
} from '@tributary/protocol'
import { retryPolicy, sleep, withRetry, backoffMs, type RetryOptions, type RetryPolicy } from './backoff.js'
import { BrokerConnection, type ConnectionOptions } from './broker-connection.js'
import { ArgumentError, asTributaryError, assertArg, closedError } from './errors.js'
import { MetadataCache } from './metadata-cache.js'
import { consoleLogger, type ClientLogger } from './logger.js'
import { CONNECT_TIMEOUT_MS_DEFAULT } from './transport-browser.js'
import { defaultConnector, type TlsOptions } from './transport.js'
import { saslMechanismFactory, type SaslClientMechanism, type SaslConfig } from './sasl/index.js'

export interface ClientConfig {
  /** Bootstrap URLs, e.g. ['ws://127.0.0.1:9092']; any one reachable broker is enough. */
  brokers: string[]
  clientId?: string
  connectTimeoutMs?: number
  requestTimeoutMs?: number
  /** Retries for retriable errors (admin calls, metadata, produce, commits). */
  retry?: RetryOptions
  /**
   * Kafka's metadata.max.age.ms: once the client is in use, metadata is refreshed in the
   * background this often (and on next use when older), so a leader that moved without
   * any request failing is still noticed.
   */
  metadataMaxAgeMs?: number
  /** How long send/describe wait for a topic to appear in metadata before UNKNOWN_TOPIC_OR_PARTITION. */
  topicWaitMs?: number
  /** Pipelining depth per broker connection. */
  inFlightMax?: number
  reconnectBackoffMs?: number
  reconnectBackoffMaxMs?: number
  /** TLS for wss:// brokers in Node: trusted CA, client certificate (mTLS). Browsers use their own. */
  tls?: TlsOptions
  /** Replace the WebSocket transport (tests, custom runtimes). */
  connector?: Connector
  /** Warnings the SDK logs (a RegExp subscription matching no topic); the console by default. */
  logger?: ClientLogger
  /**
   * Authenticate every connection (SaslHandshake + SaslAuthenticate, then again
   * before the session ends): SCRAM runs on WebCrypto, so the same option works
   * in Node 20 and browsers.
   *   { mechanism: 'scram-sha-256' | 'scram-sha-512' | 'plain', username, password }
   *   { mechanism: 'oauthbearer', token: () => Promise<string> }   (asked at every (re-)authentication)
   */
  sasl?: SaslConfig
  /** A custom SASL mechanism, one fresh instance per connection (SCRAM, PLAIN and OAUTHBEARER come with the SDK: use `sasl`). */
  saslMechanism?: () => SaslClientMechanism
  /**
   * Tests and simulations: the time every timer, deadline and timestamp of this client
   * comes from (default: the system clock), and the source of its random choices
   * (backoff jitter, broker choice, sticky partitions; default Math.random).
   */
  clock?: Clock
  random?: () => number
}

/** Errors of the SASL exchange: not retriable, and not to be hidden behind NETWORK_EXCEPTION. */
const AUTHENTICATION_ERRORS: ReadonlySet<number> = new Set([ErrorCode.SASL_AUTHENTICATION_FAILED, ErrorCode.UNSUPPORTED_SASL_MECHANISM, ErrorCode.ILLEGAL_SASL_STATE])

export const METADATA_MAX_AGE_MS_DEFAULT = 60_000
export const TOPIC_WAIT_MS_DEFAULT = 3_000

export class Cluster {
  readonly metadata = new MetadataCache()
  readonly clientId: string
  readonly retry: RetryPolicy
  readonly requestTimeoutMs: number
  readonly metadataMaxAgeMs: number
  readonly topicWaitMs: number
  readonly logger: ClientLogger
  readonly clock: Clock
  readonly random: () => number
  /** What every retry loop of this client passes to withRetry. */
  readonly retryContext: { signal: AbortSignal; clock: Clock; random: () => number }
  private readonly bootstrap: string[]
  private readonly connections = new Map<string, BrokerConnection>()
  private readonly connOpts: ConnectionOptions
  private refreshing: Promise<void> | undefined
  /** The periodic refresh, armed after every refresh attempt (see refreshMetadata). */
  private cancelRefresh: (() => void) | undefined
  private readonly abort = new AbortController()

  constructor(config: ClientConfig) {
    assertArg(config && Array.isArray(config.brokers) && config.brokers.length > 0, 'brokers must be a non-empty array of URLs such as ws://127.0.0.1:9092')
    for (const b of config.brokers) assertArg(typeof b === 'string' && /^wss?:\/\/[^/]+/.test(b), `broker URL must start with ws:// or wss://, got ${JSON.stringify(b)}`)
    this.bootstrap = [...config.brokers]
    this.clientId = config.clientId ?? 'tributary'
    this.retry = retryPolicy(config.retry)
    this.requestTimeoutMs = config.requestTimeoutMs ?? REQUEST_TIMEOUT_MS_DEFAULT
    this.metadataMaxAgeMs = config.metadataMaxAgeMs ?? METADATA_MAX_AGE_MS_DEFAULT
    assertArg(Number.isSafeInteger(this.metadataMaxAgeMs) && this.metadataMaxAgeMs > 0, `metadataMaxAgeMs must be a positive integer, got ${config.metadataMaxAgeMs}`)
    this.topicWaitMs = config.topicWaitMs ?? TOPIC_WAIT_MS_DEFAULT
    assertArg(config.logger === undefined || typeof config.logger?.warn === 'function', 'logger must have a warn(message, fields) method')
    this.logger = config.logger ?? consoleLogger
    assertArg(config.clock === undefined || (typeof config.clock?.now === 'function' && typeof config.clock?.setTimeout === 'function'), 'clock must have now() and setTimeout(fn, ms)')
    assertArg(config.random === undefined || typeof config.random === 'function', 'random must be a function returning [0, 1)')
    this.clock = config.clock ?? systemClock
    this.random = config.random ?? Math.random
    this.retryContext = { signal: this.abort.signal, clock: this.clock, random: this.random }
    const injected = config.connector
    const tls = config.tls
    let tlsConnector: Promise<Connector> | undefined
    this.connOpts = {
      clientId: this.clientId,
      connector: injected ? () => Promise.resolve(injected) : tls ? () => (tlsConnector ??= defaultConnector(tls)) : defaultConnector,
      connectTimeoutMs: config.connectTimeoutMs ?? CONNECT_TIMEOUT_MS_DEFAULT,
      requestTimeoutMs: this.requestTimeoutMs,
      inFlightMax: config.inFlightMax ?? IN_FLIGHT_MAX_DEFAULT,
      reconnectBackoffMs: config.reconnectBackoffMs ?? 50,
      reconnectBackoffMaxMs: config.reconnectBackoffMaxMs ?? 1_000,
      sasl: config.saslMechanism ?? saslMechanismFactory(config.sasl),
      clock: this.clock,
      random: this.random,
    }
  }

  get signal(): AbortSignal {
    return this.abort.signal
  }

  /** A plain field: read on every send, where the AbortSignal getter's checks show in profiles. */
  private isClosed = false

  get closed(): boolean {
    return this.isClosed
  }

  connection(url: string): BrokerConnection {
    if (this.closed) throw closedError('client')
    let c = this.connections.get(url)
    if (!c) {
      c = new BrokerConnection(url, this.connOpts)
      this.connections.set(url, c)
    }
    return c
  }

  /** The connection to a broker by node id; BROKER_NOT_AVAILABLE (retriable) when metadata does not know it. */
  nodeConnection(nodeId: number): BrokerConnection {
    const url = this.metadata.endpoint(nodeId)
    if (url === undefined) throw new TributaryError(ErrorCode.BROKER_NOT_AVAILABLE, `no endpoint known for broker ${nodeId}`)
    return this.connection(url)
  }

  /** Every broker the metadata lists, for fan-out requests (ListGroups). */
  async allBrokerConnections(): Promise<Array<{ nodeId: number; connection: BrokerConnection }>> {
    await this.ensureMetadata()
    return [...this.metadata.brokers.values()].map((b) => ({ nodeId: b.nodeId, connection: this.connection(b.endpoint) }))
  }

  /** Any reachable broker: a connected one if possible, else each candidate in turn. */
  async anyConnection(): Promise<BrokerConnection> {
    const known = [...this.metadata.brokers.values()].filter((b) => !b.fenced).map((b) => b.endpoint)
    const urls = [...new Set([...known, ...this.bootstrap])]
    const candidates = urls.map((u) => this.connection(u))
    const live = candidates.filter((c) => c.connected)
    if (live.length > 0) return live[Math.floor(this.random() * live.length)]
    // Least-failed first, random among equals, so clients spread over the cluster.
    const order = candidates.map((c) => ({ c, k: c.failureCount + this.random() })).sort((a, b) => a.k - b.k)
    let last: TributaryError | undefined
    for (const { c } of order) {
      try {
        await c.ensureConnected()
        return c
      } catch (err) {
        last = asTributaryError(err)
        if (this.closed) throw closedError('client')
        // Credentials are the same for every broker: a refusal is the answer, not an unreachable broker.
        if (AUTHENTICATION_ERRORS.has(last.code)) throw last
      }
    }
    throw new TributaryError(ErrorCode.NETWORK_EXCEPTION, `cannot reach any broker of ${urls.join(', ')} (last: ${last?.message ?? 'none'})`, { cause: last })
  }

  /** One request to any broker, retried (on another broker) while retriable. */
  async callAny<K extends ApiKey>(apiKey: K, body: RequestBody<K>, opts: { timeoutMs?: number } = {}): Promise<ResponseBody<K>> {
    return withRetry(async () => (await this.anyConnection()).call(apiKey, body, opts), this.retry, this.retryContext)
  }

  /** Refresh all topic metadata; concurrent callers share one request. */
  refreshMetadata(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined
      this.schedulePeriodicRefresh()
    })
    return this.refreshing
  }

  /**
   * The next background refresh comes metadataMaxAgeMs after the latest attempt, whatever
   * caused it (an error, a lookup, this timer). It starts with the first refresh, so an
   * unused client opens no connection; failures wait a full period too (errors in use
   * trigger their own refreshes), so a down cluster is not polled in a tight loop.
   */
  private schedulePeriodicRefresh(): void {
    this.cancelRefresh?.()
    this.cancelRefresh = undefined
    if (this.closed) return
    // background: a periodic refresh must not keep a Node process alive
    this.cancelRefresh = this.clock.setTimeout(() => {
      this.cancelRefresh = undefined
      this.refreshMetadata().catch(() => {})
    }, this.metadataMaxAgeMs, true)
  }

  /** Whether a background metadata refresh is scheduled (tests). */
  get periodicRefreshArmed(): boolean {
    return this.cancelRefresh !== undefined
  }

  private async doRefresh(): Promise<void> {
    const r = await withRetry(async () => (await this.anyConnection()).call(ApiKey.Metadata, { topics: null, includeInternal: true }), { ...this.retry, retries: Math.min(this.retry.retries, 3) }, this.retryContext)
    this.metadata.apply(r, null, this.clock.now())
  }

  /** Refresh when never fetched or older than metadataMaxAgeMs. */
  async ensureMetadata(): Promise<void> {
    if (this.metadata.updatedAt === 0) return this.refreshMetadata()
    if (this.clock.now() - this.metadata.updatedAt > this.metadataMaxAgeMs) {
      this.refreshMetadata().catch(() => {}) // stale but usable: refresh behind the caller's back
    }
  }

  /**
   * Metadata of an existing topic. A topic missing from metadata is waited for
   * (refreshing with backoff) up to topicWaitMs, since a just-created topic
   * reaches every broker a little later; then UNKNOWN_TOPIC_OR_PARTITION.
   */
  async topicMetadata(topic: string, waitMs = this.topicWaitMs): Promise<TopicMetadata> {
    if (typeof topic !== 'string' || topic.length === 0) throw new ArgumentError(`topic must be a non-empty string, got ${JSON.stringify(topic)}`)
    await this.ensureMetadata()
    const deadline = this.clock.now() + waitMs
    for (let attempt = 0; ; attempt++) {
      const t = this.metadata.topic(topic)
      if (t && t.partitions.length > 0) return t
      // Absent from the full listing may mean "not yours": asked by name, a broker with ACLs says so at once.
      if (attempt === 0 && (await this.topicByName(topic).catch(() => undefined)) === ErrorCode.TOPIC_AUTHORIZATION_FAILED) {
        throw new TributaryError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, `not authorized to access topic ${JSON.stringify(topic)}`)
      }
      if (this.clock.now() >= deadline) {
        const code = this.metadata.topicErrors.get(topic) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        throw new TributaryError(code, `topic ${JSON.stringify(topic)} is not known to the cluster (waited ${waitMs} ms)`)
      }
      if (attempt > 0) await sleep(Math.min(backoffMs(attempt - 1, this.retry, this.random), Math.max(0, deadline - this.clock.now())), this.signal, this.clock)
      await this.refreshMetadata()
    }
  }

  /** Metadata for one topic by name (applied to the cache); its error code. */
  private async topicByName(topic: string): Promise<number | undefined> {
    const r = await (await this.anyConnection()).call(ApiKey.Metadata, { topics: [topic], includeInternal: true })
    this.metadata.apply(r, [topic], this.clock.now())
    return r.topics.find((t) => t.name === topic)?.errorCode
  }

  /** A known topic's metadata without waiting (a stale cache is refreshed in the background), else undefined. */
  cachedTopic(topic: string, now = this.clock.now()): TopicMetadata | undefined {
    const t = this.metadata.topic(topic)
    if (!t || t.partitions.length === 0) return undefined
    if (now - this.metadata.updatedAt > this.metadataMaxAgeMs) this.refreshMetadata().catch(() => {})
    return t
  }

  /** The connection to the current leader of a partition (refreshing once if unknown). */
  async leaderConnection(topic: string, partition: number): Promise<{ connection: BrokerConnection; leaderEpoch: number; nodeId: number }> {
    let leader = this.metadata.leader(topic, partition)
    if (!leader) {
      await this.refreshMetadata()
      leader = this.metadata.leader(topic, partition)
    }
    if (!leader) throw new TributaryError(ErrorCode.LEADER_NOT_AVAILABLE, `no leader for ${topic}-${partition}`)
    return { connection: this.nodeConnection(leader.nodeId), leaderEpoch: leader.leaderEpoch, nodeId: leader.nodeId }
  }

  /** A request the controller must serve, retried across controller changes. */
  async controllerCall<K extends ApiKey>(apiKey: K, body: RequestBody<K>, opts: { timeoutMs?: number } = {}): Promise<ResponseBody<K>> {
    return withRetry(
      async () => {
        if (this.metadata.controllerId < 0) await this.refreshMetadata()
        const id = this.metadata.controllerId
        const conn = id >= 0 && this.metadata.endpoint(id) !== undefined ? this.nodeConnection(id) : await this.anyConnection()
        return conn.call(apiKey, body, opts)
      },
      this.retry,
      { ...this.retryContext, beforeRetry: () => this.refreshMetadata() },
    )
  }

  close(): void {
    this.isClosed = true
    this.abort.abort()
    this.cancelRefresh?.()
    this.cancelRefresh = undefined
    for (const c of this.connections.values()) c.close()
    this.connections.clear()
  }
}
