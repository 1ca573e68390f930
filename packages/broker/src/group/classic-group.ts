/**
 * One classic consumer group (Kafka's JoinGroup / SyncGroup protocol) as its
 * coordinator runs it: members, generation, the chosen protocol, and the two
 * barriers of a rebalance.
 *
 * - Join barrier (PreparingRebalance): every known member must send JoinGroup.
 *   It completes when all have, or when the longest rebalance timeout of the
 *   members passes (those that did not rejoin are removed). A group that was
 *   empty waits `initialRebalanceDelayMs` first, so members starting together
 *   land in one generation (Kafka's group.initial.rebalance.delay.ms).
 *   Completing it bumps the generation, picks the protocol every member
 *   supports (by the members' votes) and the leader, and answers every join:
 *   the leader with all members' metadata, the others with none.
 * - Sync barrier (CompletingRebalance): members wait in SyncGroup until the
 *   leader's SyncGroup brings the assignments; then the group is Stable.
 *
 * Any member arriving, leaving, expiring or changing its protocols starts a
 * new rebalance; members learn of it from REBALANCE_IN_PROGRESS on Heartbeat
 * or SyncGroup. Sessions expire only while a member is not parked in a
 * barrier (as in Kafka, a member waiting for an answer is alive).
 *
 * Static members (KIP-345): a member rejoining with a known `group.instance.id`
 * and no member id takes the old one's place and assignment under a new id, with
 * no rebalance if the group is Stable, the protocols unchanged and it is not the
 * leader (before JoinGroup v9 a leader cannot be told to keep its assignment).
 * The old id is fenced: FENCED_INSTANCE_ID on its next request.
 *
 * Membership is memory only: a new coordinator (failover, restart) starts
 * every classic group empty; members get UNKNOWN_MEMBER_ID and join again.
 * Committed offsets are not kept here; they are the coordinator's, durable.
 */
import { ErrorCode, fail, ok, type ClassicGroupState, type JoinGroupResponse, type Result, type SyncGroupResponse } from '@tributary/protocol'
import type { Clock } from '../seams.js'
import { chooseProtocol, protocolProblem, sameProtocols } from './classic-protocols.js'

export interface ClassicJoin {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  protocolType: string
  protocols: Array<{ name: string; metadata: Uint8Array }>
}

export interface ClassicMember extends Omit<ClassicJoin, 'protocolType'> {
  assignment: Uint8Array
  awaitingJoin: ((r: Result<JoinGroupResponse>) => void) | null
  awaitingSync: ((r: Result<SyncGroupResponse>) => void) | null
  cancelSession: (() => void) | null
}

export interface ClassicGroupLimits {
  initialRebalanceDelayMs: number
  membersMax: number
}

const EMPTY = new Uint8Array(0)

export class ClassicGroup {
  state: ClassicGroupState = 'Empty'
  generationId = 0
  protocolType: string | null = null
  protocolName: string | null = null
  leaderId: string | null = null
  readonly members = new Map<string, ClassicMember>()
  /** Ids handed out with MEMBER_ID_REQUIRED, valid until the member joins with one or its session passes. */
  readonly pendingMemberIds = new Map<string, () => void>()
  /** Static members: group.instance.id → the member id holding it now. */
  readonly staticMembers = new Map<string, string>()
  private cancelJoinTimer: (() => void) | null = null
  private initialDelay = false

  constructor(
    readonly groupId: string,
    private readonly clock: Clock,
    private readonly limits: ClassicGroupLimits,
    /** Called after any change that may have left the group empty and idle (the owner may forget it). */
    private readonly onIdle: (g: ClassicGroup) => void = () => {},
  ) {}

  /** No members, nobody waiting for a second join: nothing but a generation number would be lost by forgetting it. */
  isIdle(): boolean {
    return this.members.size === 0 && this.pendingMemberIds.size === 0
  }

  /** Where a new member (memberId '') goes; returns its id, or an error when the group is full. */
  reserveMemberId(id: string, sessionTimeoutMs: number): Result<string> {
    if (this.members.size + this.pendingMemberIds.size >= this.limits.membersMax) {
      return fail(ErrorCode.GROUP_MAX_SIZE_REACHED, `group ${this.groupId} has ${this.limits.membersMax} members already`)
    }
    this.pendingMemberIds.set(id, this.clock.setTimeout(() => {
      this.pendingMemberIds.delete(id)
      this.maybeCompleteJoin()
      this.onIdle(this)
    }, sessionTimeoutMs))
    return ok(id)
  }

