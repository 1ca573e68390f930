/**
 * API keys, supported versions, and the typed bodies of every request and
 * response. Numbers are Kafka's where Kafka has the API; Tributary's own APIs
 * (Raft transport, metadata inspection) start at 1000.
 *
 * Bodies are plain msgpack maps. Record data travels as `Uint8Array` holding
 * one or more concatenated RecordBatch v2 byte blocks, never as objects.
 * Offsets, producer ids and timestamps are JS numbers (safe integers).
 * A response whose envelope errorCode != 0 carries `{ errorMessage?, ...hints }`.
 */
import type {
  AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse, DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse,
} from './api-users.js'
import type {
  ClassicGroupDescription, ClassicMemberDescription,
  HeartbeatRequest, HeartbeatResponse, JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest, LeaveGroupResponse, SyncGroupRequest, SyncGroupResponse,
} from './api-classic-groups.js'
import type { DeleteRecordsRequest, DeleteRecordsResponse, OffsetDeleteRequest, OffsetDeleteResponse } from './api-deletes.js'
import type {
  CreateTopicsRequest, CreateTopicsResponse, DeleteTopicsRequest, DeleteTopicsResponse, CreatePartitionsRequest, CreatePartitionsResponse,
  DescribeConfigsRequest, DescribeConfigsResponse, AlterConfigsRequest, AlterConfigsResponse, BrokerRegistrationRequest, BrokerRegistrationResponse,
  BrokerHeartbeatRequest, BrokerHeartbeatResponse, UnregisterBrokerRequest, UnregisterBrokerResponse, AlterPartitionRequest, AlterPartitionResponse,
  ElectLeadersRequest, ElectLeadersResponse, AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse,
  ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse, AddRaftVoterRequest, AddRaftVoterResponse, RemoveRaftVoterRequest, RemoveRaftVoterResponse,
} from './api-controller.js'
import type {
  DescribeQuorumRequest, DescribeQuorumResponse, DescribeProducersRequest, DescribeProducersResponse, DescribeClusterRequest, DescribeClusterResponse, MetadataLogRequest, MetadataLogResponse, MetadataImageRequest, MetadataImageResponse, MetadataSnapshotsRequest, MetadataSnapshotsResponse, RaftRequest, RaftResponse,
} from './api-inspection.js'
import type { CreateAclsRequest, CreateAclsResponse, DeleteAclsRequest, DeleteAclsResponse, DescribeAclsRequest, DescribeAclsResponse } from './acl.js'

export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  /** Classic group protocol (shapes in api-classic-groups.ts): join, then wait for the join barrier. */
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  /** Classic group protocol: the leader hands out the assignment it computed; the others receive theirs. */
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  /** Pick a SASL mechanism for this connection (Kafka's number; answered with the enabled ones). */
  SaslHandshake: 17,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  /** Move partitions' log start offset forward (Kafka's number; shapes in api-deletes.ts), answered by each leader. */
  DeleteRecords: 21,
  InitProducerId: 22,
  OffsetForLeaderEpoch: 23,
  /** ACLs matching a filter (Kafka's number; shapes in acl.ts). */
  DescribeAcls: 29,
  /** Create ACL bindings, through the controller. */
  CreateAcls: 30,
  /** Delete the ACL bindings matching filters, through the controller. */
  DeleteAcls: 31,
  DescribeConfigs: 32,
  AlterConfigs: 33,
  /** One step of the SASL exchange chosen by SaslHandshake (Kafka's number). */
  SaslAuthenticate: 36,
  CreatePartitions: 37,
  DeleteGroups: 42,
  /** Preferred (or unclean) leader election, through the controller (Kafka's number and shapes). */
  ElectLeaders: 43,
  /** Start or cancel partition reassignments (KIP-455), through the controller. */
  AlterPartitionReassignments: 45,
  /** The reassignments in progress (KIP-455). */
  ListPartitionReassignments: 46,
  /** Delete a group's committed offsets for some partitions (Kafka's number; shapes in api-deletes.ts). */
  OffsetDelete: 47,
  DescribeUserScramCredentials: 50,
  AlterUserScramCredentials: 51,
  DescribeQuorum: 55,
  AlterPartition: 56,
  DescribeCluster: 60,
  /** The idempotent producers a partition's leader knows (Kafka's KIP-664 admin view). */
  DescribeProducers: 61,
  BrokerRegistration: 62,
  BrokerHeartbeat: 63,
  /** Kafka: a broker's metadata replication is done with it for good (a fenced broker; operators: Alter on Cluster). */
  UnregisterBroker: 64,
  ConsumerGroupHeartbeat: 68,
  /** Make a caught-up observer a voter of the metadata quorum (KIP-853), through the Raft leader. */
  AddRaftVoter: 80,
  /** Remove a voter from the metadata quorum (KIP-853), through the Raft leader. */
  RemoveRaftVoter: 81,
  /** Tributary: Raft messages between quorum members (one-way; the reply is empty). */
  Raft: 1000,
  /** Tributary: committed metadata records, decoded, for `tributary metadata log`. */
  MetadataLog: 1001,
  /** Tributary: the applied MetadataImage, for `tributary metadata image`. */
  MetadataImage: 1002,
  /** Tributary: this node's Raft snapshots, for `tributary metadata snapshots`. */
  MetadataSnapshots: 1003,
} as const
export type ApiKey = (typeof ApiKey)[keyof typeof ApiKey]

