/**
 * /metrics series read from the data plane and the group coordinator at scrape time.
 * The sources are read once per scrape (`before`), every metric's collect callback
 * renders from that reading, and `after` drops it.
 *
 * Cardinality: one series per hosted partition for each tributary_partition_* metric,
 * one per topic for tributary_topic_*, one per committed group partition for
 * tributary_group_* (on the coordinating node only). Counters of a partition that
 * moves away disappear with it; a topic's stay until the topic is deleted.
 */
import { Counter, Gauge, type Registry } from 'prom-client'
import type { GroupLagRow } from './group/index.js'
import type { ReplicaMetrics, ReplicaMetricsSnapshot, TrafficStats } from './replication/index.js'

export type DataPlaneSource = () => ReplicaMetricsSnapshot
export type GroupLagSource = () => Promise<GroupLagRow[]>

interface ScrapeHook {
  before(): Promise<void> | void
  after(): void
}

type PartitionLabels = 'topic' | 'partition'
const PARTITION_LABELS: PartitionLabels[] = ['topic', 'partition']
const partitionLabels = (r: { topic: string; partition: number }): Record<PartitionLabels, string> => ({ topic: r.topic, partition: String(r.partition) })

const TRAFFIC: Array<{ field: keyof TrafficStats; what: string }> = [
  { field: 'messagesIn', what: 'messages_in_total' },
  { field: 'bytesIn', what: 'bytes_in_total' },
  { field: 'messagesOut', what: 'messages_out_total' },
  { field: 'bytesOut', what: 'bytes_out_total' },
]
const TRAFFIC_HELP: Record<keyof TrafficStats, string> = {
  messagesIn: 'records appended as leader',
  bytesIn: 'bytes of record batches appended as leader',
  messagesOut: 'records in the batches sent to consumers',
  bytesOut: 'bytes of record batches sent to consumers',
}

/** Per partition, per topic and per broker series of the replica manager. */
export function registerDataPlaneMetrics(registry: Registry, source: DataPlaneSource): ScrapeHook {
  let snap: ReplicaMetricsSnapshot | undefined
  const read = (): ReplicaMetricsSnapshot => (snap ??= source())
  const registers = [registry]

  for (const { field, what } of TRAFFIC) {
    new Counter({
      name: `tributary_partition_${what}`, help: `${TRAFFIC_HELP[field]}, per partition led here`, labelNames: PARTITION_LABELS, registers,
      collect() {
        this.reset()
        for (const r of read().replicas) if (r.stats[field] > 0 || r.isLeader) this.inc(partitionLabels(r), r.stats[field])
      },
    })
    new Counter({
      name: `tributary_topic_${what}`, help: `${TRAFFIC_HELP[field]}, per topic (its partitions on this broker)`, labelNames: ['topic'], registers,
      collect() {
        this.reset()
        for (const [topic, t] of read().topics) this.inc({ topic }, t[field])
      },
    })
  }
  const perReplica = (name: string, help: string, value: (r: ReplicaMetrics) => number): void => {
    new Gauge({
      name, help, labelNames: PARTITION_LABELS, registers,
      collect() {
        this.reset()
        for (const r of read().replicas) this.set(partitionLabels(r), value(r))
      },
    })
  }
  perReplica('tributary_partition_log_end_offset', 'log end offset of the replica on this broker', (r) => r.logEndOffset)
  perReplica('tributary_partition_log_start_offset', 'log start offset of the replica on this broker', (r) => r.logStartOffset)
  perReplica('tributary_partition_high_watermark', 'high watermark of the replica on this broker (what consumers may read up to)', (r) => r.highWatermark)
  perReplica('tributary_partition_log_size_bytes', 'bytes of record batches stored for the replica on this broker', (r) => r.logSizeBytes)
  perReplica('tributary_partition_leader', '1 if this broker leads the partition, else 0', (r) => (r.isLeader ? 1 : 0))

  const perBroker = (name: string, help: string, value: (s: ReplicaMetricsSnapshot) => number): void => {
    new Gauge({ name, help, registers, collect() { this.set(value(read())) } })
  }
  perBroker('tributary_partitions', 'partitions with a replica on this broker', (s) => s.replicas.length)
  perBroker('tributary_leader_partitions', 'partitions this broker leads', (s) => s.replicas.filter((r) => r.isLeader).length)
  perBroker('tributary_under_replicated_partitions', 'partitions this broker leads whose ISR is smaller than their replica set (Kafka\'s definition: sum over brokers counts each once)', (s) => s.replicas.filter((r) => r.underReplicated).length)
  new Counter({ name: 'tributary_isr_shrinks_total', help: 'ISR shrinks of partitions led here', registers, collect() { this.reset(); this.inc(read().isr.shrinks) } })
  new Counter({ name: 'tributary_isr_expands_total', help: 'ISR expansions of partitions led here', registers, collect() { this.reset(); this.inc(read().isr.expands) } })
  new Counter({
    name: 'tributary_invariant_violations_total',
    help: 'broken invariants of the replication layer, refused and logged (a bug: please report it)',
    labelNames: ['invariant'],
    registers,
    collect() {
      this.reset()
      for (const [invariant, n] of read().invariantViolations) this.inc({ invariant }, n)
    },
  })

  registerMemoryMetrics(registers, read)

  return {
    before: () => void read(),
    after: () => {
      snap = undefined
    },
  }
}

