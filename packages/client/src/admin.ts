/**
 * Admin operations: topics, configs, partitions, groups, and the cluster's
 * quorum and metadata-log views. Topic changes go to the controller; group
 * operations to the group's coordinator; everything is retried while retriable.
 */
import {
  ApiKey, ErrorCode, TributaryError,
  type AlterConfigsRequest, type ConfigEntry, type ConfigResourceType, type DescribeClusterResponse, type DescribeGroupsResponse,
  type DescribeQuorumResponse, type MetadataImageResponse, type MetadataLogResponse, type MetadataResponse, type MetadataSnapshotsResponse, type AclBinding,
} from '@tributary/protocol'
import { createAcls, deleteAcls, describeAcls, type AclFilter } from './admin-acls.js'
import { topicPermissions, type TopicPermissions } from './admin-permissions.js'
import { deleteGroupOffsets, deleteRecords, type DeleteRecordsArgs } from './admin-deletes.js'
import {
  alterPartitionReassignments, electLeaders, listPartitionReassignments,
  type ElectionResult, type ElectLeadersArgs, type PartitionReassignment, type ReassignmentTopic,
} from './admin-elastic.js'
import { addRaftVoter, removeRaftVoter } from './admin-quorum.js'
import type { BrokerConnection } from './broker-connection.js'
import type { Cluster } from './cluster.js'
import { Coordinators } from './coordinator.js'
import { ArgumentError, assertArg, responseError } from './errors.js'
import { deleteGroups, groupOffsets, listGroups, resetPositions, setOffsets, type GroupOffset, type ResetTarget } from './admin-groups.js'
import { listOffsets, tpKey } from './list-offsets.js'
import {
  checkName, createPartitions, createTopics, deleteTopics, describeTopic, fetchTopicOffsets,
  type CreatedTopic, type CreateTopicOptions, type NewTopic, type PartitionDescription,
} from './admin-topics.js'
import {
  deleteScramCredentials, describeUsers, upsertScramCredentials,
  type ScramCredentialDelete, type ScramCredentialUpsert, type UserDescription,
} from './admin-users.js'

export type { GroupOffset, ResetTarget } from './admin-groups.js'
export type { CreatedTopic, CreateTopicOptions, NewTopic, PartitionDescription } from './admin-topics.js'


export class Admin {
  private readonly coordinators: Coordinators

  constructor(private readonly cluster: Cluster) {
    this.coordinators = new Coordinators(cluster)
  }

  async connect(): Promise<void> {
    await this.cluster.refreshMetadata()
  }

  /**
   * Create one topic (Kafka admin's options): `ifNotExists` answers `created: false` for a topic
   * that exists instead of throwing TOPIC_ALREADY_EXISTS; `validateOnly` has the controller check
   * the request and create nothing. Throws INVALID_REPLICATION_FACTOR, ... as TributaryError.
   */
  async createTopic(t: NewTopic & CreateTopicOptions): Promise<CreatedTopic> {
    const [r] = await this.createTopics({ ...t, topics: [t] })
    return r
  }

  /** Create topics; by default waits until every partition has a leader (as kafkajs's waitForLeaders). */
  createTopics(args: { topics: NewTopic[] } & CreateTopicOptions): Promise<CreatedTopic[]> {
    return createTopics(this.cluster, args)
  }


  async deleteTopic(topic: string, opts: { timeoutMs?: number } = {}): Promise<void> {
    await this.deleteTopics({ topics: [topic], timeoutMs: opts.timeoutMs })
  }

  /** Delete topics; waits until the metadata no longer shows them. */
  deleteTopics(args: { topics: string[]; timeoutMs?: number }): Promise<void> {
    return deleteTopics(this.cluster, args)
  }


  /** Topic names (internal topics only when asked). */
  async listTopics(opts: { includeInternal?: boolean } = {}): Promise<string[]> {
    await this.cluster.refreshMetadata()
    return [...this.cluster.metadata.topics.values()].filter((t) => opts.includeInternal || !t.internal).map((t) => t.name).sort()
  }

  /** Leader, replicas, ISR, leader epoch, log start and high watermark of every partition. */
  describeTopic(topic: string): Promise<{ name: string; topicId: string; internal: boolean; partitions: PartitionDescription[] }> {
    return describeTopic(this.cluster, topic)
  }

