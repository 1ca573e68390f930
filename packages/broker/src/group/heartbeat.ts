/**
 * ConsumerGroupHeartbeat on one group, as a pure procedure (KIP-848):
 * join (epoch 0), leave (epoch -1), or keep going (the epoch last received),
 * then update the subscription, recompute the target if the group epoch moved,
 * and reconcile the member. The caller persists what the group marked dirty
 * before it sends the response.
 */
import { ErrorCode, fail, ok, type ConsumerGroupHeartbeatResponse, type Result } from '@tributary/protocol'
import type { ConsumerGroup, MemberState, TopicsView } from './group-state.js'
import { setEquals, toWire, type ReadonlyPartitionSet } from './topic-partitions.js'

export const JOIN_EPOCH = 0
export const LEAVE_EPOCH = -1
/** Kafka's static-member leave; there are no static members here, so it is a plain leave. */
export const STATIC_LEAVE_EPOCH = -2

export interface HeartbeatInput {
  memberId: string
  memberEpoch: number
  clientId: string
  /** Already bounded by the broker's min/max. */
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  /** null = unchanged */
  subscribedTopicNames: string[] | null
  /** null = unchanged ('' = none); see updateMember for how names and regex combine */
  subscribedTopicRegex: string | null
  owned: ReadonlyPartitionSet | null
  /** With an authorizer: what this connection's principal may Read (a regex matches only those topics). */
  canRead?: (topic: string) => boolean
}

export interface HeartbeatEnv {
  topics: TopicsView
  heartbeatIntervalMs: number
  membersPerGroupMax: number
  /** A member id not used in this group yet. */
  newMemberId(): string
}

export interface HeartbeatOutcome {
  response: ConsumerGroupHeartbeatResponse
  /** The member after the heartbeat; null after a leave. */
  member: MemberState | null
}

export function heartbeat(group: ConsumerGroup, input: HeartbeatInput, env: HeartbeatEnv): Result<HeartbeatOutcome> {
  if (input.memberEpoch === LEAVE_EPOCH || input.memberEpoch === STATIC_LEAVE_EPOCH) {
    // Leaving is idempotent: a member that timed out and then closes is not an error.
    group.removeMember(input.memberId)
    const response = { memberId: input.memberId, memberEpoch: LEAVE_EPOCH, heartbeatIntervalMs: 0, assignment: null }
    return ok({ response, member: null })
  }
  const joined = input.memberEpoch === JOIN_EPOCH ? join(group, input, env) : existing(group, input)
  if (!joined.ok) return joined
  const m = joined.value
  if (input.canRead) {
    // A member restored from the log matched no topic by regex until now (its principal was unknown).
    if (m.canRead === undefined && m.subscribedTopicRegex !== null) group.bumpGroupEpoch()
    m.canRead = input.canRead
  }

  updateMember(group, m, input)
  group.refreshSubscriptionMetadata(env.topics)
  group.ensureTarget(env.topics)
  group.reconcileMember(m.memberId, input.owned)

  const resend =
    m.lastSent === null ||
    !setEquals(m.lastSent, m.assigned) ||
    (input.owned !== null && !setEquals(input.owned, m.assigned))
  m.lastSent = m.assigned
  const assignment = resend ? { topics: toWire(m.assigned, (t) => env.topics.topicIds.get(t)) } : null
  // At least three heartbeats per session, or a member with a short session expires between two.
  const heartbeatIntervalMs = Math.max(1, Math.min(env.heartbeatIntervalMs, Math.floor(m.sessionTimeoutMs / 3)))
  const response = { memberId: m.memberId, memberEpoch: m.memberEpoch, heartbeatIntervalMs, assignment }
  return ok({ response, member: m })
}

function join(group: ConsumerGroup, input: HeartbeatInput, env: HeartbeatEnv): Result<MemberState> {
  const known = input.memberId !== '' ? group.members.get(input.memberId) : undefined
  if (known) {
    group.resetMember(known.memberId)
    return ok(known)
  }
  if (input.subscribedTopicNames === null && !input.subscribedTopicRegex) {
    return fail(ErrorCode.INVALID_REQUEST, 'a joining member must send subscribedTopicNames or subscribedTopicRegex')
  }
  if (group.members.size >= env.membersPerGroupMax) {
    return fail(ErrorCode.INVALID_REQUEST, `group ${group.groupId} already has ${env.membersPerGroupMax} members (membersPerGroupMax)`)
  }
  const m: MemberState = {
    memberId: input.memberId !== '' ? input.memberId : env.newMemberId(),
    clientId: input.clientId,
    subscribedTopicNames: [...new Set(input.subscribedTopicNames ?? [])].sort(),
    subscribedTopicRegex: input.subscribedTopicRegex || null,
    sessionTimeoutMs: input.sessionTimeoutMs,
    rebalanceTimeoutMs: input.rebalanceTimeoutMs,
    memberEpoch: 0,
    previousMemberEpoch: -1,
    assigned: new Set(),
    pendingRevocation: new Set(),
    lastSent: null,
  }
  group.addMember(m)
  return ok(m)
}

/** Epoch rules as in Kafka: ahead of the coordinator = fenced; one behind = its last response was lost, accepted. */
function existing(group: ConsumerGroup, input: HeartbeatInput): Result<MemberState> {
  const m = group.members.get(input.memberId)
  if (!m) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `member ${input.memberId} is not in group ${group.groupId}`)
  if (input.memberEpoch === m.memberEpoch) return ok(m)
  if (input.memberEpoch === m.previousMemberEpoch && input.memberEpoch > 0) {
    m.lastSent = null
    return ok(m)
  }
  return fail(ErrorCode.FENCED_MEMBER_EPOCH, `member ${m.memberId} sent epoch ${input.memberEpoch}, its epoch is ${m.memberEpoch}: rejoin with epoch 0`)
}

/**
 * A subscription is sent whole or not at all: a heartbeat carrying names or a
 * regex replaces both (a member subscribes by names or by a regex, as Kafka's
 * consumer does); one carrying neither leaves the subscription unchanged.
 */
function updateMember(group: ConsumerGroup, m: MemberState, input: HeartbeatInput): void {
  let subscriptionChanged = false
  if (input.subscribedTopicNames !== null || input.subscribedTopicRegex !== null) {
    const names = [...new Set(input.subscribedTopicNames ?? [])].sort()
    const regex = input.subscribedTopicRegex || null
    if (!sameList(names, m.subscribedTopicNames) || regex !== m.subscribedTopicRegex) {
      m.subscribedTopicNames = names
      m.subscribedTopicRegex = regex
      subscriptionChanged = true
    }
  }
  if (subscriptionChanged) group.bumpGroupEpoch()
  if (subscriptionChanged || m.clientId !== input.clientId || m.sessionTimeoutMs !== input.sessionTimeoutMs || m.rebalanceTimeoutMs !== input.rebalanceTimeoutMs) {
    m.clientId = input.clientId
    m.sessionTimeoutMs = input.sessionTimeoutMs
    m.rebalanceTimeoutMs = input.rebalanceTimeoutMs
    group.markMemberDirty(m.memberId)
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  const sa = [...new Set(a)].sort()
  return sa.length === b.length && sa.every((x, i) => x === b[i])
}