/** Versions each API supports: [min, max]. All start at 0. */
export const API_VERSIONS: Readonly<Record<number, readonly [number, number]>> = Object.fromEntries(
  Object.values(ApiKey).map((key) => [key, [0, 0] as const]),
)

const API_NAMES = new Map<number, string>(Object.entries(ApiKey).map(([name, key]) => [key, name]))
export function apiName(key: number): string {
  return API_NAMES.get(key) ?? `Api${key}`
}

export function isSupported(apiKey: number, apiVersion: number): boolean {
  const range = API_VERSIONS[apiKey]
  return range !== undefined && apiVersion >= range[0] && apiVersion <= range[1]
}

/** replicaId of an ordinary consumer in Fetch / ListOffsets. */
export const CONSUMER_REPLICA_ID = -1
/** ListOffsets timestamps with special meaning, as in Kafka. */
export const LATEST_TIMESTAMP = -1
export const EARLIEST_TIMESTAMP = -2

// ---------------------------------------------------------------- ApiVersions
export interface ApiVersionsRequest { clientId?: string; clientSoftwareVersion?: string }
export interface ApiVersionsResponse { apiKeys: Array<{ apiKey: number; minVersion: number; maxVersion: number }>; nodeId: number; clusterId: string | null }

// ---------------------------------------------------------------- SASL (Kafka's SaslHandshake v1 + SaslAuthenticate, inside our envelope)
/** mechanism: e.g. 'SCRAM-SHA-256', 'TRIBUTARY-BROKER'. Unknown → UNSUPPORTED_SASL_MECHANISM with the enabled list. */
export interface SaslHandshakeRequest { mechanism: string }
export interface SaslHandshakeResponse { mechanisms: string[] }
/** One exchange step: the mechanism's bytes, opaque to the envelope. */
export interface SaslAuthenticateRequest { authBytes: Uint8Array }
/** sessionLifetimeMs: 0 = the session never expires; else re-authenticate before it ends (KIP-368). */
export interface SaslAuthenticateResponse { authBytes: Uint8Array; sessionLifetimeMs: number }

// ---------------------------------------------------------------- Metadata
export interface MetadataRequest {
  /** null or absent: all topics */
  topics?: string[] | null
  includeInternal?: boolean
  /** answer each topic's `authorizedOperations` (KIP-430) */
  includeTopicAuthorizedOperations?: boolean
}
export interface BrokerInfo { nodeId: number; endpoint: string; fenced: boolean; rack?: string | null }
export interface PartitionMetadata {
  partition: number
  errorCode: number
  leader: number // -1 when none
  leaderEpoch: number
  replicas: number[]
  isr: number[]
  offlineReplicas?: number[]
  /** during a reassignment (KIP-455): replicas being added / removed (absent otherwise) */
  addingReplicas?: number[]
  removingReplicas?: number[]
}
export interface TopicMetadata {
  name: string
  topicId: string
  errorCode: number
  internal: boolean
  partitions: PartitionMetadata[]
  /** when asked: what the caller may do to the topic, Kafka's bitfield (acl.ts `hasOperation`) */
  authorizedOperations?: number
}
export interface MetadataResponse {
  clusterId: string | null
  controllerId: number // -1 when unknown
  brokers: BrokerInfo[]
  topics: TopicMetadata[]
  /** the metadata log offset this answer was served at */
  metadataOffset: number
}