  /** kafkajs's fetchTopicOffsets: per partition the high watermark (offset/high) and log start (low). */
  fetchTopicOffsets(topic: string): Promise<Array<{ partition: number; offset: number; high: number; low: number }>> {
    return fetchTopicOffsets(this.cluster, topic)
  }



  /** First offset whose timestamp is >= timestamp, per partition (-1 past the end: use the high watermark). */
  async fetchTopicOffsetsByTimestamp(topic: string, timestamp: number): Promise<Array<{ partition: number; offset: number }>> {
    const t = await this.cluster.topicMetadata(checkName('topic', topic))
    const r = await listOffsets(this.cluster, t.partitions.map((p) => ({ topic, partition: p.partition, timestamp })))
    return t.partitions.map((p) => ({ partition: p.partition, offset: r.get(tpKey(topic, p.partition))?.offset ?? -1 }))
  }


  /** Grow topics to `count` partitions each. */
  createPartitions(args: { topicPartitions: Array<{ topic: string; count: number }>; validateOnly?: boolean; timeoutMs?: number }): Promise<void> {
    return createPartitions(this.cluster, args)
  }

  /**
   * A broker's configs (type 'broker', name its id) are asked of that broker, as
   * Kafka's AdminClient does: only it knows its static flags. Topics and the
   * cluster-wide broker default (name '') are asked of any broker.
   */
  async describeConfigs(args: { resources: Array<{ type: ConfigResourceType; name: string; names?: string[] }> }): Promise<Array<{ type: ConfigResourceType; name: string; configs: ConfigEntry[] }>> {
    assertArg(args && Array.isArray(args.resources) && args.resources.length > 0, "describeConfigs expects { resources: [{ type: 'topic', name }] }")
    const answers = await Promise.all(args.resources.map(async (x) => {
      const resources = [{ type: x.type, name: x.name, names: x.names ?? null }]
      const node = x.type === 'broker' && /^\d+$/.test(x.name) ? Number(x.name) : undefined
      const r = node === undefined ? await this.cluster.callAny(ApiKey.DescribeConfigs, { resources }) : await (await this.nodeOrAny(node)).call(ApiKey.DescribeConfigs, { resources })
      return r.resources
    }))
    const all = answers.flat()
    const e = all.find((x) => x.errorCode !== ErrorCode.NONE)
    if (e) throw responseError(e.errorCode, e.errorMessage, `describeConfigs ${e.type} ${e.name}`)
    return all.map((x) => ({ type: x.type, name: x.name, configs: x.configs }))
  }

  /** Incremental: each entry sets (value) or deletes (value null / op 'delete') one config. */
  async alterConfigs(args: { resources: Array<{ type: ConfigResourceType; name: string; configs: Array<{ name: string; value?: string | null; op?: 'set' | 'delete' }> }>; validateOnly?: boolean }): Promise<void> {
    assertArg(args && Array.isArray(args.resources) && args.resources.length > 0, "alterConfigs expects { resources: [{ type: 'topic', name, configs: [{ name, value }] }] }")
    const resources: AlterConfigsRequest['resources'] = args.resources.map((x) => ({
      type: x.type,
      name: x.name,
      configs: x.configs.map((c) => {
        const op = c.op ?? (c.value == null ? 'delete' : 'set')
        assertArg(op === 'delete' || typeof c.value === 'string', `config ${c.name} must have a string value`)
        return { name: c.name, op, value: op === 'set' ? c.value : null }
      }),
    }))
    const r = await this.cluster.controllerCall(ApiKey.AlterConfigs, { resources, validateOnly: args.validateOnly ?? false })
    const e = r.resources.find((x) => x.errorCode !== ErrorCode.NONE)
    if (e) throw responseError(e.errorCode, e.errorMessage, `alterConfigs ${e.type} ${e.name}`)
  }

  /** Every group on every broker (each coordinator knows only its own groups). */
  listGroups(): Promise<Array<{ groupId: string; state: string; protocolType: string }>> {
    return listGroups(this.cluster)
  }

  /** Members with their assignments, plus committed offsets and lag per partition. */
  async describeGroup(groupId: string): Promise<DescribeGroupsResponse['groups'][number] & { offsets: GroupOffset[] }> {
    checkName('groupId', groupId)
    const r = await this.coordinators.call(groupId, ApiKey.DescribeGroups, { groupIds: [groupId] })
    const g = r.groups.find((x) => x.groupId === groupId)
    if (!g) throw new TributaryError(ErrorCode.GROUP_ID_NOT_FOUND, groupId)
    if (g.errorCode !== ErrorCode.NONE) throw responseError(g.errorCode, undefined, `describeGroup ${groupId}`)
    return { ...g, offsets: await this.groupOffsets(groupId) }
  }

