/**
 * What the coordinator reads from the metadata image: where
 * `__consumer_offsets` is (and creating it on first need), who coordinates a
 * group, and the topics consumers may be assigned.
 */
import { ApiKey, ErrorCode, fail, ok, type CreateTopicsRequest, type Result } from '@tributary/protocol'
import type { MetadataView, PartitionState } from '../metadata/image-types.js'
import type { ControllerChannel } from '../seams.js'
import { endpointFor } from '../net/listeners.js'
import { partitionForGroup } from './coordinator-hash.js'
import type { TopicsView } from './group-state.js'
import type { ResolvedGroupConfig } from './types.js'
import type { PartLogger } from '../seams.js'

export const OFFSETS_TOPIC = '__consumer_offsets'
const CREATE_TOPIC_TIMEOUT_MS = 10_000

export class OffsetsTopic {
  /** An authorizer is on (TopicsView.authorizing). */
  authorizing = false
  private topicsCache: TopicsView | null = null
  private topicsVersion = 0
  private creating = false
  private stopped = false

  constructor(
    private readonly metadata: MetadataView,
    private readonly controller: ControllerChannel,
    private readonly config: ResolvedGroupConfig,
    private readonly logger: PartLogger,
    /** Brokers the cluster is configured with (its Raft voters): a floor for the cluster size before all have registered. */
    private readonly expectedBrokers: number,
  ) {}

  stop(): void {
    this.stopped = true
  }

  /** The partition of `__consumer_offsets` that holds a group; creates the topic if it is missing. */
  partitionFor(groupId: string): Result<number> {
    const topic = this.metadata.image().topicsByName.get(OFFSETS_TOPIC)
    if (!topic || topic.partitions.length === 0) {
      const rf = this.replicationFactor()
      if (rf.unfenced < rf.target) {
        return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${OFFSETS_TOPIC} needs ${rf.target} available brokers, ${rf.unfenced} are`)
      }
      this.ensureExists(rf.target)
      return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${OFFSETS_TOPIC} is being created`)
    }
    return ok(partitionForGroup(groupId, topic.partitions.length))
  }

  /** `listener`: the named listener the asking client is on (its address for the coordinator). */
  findCoordinator(groupId: string, listener: string | null = null): Result<{ nodeId: number; endpoint: string }> {
    const p = this.partitionFor(groupId)
    if (!p.ok) return p
    const image = this.metadata.image()
    const leader = image.topicsByName.get(OFFSETS_TOPIC)!.partitions.find((x) => x.partition === p.value)?.leader ?? -1
    const broker = image.brokers.get(leader)
    if (leader < 0 || !broker || broker.fenced) {
      return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${OFFSETS_TOPIC}-${p.value} has no available leader`)
    }
    return ok({ nodeId: broker.nodeId, endpoint: endpointFor(broker, listener) })
  }

  /** Topics and partition counts, rebuilt only after topics or partitions appeared or disappeared. */
  topics(): TopicsView {
    if (this.topicsCache) return this.topicsCache
    const partitionCounts = new Map<string, number>()
    const topicIds = new Map<string, string>()
    const regexCandidates: string[] = []
    for (const [name, t] of this.metadata.image().topicsByName) {
      partitionCounts.set(name, t.partitions.length)
      topicIds.set(name, t.topicId)
      if (!t.internal) regexCandidates.push(name)
    }
    this.topicsCache = { version: this.topicsVersion, partitionCounts, topicIds, regexCandidates, authorizing: this.authorizing }
    return this.topicsCache
  }

  /** A partition changed: the view is stale if it does not know that partition (new topic, new partitions, re-created topic). */
  onPartitionChange(ps: PartitionState): void {
    const view = this.topicsCache
    if (!view) return
    const count = view.partitionCounts.get(ps.topic)
    if (count === undefined || ps.partition >= count || view.topicIds.get(ps.topic) !== ps.topicId) this.invalidateTopics()
  }

  invalidateTopics(): void {
    this.topicsVersion++
    this.topicsCache = null
  }

  /**
   * The replication factor `__consumer_offsets` must get, as Kafka's
   * offsets.topic.replication.factor: the configured one, capped only by the
   * size of the cluster (registered brokers, and at least the voters), never
   * by how many brokers happen to be up. The topic is created once and keeps
   * its replication factor, so creating it while brokers are still starting
   * (or down) would leave it under-replicated for good; until `target` brokers
   * are unfenced, group requests get COORDINATOR_NOT_AVAILABLE instead.
   */
  private replicationFactor(): { target: number; unfenced: number } {
    const brokers = [...this.metadata.image().brokers.values()]
    const clusterSize = Math.max(brokers.length, this.expectedBrokers)
    const target = Math.max(1, Math.min(this.config.offsetsTopicReplicationFactor, clusterSize))
    return { target, unfenced: brokers.filter((b) => !b.fenced).length }
  }

  /** Asks the controller for the topic (once at a time); TOPIC_ALREADY_EXISTS is success. */
  private ensureExists(replicationFactor: number): void {
    if (this.creating || this.stopped) return
    this.creating = true
    const request: CreateTopicsRequest = {
      topics: [
        {
          name: OFFSETS_TOPIC,
          numPartitions: this.config.offsetsTopicPartitions,
          replicationFactor,
          configs: { 'cleanup.policy': 'compact' },
          internal: true,
        },
      ],
      timeoutMs: CREATE_TOPIC_TIMEOUT_MS,
    }
    this.controller
      .request(ApiKey.CreateTopics, request, { timeoutMs: CREATE_TOPIC_TIMEOUT_MS })
      .then(
        (r) => {
          const code = r.errorCode || (r.body?.topics?.[0]?.errorCode ?? ErrorCode.NONE)
          if (code !== ErrorCode.NONE && code !== ErrorCode.TOPIC_ALREADY_EXISTS) this.logger.warn({ errorCode: code }, `creating ${OFFSETS_TOPIC} failed`)
          else this.logger.info({ replicationFactor, partitions: this.config.offsetsTopicPartitions }, `created ${OFFSETS_TOPIC}`)
        },
        (err: unknown) => this.logger.warn({ err: String(err) }, `creating ${OFFSETS_TOPIC} failed`),
      )
      .finally(() => {
        this.creating = false
      })
  }
}