// ---------------------------------------------------------------- Produce
export type Acks = 0 | 1 | -1
export interface ProduceRequest {
  acks: Acks
  timeoutMs: number
  topics: Array<{ topic: string; partitions: Array<{ partition: number; records: Uint8Array }> }>
}
export interface ProducePartitionResponse {
  partition: number
  errorCode: number
  errorMessage?: string | null
  baseOffset: number // -1 on error
  logAppendTimeMs: number // -1 unless LogAppendTime
  logStartOffset: number
  /** on NOT_LEADER_OR_FOLLOWER: who leads now, if known */
  currentLeader?: { leaderId: number; leaderEpoch: number } | null
}
/** acks=0 produce requests get no response at all, as in Kafka. */
export interface ProduceResponse { topics: Array<{ topic: string; partitions: ProducePartitionResponse[] }> }

// ---------------------------------------------------------------- Fetch
export interface FetchPartitionRequest {
  partition: number
  fetchOffset: number
  /** the fetcher's view of the leader epoch; -1 = don't check */
  currentLeaderEpoch: number
  /** followers: epoch of the last batch they hold, for divergence checks; -1 = none */
  lastFetchedEpoch?: number
  partitionMaxBytes: number
}
export interface FetchRequest {
  /** -1 for consumers, the broker's node id for followers */
  replicaId: number
  /** followers: their broker epoch */
  replicaEpoch?: number
  maxWaitMs: number
  minBytes: number
  maxBytes: number
  /**
   * Incremental fetch session (Kafka's KIP-227, fetch-session.ts): 0 = none. With
   * sessionEpoch 0 a full fetch asks for a new session; -1 (the default) fetches
   * without one (and closes `sessionId`, if set); > 0 continues `sessionId`, naming
   * only the partitions whose fetch position or limits changed.
   */
  sessionId?: number
  sessionEpoch?: number
  /** `topicId`: set by the Kafka listener for Fetch v13+ (KIP-516); a session keeps it and its answers carry it back */
  topics: Array<{ topic: string; topicId?: string; partitions: FetchPartitionRequest[] }>
  /** incremental fetches: partitions to drop from the session, by name or (a deleted topic, Kafka listener) by topic id alone */
  forgottenTopics?: Array<{ topic?: string; topicId?: string; partitions: number[] }>
}
export interface FetchPartitionResponse {
  partition: number
  errorCode: number
  highWatermark: number
  logStartOffset: number
  logEndOffset?: number
  /** set when the follower's log diverges from the leader's: truncate to endOffset */
  divergingEpoch?: { epoch: number; endOffset: number } | null
  currentLeader?: { leaderId: number; leaderEpoch: number } | null
  /** zero or more whole RecordBatch v2 blocks, concatenated; the last may be cut short by maxBytes */
  records: Uint8Array
}
export interface FetchResponse {
  throttleTimeMs?: number
  /** the fetch session this answer belongs to (0: none); an incremental answer lists only partitions with data or changes */
  sessionId?: number
  /** `topicId`: the one the request or the session gave for the topic */
  topics: Array<{ topic: string; topicId?: string; partitions: FetchPartitionResponse[] }>
}

// ---------------------------------------------------------------- ListOffsets
export interface ListOffsetsRequest {
  replicaId: number
  topics: Array<{ topic: string; partitions: Array<{ partition: number; timestamp: number; currentLeaderEpoch?: number }> }>
}
export interface ListOffsetsResponse {
  topics: Array<{ topic: string; partitions: Array<{ partition: number; errorCode: number; timestamp: number; offset: number; leaderEpoch: number }> }>
}

// ---------------------------------------------------------------- OffsetForLeaderEpoch
export interface OffsetForLeaderEpochRequest {
  replicaId: number
  topics: Array<{ topic: string; partitions: Array<{ partition: number; currentLeaderEpoch: number; leaderEpoch: number }> }>
}
export interface OffsetForLeaderEpochResponse {
  /** endOffset: the start offset of the first epoch > leaderEpoch (or the LEO); leaderEpoch: the largest epoch <= asked */
  topics: Array<{ topic: string; partitions: Array<{ partition: number; errorCode: number; leaderEpoch: number; endOffset: number }> }>
}

