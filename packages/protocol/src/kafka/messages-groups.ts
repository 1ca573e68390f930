/**
 * The group APIs of our Kafka schema table: the classic group protocol
 * (JoinGroup, SyncGroup, Heartbeat, LeaveGroup), committed offsets
 * (OffsetCommit, OffsetFetch) and group administration (DescribeGroups,
 * ListGroups, DeleteGroups), written from apache/kafka's message JSON files as
 * messages.ts is. Also the consumer protocol's own payloads (the opaque bytes
 * inside JoinGroup and SyncGroup), which are versioned structs of the same
 * kind: an int16 version, then the fields, never flexible.
 *
 * Versions: JoinGroup from v0 (kafka-python) up to v9 (Kafka 4.x clients);
 * OffsetCommit from v1 (v0 stored offsets in ZooKeeper) to v8 (v9 names topics
 * by id); OffsetFetch v1-v7 (v8 batches groups); the others from v0 to what
 * Kafka 3.x clients prefer.
 */
import { array, field as f, message, NULLABLE } from './schema.js'


export const JoinGroupRequest = message('JoinGroupRequest', 11, '0-9', '6+', [
  f('GroupId', 'string', '0+'),
  f('SessionTimeoutMs', 'int32', '0+'),
  f('RebalanceTimeoutMs', 'int32', '1+', { default: -1 }),
  f('MemberId', 'string', '0+'),
  f('GroupInstanceId', 'string', '5+', { nullable: '5+', default: null }),
  f('ProtocolType', 'string', '0+'),
  f('Protocols', array([f('Name', 'string', '0+'), f('Metadata', 'bytes', '0+')]), '0+'),
  f('Reason', 'string', '8+', { nullable: '8+', default: null }),
])
export const JoinGroupResponse = message('JoinGroupResponse', 11, '0-9', '6+', [
  f('ThrottleTimeMs', 'int32', '2+'),
  f('ErrorCode', 'int16', '0+'),
  f('GenerationId', 'int32', '0+', { default: -1 }),
  f('ProtocolType', 'string', '7+', { nullable: '7+', default: null }),
  f('ProtocolName', 'string', '0+', { nullable: '7+' }),
  f('Leader', 'string', '0+'),
  f('SkipAssignment', 'bool', '9+'),
  f('MemberId', 'string', '0+'),
  f('Members', array([
    f('MemberId', 'string', '0+'),
    f('GroupInstanceId', 'string', '5+', { nullable: '5+', default: null }),
    f('Metadata', 'bytes', '0+'),
  ]), '0+'),
])

