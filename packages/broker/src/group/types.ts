/** The coordinator's collaborators and configuration (the seams it is built from). */
import type { ReplicaManager } from '../replication/index.js'

/**
 * What the coordinator uses of the data plane: the real ReplicaManager is
 * passed as it is; tests pass an in-memory log per partition.
 */
export type GroupReplicas = Pick<ReplicaManager, 'appendAsLeader' | 'readLocal' | 'isLeader' | 'onLeadershipChange' | 'highWatermark'>

export interface GroupConfig {
  /** offsets.topic.num.partitions: used when the coordinator creates `__consumer_offsets`. */
  offsetsTopicPartitions: number
  /** offsets.topic.replication.factor, capped by the cluster's size (registered brokers, at least the voters), not by how many are up. */
  offsetsTopicReplicationFactor: number
  /** Used when a heartbeat names none. */
  sessionTimeoutMsDefault?: number
  /** A member's sessionTimeoutMs is clamped into [min, max]. */
  sessionTimeoutMsMin?: number
  sessionTimeoutMsMax?: number
  /** How long a member may take to release revoked partitions before it is removed. */
  rebalanceTimeoutMsDefault?: number
  rebalanceTimeoutMsMax?: number
  heartbeatIntervalMs?: number
  /**
   * Classic groups (JoinGroup): how long an empty group waits for more members
   * before its first generation, so members started together share it (Kafka's
   * group.initial.rebalance.delay.ms, default 3 s).
   */
  classicInitialRebalanceDelayMs?: number
  membersPerGroupMax?: number
  /** offset.metadata.max.bytes */
  offsetMetadataBytesMax?: number
  writeQueueRecordsMax?: number
  writeBatchRecordsMax?: number
  writeBatchBytesMax?: number
  writeTimeoutMs?: number
  loadReadBytesMax?: number
  loadRetryBackoffMs?: number
}

export type ResolvedGroupConfig = Required<GroupConfig>

export const GROUP_CONFIG_DEFAULTS: ResolvedGroupConfig = {
  offsetsTopicPartitions: 16,
  offsetsTopicReplicationFactor: 3,
  sessionTimeoutMsDefault: 10_000,
  sessionTimeoutMsMin: 100,
  sessionTimeoutMsMax: 60_000,
  rebalanceTimeoutMsDefault: 60_000,
  rebalanceTimeoutMsMax: 300_000,
  heartbeatIntervalMs: 500,
  classicInitialRebalanceDelayMs: 3000,
  membersPerGroupMax: 1000,
  offsetMetadataBytesMax: 4096,
  writeQueueRecordsMax: 100_000,
  writeBatchRecordsMax: 2000,
  writeBatchBytesMax: 512 * 1024,
  writeTimeoutMs: 15_000,
  loadReadBytesMax: 1024 * 1024,
  loadRetryBackoffMs: 100,
}

export function resolveGroupConfig(config: GroupConfig): ResolvedGroupConfig {
  const out = { ...GROUP_CONFIG_DEFAULTS }
  for (const [k, v] of Object.entries(config)) if (v !== undefined) (out as Record<string, unknown>)[k] = v
  return out
}