/** Node-wide memory budgets (config flags) and their use, and the fetch session cache. */
function registerMemoryMetrics(registers: Registry[], read: () => ReplicaMetricsSnapshot): void {
  new Gauge({
    name: 'tributary_memory_budget_bytes', help: 'node-wide memory budget per pool (set by broker flags: --tail-cache-bytes, --fetch-session-cache-partitions, ...)', labelNames: ['pool'], registers,
    collect() {
      this.reset()
      for (const m of read().memory) this.set({ pool: m.pool }, m.budgetBytes)
    },
  })
  new Gauge({
    name: 'tributary_memory_used_bytes', help: 'bytes held now per memory pool (fetch sessions: cached partitions times their measured size)', labelNames: ['pool'], registers,
    collect() {
      this.reset()
      for (const m of read().memory) if (m.usedBytes !== undefined) this.set({ pool: m.pool }, m.usedBytes)
    },
  })
  new Gauge({ name: 'tributary_fetch_sessions', help: 'incremental fetch sessions cached on this broker', registers, collect() { this.set(read().fetchSessions.sessions) } })
  new Gauge({ name: 'tributary_fetch_session_partitions', help: 'partitions held by the cached fetch sessions', registers, collect() { this.set(read().fetchSessions.partitions) } })
  new Counter({ name: 'tributary_fetch_session_evictions_total', help: 'fetch sessions evicted (idle, or to make room)', registers, collect() { this.reset(); this.inc(read().fetchSessions.evictions) } })
  new Counter({ name: 'tributary_fetch_session_refusals_total', help: 'full fetches that found no room for a new session (served without one)', registers, collect() { this.reset(); this.inc(read().fetchSessions.refusals) } })
}

/** Committed offset and lag per group and partition, on the node that coordinates the group. */
export function registerGroupMetrics(registry: Registry, source: GroupLagSource): ScrapeHook {
  let rows: GroupLagRow[] = []
  const registers = [registry]
  const labelNames = ['group', 'topic', 'partition'] as const
  const labels = (r: GroupLagRow) => ({ group: r.groupId, topic: r.topic, partition: String(r.partition) })
  new Gauge({
    name: 'tributary_group_committed_offset', help: 'committed offset per group and partition, on the group\'s coordinator', labelNames, registers,
    collect() {
      this.reset()
      for (const r of rows) this.set(labels(r), r.offset)
    },
  })
  new Gauge({
    name: 'tributary_group_lag', help: 'high watermark minus committed offset per group and partition, on the group\'s coordinator', labelNames, registers,
    collect() {
      this.reset()
      for (const r of rows) if (r.lag !== undefined) this.set(labels(r), r.lag)
    },
  })
  return {
    before: async () => {
      rows = await source()
    },
    after: () => {
      rows = []
    },
  }
}
