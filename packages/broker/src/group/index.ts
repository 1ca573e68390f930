/**
 * The group coordinator (DESIGN: Consumer groups): KIP-848 membership with
 * server-side incremental assignment, and committed offsets stored as records
 * in the internal compacted topic `__consumer_offsets`.
 *
 * The broker core builds one per node with createGroupCoordinator(deps),
 * registers its handlers, and calls start()/stop().
 */
import type { ControllerChannel, Clock, HandlerRegistry } from '../seams.js'
import type { MetadataView } from '../metadata/image-types.js'

/**
 * What the coordinator needs from the partition data plane. It is the subset
 * of replication's ReplicaManager the coordinator uses, so the real one is
 * passed as it is and tests pass an in-memory log.
 */
export interface GroupReplicas {
  /** Appends to a partition this node leads; with acks=-1 resolves once the batch is below the high watermark. */
  appendAsLeader(topic: string, partition: number, batches: Uint8Array, acks: -1 | 0 | 1): Promise<unknown>
  /** Reads whole batches from fromOffset, below the high watermark. */
  readLocal(topic: string, partition: number, fromOffset: number, maxBytes: number): Promise<unknown> | unknown
  isLeader(topic: string, partition: number): boolean
  highWatermark(topic: string, partition: number): number
  /** Returns an unsubscribe function. */
  onLeadershipChange(listener: (...args: any[]) => void): () => void
}

export interface GroupConfig {
  /** offsets.topic.num.partitions */
  offsetsTopicPartitions: number
  /** offsets.topic.replication.factor (capped by the number of brokers) */
  offsetsTopicReplicationFactor: number
  sessionTimeoutMsDefault: number
  sessionTimeoutMsMin: number
  sessionTimeoutMsMax: number
  heartbeatIntervalMs: number
}

export const DEFAULT_GROUP_CONFIG: GroupConfig = {
  offsetsTopicPartitions: 16,
  offsetsTopicReplicationFactor: 3,
  sessionTimeoutMsDefault: 10_000,
  sessionTimeoutMsMin: 100,
  sessionTimeoutMsMax: 60_000,
  heartbeatIntervalMs: 500,
}

/** Pino-compatible: only the methods the coordinator calls. */
export interface GroupLogger {
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

export interface GroupCoordinatorDeps {
  nodeId: number
  clock: Clock
  metadata: MetadataView
  replicas: GroupReplicas
  controller: ControllerChannel
  config: GroupConfig
  logger: GroupLogger
}

export interface GroupCoordinator {
  /** Registers ConsumerGroupHeartbeat, OffsetCommit, OffsetFetch, FindCoordinator, ListGroups, DescribeGroups, DeleteGroups. */
  register(registry: HandlerRegistry): void
  start(): Promise<void>
  stop(): Promise<void>
}

export function createGroupCoordinator(deps: GroupCoordinatorDeps): GroupCoordinator {
  void deps
  return {
    register(_registry) {},
    async start() {},
    async stop() {},
  }
}