  async fetchOffsets(args: { groupId: string; topics?: string[] }): Promise<GroupOffset[]> {
    const all = await this.groupOffsets(checkName('groupId', args?.groupId))
    return args.topics ? all.filter((o) => args.topics!.includes(o.topic)) : all
  }

  /** Move a group's committed offsets (the group must have no members): earliest, latest, an offset, or a timestamp. */
  async resetOffsets(args: { groupId: string; topic: string; to: ResetTarget; partitions?: number[] }): Promise<Array<{ partition: number; offset: number }>> {
    const groupId = checkName('groupId', args?.groupId)
    const topic = checkName('topic', args.topic)
    const offsets = await resetPositions(this.cluster, topic, args.to, args.partitions)
    await this.setOffsets({ groupId, topic, partitions: offsets })
    return offsets
  }

  /** Admin OffsetCommit (memberId '', memberEpoch -1): accepted only while the group has no members. */
  setOffsets(args: { groupId: string; topic: string; partitions: Array<{ partition: number; offset: number }> }): Promise<void> {
    return setOffsets(this.coordinators, checkName('groupId', args?.groupId), checkName('topic', args.topic), args.partitions)
  }

  async deleteGroup(groupId: string): Promise<void> {
    await this.deleteGroups([groupId])
  }

  async deleteGroups(groupIds: string[]): Promise<void> {
    assertArg(Array.isArray(groupIds) && groupIds.length > 0, 'deleteGroups expects an array of group ids')
    await deleteGroups(this.coordinators, groupIds.map((g) => checkName('groupId', g)))
  }

  /**
   * Forget a group's committed offsets for a topic (Kafka's OffsetDelete): all its
   * committed partitions, or the ones named. Refused (GROUP_SUBSCRIBED_TO_TOPIC)
   * while a member of the group consumes the topic. Needs Delete on the group and Read on the topic.
   */
  deleteGroupOffsets(args: { groupId: string; topic: string; partitions?: number[] }): Promise<void> {
    return deleteGroupOffsets(this.coordinators, args)
  }

  /**
   * Delete the records below an offset (-1: the high watermark) by moving each
   * partition's log start there (Kafka's DeleteRecords, at each leader); answers
   * each partition's new log start. Needs Delete on the topic.
   */
  deleteRecords(args: DeleteRecordsArgs): Promise<Array<{ partition: number; lowWatermark: number }>> {
    return deleteRecords(this.cluster, args)
  }

  /** KafkaJS's name for deleteRecords. */
  async deleteTopicRecords(args: DeleteRecordsArgs): Promise<void> {
    await deleteRecords(this.cluster, args)
  }

  /**
   * One Metadata answer as the brokers give it: cluster id, controller, brokers (with
   * fenced and rack) and every topic the principal may Describe, with each partition's
   * leader, replicas and ISR — what a dashboard needs in one request.
   */
  clusterMetadata(opts: { includeInternal?: boolean } = {}): Promise<MetadataResponse> {
    return this.cluster.callAny(ApiKey.Metadata, { topics: null, includeInternal: opts.includeInternal ?? true })
  }

  /** What this client's principal may do to a topic, asked of the brokers with requests that change nothing (admin-permissions.ts). */
  async topicPermissions(topic: string): Promise<TopicPermissions> {
    return topicPermissions(this.cluster, checkName('topic', topic))
  }

  describeQuorum(): Promise<DescribeQuorumResponse> {
    return this.cluster.callAny(ApiKey.DescribeQuorum, {})
  }

  describeCluster(): Promise<DescribeClusterResponse> {
    return this.cluster.callAny(ApiKey.DescribeCluster, {})
  }

  /** Committed metadata records from one node (default: any), for `tributary metadata log`. */
  async metadataLog(args: { fromIndex?: number; maxRecords?: number; nodeId?: number } = {}): Promise<MetadataLogResponse> {
    return (await this.nodeOrAny(args.nodeId)).call(ApiKey.MetadataLog, { fromIndex: args.fromIndex ?? 0, maxRecords: args.maxRecords ?? 1000 })
  }

  async metadataImage(args: { nodeId?: number } = {}): Promise<MetadataImageResponse> {
    return (await this.nodeOrAny(args.nodeId)).call(ApiKey.MetadataImage, {})
  }

