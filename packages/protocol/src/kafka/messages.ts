/**
 * Our Kafka schema table: the fields and versions we serve of each API, written
 * from apache/kafka's clients/src/main/resources/common/message/*.json (field
 * names camelCased, only the versions advertised in ApiVersions). `codec.ts`
 * interprets it; nothing encodes a message by hand.
 *
 * Versions: from the lowest a client we test uses to the highest we implement
 * fully. Produce starts at v3 (RecordBatch v2 only); ListOffsets at v1 (v0's
 * offset arrays are gone).
 */
import { array, field as f, message, NULLABLE, struct, type MessageSpec } from './schema.js'
import * as G from './messages-groups.js'
import * as S from './messages-sasl.js'
import * as A from './messages-admin.js'
import * as C from './messages-security.js'
import * as D from './messages-deletes.js'

export const RequestHeader = message('RequestHeader', -1, '0-2', '2+', [
  f('RequestApiKey', 'int16', '0+'),
  f('RequestApiVersion', 'int16', '0+'),
  f('CorrelationId', 'int32', '0+'),
  f('ClientId', 'string', '1+', { nullable: '1+', default: null, neverCompact: true }),
])

export const ResponseHeader = message('ResponseHeader', -1, '0-1', '1+', [f('CorrelationId', 'int32', '0+')])

const ApiVersionsRequest = message('ApiVersionsRequest', 18, '0-3', '3+', [
  f('ClientSoftwareName', 'string', '3+'),
  f('ClientSoftwareVersion', 'string', '3+'),
])
const ApiVersionsResponse = message('ApiVersionsResponse', 18, '0-3', '3+', [
  f('ErrorCode', 'int16', '0+'),
  f('ApiKeys', array([f('ApiKey', 'int16', '0+'), f('MinVersion', 'int16', '0+'), f('MaxVersion', 'int16', '0+')]), '0+'),
  f('ThrottleTimeMs', 'int32', '1+'),
  f('FinalizedFeaturesEpoch', 'int64', '3+', { tag: 1, default: -1 }),
])

const MetadataRequest = message('MetadataRequest', 3, '0-12', '9+', [
  f('Topics', array([f('TopicId', 'uuid', '10+'), f('Name', 'string', '0+', { nullable: '10+' })]), '0+', { nullable: '1+' }),
  f('AllowAutoTopicCreation', 'bool', '4+', { default: true }),
  f('IncludeClusterAuthorizedOperations', 'bool', '8-10'),
  f('IncludeTopicAuthorizedOperations', 'bool', '8+'),
])
const AUTHORIZED_OPERATIONS_UNKNOWN = -2147483648
const MetadataResponse = message('MetadataResponse', 3, '0-12', '9+', [
  f('ThrottleTimeMs', 'int32', '3+'),
  f('Brokers', array([
    f('NodeId', 'int32', '0+'),
    f('Host', 'string', '0+'),
    f('Port', 'int32', '0+'),
    f('Rack', 'string', '1+', { nullable: '1+', default: null }),
  ]), '0+'),
  f('ClusterId', 'string', '2+', { nullable: '2+', default: null }),
  f('ControllerId', 'int32', '1+', { default: -1 }),
  f('Topics', array([
    f('ErrorCode', 'int16', '0+'),
    f('Name', 'string', '0+', { nullable: '12+' }),
    f('TopicId', 'uuid', '10+'),
    f('IsInternal', 'bool', '1+'),
    f('Partitions', array([
      f('ErrorCode', 'int16', '0+'),
      f('PartitionIndex', 'int32', '0+'),
      f('LeaderId', 'int32', '0+'),
      f('LeaderEpoch', 'int32', '7+', { default: -1 }),
      f('ReplicaNodes', '[]int32', '0+'),
      f('IsrNodes', '[]int32', '0+'),
      f('OfflineReplicas', '[]int32', '5+'),
    ]), '0+'),
    f('TopicAuthorizedOperations', 'int32', '8+', { default: AUTHORIZED_OPERATIONS_UNKNOWN }),
  ]), '0+'),
  f('ClusterAuthorizedOperations', 'int32', '8-10', { default: AUTHORIZED_OPERATIONS_UNKNOWN }),
])

