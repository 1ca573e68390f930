/**
 * One consumer group as its coordinator holds it in memory: group epoch,
 * members, target assignment, who holds which partition, committed offsets.
 *
 * Every mutation marks what must be persisted; the coordinator drains that
 * (takeDirty) after each operation and appends it to `__consumer_offsets`, so the
 * log replays to exactly this state (offsets-store.ts). Pure: no I/O, no clock.
 */
import { assignPartitions } from './assignor.js'
import { isReconciled, reconcile, type MemberAssignment } from './reconciliation.js'
import { topicOf, type PartitionSet, type ReadonlyPartitionSet } from './topic-partitions.js'

export type GroupStateName = 'empty' | 'assigning' | 'reconciling' | 'stable'

export interface MemberState extends MemberAssignment {
  memberId: string
  clientId: string
  subscribedTopicNames: string[]
  /** '' never: null when the member subscribes by names only. */
  subscribedTopicRegex: string | null
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  /** The assignment last put in a response; null = send it again (new member, failover, failed write). Not persisted. */
  lastSent: ReadonlyPartitionSet | null
  /** With an authorizer: whether the member's principal may Read a topic (from its latest heartbeat's connection). Not persisted. */
  canRead?: (topic: string) => boolean
}

export interface CommittedOffset {
  offset: number
  leaderEpoch: number
  metadata: string | null
  commitTimestamp: number
}

/** The topics of the metadata image, as the assignor needs them. */
export interface TopicsView {
  /** Bumps whenever a topic or partition appears or disappears. */
  version: number
  partitionCounts: ReadonlyMap<string, number>
  topicIds: ReadonlyMap<string, string>
  /** Non-internal topic names, the only ones a regex may match (as in Kafka). */
  regexCandidates: readonly string[]
  /** An authorizer is on: a regex matches only topics the member may Read (none until its first heartbeat here). */
  authorizing?: boolean
}

export class ConsumerGroup {
  groupEpoch = 0
  /** The group epoch the current target was computed at. */
  assignmentEpoch = 0
  readonly members = new Map<string, MemberState>()
  readonly target = new Map<string, PartitionSet>()
  /** partition key → the member holding it (assigned or pending revocation). */
  readonly owners = new Map<string, string>()
  /** Durable committed offsets: what OffsetFetch serves. */
  readonly offsets = new Map<string, CommittedOffset>()
  /** Appended but not yet durable, newest per partition: what commit validation compares with. */
  readonly pendingOffsets = new Map<string, CommittedOffset>()

  /** The subscribed topics and their partition counts when the target was last computed. */
  metadataSignature = ''
  private topicsVersionSeen = -1
  private dirtyGroup = false
  private readonly dirtyMembers = new Set<string>()
  /** memberId → its regex, compiled (anchored) once. */
  private readonly regexCache = new Map<string, { source: string; re: RegExp }>()

  constructor(readonly groupId: string) {}

  state(): GroupStateName {
    if (this.members.size === 0) return 'empty'
    if (this.assignmentEpoch < this.groupEpoch) return 'assigning'
    for (const m of this.members.values()) {
      if (!isReconciled(m, this.target.get(m.memberId) ?? new Set(), this.assignmentEpoch)) return 'reconciling'
    }
    return 'stable'
  }

  bumpGroupEpoch(): void {
    this.groupEpoch++
    this.dirtyGroup = true
  }

  addMember(m: MemberState): void {
    this.members.set(m.memberId, m)
    this.dirtyMembers.add(m.memberId)
    this.bumpGroupEpoch()
  }

  /** Leave, session expiry, fencing: its partitions are free at once (it is gone, it cannot consume them). */
  removeMember(memberId: string): boolean {
    const m = this.members.get(memberId)
    if (!m) return false
    this.releaseAll(m)
    this.members.delete(memberId)
    this.target.delete(memberId)
    this.regexCache.delete(memberId)
    this.dirtyMembers.add(memberId)
    this.bumpGroupEpoch()
    return true
  }

  /** A member that rejoins with epoch 0 starts over: nothing held, a fresh epoch. */
  resetMember(memberId: string): void {
    const m = this.members.get(memberId)!
    this.releaseAll(m)
    m.assigned = new Set()
    m.pendingRevocation = new Set()
    m.memberEpoch = 0
    m.previousMemberEpoch = -1
    m.lastSent = null
    this.dirtyMembers.add(memberId)
    this.bumpGroupEpoch()
  }

  markMemberDirty(memberId: string): void {
    this.dirtyMembers.add(memberId)
  }

  /**
   * Bumps the group epoch when the partitions of the subscribed topics changed
   * (new partitions, topics created, deleted, or newly matching a regex).
   */
  refreshSubscriptionMetadata(topics: TopicsView): void {
    if (this.assignmentEpoch < this.groupEpoch || topics.version === this.topicsVersionSeen) return
    this.topicsVersionSeen = topics.version
    if (this.subscriptionSignature(topics) !== this.metadataSignature) this.bumpGroupEpoch()
  }

