/**
 * The client's view of cluster metadata: brokers, topics, partition leaders.
 * Answers from lagging brokers (older metadataOffset) are ignored so the view
 * never moves backwards; leader hints carried by error responses are applied
 * when their epoch is newer, which saves a round trip after a failover.
 */
import { ErrorCode, type BrokerInfo, type MetadataResponse, type PartitionMetadata, type TopicMetadata } from '@tributary/protocol'

export interface LeaderInfo { nodeId: number; leaderEpoch: number }

export class MetadataCache {
  clusterId: string | null = null
  controllerId = -1
  metadataOffset = -1
  /** The client clock's time of the last applied answer; 0 = never. */
  updatedAt = 0
  readonly brokers = new Map<number, BrokerInfo>()
  readonly topics = new Map<string, TopicMetadata>()
  /** Topics the last full answer did not contain (or reported an error for), with that error. */
  readonly topicErrors = new Map<string, number>()

  /** Apply a Metadata answer for `requested` topics (null = all topics). Returns false when ignored as stale. */
  apply(r: MetadataResponse, requested: readonly string[] | null, now: number): boolean {
    const sameCluster = this.clusterId === null || r.clusterId === this.clusterId
    if (sameCluster && r.metadataOffset < this.metadataOffset) return false
    this.lastName = undefined
    if (!sameCluster) this.topics.clear()
    this.clusterId = r.clusterId
    this.controllerId = r.controllerId
    this.metadataOffset = r.metadataOffset
    this.updatedAt = now
    this.brokers.clear()
    for (const b of r.brokers) this.brokers.set(b.nodeId, b)
    const seen = new Set<string>()
    for (const t of r.topics) {
      seen.add(t.name)
      if (t.errorCode !== ErrorCode.NONE) {
        this.topics.delete(t.name)
        this.topicErrors.set(t.name, t.errorCode)
      } else {
        this.topics.set(t.name, { ...t, partitions: [...t.partitions].sort((a, b) => a.partition - b.partition) })
        this.topicErrors.delete(t.name)
      }
    }
    const gone = requested === null ? [...this.topics.keys()] : requested
    for (const name of gone) {
      if (!seen.has(name)) {
        this.topics.delete(name)
        this.topicErrors.set(name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
      }
    }
    return true
  }

  /** The last topic asked for and its answer, until the next apply: producers ask for one topic over and over. */
  private lastName: string | undefined
  private lastTopic: TopicMetadata | undefined

  topic(name: string): TopicMetadata | undefined {
    if (name !== this.lastName) {
      this.lastTopic = this.topics.get(name)
      this.lastName = name
    }
    return this.lastTopic
  }

  partition(topic: string, partition: number): PartitionMetadata | undefined {
    const t = this.topics.get(topic)
    if (!t) return undefined
    const p = t.partitions[partition]
    return p?.partition === partition ? p : t.partitions.find((x) => x.partition === partition)
  }

  partitionCount(topic: string): number | undefined {
    return this.topics.get(topic)?.partitions.length
  }

  /** Partitions of `topic` whose leader is known and not fenced. */
  availablePartitions(topic: string): number[] {
    const t = this.topics.get(topic)
    if (!t) return []
    return t.partitions.filter((p) => p.leader >= 0 && this.brokers.get(p.leader)?.fenced === false).map((p) => p.partition)
  }

  leader(topic: string, partition: number): LeaderInfo | undefined {
    const p = this.partition(topic, partition)
    if (!p || p.leader < 0) return undefined
    return { nodeId: p.leader, leaderEpoch: p.leaderEpoch }
  }

  /** A response named a newer leader: believe it until the next refresh says otherwise. */
  applyLeaderHint(topic: string, partition: number, hint: { leaderId: number; leaderEpoch: number } | null | undefined): void {
    if (!hint || hint.leaderId < 0) return
    const p = this.partition(topic, partition)
    if (!p || hint.leaderEpoch <= p.leaderEpoch || !this.brokers.has(hint.leaderId)) return
    p.leader = hint.leaderId
    p.leaderEpoch = hint.leaderEpoch
  }

  /** Forget a leader that just failed us, so nobody sends there until a refresh. */
  invalidateLeader(topic: string, partition: number): void {
    const p = this.partition(topic, partition)
    if (p) p.leader = -1
  }

  endpoint(nodeId: number): string | undefined {
    return this.brokers.get(nodeId)?.endpoint
  }
}