  /** JoinGroup of a member with an id (a reserved one, or a known member rejoining). Answers when the join barrier completes. */
  join(req: ClassicJoin): Promise<Result<JoinGroupResponse>> {
    const problem = protocolProblem(req, this.groupId, this.protocolType, this.members.values())
    if (problem) return Promise.resolve(fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, problem))
    const known = this.members.get(req.memberId)
    const reserved = this.pendingMemberIds.get(req.memberId)
    if (!known && !reserved) return Promise.resolve(fail(ErrorCode.UNKNOWN_MEMBER_ID, `member ${req.memberId} is not in group ${this.groupId}`))
    return new Promise((resolve) => {
      if (reserved) {
        reserved()
        this.pendingMemberIds.delete(req.memberId)
      }
      if (!known) {
        if (this.members.size >= this.limits.membersMax) return resolve(fail(ErrorCode.GROUP_MAX_SIZE_REACHED, `group ${this.groupId} is full`))
        this.protocolType ??= req.protocolType
        const m: ClassicMember = { ...withoutType(req), assignment: EMPTY, awaitingJoin: resolve, awaitingSync: null, cancelSession: null }
        this.members.set(m.memberId, m)
        if (m.groupInstanceId !== null) this.staticMembers.set(m.groupInstanceId, m.memberId)
        this.prepareRebalance()
        return
      }
      const changed = !sameProtocols(known.protocols, req.protocols)
      Object.assign(known, withoutType(req))
      known.awaitingJoin?.(fail(ErrorCode.REBALANCE_IN_PROGRESS, 'a newer JoinGroup of this member replaced this one'))
      known.awaitingJoin = resolve
      if (this.state === 'PreparingRebalance') return this.maybeCompleteJoin()
      // A follower that lost its JoinGroup answer asks again: the current generation, no rebalance.
      if (!changed && known.memberId !== this.leaderId) {
        known.awaitingJoin = null
        this.armSession(known)
        return resolve(ok(this.joinAnswer(known)))
      }
      this.prepareRebalance()
    })
  }

  /** FENCED_INSTANCE_ID when another member id now holds `instanceId` (this one was replaced); null otherwise. */
  fencedProblem(memberId: string, instanceId: string | null | undefined): Result<never> | null {
    const holder = instanceId ? this.staticMembers.get(instanceId) : undefined
    if (holder === undefined || holder === memberId) return null
    return fail(ErrorCode.FENCED_INSTANCE_ID, `instance ${instanceId} of group ${this.groupId} is held by member ${holder}, not ${memberId}`)
  }

  /** A static member known by `instanceId` rejoins as `req.memberId` (new): it takes the old member's place (see the file comment). */
  replaceStatic(instanceId: string, req: ClassicJoin): Promise<Result<JoinGroupResponse>> {
    const oldId = this.staticMembers.get(instanceId)!
    const old = this.members.get(oldId)!
    // Judged against the other members: the old incarnation is the one being replaced.
    const problem = protocolProblem({ ...req, memberId: oldId }, this.groupId, this.protocolType, this.members.values())
    if (problem) return Promise.resolve(fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, problem))
    const fenced = fail(ErrorCode.FENCED_INSTANCE_ID, `member ${oldId} was replaced by ${req.memberId} (instance ${instanceId})`)
    old.cancelSession?.()
    old.awaitingJoin?.(fenced)
    old.awaitingSync?.(fenced)
    this.members.delete(oldId)
    const m: ClassicMember = { ...withoutType(req), assignment: old.assignment, awaitingJoin: null, awaitingSync: null, cancelSession: null }
    this.members.set(m.memberId, m)
    this.staticMembers.set(instanceId, m.memberId)
    const wasLeader = this.leaderId === oldId
    if (wasLeader) this.leaderId = m.memberId
    return new Promise((resolve) => {
      m.awaitingJoin = resolve
      if (this.state === 'PreparingRebalance') return this.maybeCompleteJoin()
      if (this.state === 'Stable' && !wasLeader && sameProtocols(old.protocols, req.protocols)) {
        m.awaitingJoin = null
        this.armSession(m)
        return resolve(ok(this.joinAnswer(m)))
      }
      this.prepareRebalance()
    })
  }

  sync(memberId: string, generationId: number, assignments: ReadonlyArray<{ memberId: string; assignment: Uint8Array }>, protocol: { type?: string | null; name?: string | null }): Promise<Result<SyncGroupResponse>> {
    const m = this.members.get(memberId)
    const bad = this.memberProblem(memberId, generationId)
    if (bad || !m) return Promise.resolve(bad ?? fail(ErrorCode.UNKNOWN_MEMBER_ID, memberId))
    if ((protocol.type && protocol.type !== this.protocolType) || (protocol.name && protocol.name !== this.protocolName)) {
      return Promise.resolve(fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `the group runs ${this.protocolType}/${this.protocolName}`))
    }
    if (this.state === 'PreparingRebalance') return Promise.resolve(fail(ErrorCode.REBALANCE_IN_PROGRESS, `group ${this.groupId} is rebalancing`))
    this.armSession(m)
    if (this.state === 'Stable') return Promise.resolve(ok(this.syncAnswer(m)))
    return new Promise((resolve) => {
      m.awaitingSync?.(fail(ErrorCode.REBALANCE_IN_PROGRESS, 'a newer SyncGroup of this member replaced this one'))
      m.awaitingSync = resolve
      if (memberId !== this.leaderId) return
      const given = new Map(assignments.map((a) => [a.memberId, a.assignment]))
      for (const member of this.members.values()) member.assignment = given.get(member.memberId) ?? EMPTY
      this.state = 'Stable'
      for (const member of this.members.values()) {
        const answer = member.awaitingSync
        member.awaitingSync = null
        answer?.(ok(this.syncAnswer(member)))
      }
    })
  }

  heartbeat(memberId: string, generationId: number): Result<Record<string, never>> {
    const bad = this.memberProblem(memberId, generationId)
    if (bad) return bad
    this.armSession(this.members.get(memberId)!)
    if (this.state === 'PreparingRebalance') return fail(ErrorCode.REBALANCE_IN_PROGRESS, `group ${this.groupId} is rebalancing: join again`)
    return ok({})
  }

  leave(memberId: string): number {
    if (this.pendingMemberIds.has(memberId)) {
      this.pendingMemberIds.get(memberId)!()
      this.pendingMemberIds.delete(memberId)
      this.onIdle(this)
      return ErrorCode.NONE
    }
    if (!this.members.has(memberId)) return ErrorCode.UNKNOWN_MEMBER_ID
    this.remove(memberId, fail(ErrorCode.UNKNOWN_MEMBER_ID, `member ${memberId} left group ${this.groupId}`))
    return ErrorCode.NONE
  }

  /**
   * Whether a member may commit offsets at `generationId` (Kafka's rules): an
   * empty group accepts generation -1 (an admin or standalone commit); else
   * the member must be known, of this generation, and not between the join
   * and sync barriers (it has no assignment then).
   */
  commitProblem(memberId: string, generationId: number): Result<void> {
    if (this.members.size === 0 && generationId < 0) return ok(undefined)
    if (this.state === 'CompletingRebalance' && this.members.has(memberId)) return fail(ErrorCode.REBALANCE_IN_PROGRESS, `group ${this.groupId} is rebalancing`)
    const bad = this.memberProblem(memberId, generationId)
    if (bad) return bad
    this.armSession(this.members.get(memberId)!)
    return ok(undefined)
  }

  /** The coordinator is leaving (unload, stop): every parked request gets `code`, every timer stops. */
  close(code: number): void {
    this.cancelJoinTimer?.()
    this.cancelJoinTimer = null
    for (const cancel of this.pendingMemberIds.values()) cancel()
    this.pendingMemberIds.clear()
    for (const m of this.members.values()) {
      m.cancelSession?.()
      m.awaitingJoin?.(fail(code, 'the coordinator moved'))
      m.awaitingSync?.(fail(code, 'the coordinator moved'))
    }
    this.members.clear()
    this.staticMembers.clear()
  }

  // ------------------------------------------------------------ barriers

  private prepareRebalance(): void {
    if (this.state === 'CompletingRebalance') {
      for (const m of this.members.values()) {
        m.awaitingSync?.(fail(ErrorCode.REBALANCE_IN_PROGRESS, `group ${this.groupId} is rebalancing again`))
        m.awaitingSync = null
      }
    }
    const wasEmpty = this.state === 'Empty'
    this.state = 'PreparingRebalance'
    if (this.cancelJoinTimer === null) {
      this.initialDelay = wasEmpty && this.limits.initialRebalanceDelayMs > 0
      const waitMs = this.initialDelay ? Math.min(this.limits.initialRebalanceDelayMs, this.rebalanceTimeoutMs()) : this.rebalanceTimeoutMs()
      this.cancelJoinTimer = this.clock.setTimeout(() => {
        this.cancelJoinTimer = null
        if (this.initialDelay) {
          this.initialDelay = false
          if (!this.allJoined()) {
            this.cancelJoinTimer = this.clock.setTimeout(() => this.completeJoin(), this.rebalanceTimeoutMs())
            return
          }
        }
        this.completeJoin()
      }, waitMs)
    }
    this.maybeCompleteJoin()
  }

  private allJoined(): boolean {
    for (const m of this.members.values()) if (m.awaitingJoin === null) return false
    return this.pendingMemberIds.size === 0
  }

  private maybeCompleteJoin(): void {
    if (this.state === 'PreparingRebalance' && !this.initialDelay && this.allJoined()) this.completeJoin()
  }

  private completeJoin(): void {
    if (this.state !== 'PreparingRebalance') return
    this.cancelJoinTimer?.()
    this.cancelJoinTimer = null
    this.initialDelay = false
    for (const m of [...this.members.values()]) {
      if (m.awaitingJoin === null) this.drop(m) // did not rejoin within the rebalance timeout
    }
    this.generationId++
    if (this.members.size === 0) {
      this.state = 'Empty'
      this.protocolType = null
      this.protocolName = null
      this.leaderId = null
      this.onIdle(this)
      return
    }
    this.state = 'CompletingRebalance'
    this.protocolName = chooseProtocol([...this.members.values()])
    if (this.leaderId === null || !this.members.has(this.leaderId)) this.leaderId = this.members.keys().next().value!
    for (const m of this.members.values()) {
      const answer = m.awaitingJoin!
      m.awaitingJoin = null
      m.assignment = EMPTY
      this.armSession(m)
      answer(ok(this.joinAnswer(m)))
    }
  }

  private joinAnswer(m: ClassicMember): JoinGroupResponse {
    const leader = m.memberId === this.leaderId
    const metadataOf = (x: ClassicMember) => x.protocols.find((p) => p.name === this.protocolName)?.metadata ?? EMPTY
    return {
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leader: this.leaderId ?? '',
      skipAssignment: false,
      memberId: m.memberId,
      members: leader ? [...this.members.values()].map((x) => ({ memberId: x.memberId, groupInstanceId: x.groupInstanceId, metadata: metadataOf(x) })) : [],
    }
  }

  private syncAnswer(m: ClassicMember): SyncGroupResponse {
    return { protocolType: this.protocolType, protocolName: this.protocolName, assignment: m.assignment }
  }

  // ------------------------------------------------------------ members

  private memberProblem(memberId: string, generationId: number): Result<never> | null {
    if (!this.members.has(memberId)) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `member ${memberId} is not in group ${this.groupId}`)
    if (generationId !== this.generationId) return fail(ErrorCode.ILLEGAL_GENERATION, `generation ${generationId} is not the group's ${this.generationId}`)
    return null
  }

  private armSession(m: ClassicMember): void {
    m.cancelSession?.()
    m.cancelSession = this.clock.setTimeout(() => {
      m.cancelSession = null
      if (this.members.get(m.memberId) !== m) return
      // Parked in a barrier: alive by Kafka's rules; the barrier's own timeout decides.
      if (m.awaitingJoin || m.awaitingSync) return this.armSession(m)
      this.remove(m.memberId, fail(ErrorCode.UNKNOWN_MEMBER_ID, 'session expired'))
    }, m.sessionTimeoutMs)
  }

  private remove(memberId: string, why: Result<never>): void {
    const m = this.members.get(memberId)!
    m.awaitingJoin?.(why)
    m.awaitingSync?.(why)
    m.awaitingJoin = m.awaitingSync = null
    this.drop(m)
    if (this.state === 'PreparingRebalance') this.maybeCompleteJoin()
    else this.prepareRebalance()
  }

  private drop(m: ClassicMember): void {
    m.cancelSession?.()
    this.members.delete(m.memberId)
    if (m.groupInstanceId !== null && this.staticMembers.get(m.groupInstanceId) === m.memberId) this.staticMembers.delete(m.groupInstanceId)
  }

  private rebalanceTimeoutMs(): number {
    let max = 0
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs)
    return max
  }
}

function withoutType(req: ClassicJoin): Omit<ClassicJoin, 'protocolType'> {
  const { protocolType: _type, ...rest } = req
  return rest
}