const ProduceRequest = message('ProduceRequest', 0, '3-9', '9+', [
  f('TransactionalId', 'string', '3+', { nullable: '3+', default: null }),
  f('Acks', 'int16', '0+'),
  f('TimeoutMs', 'int32', '0+'),
  f('TopicData', array([
    f('Name', 'string', '0+'),
    f('PartitionData', array([f('Index', 'int32', '0+'), f('Records', 'records', '0+', { nullable: '0+' })]), '0+'),
  ]), '0+'),
])
const ProduceResponse = message('ProduceResponse', 0, '3-9', '9+', [
  f('Responses', array([
    f('Name', 'string', '0+'),
    f('PartitionResponses', array([
      f('Index', 'int32', '0+'),
      f('ErrorCode', 'int16', '0+'),
      f('BaseOffset', 'int64', '0+'),
      f('LogAppendTimeMs', 'int64', '2+', { default: -1 }),
      f('LogStartOffset', 'int64', '5+', { default: -1 }),
      f('RecordErrors', array([f('BatchIndex', 'int32', '8+'), f('BatchIndexErrorMessage', 'string', '8+', { nullable: '8+', default: null })]), '8+'),
      f('ErrorMessage', 'string', '8+', { nullable: '8+', default: null }),
    ]), '0+'),
  ]), '0+'),
  f('ThrottleTimeMs', 'int32', '1+'),
])

const FetchRequest = message('FetchRequest', 1, '4-17', '12+', [
  f('ClusterId', 'string', '12+', { nullable: '12+', default: null, tag: 0 }),
  f('ReplicaId', 'int32', '0-14', { default: -1 }),
  f('ReplicaState', struct([f('ReplicaId', 'int32', '15+', { default: -1 }), f('ReplicaEpoch', 'int64', '15+', { default: -1 })]), '15+', { tag: 1 }),
  f('MaxWaitMs', 'int32', '0+'),
  f('MinBytes', 'int32', '0+'),
  f('MaxBytes', 'int32', '3+', { default: 0x7fffffff }),
  f('IsolationLevel', 'int8', '4+'),
  f('SessionId', 'int32', '7+'),
  f('SessionEpoch', 'int32', '7+', { default: -1 }),
  f('Topics', array([
    f('Topic', 'string', '0-12'),
    f('TopicId', 'uuid', '13+'),
    f('Partitions', array([
      f('Partition', 'int32', '0+'),
      f('CurrentLeaderEpoch', 'int32', '9+', { default: -1 }),
      f('FetchOffset', 'int64', '0+'),
      f('LastFetchedEpoch', 'int32', '12+', { default: -1 }),
      f('LogStartOffset', 'int64', '5+', { default: -1 }),
      f('PartitionMaxBytes', 'int32', '0+'),
      f('ReplicaDirectoryId', 'uuid', '17+', { tag: 0 }),
    ]), '0+'),
  ]), '0+'),
  f('ForgottenTopicsData', array([f('Topic', 'string', '7-12'), f('TopicId', 'uuid', '13+'), f('Partitions', '[]int32', '7+')]), '7+'),
  f('RackId', 'string', '11+'),
])
const FetchResponse = message('FetchResponse', 1, '4-17', '12+', [
  f('ThrottleTimeMs', 'int32', '1+'),
  f('ErrorCode', 'int16', '7+'),
  f('SessionId', 'int32', '7+'),
  f('Responses', array([
    f('Topic', 'string', '0-12'),
    f('TopicId', 'uuid', '13+'),
    f('Partitions', array([
      f('PartitionIndex', 'int32', '0+'),
      f('ErrorCode', 'int16', '0+'),
      f('HighWatermark', 'int64', '0+'),
      f('LastStableOffset', 'int64', '4+', { default: -1 }),
      f('LogStartOffset', 'int64', '5+', { default: -1 }),
      f('DivergingEpoch', struct([f('Epoch', 'int32', '12+', { default: -1 }), f('EndOffset', 'int64', '12+', { default: -1 })]), '12+', { tag: 0 }),
      f('CurrentLeader', struct([f('LeaderId', 'int32', '12+', { default: -1 }), f('LeaderEpoch', 'int32', '12+', { default: -1 })]), '12+', { tag: 1 }),
      f('AbortedTransactions', array([f('ProducerId', 'int64', '4+'), f('FirstOffset', 'int64', '4+')]), '4+', { nullable: '4+', default: null }),
      f('PreferredReadReplica', 'int32', '11+', { default: -1 }),
      f('Records', 'records', '0+', { nullable: '0+' }),
    ]), '0+'),
  ]), '0+'),
  f('NodeEndpoints', array([
    f('NodeId', 'int32', '16+'),
    f('Host', 'string', '16+'),
    f('Port', 'int32', '16+'),
    f('Rack', 'string', '16+', { nullable: '16+', default: null }),
  ]), '16+', { tag: 0 }),
])

