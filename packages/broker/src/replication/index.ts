/**
 * The data plane (issue #5): Produce, Fetch, ListOffsets, OffsetForLeaderEpoch,
 * ISR replication, high watermark, leader epochs, idempotent producers, and the
 * background log cleaner. The broker core wires it with `createReplicaManager`.
 */
import type { LogStore } from '@tributary/storage'
import type { Clock, ControllerChannel, HandlerRegistry, PeerClients } from '../seams.js'
import type { MetadataView } from '../metadata/image-types.js'

export interface ReplicaConfig {
  /** A follower that has not caught up for this long leaves the ISR (short: <3 s failover goal). */
  replicaLagTimeMaxMs: number
  /** Follower fetch long-poll wait. */
  replicaFetchWaitMaxMs: number
  /** Follower fetch response size bound (per request). */
  replicaFetchMaxBytes: number
  /** Broker-wide `message.max.bytes` (topic `max.message.bytes` overrides per topic). */
  messageMaxBytes: number
  /** Upper bound on a Produce timeoutMs / Fetch maxWaitMs a client may ask for. */
  requestTimeoutMsMax?: number
  /** How often the cleaner applies retention and compaction. */
  logCleanerIntervalMs: number
  /** Topic config defaults from the broker config (e.g. `min.insync.replicas`); override the built-in table. */
  topicDefaults?: Record<string, string>
}

export interface ReplicaManagerDeps {
  nodeId: number
  clock: Clock
  metadata: MetadataView
  logStore: LogStore
  peers: PeerClients
  controller: ControllerChannel
  config: ReplicaConfig
  logger: { info: Function; warn: Function; error: Function; debug: Function }
}

export interface LeadershipChange {
  topic: string
  partition: number
  isLeader: boolean
  leaderEpoch: number
}

export interface ReplicaManager {
  /** Registers Produce, Fetch, ListOffsets, OffsetForLeaderEpoch. */
  register(registry: HandlerRegistry): void
  start(): Promise<void>
  stop(): Promise<void>
  /** Leader append for internal users (the group coordinator's __consumer_offsets). */
  appendAsLeader(topic: string, partition: number, batches: Uint8Array, acks: -1 | 1): Promise<{ errorCode: number; baseOffset: number }>
  /** Reads committed data (below the high watermark). */
  readLocal(
    topic: string,
    partition: number,
    fromOffset: number,
    maxBytes: number,
  ): Promise<{ errorCode: number; records: Uint8Array; highWatermark: number; logStartOffset: number; logEndOffset: number }>
  isLeader(topic: string, partition: number): boolean
  onLeadershipChange(listener: (e: LeadershipChange) => void): () => void
  /** -1 if the partition is not hosted here. */
  highWatermark(topic: string, partition: number): number
}

export const REPLICA_CONFIG_DEFAULTS: ReplicaConfig = {
  replicaLagTimeMaxMs: 5000,
  replicaFetchWaitMaxMs: 500,
  replicaFetchMaxBytes: 8 * 1024 * 1024,
  messageMaxBytes: 1024 * 1024,
  requestTimeoutMsMax: 60_000,
  logCleanerIntervalMs: 30_000,
}

/** Stub while the implementation lands: registers nothing, hosts nothing. */
export function createReplicaManager(deps: ReplicaManagerDeps): ReplicaManager {
  void deps
  return {
    register() {},
    async start() {},
    async stop() {},
    async appendAsLeader() { return { errorCode: 6, baseOffset: -1 } },
    async readLocal() { return { errorCode: 6, records: new Uint8Array(0), highWatermark: -1, logStartOffset: -1, logEndOffset: -1 } },
    isLeader: () => false,
    onLeadershipChange: () => () => {},
    highWatermark: () => -1,
  }
}