  subscribedTopics(m: MemberState, topics: TopicsView): Set<string> {
    const out = new Set<string>()
    for (const t of m.subscribedTopicNames) if (topics.partitionCounts.has(t)) out.add(t)
    if (m.subscribedTopicRegex !== null) {
      const re = this.regexFor(m)
      const readable = m.canRead ?? (() => topics.authorizing !== true)
      for (const t of topics.regexCandidates) if (re.test(t) && readable(t)) out.add(t)
    }
    return out
  }

  /** Recomputes the target when the group epoch moved past it. */
  ensureTarget(topics: TopicsView): void {
    if (this.assignmentEpoch >= this.groupEpoch) return
    const members = [...this.members.values()].map((m) => ({ memberId: m.memberId, topics: this.subscribedTopics(m, topics) }))
    const previous = new Map<string, ReadonlyPartitionSet>()
    for (const m of this.members.values()) {
      previous.set(m.memberId, this.target.get(m.memberId) ?? new Set([...m.assigned, ...m.pendingRevocation]))
    }
    const next = assignPartitions({ members, partitionCounts: topics.partitionCounts, previous })
    for (const [memberId, set] of next) {
      const before = this.target.get(memberId)
      if (!before || before.size !== set.size || [...set].some((k) => !before.has(k))) this.dirtyMembers.add(memberId)
      this.target.set(memberId, set)
    }
    this.assignmentEpoch = this.groupEpoch
    this.metadataSignature = this.subscriptionSignature(topics)
    this.topicsVersionSeen = topics.version
    this.dirtyGroup = true
  }

  private subscriptionSignature(topics: TopicsView): string {
    const subscribed = new Set<string>()
    for (const m of this.members.values()) for (const t of this.subscribedTopics(m, topics)) subscribed.add(t)
    return [...subscribed].sort().map((t) => `${t}:${topics.partitionCounts.get(t)}`).join(',')
  }

  /** Moves one member toward its target (see reconciliation.ts); returns true if what it may own changed. */
  reconcileMember(memberId: string, owned: ReadonlyPartitionSet | null): boolean {
    const m = this.members.get(memberId)!
    const next = reconcile({
      current: m,
      target: this.target.get(memberId) ?? new Set(),
      targetEpoch: this.assignmentEpoch,
      owned,
      heldByOther: (k) => {
        const holder = this.owners.get(k)
        return holder !== undefined && holder !== memberId
      },
    })
    const changed =
      next.memberEpoch !== m.memberEpoch ||
      !sameSet(next.assigned, m.assigned) ||
      !sameSet(next.pendingRevocation, m.pendingRevocation)
    if (!changed) return false
    this.releaseAll(m)
    Object.assign(m, next)
    this.holdAll(m)
    this.dirtyMembers.add(memberId)
    return true
  }

  /** Re-derive owners from members (after a replay). */
  rebuildOwners(): void {
    this.owners.clear()
    for (const m of this.members.values()) this.holdAll(m)
  }

  /** Drops committed offsets of a deleted topic; returns their keys (to tombstone). */
  dropTopicOffsets(topic: string): string[] {
    const keys = new Set<string>()
    for (const map of [this.offsets, this.pendingOffsets]) {
      for (const k of map.keys()) if (topicOf(k) === topic) keys.add(k)
    }
    for (const k of keys) {
      this.offsets.delete(k)
      this.pendingOffsets.delete(k)
    }
    return [...keys]
  }

  /** What changed since the last call: the group record and member records (a member id no longer present = tombstone). */
  takeDirty(): { group: boolean; members: string[] } {
    const out = { group: this.dirtyGroup, members: [...this.dirtyMembers] }
    this.dirtyGroup = false
    this.dirtyMembers.clear()
    return out
  }

  private regexFor(m: MemberState): RegExp {
    const source = m.subscribedTopicRegex!
    let entry = this.regexCache.get(m.memberId)
    if (!entry || entry.source !== source) {
      entry = { source, re: new RegExp(anchored(source)) }
      this.regexCache.set(m.memberId, entry)
    }
    return entry.re
  }

  private releaseAll(m: MemberAssignment & { memberId: string }): void {
    for (const set of [m.assigned, m.pendingRevocation]) {
      for (const k of set) if (this.owners.get(k) === m.memberId) this.owners.delete(k)
    }
  }

  private holdAll(m: MemberAssignment & { memberId: string }): void {
    for (const set of [m.assigned, m.pendingRevocation]) for (const k of set) this.owners.set(k, m.memberId)
  }
}

/** Kafka matches the whole topic name (Pattern.matches), not a substring. */
export function anchored(regex: string): string {
  return `^(?:${regex})$`
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false
  for (const k of a) if (!b.has(k)) return false
  return true
}
