import { ALTER_PARTITION_BATCH_MS_DEFAULT } from './alter-partition-batcher.js'

/** The data plane's settings; the broker core maps its BrokerConfig into this. */
export interface ReplicaConfig {
  /** A follower that has not caught up for this long leaves the ISR (short: <3 s failover goal). */
  replicaLagTimeMaxMs: number
  /** Follower fetch long-poll wait. */
  replicaFetchWaitMaxMs: number
  /** Follower fetch response bound (per request; per partition it is the same bound). */
  replicaFetchMaxBytes: number
  /** Broker-wide `message.max.bytes`; a topic's `max.message.bytes` overrides it. */
  messageMaxBytes: number
  /** Upper bound on a Produce timeoutMs / Fetch maxWaitMs a client may ask for. */
  requestTimeoutMsMax?: number
  /** How often the cleaner applies retention and compaction. */
  logCleanerIntervalMs: number
  /** Broker-level topic config defaults (e.g. `min.insync.replicas`), between the topic's own and the schema's. */
  topicDefaults?: Record<string, string>
  /** How often changed idempotent producer state is checkpointed with the partition. */
  producerStateCheckpointIntervalMs?: number
  /** Idempotent producers idle this long are forgotten (Kafka: transactional.id.expiration.ms). */
  producerIdExpirationMs?: number
  /** Pause after a failed follower fetch before the next one. */
  replicaFetchBackoffMs?: number
  /** acks=all appends by internal users (the group coordinator) give up after this. */
  internalAppendTimeoutMs?: number
  /** ISR changes proposed within this window go to the controller as one AlterPartition. */
  alterPartitionBatchMs?: number
  /** Bytes per second this broker's replicas being added by a reassignment may fetch (0 = unthrottled). */
  reassignmentThrottleBytes?: number
  /** Incremental fetch sessions (KIP-227) cached at once, node-wide; 0 turns sessions off. */
  fetchSessionCacheSlots?: number
  /** Partitions all cached fetch sessions hold together, node-wide. */
  fetchSessionCachePartitions?: number
  /** A fetch session unused this long may be evicted to make room for a new one. */
  fetchSessionIdleMs?: number
  /** Followers fetch with incremental fetch sessions (false: full fetches, as before). */
  replicaFetchSessions?: boolean
  /** A partition not written for this long gives its tail cache back (0: never). */
  tailCacheIdleMs?: number
  /** Idempotent producer entries all partitions of the node hold together. */
  producerStateEntriesMax?: number
  /** Budgets the storage engine holds on its own (LevelDB memtable, block cache), for /metrics. */
  storageBudgetBytes?: Record<string, number>
}

/** The data plane's defaults: the one owner of these values (the broker's flags take theirs from here, config.ts). */
export const REPLICA_CONFIG_DEFAULTS: Required<ReplicaConfig> = {
  replicaLagTimeMaxMs: 5000,
  replicaFetchWaitMaxMs: 500,
  replicaFetchMaxBytes: 8 * 1024 * 1024,
  messageMaxBytes: 1024 * 1024,
  requestTimeoutMsMax: 60_000,
  logCleanerIntervalMs: 30_000,
  topicDefaults: {},
  producerStateCheckpointIntervalMs: 2000,
  producerIdExpirationMs: 7 * 24 * 3600 * 1000,
  replicaFetchBackoffMs: 100,
  internalAppendTimeoutMs: 15_000,
  alterPartitionBatchMs: ALTER_PARTITION_BATCH_MS_DEFAULT,
  reassignmentThrottleBytes: 0,
  // Kafka's max.incremental.fetch.session.cache.slots is 1000; partitions at ~240 B each: 24 MiB at most
  fetchSessionCacheSlots: 1000,
  fetchSessionCachePartitions: 100_000,
  fetchSessionIdleMs: 30_000,
  replicaFetchSessions: true,
  tailCacheIdleMs: 60_000,
  // 740 B each: 71 MiB at most; one producer over 10,000 partitions takes 10,000
  producerStateEntriesMax: 100_000,
  storageBudgetBytes: {},
}

/** Fills the optional settings. */
export function withDefaults(config: ReplicaConfig): Required<ReplicaConfig> {
  const out = { ...REPLICA_CONFIG_DEFAULTS }
  for (const [k, v] of Object.entries(config)) if (v !== undefined) (out as Record<string, unknown>)[k] = v
  return out
}