// ---------------------------------------------------------------- InitProducerId
export interface InitProducerIdRequest { transactionalId?: string | null; producerId?: number; producerEpoch?: number }
export interface InitProducerIdResponse { producerId: number; producerEpoch: number }

// ---------------------------------------------------------------- Consumer groups
export interface FindCoordinatorRequest { key: string; keyType: 0 }
export interface FindCoordinatorResponse { nodeId: number; endpoint: string }
export interface TopicPartitions { topic: string; topicId?: string; partitions: number[] }
/**
 * KIP-848 member heartbeat. memberEpoch: 0 to join, -1 to leave, else the
 * epoch last received. ownedPartitions: what the member holds now (it acks
 * revocations by leaving them out).
 */
export interface ConsumerGroupHeartbeatRequest {
  groupId: string
  memberId: string
  memberEpoch: number
  clientId?: string
  rebalanceTimeoutMs?: number
  sessionTimeoutMs?: number
  /** null = unchanged since the last heartbeat */
  subscribedTopicNames?: string[] | null
  subscribedTopicRegex?: string | null
  ownedPartitions?: TopicPartitions[] | null
}
export interface ConsumerGroupHeartbeatResponse {
  memberId: string
  memberEpoch: number
  heartbeatIntervalMs: number
  /** null = unchanged; else the full set the member may own now */
  assignment: { topics: TopicPartitions[] } | null
}
export interface OffsetCommitRequest {
  groupId: string
  /** '' with memberEpoch -1: an admin commit, accepted only while the group has no members */
  memberId: string
  memberEpoch: number
  topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: number; leaderEpoch?: number; metadata?: string | null }> }>
}
export interface OffsetCommitResponse { topics: Array<{ topic: string; partitions: Array<{ partition: number; errorCode: number }> }> }
export interface OffsetFetchRequest {
  groupId: string
  /** null = every committed partition */
  topics: Array<{ topic: string; partitions: number[] }> | null
  memberId?: string
  memberEpoch?: number
}
export interface OffsetFetchResponse {
  topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: number; leaderEpoch?: number; metadata: string | null; errorCode: number }> }>
}
export type ListGroupsRequest = { statesFilter?: string[] }
/** protocolType: 'consumer' for consumer-protocol groups; a classic group's own (usually 'consumer'). classicState: Kafka's state name, for classic groups. */
export interface ListGroupsResponse { groups: Array<{ groupId: string; state: string; protocolType: string; classicState?: string }> }
export interface DescribeGroupsRequest { groupIds: string[] }
export interface DescribedMember {
  memberId: string
  clientId: string
  memberEpoch: number
  subscribedTopicNames: string[]
  subscribedTopicRegex: string | null
  assignment: TopicPartitions[]
  targetAssignment: TopicPartitions[]
  /** Classic members only: what Kafka's DescribeGroups shows of them. */
  classic?: ClassicMemberDescription
}
export interface DescribeGroupsResponse {
  groups: Array<{
    groupId: string
    errorCode: number
    state: 'empty' | 'assigning' | 'reconciling' | 'stable' | 'dead'
    groupEpoch: number
    assignmentEpoch: number
    members: DescribedMember[]
    /** Set for a classic group (JoinGroup/SyncGroup): members' memberEpoch is then the generation. */
    classic?: ClassicGroupDescription
  }>
}
export interface DeleteGroupsRequest { groupIds: string[] }
export interface DeleteGroupsResponse { results: Array<{ groupId: string; errorCode: number }> }

