/**
 * The group coordinator (docs/ARCHITECTURE.md, "Consumer groups"): KIP-848 membership with
 * server-side incremental assignment, and committed offsets stored as records
 * in the internal compacted topic `__consumer_offsets`. See README.md here.
 *
 * The broker core builds one per node with createGroupCoordinator(deps),
 * registers its handlers, and calls start()/stop().
 */
import type { Clock, ControllerChannel, HandlerRegistry, Random, RequestContext } from '../seams.js'
import { systemRandom } from '../seams.js'
import type { MetadataView } from '../metadata/image-types.js'
import { GroupCoordinatorCore } from './coordinator.js'
import { registerGroupHandlers } from './handlers.js'
import type { CommittedOffsetRow } from './lag.js'
import { resolveGroupConfig, type GroupConfig, type GroupReplicas } from './types.js'
import type { PartLogger } from '../seams.js'

export type { GroupConfig, GroupReplicas } from './types.js'
export { GROUP_CONFIG_DEFAULTS } from './types.js'
export { OFFSETS_TOPIC } from './offsets-topic.js'
export { javaStringHashCode, partitionForGroup } from './coordinator-hash.js'
export { groupLag, type CommittedOffsetRow, type GroupLagRow } from './lag.js'

export interface GroupCoordinatorDeps {
  nodeId: number
  clock: Clock
  metadata: MetadataView
  /** The ReplicaManager (only the methods in GroupReplicas are used). */
  replicas: GroupReplicas
  controller: ControllerChannel
  /** offsetsTopicPartitions and offsetsTopicReplicationFactor; the rest default (GROUP_CONFIG_DEFAULTS). */
  config: GroupConfig
  logger: PartLogger
  /** For member ids and load-marker nonces; defaults to Math.random. */
  random?: Random
  /**
   * How many brokers the cluster is configured with (the Raft voters, each of
   * which is a broker); default 1. With the registered brokers it caps the
   * replication factor of `__consumer_offsets`.
   */
  expectedBrokers?: number
  /** With an authorizer: the topics a connection's principal may Read; a regex subscription matches only those. */
  topicAccess?: (ctx: RequestContext) => (topic: string) => boolean
}

export interface GroupCoordinator {
  /** Registers ConsumerGroupHeartbeat, OffsetCommit, OffsetFetch, FindCoordinator, ListGroups, DescribeGroups, DeleteGroups, OffsetDelete. */
  register(registry: HandlerRegistry): void
  start(): Promise<void>
  stop(): Promise<void>
  /** `__consumer_offsets` partitions this node coordinates, and whether each is loaded. */
  shards(): Map<number, 'loading' | 'active'>
  /** Committed offsets of the groups this node coordinates (lag.ts turns them into lag). */
  committedOffsets(): CommittedOffsetRow[]
}

export function createGroupCoordinator(deps: GroupCoordinatorDeps): GroupCoordinator {
  const config = resolveGroupConfig(deps.config)
  const core = new GroupCoordinatorCore({ ...deps, config, random: deps.random ?? systemRandom, expectedBrokers: deps.expectedBrokers ?? 1, authorizing: deps.topicAccess !== undefined })
  return {
    register: (registry) => registerGroupHandlers(registry, core, config, deps.topicAccess),
    start: async () => core.start(),
    stop: async () => core.stop(),
    shards: () => core.shardStatus(),
    committedOffsets: () => core.committedOffsets(),
  }
}
