/**
 * The classic group protocol on a coordinator's shards: routes JoinGroup,
 * SyncGroup, Heartbeat and LeaveGroup to the ClassicGroup of their group id,
 * creating and forgetting groups as members come and go, and describes classic
 * groups in the same shape as consumer-protocol ones (so `tributary groups`
 * and the SDK see them).
 *
 * A group id is either classic or consumer-protocol while it has members: a
 * JoinGroup for a group with consumer-protocol members (or a
 * ConsumerGroupHeartbeat for one with classic members, coordinator.ts) gets
 * INCONSISTENT_GROUP_PROTOCOL, as in Kafka. Committed offsets are shared: one
 * ConsumerGroup record holds them whichever protocol committed.
 */
import {
  CONSUMER_PROTOCOL_TYPE, decodeConsumerAssignment, decodeConsumerSubscription, ErrorCode, fail, ok,
  type DescribeGroupsResponse, type JoinGroupResponse, type LeaveGroupResponse, type Result, type SyncGroupResponse, type TopicPartitions,
} from '@tributary/protocol'
import type { Clock } from '../seams.js'
import { ClassicGroup, type ClassicMember } from './classic-group.js'
import type { JoinInput, SyncInput } from './classic-requests.js'
import type { ConsumerGroup, GroupStateName } from './group-state.js'
import type { ResolvedGroupConfig } from './types.js'

/** What a shard holds that the classic protocol touches. */
export interface ClassicShard {
  classic: Map<string, ClassicGroup>
  groups: ReadonlyMap<string, ConsumerGroup>
}

export type JoinResult = Result<JoinGroupResponse> & { memberId?: string }

export interface ClassicDeps {
  clock: Clock
  config: ResolvedGroupConfig
  route: (groupId: string) => Result<ClassicShard>
  /** A fresh random suffix for a member id. */
  newId: () => string
}

type DescribedGroup = DescribeGroupsResponse['groups'][number]

export class ClassicCoordinator {
  constructor(private readonly deps: ClassicDeps) {}

