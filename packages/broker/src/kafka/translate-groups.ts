/**
 * The group APIs on the Kafka listener: Kafka's JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, DescribeGroups, ListGroups
 * and DeleteGroups ↔ our handlers of the same numbers (group/handlers.ts).
 *
 * Kafka's DescribeGroups speaks of classic groups; a consumer-protocol group
 * (KIP-848, the Tributary SDK's) is shown in the same terms, with its
 * subscription and assignment encoded as the consumer protocol encodes them,
 * so Kafka tools can read who holds what. A group we do not know is "Dead"
 * with no error, as Kafka answers.
 */
import {
  encodeConsumerAssignment, encodeConsumerSubscription, ErrorCode, KafkaApiKey,
  type DeleteGroupsResponse, type DescribeGroupsResponse, type JoinGroupResponse, type LeaveGroupResponse, type ListGroupsResponse,
  type OffsetCommitResponse, type OffsetFetchResponse, type SyncGroupResponse,
} from '@tributary/protocol'
import { arr, byKafkaKey, eachPartition, kafkaTopics, ourTopics, type Obj, type Translation } from './translation.js'

const NO_BYTES = new Uint8Array(0)
/** JoinGroup v4 introduced the two-step join with MEMBER_ID_REQUIRED (KIP-394). */
const JOIN_KNOWN_MEMBER_ID_VERSION = 4
/** LeaveGroup v3 made it a batch of members (KIP-345). */
const LEAVE_BATCH_VERSION = 3

const joinGroup: Translation = {
  apiKey: KafkaApiKey.JoinGroup,
  request: (k, version, clientId) => ({
    groupId: k.groupId,
    memberId: k.memberId,
    groupInstanceId: k.groupInstanceId,
    sessionTimeoutMs: k.sessionTimeoutMs,
    rebalanceTimeoutMs: k.rebalanceTimeoutMs,
    protocolType: k.protocolType,
    protocols: arr(k.protocols).map((p) => ({ name: p.name, metadata: p.metadata ?? NO_BYTES })),
    clientId: clientId ?? '',
    reason: k.reason,
    requireKnownMemberId: version >= JOIN_KNOWN_MEMBER_ID_VERSION,
  }),
  response: (ours) => {
    const j = ours as JoinGroupResponse
    return { errorCode: ErrorCode.NONE, generationId: j.generationId, protocolType: j.protocolType, protocolName: j.protocolName ?? '', leader: j.leader, skipAssignment: j.skipAssignment, memberId: j.memberId, members: j.members }
  },
  // MEMBER_ID_REQUIRED hands the client its id; any other failure leaves its own id with it.
  error: (k, errorCode, _m, _v, ours) => ({ errorCode, generationId: -1, protocolName: '', leader: '', memberId: (ours as Obj | null)?.memberId ?? k.memberId ?? '', members: [] }),
}

const syncGroup: Translation = {
  apiKey: KafkaApiKey.SyncGroup,
  request: (k) => ({
    groupId: k.groupId, generationId: k.generationId, memberId: k.memberId, groupInstanceId: k.groupInstanceId,
    protocolType: k.protocolType, protocolName: k.protocolName,
    assignments: arr(k.assignments).map((a) => ({ memberId: a.memberId, assignment: a.assignment ?? NO_BYTES })),
  }),
  response: (ours) => {
    const s = ours as SyncGroupResponse
    return { errorCode: ErrorCode.NONE, protocolType: s.protocolType, protocolName: s.protocolName, assignment: s.assignment }
  },
  error: (_k, errorCode) => ({ errorCode, assignment: NO_BYTES }),
}

const heartbeat: Translation = {
  apiKey: KafkaApiKey.Heartbeat,
  request: (k) => ({ groupId: k.groupId, generationId: k.generationId, memberId: k.memberId, groupInstanceId: k.groupInstanceId }),
  response: () => ({ errorCode: ErrorCode.NONE }),
  error: (_k, errorCode) => ({ errorCode }),
}

const leaveGroup: Translation = {
  apiKey: KafkaApiKey.LeaveGroup,
  request: (k, version) => ({
    groupId: k.groupId,
    members: version >= LEAVE_BATCH_VERSION ? arr(k.members).map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, reason: m.reason })) : [{ memberId: k.memberId }],
  }),
  response: (ours, _e, _m, version) => {
    const members = (ours as LeaveGroupResponse).members
    // Before v3 one member left, and its error was the request's.
    if (version < LEAVE_BATCH_VERSION) return { errorCode: members[0]?.errorCode ?? ErrorCode.NONE }
    return { errorCode: ErrorCode.NONE, members }
  },
  error: (_k, errorCode) => ({ errorCode, members: [] }),
}