const ListOffsetsRequest = message('ListOffsetsRequest', 2, '1-6', '6+', [
  f('ReplicaId', 'int32', '0+'),
  f('IsolationLevel', 'int8', '2+'),
  f('Topics', array([
    f('Name', 'string', '0+'),
    f('Partitions', array([f('PartitionIndex', 'int32', '0+'), f('CurrentLeaderEpoch', 'int32', '4+', { default: -1 }), f('Timestamp', 'int64', '0+')]), '0+'),
  ]), '0+'),
])
const ListOffsetsResponse = message('ListOffsetsResponse', 2, '1-6', '6+', [
  f('ThrottleTimeMs', 'int32', '2+'),
  f('Topics', array([
    f('Name', 'string', '0+'),
    f('Partitions', array([
      f('PartitionIndex', 'int32', '0+'),
      f('ErrorCode', 'int16', '0+'),
      f('Timestamp', 'int64', '1+', { default: -1 }),
      f('Offset', 'int64', '1+', { default: -1 }),
      f('LeaderEpoch', 'int32', '4+', { default: -1 }),
    ]), '0+'),
  ]), '0+'),
])

const CreateTopicsRequest = message('CreateTopicsRequest', 19, '0-4', '5+', [
  f('Topics', array([
    f('Name', 'string', '0+'),
    f('NumPartitions', 'int32', '0+'),
    f('ReplicationFactor', 'int16', '0+'),
    f('Assignments', array([f('PartitionIndex', 'int32', '0+'), f('BrokerIds', '[]int32', '0+')]), '0+'),
    f('Configs', array([f('Name', 'string', '0+'), f('Value', 'string', '0+', { nullable: '0+' })]), '0+'),
  ]), '0+'),
  f('TimeoutMs', 'int32', '0+'),
  f('ValidateOnly', 'bool', '1+'),
])
const CreateTopicsResponse = message('CreateTopicsResponse', 19, '0-4', '5+', [
  f('ThrottleTimeMs', 'int32', '2+'),
  f('Topics', array([
    f('Name', 'string', '0+'),
    f('ErrorCode', 'int16', '0+'),
    f('ErrorMessage', 'string', '1+', NULLABLE),
  ]), '0+'),
])

/** v4+ batches keys (KIP-699); v6 adds share groups (key type 2), which we answer with an error per key. */
const FindCoordinatorRequest = message('FindCoordinatorRequest', 10, '0-6', '3+', [
  f('Key', 'string', '0-3'),
  f('KeyType', 'int8', '1+'),
  f('CoordinatorKeys', '[]string', '4+'),
])
const FindCoordinatorResponse = message('FindCoordinatorResponse', 10, '0-6', '3+', [
  f('ThrottleTimeMs', 'int32', '1+'),
  f('ErrorCode', 'int16', '0-3'),
  f('ErrorMessage', 'string', '1-3', { nullable: '1-3', default: null }),
  f('NodeId', 'int32', '0-3'),
  f('Host', 'string', '0-3'),
  f('Port', 'int32', '0-3'),
  f('Coordinators', array([
    f('Key', 'string', '4+'),
    f('NodeId', 'int32', '4+'),
    f('Host', 'string', '4+'),
    f('Port', 'int32', '4+'),
    f('ErrorCode', 'int16', '4+'),
    f('ErrorMessage', 'string', '4+', { nullable: '4+', default: null }),
  ]), '4+'),
])