  async join(input: JoinInput, clientHost: string): Promise<JoinResult> {
    const routed = this.deps.route(input.groupId)
    if (!routed.ok) return routed
    const shard = routed.value
    if ((shard.groups.get(input.groupId)?.members.size ?? 0) > 0) {
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `group ${input.groupId} is a consumer-protocol group with members`)
    }
    const g = this.groupFor(shard, input.groupId)
    const { groupId: _g, requireKnownMemberId: _r, ...join } = input
    const instance = input.groupInstanceId
    let memberId = input.memberId
    if (memberId === '' && instance !== null && g.staticMembers.has(instance)) {
      return this.after(shard, g, await g.replaceStatic(instance, { ...join, memberId: this.newMemberId(input), clientHost }))
    }
    const fenced = g.fencedProblem(memberId, instance)
    if (fenced) return this.after(shard, g, fenced)
    if (memberId === '') {
      const reserved = g.reserveMemberId(this.newMemberId(input), input.sessionTimeoutMs)
      if (!reserved.ok) return this.after(shard, g, reserved)
      memberId = reserved.value
      // KIP-394: from v4 the member joins again with its id, so an id is never lost with a timed-out answer.
      // A static member is known by its instance id instead, so it joins at once (as in Kafka).
      if (input.requireKnownMemberId && instance === null) return Object.assign(fail(ErrorCode.MEMBER_ID_REQUIRED, 'join again with the member id given'), { memberId })
    }
    return this.after(shard, g, await g.join({ ...join, memberId, clientHost }))
  }

  private newMemberId(input: JoinInput): string {
    return `${input.groupInstanceId ?? (input.clientId || 'member')}-${this.deps.newId()}`
  }

  async sync(input: SyncInput): Promise<Result<SyncGroupResponse>> {
    const g = this.existing(input.groupId, input.memberId)
    if (!g.ok) return g
    const fenced = g.value.fencedProblem(input.memberId, input.groupInstanceId)
    if (fenced) return fenced
    return g.value.sync(input.memberId, input.generationId, input.assignments, { type: input.protocolType, name: input.protocolName })
  }

  heartbeat(groupId: string, memberId: string, generationId: number, groupInstanceId: string | null = null): Result<Record<string, never>> {
    const g = this.existing(groupId, memberId)
    if (!g.ok) return g
    return g.value.fencedProblem(memberId, groupInstanceId) ?? g.value.heartbeat(memberId, generationId)
  }

  /** LeaveGroup v3+ names static members by instance id (member id '' or the one holding it). */
  leave(groupId: string, leaving: ReadonlyArray<{ memberId: string; groupInstanceId: string | null }>): Result<LeaveGroupResponse> {
    const routed = this.deps.route(groupId)
    if (!routed.ok) return routed
    const g = routed.value.classic.get(groupId)
    const leaveOne = (memberId: string, instance: string | null): number => {
      if (!g) return ErrorCode.UNKNOWN_MEMBER_ID
      if (instance === null) return g.leave(memberId)
      const holder = g.staticMembers.get(instance)
      if (holder === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
      if (memberId !== '' && memberId !== holder) return ErrorCode.FENCED_INSTANCE_ID
      return g.leave(holder)
    }
    const members = leaving.map(({ memberId, groupInstanceId }) => ({ memberId, groupInstanceId, errorCode: leaveOne(memberId, groupInstanceId) }))
    if (g) this.after(routed.value, g, null)
    return ok({ members })
  }

  // ------------------------------------------------------------ admin

  /** A classic group with members (or waiting for one), described; undefined when the id is not a live classic group. */
  describe(shard: ClassicShard, groupId: string, topicIds: ReadonlyMap<string, string>): DescribedGroup | undefined {
    const g = shard.classic.get(groupId)
    if (!g || g.isIdle()) return undefined
    const consumer = g.protocolType === CONSUMER_PROTOCOL_TYPE
    return {
      groupId,
      errorCode: ErrorCode.NONE,
      state: nativeState(g),
      groupEpoch: g.generationId,
      assignmentEpoch: g.generationId,
      classic: { state: g.state, protocolType: g.protocolType ?? '', protocolName: g.protocolName },
      members: [...g.members.values()].map((m) => {
        const metadata = m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? m.protocols[0]?.metadata ?? new Uint8Array(0)
        const assignment = consumer ? assignedOf(m, topicIds) : []
        return {
          memberId: m.memberId,
          clientId: m.clientId,
          memberEpoch: g.generationId,
          subscribedTopicNames: consumer ? subscribedOf(metadata) : [],
          subscribedTopicRegex: null,
          assignment,
          targetAssignment: assignment,
          classic: { groupInstanceId: m.groupInstanceId, clientHost: m.clientHost, metadata, assignment: m.assignment },
        }
      }),
    }
  }

  /** Whether the id is a classic group with members (or one about to join). */
  isLive(shard: ClassicShard, groupId: string): boolean {
    const g = shard.classic.get(groupId)
    return g !== undefined && !g.isIdle()
  }

  /**
   * The topics a live classic group's members subscribe to (every protocol
   * they offered, decoded as the consumer protocol), for OffsetDelete; null
   * when the id is not a live classic group; 'not-consumer' for a live group
   * of another protocol type (its topics cannot be known).
   */
  subscribedTopics(shard: ClassicShard, groupId: string): Set<string> | 'not-consumer' | null {
    const g = shard.classic.get(groupId)
    if (!g || g.isIdle()) return null
    if (g.protocolType !== CONSUMER_PROTOCOL_TYPE) return 'not-consumer'
    const out = new Set<string>()
    for (const m of g.members.values()) for (const p of m.protocols) for (const t of subscribedOf(p.metadata)) out.add(t)
    return out
  }

  /** Live classic groups of a shard, for ListGroups. */
  list(shard: ClassicShard): Array<{ groupId: string; state: GroupStateName; protocolType: string; classicState: string }> {
    return [...shard.classic.values()]
      .filter((g) => !g.isIdle())
      .map((g) => ({ groupId: g.groupId, state: nativeState(g), protocolType: g.protocolType ?? '', classicState: g.state }))
  }

  // ------------------------------------------------------------ groups

  private groupFor(shard: ClassicShard, groupId: string): ClassicGroup {
    let g = shard.classic.get(groupId)
    if (!g) {
      const limits = { initialRebalanceDelayMs: this.deps.config.classicInitialRebalanceDelayMs, membersMax: this.deps.config.membersPerGroupMax }
      g = new ClassicGroup(groupId, this.deps.clock, limits, (idle) => this.forgetIfIdle(shard, idle))
      shard.classic.set(groupId, g)
    }
    return g
  }

  private existing(groupId: string, memberId: string): Result<ClassicGroup> {
    const routed = this.deps.route(groupId)
    if (!routed.ok) return routed
    const g = routed.value.classic.get(groupId)
    return g ? ok(g) : fail(ErrorCode.UNKNOWN_MEMBER_ID, `member ${memberId} is not in group ${groupId}`)
  }

  private after<T>(shard: ClassicShard, g: ClassicGroup, r: T): T {
    this.forgetIfIdle(shard, g)
    return r
  }

  private forgetIfIdle(shard: ClassicShard, g: ClassicGroup): void {
    if (g.isIdle() && shard.classic.get(g.groupId) === g) {
      g.close(ErrorCode.UNKNOWN_MEMBER_ID)
      shard.classic.delete(g.groupId)
    }
  }
}

/** Kafka's classic states in our consumer-group vocabulary (what `tributary groups` prints and filters on). */
function nativeState(g: ClassicGroup): GroupStateName {
  switch (g.state) {
    case 'Empty': return 'empty'
    case 'PreparingRebalance': return 'assigning'
    case 'CompletingRebalance': return 'reconciling'
    case 'Stable': return 'stable'
  }
}

function subscribedOf(metadata: Uint8Array): string[] {
  const s = decodeConsumerSubscription(metadata)
  return s.ok ? s.value.topics : []
}

function assignedOf(m: ClassicMember, topicIds: ReadonlyMap<string, string>): TopicPartitions[] {
  if (m.assignment.byteLength === 0) return []
  const a = decodeConsumerAssignment(m.assignment)
  if (!a.ok) return []
  return a.value.assignedPartitions.map((t) => {
    const topicId = topicIds.get(t.topic)
    return { topic: t.topic, ...(topicId ? { topicId } : {}), partitions: [...t.partitions].sort((x, y) => x - y) }
  })
}