  async metadataSnapshots(args: { nodeId?: number } = {}): Promise<MetadataSnapshotsResponse> {
    return (await this.nodeOrAny(args.nodeId)).call(ApiKey.MetadataSnapshots, {})
  }

  /** Create or replace SCRAM credentials; the SDK salts and hashes the password, which never reaches the broker. */
  upsertScramCredentials(credentials: ScramCredentialUpsert[]): Promise<void> {
    return upsertScramCredentials(this.cluster, credentials)
  }

  deleteScramCredentials(credentials: ScramCredentialDelete[]): Promise<void> {
    return deleteScramCredentials(this.cluster, credentials)
  }

  /** Users and their SCRAM mechanisms (never any key material); all users when none are named. */
  describeUsers(users?: string[]): Promise<UserDescription[]> {
    return describeUsers(this.cluster, users)
  }

  /** Create ACL bindings (KafkaJS's shape); resolves true once stored. Needs Alter on the cluster. */
  createAcls(args: { acl: AclBinding[] }): Promise<boolean> {
    return createAcls(this.cluster, args)
  }

  /** The ACLs matching a filter, grouped by resource (KafkaJS's shape). Needs Describe on the cluster. */
  describeAcls(filter: AclFilter): ReturnType<typeof describeAcls> {
    return describeAcls(this.cluster, filter)
  }

  /** Delete the ACLs matching each filter; answers what each filter deleted (KafkaJS's shape). Needs Alter on the cluster. */
  deleteAcls(args: { filters: AclFilter[] }): ReturnType<typeof deleteAcls> {
    return deleteAcls(this.cluster, args)
  }

  /**
   * Elect leaders (Kafka's Admin.electLeaders): preferred (the first replica) by
   * default, or unclean for leaderless partitions. Without partitions: every
   * partition, answering only those an election was tried on. Needs Alter on the cluster.
   */
  electLeaders(args: ElectLeadersArgs = {}): Promise<ElectionResult[]> {
    return electLeaders(this.cluster, args)
  }

  /**
   * Make a caught-up observer a voter of the metadata quorum (KIP-853); resolves once
   * the new voter set has committed. Needs Alter on the cluster.
   */
  addRaftVoter(args: { voterId: number; timeoutMs?: number }): Promise<void> {
    return addRaftVoter(this.cluster, args)
  }

  /**
   * Forget a stopped broker for good (Kafka's Admin.unregisterBroker): it must be
   * fenced (a live one is refused with INVALID_REQUEST); it leaves every ISR and the
   * broker list. Needs Alter on the cluster.
   */
  async unregisterBroker(nodeId: number): Promise<void> {
    if (!Number.isSafeInteger(nodeId) || nodeId <= 0) throw new ArgumentError(`unregisterBroker: nodeId must be a positive integer, got ${String(nodeId)}`)
    await this.cluster.controllerCall(ApiKey.UnregisterBroker, { nodeId })
  }

  /** Remove a voter of the metadata quorum (KIP-853; it stays an observer). Needs Alter on the cluster. */
  removeRaftVoter(args: { voterId: number; timeoutMs?: number }): Promise<void> {
    return removeRaftVoter(this.cluster, args)
  }

  /** Start (replicas) or cancel (replicas null) partition reassignments (KIP-455). Needs Alter on the cluster. */
  alterPartitionReassignments(args: { topics: ReassignmentTopic[]; timeoutMs?: number }): Promise<void> {
    return alterPartitionReassignments(this.cluster, args)
  }

  /** The reassignments in progress (all, or of the named topics). Needs Describe on the cluster. */
  listPartitionReassignments(args: { topics?: Array<{ topic: string; partitions?: number[] }>; timeoutMs?: number } = {}): Promise<PartitionReassignment[]> {
    return listPartitionReassignments(this.cluster, args)
  }

  /** Nothing to release beyond the shared client; kept for kafkajs symmetry. */
  async disconnect(): Promise<void> {}

  private async nodeOrAny(nodeId: number | undefined): Promise<BrokerConnection> {
    if (nodeId === undefined) return this.cluster.anyConnection()
    await this.cluster.ensureMetadata()
    if (this.cluster.metadata.endpoint(nodeId) === undefined) await this.cluster.refreshMetadata()
    return this.cluster.nodeConnection(nodeId)
  }


  private groupOffsets(groupId: string): Promise<GroupOffset[]> {
    return groupOffsets(this.cluster, this.coordinators, groupId)
  }

}
