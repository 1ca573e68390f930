/**
 * Prometheus metrics for one node, on a per-node Registry (several nodes may run
 * in one process in tests; the global registry would mix them up).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export interface NodeGauges {
  raftTerm(): number
  raftCommitIndex(): number
  raftLeaderId(): number
  metadataOffset(): number
  fencedBrokers(): number
  partitions(): number
  underReplicatedPartitions(): number
  offlinePartitions(): number
}

export class BrokerMetrics {
  readonly registry = new Registry()
  readonly requests: Counter<'api' | 'error'>
  readonly requestSeconds: Histogram<'api'>
  readonly bytesIn: Counter
  readonly bytesOut: Counter
  readonly connections: Gauge
  readonly connectionsRejected: Counter
  /** TLS handshakes that failed: plaintext clients answered 426, untrusted or missing client certificates, bad hellos */
  readonly tlsHandshakeFailures: Counter<'reason'>

  constructor(nodeId: number, gauges: NodeGauges, opts: { processMetrics?: boolean } = {}) {
    this.registry.setDefaultLabels({ node_id: String(nodeId) })
    const registers = [this.registry]
    this.requests = new Counter({ name: 'tributary_requests_total', help: 'requests handled, by API and error code name', labelNames: ['api', 'error'], registers })
    this.requestSeconds = new Histogram({
      name: 'tributary_request_duration_seconds',
      help: 'request latency by API, from frame decoded to response queued',
      labelNames: ['api'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    })
    this.bytesIn = new Counter({ name: 'tributary_network_bytes_in_total', help: 'bytes received in WebSocket frames', registers })
    this.bytesOut = new Counter({ name: 'tributary_network_bytes_out_total', help: 'bytes sent in WebSocket frames', registers })
    this.connections = new Gauge({ name: 'tributary_connections', help: 'open WebSocket connections', registers })
    this.connectionsRejected = new Counter({ name: 'tributary_connections_rejected_total', help: 'upgrades refused at max connections', registers })
    this.tlsHandshakeFailures = new Counter({ name: 'tributary_tls_handshake_failures_total', help: 'connections refused by TLS: plaintext on the TLS port, client certificate missing, untrusted or unverified, bad hello', labelNames: ['reason'], registers })
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({ name, help, registers, collect() { this.set(read()) } })
    gauge('tributary_raft_term', 'current Raft term', gauges.raftTerm)
    gauge('tributary_raft_commit_index', 'Raft commit index', gauges.raftCommitIndex)
    gauge('tributary_raft_leader_id', 'Raft leader (the controller), -1 when unknown', gauges.raftLeaderId)
    gauge('tributary_metadata_offset', 'last applied metadata log index', gauges.metadataOffset)
    gauge('tributary_fenced_brokers', 'registered brokers that are fenced', gauges.fencedBrokers)
    gauge('tributary_partitions', 'partitions in the cluster', gauges.partitions)
    gauge('tributary_under_replicated_partitions', 'partitions whose ISR is smaller than their replica set', gauges.underReplicatedPartitions)
    gauge('tributary_offline_partitions', 'partitions without a leader', gauges.offlinePartitions)
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'tributary_' })
  }
}
