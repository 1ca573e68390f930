/**
 * Prometheus metrics for one node, on a per-node Registry (several nodes may run
 * in one process in tests; the global registry would mix them up).
 *
 * Request and network metrics are updated as requests pass. Everything else is read
 * when /metrics is scraped (`render`): the data plane's plain counters and the
 * coordinator's lag (data-metrics.ts), the quorum's state, the metadata image. So a
 * partition's series cost the produce and fetch paths a few additions, nothing more.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { registerDataPlaneMetrics, registerGroupMetrics, type DataPlaneSource, type GroupLagSource } from './data-metrics.js'

export interface NodeGauges {
  raftTerm(): number
  raftCommitIndex(): number
  raftLeaderId(): number
  metadataOffset(): number
  fencedBrokers(): number
  /** Whether this node is the active controller now. */
  activeController(): boolean
  /** In the whole cluster, from the metadata image (the same on every node). */
  clusterPartitions(): number
  clusterUnderReplicatedPartitions(): number
  clusterOfflinePartitions(): number
}

export interface MetricsSources {
  gauges: NodeGauges
  /** The replica manager (absent in tests of the server alone). */
  dataPlane?: DataPlaneSource
  /** The group coordinator's committed offsets turned into lag. */
  groupLag?: GroupLagSource
}

/** Latency buckets in seconds, 0.5 ms to 30 s. */
const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

export class BrokerMetrics {
  readonly registry = new Registry()
  readonly requests: Counter<'api' | 'error'>
  /** Time working on a request: a Fetch long poll's wait is in requestWaitSeconds instead. */
  readonly requestSeconds: Histogram<'api'>
  readonly requestWaitSeconds: Histogram<'api'>
  readonly bytesIn: Counter
  readonly bytesOut: Counter
  readonly connections: Gauge
  readonly connectionsRejected: Counter
  /** TLS handshakes that failed: plaintext clients answered 426, untrusted or missing client certificates, bad hellos */
  readonly tlsHandshakeFailures: Counter<'reason'>
  private readonly beforeScrape: Array<() => Promise<void> | void> = []
  private readonly afterScrape: Array<() => void> = []

  constructor(nodeId: number, sources: MetricsSources, opts: { processMetrics?: boolean } = {}) {
    this.registry.setDefaultLabels({ node_id: String(nodeId) })
    const registers = [this.registry]
    this.requests = new Counter({ name: 'tributary_requests_total', help: 'requests handled, by API and error code name', labelNames: ['api', 'error'], registers })
    this.requestSeconds = new Histogram({
      name: 'tributary_request_duration_seconds',
      help: 'request latency by API, from frame decoded to response queued, without the time a Fetch long poll waits for data (see tributary_request_wait_seconds)',
      labelNames: ['api'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    })
    this.requestWaitSeconds = new Histogram({
      name: 'tributary_request_wait_seconds',
      help: 'time a request was parked waiting for data (Fetch long polls, up to their maxWaitMs), by API',
      labelNames: ['api'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    })
    this.bytesIn = new Counter({ name: 'tributary_network_bytes_in_total', help: 'bytes received in WebSocket frames', registers })
    this.bytesOut = new Counter({ name: 'tributary_network_bytes_out_total', help: 'bytes sent in WebSocket frames', registers })
    this.connections = new Gauge({ name: 'tributary_connections', help: 'open WebSocket connections', registers })
    this.connectionsRejected = new Counter({ name: 'tributary_connections_rejected_total', help: 'upgrades refused at max connections', registers })
    this.tlsHandshakeFailures = new Counter({ name: 'tributary_tls_handshake_failures_total', help: 'connections refused by TLS: plaintext on the TLS port, client certificate missing, untrusted or unverified, bad hello', labelNames: ['reason'], registers })
    this.nodeGauges(sources.gauges)
    if (sources.dataPlane) this.hook(registerDataPlaneMetrics(this.registry, sources.dataPlane))
    if (sources.groupLag) this.hook(registerGroupMetrics(this.registry, sources.groupLag))
    // Standard names (process_cpu_seconds_total, nodejs_heap_size_used_bytes, ...), so stock dashboards work.
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry })
  }

  /** A request finished: `totalMs` from decode to answer, of which `parkedMs` waiting for data. */
  observeRequest(api: string, totalMs: number, parkedMs: number): void {
    this.requestSeconds.observe({ api }, Math.max(0, totalMs - parkedMs) / 1000)
    if (parkedMs > 0) this.requestWaitSeconds.observe({ api }, parkedMs / 1000)
  }

  /** The Prometheus text for one scrape: sources are read once, then every metric is rendered from that. */
  async render(): Promise<string> {
    try {
      await Promise.all(this.beforeScrape.map((f) => f()))
      return await this.registry.metrics()
    } finally {
      for (const f of this.afterScrape) f()
    }
  }

  private hook(h: { before(): Promise<void> | void; after(): void }): void {
    this.beforeScrape.push(() => h.before())
    this.afterScrape.push(() => h.after())
  }

  private nodeGauges(g: NodeGauges): void {
    const registers = [this.registry]
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({ name, help, registers, collect() { this.set(read()) } })
    gauge('tributary_raft_term', 'current Raft term', g.raftTerm)
    gauge('tributary_raft_commit_index', 'Raft commit index', g.raftCommitIndex)
    gauge('tributary_raft_leader_id', 'Raft leader (the controller), -1 when unknown', g.raftLeaderId)
    gauge('tributary_metadata_offset', 'last applied metadata log index', g.metadataOffset)
    gauge('tributary_fenced_brokers', 'registered brokers that are fenced (the same on every node)', g.fencedBrokers)
    gauge('tributary_active_controller', '1 on the active controller, else 0 (sum over nodes: 1)', () => (g.activeController() ? 1 : 0))
    gauge('tributary_offline_partitions', 'partitions without a leader, reported by the active controller (0 elsewhere), as Kafka\'s OfflinePartitionsCount', () => (g.activeController() ? g.clusterOfflinePartitions() : 0))
    gauge('tributary_cluster_partitions', 'partitions in the cluster (the same on every node)', g.clusterPartitions)
    gauge('tributary_cluster_under_replicated_partitions', 'partitions in the cluster whose ISR is smaller than their replica set (the same on every node)', g.clusterUnderReplicatedPartitions)
    gauge('tributary_cluster_offline_partitions', 'partitions in the cluster without a leader (the same on every node)', g.clusterOfflinePartitions)
  }
}
