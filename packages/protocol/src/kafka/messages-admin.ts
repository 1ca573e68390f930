/**
 * Administration APIs of our Kafka schema table, from apache/kafka's message
 * JSON files: topics (DeleteTopics, CreatePartitions), configs
 * (DescribeConfigs, AlterConfigs, IncrementalAlterConfigs), the cluster
 * (DescribeCluster), idempotent producers (InitProducerId) and
 * OffsetForLeaderEpoch. DeleteTopics stops at v5 (v6 names topics by id).
 */
import { array, errorFields, field as f, message, NULLABLE, resourceFields } from './schema.js'

const AUTHORIZED_OPERATIONS_UNKNOWN = -2147483648

export const DeleteTopicsRequest = message('DeleteTopicsRequest', 20, '0-5', '4+', [
  f('TopicNames', '[]string', '0+'),
  f('TimeoutMs', 'int32', '0+'),
])
export const DeleteTopicsResponse = message('DeleteTopicsResponse', 20, '0-5', '4+', [
  f('ThrottleTimeMs', 'int32', '1+'),
  f('Responses', array([f('Name', 'string', '0+'), f('ErrorCode', 'int16', '0+'), f('ErrorMessage', 'string', '5+', { nullable: '5+', default: null })]), '0+'),
])

export const CreatePartitionsRequest = message('CreatePartitionsRequest', 37, '0-3', '2+', [
  f('Topics', array([
    f('Name', 'string', '0+'),
    f('Count', 'int32', '0+'),
    f('Assignments', array([f('BrokerIds', '[]int32', '0+')]), '0+', NULLABLE),
  ]), '0+'),
  f('TimeoutMs', 'int32', '0+'),
  f('ValidateOnly', 'bool', '0+'),
])
export const CreatePartitionsResponse = message('CreatePartitionsResponse', 37, '0-3', '2+', [
  f('ThrottleTimeMs', 'int32', '0+'),
  f('Results', array([f('Name', 'string', '0+'), ...errorFields()]), '0+'),
])

export const DescribeConfigsRequest = message('DescribeConfigsRequest', 32, '0-4', '4+', [
  f('Resources', array([
    ...resourceFields(),
    f('ConfigurationKeys', '[]string', '0+', NULLABLE),
  ]), '0+'),
  f('IncludeSynonyms', 'bool', '1+'),
  f('IncludeDocumentation', 'bool', '3+'),
])
export const DescribeConfigsResponse = message('DescribeConfigsResponse', 32, '0-4', '4+', [
  f('ThrottleTimeMs', 'int32', '0+'),
  f('Results', array([
    ...errorFields(),
    ...resourceFields(),
    f('Configs', array([
      f('Name', 'string', '0+'),
      f('Value', 'string', '0+', NULLABLE),
      f('ReadOnly', 'bool', '0+'),
      f('IsDefault', 'bool', '0'),
      f('ConfigSource', 'int8', '1+', { default: -1 }),
      f('IsSensitive', 'bool', '0+'),
      f('Synonyms', array([f('Name', 'string', '1+'), f('Value', 'string', '1+', { nullable: '1+', default: null }), f('Source', 'int8', '1+')]), '1+'),
      f('ConfigType', 'int8', '3+'),
      f('Documentation', 'string', '3+', { nullable: '3+', default: null }),
    ]), '0+'),
  ]), '0+'),
])

export const AlterConfigsRequest = message('AlterConfigsRequest', 33, '0-2', '2+', [
  f('Resources', array([
    ...resourceFields(),
    f('Configs', array([f('Name', 'string', '0+'), f('Value', 'string', '0+', NULLABLE)]), '0+'),
  ]), '0+'),
  f('ValidateOnly', 'bool', '0+'),
])
export const AlterConfigsResponse = message('AlterConfigsResponse', 33, '0-2', '2+', [
  f('ThrottleTimeMs', 'int32', '0+'),
  f('Responses', array([
    ...errorFields(),
    ...resourceFields(),
  ]), '0+'),
])

export const IncrementalAlterConfigsRequest = message('IncrementalAlterConfigsRequest', 44, '0-1', '1+', [
  f('Resources', array([
    ...resourceFields(),
    f('Configs', array([f('Name', 'string', '0+'), f('ConfigOperation', 'int8', '0+'), f('Value', 'string', '0+', NULLABLE)]), '0+'),
  ]), '0+'),
  f('ValidateOnly', 'bool', '0+'),
])
export const IncrementalAlterConfigsResponse = message('IncrementalAlterConfigsResponse', 44, '0-1', '1+', [
  f('ThrottleTimeMs', 'int32', '0+'),
  f('Responses', array([
    ...errorFields(),
    ...resourceFields(),
  ]), '0+'),
])

export const DescribeClusterRequest = message('DescribeClusterRequest', 60, '0-1', '0+', [
  f('IncludeClusterAuthorizedOperations', 'bool', '0+'),
  f('EndpointType', 'int8', '1+', { default: 1 }),
])
export const DescribeClusterResponse = message('DescribeClusterResponse', 60, '0-1', '0+', [
  f('ThrottleTimeMs', 'int32', '0+'),
  ...errorFields(),
  f('EndpointType', 'int8', '1+', { default: 1 }),
  f('ClusterId', 'string', '0+'),
  f('ControllerId', 'int32', '0+', { default: -1 }),
  f('Brokers', array([f('BrokerId', 'int32', '0+'), f('Host', 'string', '0+'), f('Port', 'int32', '0+'), f('Rack', 'string', '0+', NULLABLE)]), '0+'),
  f('ClusterAuthorizedOperations', 'int32', '0+', { default: AUTHORIZED_OPERATIONS_UNKNOWN }),
])

