/**
 * What the commands need from a cluster, in the CLI's own terms. `connect.ts`
 * implements it on @tributary/client; unit tests implement it with fakes. Every
 * method throws TributaryError (code + one-line message) on failure.
 */
import type {
  ConfigEntry,
  DescribeClusterResponse,
  DescribeGroupsResponse,
  DescribeQuorumResponse,
  ListGroupsResponse,
  MetadataImageResponse,
  MetadataLogResponse,
  MetadataSnapshotsResponse,
  TopicMetadata,
} from '@tributary/protocol'

export interface PartitionOffsets {
  partition: number
  logStartOffset: number
  highWatermark: number
}

export type GroupDescription = DescribeGroupsResponse['groups'][number]
export type GroupListing = ListGroupsResponse['groups'][number]

export interface CommittedOffset {
  topic: string
  partition: number
  offset: number
}

export interface ClusterPort {
  // ---- metadata quorum inspection (answered by the node the port is bound to)
  describeQuorum(): Promise<DescribeQuorumResponse>
  describeCluster(): Promise<DescribeClusterResponse>
  metadataLog(fromIndex: number, maxRecords: number): Promise<MetadataLogResponse>
  metadataImage(): Promise<MetadataImageResponse>
  metadataSnapshots(): Promise<MetadataSnapshotsResponse>

  // ---- topics
  listTopics(includeInternal: boolean): Promise<TopicMetadata[]>
  /** UNKNOWN_TOPIC_OR_PARTITION when missing. */
  describeTopic(topic: string): Promise<TopicMetadata>
  createTopic(t: { topic: string; partitions: number; replicationFactor: number; config: Record<string, string> }): Promise<{ topicId: string | null }>
  deleteTopic(topic: string): Promise<void>
  topicConfigs(topic: string): Promise<ConfigEntry[]>
  alterTopicConfigs(topic: string, set: Record<string, string>, remove: string[]): Promise<void>
  createPartitions(topic: string, count: number): Promise<void>
  /** Log start and high watermark of every partition of the topic. */
  partitionOffsets(topic: string): Promise<PartitionOffsets[]>
  /** The earliest offset whose timestamp >= ts, per partition (the high watermark when none). */
  offsetsForTime(topic: string, timestampMs: number): Promise<Map<number, number>>
  /** Move each partition's log start to the offset (-1: the high watermark); answers the new log starts. */
  deleteRecords(topic: string, partitions: Array<{ partition: number; offset: number }>): Promise<Array<{ partition: number; lowWatermark: number }>>

  // ---- groups
  listGroups(): Promise<GroupListing[]>
  /** GROUP_ID_NOT_FOUND when the group is unknown. */
  describeGroup(groupId: string): Promise<GroupDescription>
  committedOffsets(groupId: string): Promise<CommittedOffset[]>
  /** An admin commit: the group must have no members. */
  commitOffsets(groupId: string, offsets: CommittedOffset[]): Promise<void>
  deleteGroup(groupId: string): Promise<void>
  /** Forget the group's committed offsets of a topic (all partitions, or the named ones); refused while a member consumes it. */
  deleteGroupOffsets(groupId: string, topic: string, partitions?: number[]): Promise<void>

  close(): Promise<void>
}
