/**
 * The data plane (issue #5): Produce, Fetch, ListOffsets, OffsetForLeaderEpoch,
 * ISR replication, high watermark, leader epochs, idempotent producers, and the
 * background log cleaner. The broker core wires it with `createReplicaManager`.
 */
import type { LogStore } from '@tributary/storage'
import type { Clock, ControllerChannel, HandlerRegistry, PeerClients } from '../seams.js'
import type { MetadataView } from '../metadata/image-types.js'
import type { ReplicaConfig } from './config.js'
import type { PartLogger } from '../seams.js'
import type { ReplicaMetricsSnapshot } from './partition-stats.js'
import { ReplicaManagerImpl } from './replica-manager.js'

export { REPLICA_CONFIG_DEFAULTS, type ReplicaConfig } from './config.js'
export { DEBUG_REPLICA_ID } from './fetch.js'
export type { ReplicaMetrics, ReplicaMetricsSnapshot, TrafficStats } from './partition-stats.js'

export interface ReplicaManagerDeps {
  nodeId: number
  clock: Clock
  metadata: MetadataView
  logStore: LogStore
  peers: PeerClients
  controller: ControllerChannel
  config: ReplicaConfig
  logger: PartLogger
  /** Throw on a broken invariant (tests) instead of logging it and refusing the step; default from the environment (invariants.ts). */
  strictInvariants?: boolean
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
  /** Hosted replicas, traffic and ISR counters, read when /metrics is scraped. */
  metricsSnapshot(): ReplicaMetricsSnapshot
  /** Every open replica's replication state now (read-only; the simulation's data-plane invariants). */
  hostedReplicas(): HostedReplica[]
}

/** One hosted replica's replication state. */
export interface HostedReplica {
  topic: string
  partition: number
  role: 'leader' | 'follower' | 'none'
  leaderEpoch: number
  /** the ISR as this node has applied it */
  isr: readonly number[]
  highWatermark: number
  logEndOffset: number
}

/** The data plane of this broker; `register` its handlers, `start` it after metadata is available. */
export function createReplicaManager(deps: ReplicaManagerDeps): ReplicaManager {
  return new ReplicaManagerImpl(deps)
}