export const HeartbeatRequest = message('HeartbeatRequest', 12, '0-4', '4+', [
  f('GroupId', 'string', '0+'),
  f('GenerationId', 'int32', '0+'),
  f('MemberId', 'string', '0+'),
  f('GroupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
])
export const HeartbeatResponse = message('HeartbeatResponse', 12, '0-4', '4+', [
  f('ThrottleTimeMs', 'int32', '1+'),
  f('ErrorCode', 'int16', '0+'),
])

export const LeaveGroupRequest = message('LeaveGroupRequest', 13, '0-5', '4+', [
  f('GroupId', 'string', '0+'),
  f('MemberId', 'string', '0-2'),
  f('Members', array([
    f('MemberId', 'string', '3+'),
    f('GroupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
    f('Reason', 'string', '5+', { nullable: '5+', default: null }),
  ]), '3+'),
])
export const LeaveGroupResponse = message('LeaveGroupResponse', 13, '0-5', '4+', [
  f('ThrottleTimeMs', 'int32', '1+'),
  f('ErrorCode', 'int16', '0+'),
  f('Members', array([
    f('MemberId', 'string', '3+'),
    f('GroupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
    f('ErrorCode', 'int16', '3+'),
  ]), '3+'),
])

export const SyncGroupRequest = message('SyncGroupRequest', 14, '0-5', '4+', [
  f('GroupId', 'string', '0+'),
  f('GenerationId', 'int32', '0+'),
  f('MemberId', 'string', '0+'),
  f('GroupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
  f('ProtocolType', 'string', '5+', { nullable: '5+', default: null }),
  f('ProtocolName', 'string', '5+', { nullable: '5+', default: null }),
  f('Assignments', array([f('MemberId', 'string', '0+'), f('Assignment', 'bytes', '0+')]), '0+'),
])
export const SyncGroupResponse = message('SyncGroupResponse', 14, '0-5', '4+', [
  f('ThrottleTimeMs', 'int32', '1+'),
  f('ErrorCode', 'int16', '0+'),
  f('ProtocolType', 'string', '5+', { nullable: '5+', default: null }),
  f('ProtocolName', 'string', '5+', { nullable: '5+', default: null }),
  f('Assignment', 'bytes', '0+'),
])

export const OffsetCommitRequest = message('OffsetCommitRequest', 8, '1-8', '8+', [
  f('GroupId', 'string', '0+'),
  f('GenerationId', 'int32', '1+', { default: -1 }),
  f('MemberId', 'string', '1+'),
  f('GroupInstanceId', 'string', '7+', { nullable: '7+', default: null }),
  f('RetentionTimeMs', 'int64', '2-4', { default: -1 }),
  f('Topics', array([
    f('Name', 'string', '0+'),
    f('Partitions', array([
      f('PartitionIndex', 'int32', '0+'),
      f('CommittedOffset', 'int64', '0+'),
      f('CommittedLeaderEpoch', 'int32', '6+', { default: -1 }),
      f('CommitTimestamp', 'int64', '1', { default: -1 }),
      f('CommittedMetadata', 'string', '0+', NULLABLE),
    ]), '0+'),
  ]), '0+'),
])
export const OffsetCommitResponse = message('OffsetCommitResponse', 8, '1-8', '8+', [
  f('ThrottleTimeMs', 'int32', '3+'),
  f('Topics', array([
    f('Name', 'string', '0+'),
    f('Partitions', array([f('PartitionIndex', 'int32', '0+'), f('ErrorCode', 'int16', '0+')]), '0+'),
  ]), '0+'),
])

export const OffsetFetchRequest = message('OffsetFetchRequest', 9, '1-7', '6+', [
  f('GroupId', 'string', '0+'),
  f('Topics', array([f('Name', 'string', '0+'), f('PartitionIndexes', '[]int32', '0+')]), '0+', { nullable: '2+' }),
  f('RequireStable', 'bool', '7+'),
])
export const OffsetFetchResponse = message('OffsetFetchResponse', 9, '1-7', '6+', [
  f('ThrottleTimeMs', 'int32', '3+'),
  f('Topics', array([
    f('Name', 'string', '0+'),
    f('Partitions', array([
      f('PartitionIndex', 'int32', '0+'),
      f('CommittedOffset', 'int64', '0+'),
      f('CommittedLeaderEpoch', 'int32', '5+', { default: -1 }),
      f('Metadata', 'string', '0+', NULLABLE),
      f('ErrorCode', 'int16', '0+'),
    ]), '0+'),
  ]), '0+'),
  f('ErrorCode', 'int16', '2+'),
])

export const DescribeGroupsRequest = message('DescribeGroupsRequest', 15, '0-5', '5+', [
  f('Groups', '[]string', '0+'),
  f('IncludeAuthorizedOperations', 'bool', '3+'),
])
export const DescribeGroupsResponse = message('DescribeGroupsResponse', 15, '0-5', '5+', [
  f('ThrottleTimeMs', 'int32', '1+'),
  f('Groups', array([
    f('ErrorCode', 'int16', '0+'),
    f('GroupId', 'string', '0+'),
    f('GroupState', 'string', '0+'),
    f('ProtocolType', 'string', '0+'),
    f('ProtocolData', 'string', '0+'),
    f('Members', array([
      f('MemberId', 'string', '0+'),
      f('GroupInstanceId', 'string', '4+', { nullable: '4+', default: null }),
      f('ClientId', 'string', '0+'),
      f('ClientHost', 'string', '0+'),
      f('MemberMetadata', 'bytes', '0+', { default: new Uint8Array(0) }),
      f('MemberAssignment', 'bytes', '0+', { default: new Uint8Array(0) }),
    ]), '0+'),
    f('AuthorizedOperations', 'int32', '3+', { default: -2147483648 }),
  ]), '0+'),
])

export const ListGroupsRequest = message('ListGroupsRequest', 16, '0-4', '3+', [f('StatesFilter', '[]string', '4+')])
export const ListGroupsResponse = message('ListGroupsResponse', 16, '0-4', '3+', [
  f('ThrottleTimeMs', 'int32', '1+'),
  f('ErrorCode', 'int16', '0+'),
  f('Groups', array([f('GroupId', 'string', '0+'), f('ProtocolType', 'string', '0+'), f('GroupState', 'string', '4+')]), '0+'),
])

export const DeleteGroupsRequest = message('DeleteGroupsRequest', 42, '0-2', '2+', [f('GroupsNames', '[]string', '0+')])
export const DeleteGroupsResponse = message('DeleteGroupsResponse', 42, '0-2', '2+', [
  f('ThrottleTimeMs', 'int32', '0+'),
  f('Results', array([f('GroupId', 'string', '0+'), f('ErrorCode', 'int16', '0+')]), '0+'),
])

/**
 * The consumer protocol's payloads (protocol type "consumer"): what a member
 * puts in JoinGroup's metadata and what the leader sends in SyncGroup. Each is
 * written as an int16 version followed by the struct at that version
 * (`consumer-protocol.ts`). We read them only to show who holds what.
 */
export const ConsumerProtocolSubscription = message('ConsumerProtocolSubscription', -1, '0-3', 'none', [
  f('Topics', '[]string', '0+'),
  f('UserData', 'bytes', '0+', NULLABLE),
  f('OwnedPartitions', array([f('Topic', 'string', '1+'), f('Partitions', '[]int32', '1+')]), '1+'),
  f('GenerationId', 'int32', '2+', { default: -1 }),
  f('RackId', 'string', '3+', { nullable: '3+', default: null }),
])
export const ConsumerProtocolAssignment = message('ConsumerProtocolAssignment', -1, '0-3', 'none', [
  f('AssignedPartitions', array([f('Topic', 'string', '0+'), f('Partitions', '[]int32', '0+')]), '0+'),
  f('UserData', 'bytes', '0+', NULLABLE),
])