const offsetCommit: Translation = {
  apiKey: KafkaApiKey.OffsetCommit,
  request: (k) => ({
    groupId: k.groupId,
    memberId: k.memberId ?? '',
    // The classic generation travels in our memberEpoch (the coordinator checks it against the group's generation).
    memberEpoch: k.generationId,
    topics: ourTopics(k.topics, (p) => ({ partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata })),
  }),
  response: (ours) => ({
    topics: kafkaTopics((ours as OffsetCommitResponse).topics, (p) => ({ partitionIndex: p.partition, errorCode: p.errorCode })),
  }),
  error: (k, errorCode) => ({
    topics: eachPartition(k.topics, { errorCode }),
  }),
}

const offsetFetch: Translation = {
  apiKey: KafkaApiKey.OffsetFetch,
  request: (k) => ({
    groupId: k.groupId,
    topics: k.topics === null ? null : arr(k.topics).map((t) => ({ topic: t.name, partitions: t.partitionIndexes })),
  }),
  response: (ours) => ({
    errorCode: ErrorCode.NONE,
    topics: kafkaTopics((ours as OffsetFetchResponse).topics, (p) => ({
      partitionIndex: p.partition, committedOffset: p.offset, committedLeaderEpoch: p.leaderEpoch ?? -1, metadata: p.metadata ?? '', errorCode: p.errorCode,
    })),
  }),
  // v1 has no request-level error code: each partition carries it.
  error: (k, errorCode) => ({
    errorCode,
    topics: arr(k.topics).map((t) => ({
      name: t.name,
      partitions: (Array.isArray(t.partitionIndexes) ? t.partitionIndexes : []).map((i: number) => ({ partitionIndex: i, committedOffset: -1, metadata: '', errorCode })),
    })),
  }),
}

/** Kafka's names of a consumer-protocol group's states (KIP-848's GroupState). */
const CONSUMER_STATES: Readonly<Record<string, string>> = { empty: 'Empty', assigning: 'Assigning', reconciling: 'Reconciling', stable: 'Stable', dead: 'Dead' }

type Described = DescribeGroupsResponse['groups'][number]

function describedGroup(g: Described): Obj {
  if (g.errorCode === ErrorCode.GROUP_ID_NOT_FOUND) return { errorCode: ErrorCode.NONE, groupId: g.groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] }
  if (g.errorCode !== ErrorCode.NONE) return { errorCode: g.errorCode, groupId: g.groupId, groupState: '', protocolType: '', protocolData: '', members: [] }
  if (g.classic) {
    return {
      errorCode: ErrorCode.NONE, groupId: g.groupId, groupState: g.classic.state, protocolType: g.classic.protocolType, protocolData: g.classic.protocolName ?? '',
      members: g.members.map((m) => ({
        memberId: m.memberId, groupInstanceId: m.classic?.groupInstanceId ?? null, clientId: m.clientId, clientHost: m.classic?.clientHost ?? '',
        memberMetadata: m.classic?.metadata ?? NO_BYTES, memberAssignment: m.classic?.assignment ?? NO_BYTES,
      })),
    }
  }
  return {
    errorCode: ErrorCode.NONE, groupId: g.groupId, groupState: CONSUMER_STATES[g.state] ?? g.state, protocolType: 'consumer', protocolData: '',
    members: g.members.map((m) => ({
      memberId: m.memberId, clientId: m.clientId, clientHost: '',
      memberMetadata: encodeConsumerSubscription({ topics: m.subscribedTopicNames }),
      memberAssignment: encodeConsumerAssignment({ assignedPartitions: m.assignment.map((a) => ({ topic: a.topic, partitions: a.partitions })) }),
    })),
  }
}

const describeGroups: Translation = {
  apiKey: KafkaApiKey.DescribeGroups,
  request: (k) => ({ groupIds: k.groups }),
  response: (ours) => ({ groups: (ours as DescribeGroupsResponse).groups.map(describedGroup) }),
  error: (k, errorCode) => ({ groups: arr(k.groups).map((groupId) => ({ errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [] })) }),
}

const listGroups: Translation = {
  apiKey: KafkaApiKey.ListGroups,
  request: (k) => ({ statesFilter: k.statesFilter }),
  response: (ours) => ({
    errorCode: ErrorCode.NONE,
    groups: (ours as ListGroupsResponse).groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.classicState ?? CONSUMER_STATES[g.state] ?? g.state })),
  }),
  error: (_k, errorCode) => ({ errorCode, groups: [] }),
}

const deleteGroups: Translation = {
  apiKey: KafkaApiKey.DeleteGroups,
  request: (k) => ({ groupIds: k.groupsNames }),
  response: (ours) => ({ results: (ours as DeleteGroupsResponse).results }),
  error: (k, errorCode) => ({ results: arr(k.groupsNames).map((groupId) => ({ groupId, errorCode })) }),
}

export const GROUP_TRANSLATIONS: ReadonlyArray<[number, Translation]> = byKafkaKey([joinGroup, syncGroup, heartbeat, leaveGroup, offsetCommit, offsetFetch, describeGroups, listGroups, deleteGroups])
