/**
 * Traffic counters for /metrics, kept as plain numbers: the produce and fetch paths
 * add to them (a few additions per request, no label lookup, no allocation) and the
 * metrics registry reads them when scraped (metrics.ts collect callbacks).
 *
 * A partition counts what its leader appended and what consumers read from it; a
 * topic's counters sum its partitions on this broker and outlive a partition that
 * moves away (Prometheus would read a shrinking total as a counter reset).
 */
import { BATCH_OVERHEAD_BYTES } from '@tributary/protocol'
import type { HostedReplica } from './index.js'
import type { Partition } from './partition.js'

export class TrafficStats {
  /** Records appended as leader (client and internal produce). */
  messagesIn = 0
  /** Bytes of record batches appended as leader. */
  bytesIn = 0
  /** Records in the batches sent to consumers (a batch that starts before the fetch offset counts whole). */
  messagesOut = 0
  /** Bytes of record batches sent to consumers. */
  bytesOut = 0
}

/** One partition's counters, adding to its topic's as well. */
export class PartitionStats extends TrafficStats {
  constructor(private readonly topic: TrafficStats) {
    super()
  }

  appended(records: number, bytes: number): void {
    this.messagesIn += records
    this.bytesIn += bytes
    this.topic.messagesIn += records
    this.topic.bytesIn += bytes
  }

  sent(batches: Uint8Array): void {
    if (batches.length === 0) return
    const records = countRecords(batches)
    this.messagesOut += records
    this.bytesOut += batches.length
    this.topic.messagesOut += records
    this.topic.bytesOut += batches.length
  }
}

/** This broker's ISR changes as a leader (Kafka's IsrShrinksPerSec / IsrExpandsPerSec). */
export class IsrStats {
  shrinks = 0
  expands = 0

  /** The leader's ISR went from `before` to `after` (one change may both drop and add members). */
  changed(before: readonly number[], after: readonly number[]): void {
    if (before.some((id) => !after.includes(id))) this.shrinks++
    if (after.some((id) => !before.includes(id))) this.expands++
  }
}

/** recordCount (int32 at 57) and batchLength (int32 at 8) of each stored batch: no record is decoded. */
const RECORD_COUNT_AT = 57
const BATCH_LENGTH_AT = 8

/** Records in a run of stored record batches (a cut-short tail batch is not counted). */
export function countRecords(batches: Uint8Array): number {
  let n = 0
  let at = 0
  while (at + RECORD_COUNT_AT + 4 <= batches.length) {
    const size = BATCH_OVERHEAD_BYTES + int32(batches, at + BATCH_LENGTH_AT)
    if (size <= BATCH_OVERHEAD_BYTES || at + size > batches.length) break
    n += int32(batches, at + RECORD_COUNT_AT)
    at += size
  }
  return n
}

const int32 = (b: Uint8Array, o: number): number => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!)

/** One hosted replica as /metrics shows it. */
export interface ReplicaMetrics {
  topic: string
  partition: number
  isLeader: boolean
  /** Led here and its ISR is smaller than its replica set (Kafka's UnderReplicatedPartitions). */
  underReplicated: boolean
  logEndOffset: number
  logStartOffset: number
  highWatermark: number
  logSizeBytes: number
  stats: TrafficStats
}

/** A hosted replica as `hostedReplicas()` lists it. */
export function hostedReplica(p: Partition): HostedReplica {
  return { topic: p.topic, partition: p.partition, role: p.role, leaderEpoch: p.leaderEpoch, isr: p.isr, highWatermark: p.highWatermark(), logEndOffset: p.logEndOffset() }
}

/** A hosted replica's row in the snapshot. */
export function replicaMetrics(p: Partition): ReplicaMetrics {
  const isLeader = p.role === 'leader'
  return {
    topic: p.topic,
    partition: p.partition,
    isLeader,
    underReplicated: isLeader && p.isr.length < p.replicas.length,
    logEndOffset: p.logEndOffset(),
    logStartOffset: p.logStartOffset(),
    highWatermark: p.highWatermark(),
    logSizeBytes: p.log.sizeBytes(),
    stats: p.stats,
  }
}

/** What the replica manager reports when /metrics is scraped. */
export interface ReplicaMetricsSnapshot {
  replicas: ReplicaMetrics[]
  /** Per topic hosted here (or hosted since this process started, until the topic is deleted). */
  topics: Map<string, TrafficStats>
  isr: IsrStats
  /** Broken invariants by name (production mode logs and counts them; invariants.ts). */
  invariantViolations: ReadonlyMap<string, number>
  /** Node-wide memory budgets and their use (used absent: not measurable, e.g. LevelDB's own). */
  memory: MemoryPool[]
  fetchSessions: { sessions: number; partitions: number; evictions: number; refusals: number }
}

export interface MemoryPool {
  pool: string
  budgetBytes: number
  usedBytes?: number
}