export const InitProducerIdRequest = message('InitProducerIdRequest', 22, '0-4', '2+', [
  f('TransactionalId', 'string', '0+', NULLABLE),
  f('TransactionTimeoutMs', 'int32', '0+'),
  f('ProducerId', 'int64', '3+', { default: -1 }),
  f('ProducerEpoch', 'int16', '3+', { default: -1 }),
])
export const InitProducerIdResponse = message('InitProducerIdResponse', 22, '0-4', '2+', [
  f('ThrottleTimeMs', 'int32', '0+'),
  f('ErrorCode', 'int16', '0+'),
  f('ProducerId', 'int64', '0+', { default: -1 }),
  f('ProducerEpoch', 'int16', '0+'),
])

export const OffsetForLeaderEpochRequest = message('OffsetForLeaderEpochRequest', 23, '0-4', '4+', [
  f('ReplicaId', 'int32', '3+', { default: -2 }),
  f('Topics', array([
    f('Topic', 'string', '0+'),
    f('Partitions', array([f('Partition', 'int32', '0+'), f('CurrentLeaderEpoch', 'int32', '2+', { default: -1 }), f('LeaderEpoch', 'int32', '0+')]), '0+'),
  ]), '0+'),
])
export const OffsetForLeaderEpochResponse = message('OffsetForLeaderEpochResponse', 23, '0-4', '4+', [
  f('ThrottleTimeMs', 'int32', '2+'),
  f('Topics', array([
    f('Topic', 'string', '0+'),
    f('Partitions', array([
      f('ErrorCode', 'int16', '0+'),
      f('Partition', 'int32', '0+'),
      f('LeaderEpoch', 'int32', '1+', { default: -1 }),
      f('EndOffset', 'int64', '0+', { default: -1 }),
    ]), '0+'),
  ]), '0+'),
])

/** The metadata quorum as `__cluster_metadata` partition 0. */
const replicaState = () => array([
  f('ReplicaId', 'int32', '0+'),
  // KIP-853: a voter's log directory id; Kafka's zero uuid for a replica without one
  f('ReplicaDirectoryId', 'uuid', '2+'),
  f('LogEndOffset', 'int64', '0+'),
  f('LastFetchTimestamp', 'int64', '1+', { default: -1 }),
  f('LastCaughtUpTimestamp', 'int64', '1+', { default: -1 }),
])
/** v2 (KIP-853): error messages, directory ids and the voters' endpoints; the request is unchanged. */
export const DescribeQuorumRequest = message('DescribeQuorumRequest', 55, '0-2', '0+', [
  f('Topics', array([f('TopicName', 'string', '0+'), f('Partitions', array([f('PartitionIndex', 'int32', '0+')]), '0+')]), '0+'),
])
export const DescribeQuorumResponse = message('DescribeQuorumResponse', 55, '0-2', '0+', [
  f('ErrorCode', 'int16', '0+'),
  f('ErrorMessage', 'string', '2+', NULLABLE),
  f('Topics', array([
    f('TopicName', 'string', '0+'),
    f('Partitions', array([
      f('PartitionIndex', 'int32', '0+'),
      f('ErrorCode', 'int16', '0+'),
      f('ErrorMessage', 'string', '2+', NULLABLE),
      f('LeaderId', 'int32', '0+', { default: -1 }),
      f('LeaderEpoch', 'int32', '0+', { default: -1 }),
      f('HighWatermark', 'int64', '0+', { default: -1 }),
      f('CurrentVoters', replicaState(), '0+'),
      f('Observers', replicaState(), '0+'),
    ]), '0+'),
  ]), '0+'),
  f('Nodes', array([
    f('NodeId', 'int32', '2+'),
    f('Listeners', array([f('Name', 'string', '2+'), f('Host', 'string', '2+'), f('Port', 'uint16', '2+')]), '2+'),
  ]), '2+'),
])

/** An idempotent producer per row; the transaction fields keep their defaults (no transactions). */
export const DescribeProducersRequest = message('DescribeProducersRequest', 61, '0', '0+', [
  f('Topics', array([f('Name', 'string', '0+'), f('PartitionIndexes', '[]int32', '0+')]), '0+'),
])
export const DescribeProducersResponse = message('DescribeProducersResponse', 61, '0', '0+', [
  f('ThrottleTimeMs', 'int32', '0+'),
  f('Topics', array([
    f('Name', 'string', '0+'),
    f('Partitions', array([
      f('PartitionIndex', 'int32', '0+'),
      ...errorFields(),
      f('ActiveProducers', array([
        f('ProducerId', 'int64', '0+'),
        f('ProducerEpoch', 'int32', '0+'),
        f('LastSequence', 'int32', '0+', { default: -1 }),
        f('LastTimestamp', 'int64', '0+', { default: -1 }),
        f('CoordinatorEpoch', 'int32', '0+', { default: -1 }),
        f('CurrentTxnStartOffset', 'int64', '0+', { default: -1 }),
      ]), '0+'),
    ]), '0+'),
  ]), '0+'),
])