/** Request and response body types by API key: lets codecs and handlers stay typed. */
export interface ApiBodies {
  [ApiKey.DescribeUserScramCredentials]: [DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse]
  [ApiKey.AlterUserScramCredentials]: [AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse]
  [ApiKey.DescribeAcls]: [DescribeAclsRequest, DescribeAclsResponse]
  [ApiKey.CreateAcls]: [CreateAclsRequest, CreateAclsResponse]
  [ApiKey.DeleteAcls]: [DeleteAclsRequest, DeleteAclsResponse]
  [ApiKey.Produce]: [ProduceRequest, ProduceResponse]
  [ApiKey.Fetch]: [FetchRequest, FetchResponse]
  [ApiKey.ListOffsets]: [ListOffsetsRequest, ListOffsetsResponse]
  [ApiKey.Metadata]: [MetadataRequest, MetadataResponse]
  [ApiKey.OffsetCommit]: [OffsetCommitRequest, OffsetCommitResponse]
  [ApiKey.OffsetFetch]: [OffsetFetchRequest, OffsetFetchResponse]
  [ApiKey.FindCoordinator]: [FindCoordinatorRequest, FindCoordinatorResponse]
  [ApiKey.JoinGroup]: [JoinGroupRequest, JoinGroupResponse]
  [ApiKey.Heartbeat]: [HeartbeatRequest, HeartbeatResponse]
  [ApiKey.LeaveGroup]: [LeaveGroupRequest, LeaveGroupResponse]
  [ApiKey.SyncGroup]: [SyncGroupRequest, SyncGroupResponse]
  [ApiKey.DescribeGroups]: [DescribeGroupsRequest, DescribeGroupsResponse]
  [ApiKey.ListGroups]: [ListGroupsRequest, ListGroupsResponse]
  [ApiKey.SaslHandshake]: [SaslHandshakeRequest, SaslHandshakeResponse]
  [ApiKey.SaslAuthenticate]: [SaslAuthenticateRequest, SaslAuthenticateResponse]
  [ApiKey.ApiVersions]: [ApiVersionsRequest, ApiVersionsResponse]
  [ApiKey.CreateTopics]: [CreateTopicsRequest, CreateTopicsResponse]
  [ApiKey.DeleteTopics]: [DeleteTopicsRequest, DeleteTopicsResponse]
  [ApiKey.DeleteRecords]: [DeleteRecordsRequest, DeleteRecordsResponse]
  [ApiKey.OffsetDelete]: [OffsetDeleteRequest, OffsetDeleteResponse]
  [ApiKey.InitProducerId]: [InitProducerIdRequest, InitProducerIdResponse]
  [ApiKey.OffsetForLeaderEpoch]: [OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse]
  [ApiKey.DescribeConfigs]: [DescribeConfigsRequest, DescribeConfigsResponse]
  [ApiKey.AlterConfigs]: [AlterConfigsRequest, AlterConfigsResponse]
  [ApiKey.CreatePartitions]: [CreatePartitionsRequest, CreatePartitionsResponse]
  [ApiKey.DeleteGroups]: [DeleteGroupsRequest, DeleteGroupsResponse]
  [ApiKey.ElectLeaders]: [ElectLeadersRequest, ElectLeadersResponse]
  [ApiKey.AlterPartitionReassignments]: [AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse]
  [ApiKey.ListPartitionReassignments]: [ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse]
  [ApiKey.DescribeQuorum]: [DescribeQuorumRequest, DescribeQuorumResponse]
  [ApiKey.DescribeProducers]: [DescribeProducersRequest, DescribeProducersResponse]
  [ApiKey.AlterPartition]: [AlterPartitionRequest, AlterPartitionResponse]
  [ApiKey.DescribeCluster]: [DescribeClusterRequest, DescribeClusterResponse]
  [ApiKey.BrokerRegistration]: [BrokerRegistrationRequest, BrokerRegistrationResponse]
  [ApiKey.BrokerHeartbeat]: [BrokerHeartbeatRequest, BrokerHeartbeatResponse]
  [ApiKey.UnregisterBroker]: [UnregisterBrokerRequest, UnregisterBrokerResponse]
  [ApiKey.AddRaftVoter]: [AddRaftVoterRequest, AddRaftVoterResponse]
  [ApiKey.RemoveRaftVoter]: [RemoveRaftVoterRequest, RemoveRaftVoterResponse]
  [ApiKey.ConsumerGroupHeartbeat]: [ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse]
  [ApiKey.Raft]: [RaftRequest, RaftResponse]
  [ApiKey.MetadataLog]: [MetadataLogRequest, MetadataLogResponse]
  [ApiKey.MetadataImage]: [MetadataImageRequest, MetadataImageResponse]
  [ApiKey.MetadataSnapshots]: [MetadataSnapshotsRequest, MetadataSnapshotsResponse]
}
export type RequestBody<K extends ApiKey> = K extends keyof ApiBodies ? ApiBodies[K][0] : never
export type ResponseBody<K extends ApiKey> = K extends keyof ApiBodies ? ApiBodies[K][1] : never