export interface KafkaApi { apiKey: number; name: string; request: MessageSpec; response: MessageSpec }

const api = (request: MessageSpec, response: MessageSpec): KafkaApi => ({ apiKey: request.apiKey, name: request.name.replace(/Request$/, ''), request, response })

/** Every API the Kafka listener serves, by key; its versions are what ApiVersions advertises. */
export const KAFKA_APIS: ReadonlyMap<number, KafkaApi> = new Map([
  api(ProduceRequest, ProduceResponse),
  api(FetchRequest, FetchResponse),
  api(ListOffsetsRequest, ListOffsetsResponse),
  api(MetadataRequest, MetadataResponse),
  api(FindCoordinatorRequest, FindCoordinatorResponse),
  api(ApiVersionsRequest, ApiVersionsResponse),
  api(CreateTopicsRequest, CreateTopicsResponse),
  api(G.JoinGroupRequest, G.JoinGroupResponse),
  api(G.HeartbeatRequest, G.HeartbeatResponse),
  api(G.LeaveGroupRequest, G.LeaveGroupResponse),
  api(G.SyncGroupRequest, G.SyncGroupResponse),
  api(G.OffsetCommitRequest, G.OffsetCommitResponse),
  api(G.OffsetFetchRequest, G.OffsetFetchResponse),
  api(G.DescribeGroupsRequest, G.DescribeGroupsResponse),
  api(G.ListGroupsRequest, G.ListGroupsResponse),
  api(G.DeleteGroupsRequest, G.DeleteGroupsResponse),
  api(S.SaslHandshakeRequest, S.SaslHandshakeResponse),
  api(S.SaslAuthenticateRequest, S.SaslAuthenticateResponse),
  api(A.DeleteTopicsRequest, A.DeleteTopicsResponse),
  api(A.CreatePartitionsRequest, A.CreatePartitionsResponse),
  api(A.DescribeConfigsRequest, A.DescribeConfigsResponse),
  api(A.AlterConfigsRequest, A.AlterConfigsResponse),
  api(A.IncrementalAlterConfigsRequest, A.IncrementalAlterConfigsResponse),
  api(A.DescribeClusterRequest, A.DescribeClusterResponse),
  api(A.InitProducerIdRequest, A.InitProducerIdResponse),
  api(A.OffsetForLeaderEpochRequest, A.OffsetForLeaderEpochResponse),
  api(A.DescribeQuorumRequest, A.DescribeQuorumResponse),
  api(A.DescribeProducersRequest, A.DescribeProducersResponse),
  api(D.DeleteRecordsRequest, D.DeleteRecordsResponse),
  api(D.OffsetDeleteRequest, D.OffsetDeleteResponse),
  api(C.DescribeAclsRequest, C.DescribeAclsResponse),
  api(C.CreateAclsRequest, C.CreateAclsResponse),
  api(C.DeleteAclsRequest, C.DeleteAclsResponse),
  api(C.DescribeUserScramCredentialsRequest, C.DescribeUserScramCredentialsResponse),
  api(C.AlterUserScramCredentialsRequest, C.AlterUserScramCredentialsResponse),
].map((a) => [a.apiKey, a]))

export const KafkaApiKey = {
  Produce: 0, Fetch: 1, ListOffsets: 2, Metadata: 3, OffsetCommit: 8, OffsetFetch: 9, FindCoordinator: 10,
  JoinGroup: 11, Heartbeat: 12, LeaveGroup: 13, SyncGroup: 14, DescribeGroups: 15, ListGroups: 16,
  SaslHandshake: 17, ApiVersions: 18, CreateTopics: 19, DeleteTopics: 20, DeleteRecords: 21, InitProducerId: 22, OffsetForLeaderEpoch: 23,
  DescribeAcls: 29, CreateAcls: 30, DeleteAcls: 31,
  DescribeConfigs: 32, AlterConfigs: 33, SaslAuthenticate: 36, CreatePartitions: 37, DeleteGroups: 42, IncrementalAlterConfigs: 44, OffsetDelete: 47,
  DescribeUserScramCredentials: 50, AlterUserScramCredentials: 51, DescribeQuorum: 55, DescribeCluster: 60, DescribeProducers: 61,
} as const
