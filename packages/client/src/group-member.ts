/**
 * This consumer's membership in its group, with KIP-848's single heartbeat RPC:
 * join with memberEpoch 0, heartbeat every heartbeatIntervalMs with the
 * partitions owned, reconcile each new assignment (revoke first, committing
 * offsets, then take the new partitions) while the heartbeats go on, lose
 * everything when fenced or when no heartbeat succeeded for the session
 * timeout, and leave with memberEpoch -1. The coordinator decides
 * assignments; this side only follows them in order.
 */
import { ApiKey, ErrorCode, TributaryError, type ConsumerGroupHeartbeatRequest, type TopicPartitions } from '@tributary/protocol'
import { backoffMs } from './backoff.js'
import type { Cluster } from './cluster.js'
import { Coordinators } from './coordinator.js'
import { asTributaryError, responseError } from './errors.js'
import { tpKey } from './list-offsets.js'

export interface TopicPartition { topic: string; partition: number }

export interface GroupMemberOptions {
  groupId: string
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
}

export interface MembershipListener {
  /** Newly owned: start consuming (after looking up committed offsets). */
  assigned(tps: TopicPartition[]): Promise<void>
  /** Given up in an orderly way: stop consuming, finish in-flight work, commit. */
  revoked(tps: TopicPartition[]): Promise<void>
  /** Taken away (fenced or expired): stop consuming; committing is no longer allowed. */
  lost(tps: TopicPartition[]): Promise<void>
  /** An error no retry will fix (e.g. an invalid group id). */
  fatal(err: TributaryError): void
}

/**
 * KIP-1082: the member picks its own id before it first joins and keeps it for every
 * retry, so a join whose answer was lost (a reset connection, a coordinator that
 * failed over) is taken as the same member again. With an id the coordinator picks,
 * the retry joins as a second member and the first stays behind as a zombie that
 * holds partitions nobody reads until its session (45 s) runs out. 128 random bits
 * from the client's random source, in hex.
 */
function newMemberId(random: () => number): string {
  let id = ''
  for (let i = 0; i < 16; i++) id += Math.floor(random() * 256).toString(16).padStart(2, '0')
  return id
}

/** Errors after which the member must rejoin from epoch 0, losing its partitions. */
const FENCED = new Set<number>([ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_MEMBER_EPOCH])
const HEARTBEAT_INTERVAL_MS_DEFAULT = 1_000

/**
 * Heartbeats and reconciliation run side by side: a revocation waiting for a
 * slow handler, or an assignment waiting for its committed offsets, must not
 * stop the heartbeats, or the coordinator expires the member. Each heartbeat
 * reports what is owned at that moment: a partition being revoked is still
 * owned, one being assigned is not yet.
 */
export class GroupMember {
  memberId = ''
  memberEpoch = 0
  private owned = new Map<string, TopicPartition>()
  /** The coordinator's latest assignment for us, as it named it (undefined until the first). */
  private target: TopicPartitions[] | undefined
  /** `target` resolved to names (a failed resolve leaves it unset, so the next heartbeat tries again). */
  private resolved: { from: TopicPartitions[]; tps: TopicPartition[] } | undefined
  private subscription: { names: string[] | null; regex: string | null } = { names: null, regex: null }
  private subscriptionSent = false
  private heartbeatIntervalMs = HEARTBEAT_INTERVAL_MS_DEFAULT
  private running: Promise<void> | undefined
  private stopping = false
  private wakeUp: (() => void) | undefined
  private failures = 0
  /** What we own changed since the last heartbeat: send the next one at once. */
  private reportNow = false
  /** The reconciliation in progress (never rejects). */
  private reconciling: Promise<void> | undefined
  /** Giving every partition up after the membership ended (never rejects). */
  private losing: Promise<void> | undefined
  /** Bumps when the membership ends: reconciliation steps and heartbeat answers from before no longer apply. */
  private generation = 0
  /** Fires when no heartbeat has succeeded for the session timeout. */
  private cancelSessionTimer: (() => void) | undefined

  constructor(
    private readonly cluster: Cluster,
    private readonly coordinators: Coordinators,
    private readonly opts: GroupMemberOptions,
    private readonly listener: MembershipListener,
  ) {}

  get groupId(): string {
    return this.opts.groupId
  }

  ownedPartitions(): TopicPartition[] {
    return [...this.owned.values()]
  }

  owns(topic: string, partition: number): boolean {
    return this.owned.has(tpKey(topic, partition))
  }

  subscribe(names: string[] | null, regex: string | null): void {
    this.subscription = { names, regex }
    this.subscriptionSent = false
    this.wakeUp?.()
  }

  start(): void {
    this.running ??= this.loop()
  }

  /** Leave the group: revoke everything (committing), then heartbeat with memberEpoch -1. */
  async leave(): Promise<void> {
    this.stopping = true
    this.wakeUp?.()
    await this.running
    await this.reconciling
    await this.losing
    const owned = this.ownedPartitions()
    if (owned.length > 0) await this.listener.revoked(owned).catch(() => {})
    this.owned.clear()
    this.target = undefined
    if (this.memberId !== '' && this.memberEpoch > 0) {
      await this.coordinators
        .call(this.opts.groupId, ApiKey.ConsumerGroupHeartbeat, { groupId: this.opts.groupId, memberId: this.memberId, memberEpoch: -1 }, { retries: 2, timeoutMs: 5_000 })
        .catch(() => {}) // the session timeout removes us anyway
    }
    this.memberEpoch = 0
  }

  private async loop(): Promise<void> {
    try {
      while (!this.stopping && !this.cluster.closed) {
        let delay: number
        try {
          await this.losing // no heartbeats while giving partitions up: the rejoin comes after
          await this.heartbeat()
          this.failures = 0
          // At once when what we own changed; and never so late that our own session runs out in between.
          delay = this.reportNow ? 0 : Math.min(this.heartbeatIntervalMs, Math.ceil(this.opts.sessionTimeoutMs / 3))
        } catch (err) {
          const e = asTributaryError(err)
          if (this.stopping || this.cluster.closed) break
          if (FENCED.has(e.code)) {
            await this.endMembership(e.code === ErrorCode.UNKNOWN_MEMBER_ID)
            delay = 0
          } else if (e.retriable || Coordinators.isRefind(e.code)) {
            this.coordinators.forget(this.opts.groupId)
            this.subscriptionSent = false
            delay = backoffMs(this.failures++, this.cluster.retry, this.cluster.random)
          } else {
            this.listener.fatal(e)
            break
          }
        }
        if (delay > 0 && !this.stopping) await this.pause(delay)
      }
    } finally {
      this.cancelSessionTimer?.()
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        cancel()
        this.wakeUp = undefined
        resolve()
      }
      const cancel = this.cluster.clock.setTimeout(done, ms)
      this.wakeUp = done
    })
  }

  /** One heartbeat; its answer updates the target, and reconciliation toward it starts beside the heartbeats. */
  private async heartbeat(): Promise<void> {
    const generation = this.generation
    this.reportNow = false
    const full = !this.subscriptionSent || this.memberEpoch === 0
    if (this.memberId === '') this.memberId = newMemberId(this.cluster.random)
    const body: ConsumerGroupHeartbeatRequest = {
      groupId: this.opts.groupId,
      memberId: this.memberId,
      memberEpoch: this.memberEpoch,
      clientId: this.cluster.clientId,
      rebalanceTimeoutMs: this.opts.rebalanceTimeoutMs,
      sessionTimeoutMs: this.opts.sessionTimeoutMs,
      subscribedTopicNames: full ? this.subscription.names ?? (this.subscription.regex === null ? [] : null) : null,
      subscribedTopicRegex: full ? this.subscription.regex : null,
      ownedPartitions: toTopicPartitions(this.ownedPartitions()),
    }
    const conn = await this.coordinators.find(this.opts.groupId)
    const r = await conn.request(ApiKey.ConsumerGroupHeartbeat, body, { timeoutMs: Math.min(this.cluster.requestTimeoutMs, this.opts.sessionTimeoutMs) })
    if (generation !== this.generation) return // our session ran out meanwhile: the next heartbeat rejoins
    if (r.errorCode !== ErrorCode.NONE) throw responseError(r.errorCode, (r.body as { errorMessage?: string })?.errorMessage, `heartbeat of group ${this.opts.groupId}`)
    this.subscriptionSent = true
    this.memberId = r.body.memberId
    this.memberEpoch = r.body.memberEpoch
    if (r.body.heartbeatIntervalMs > 0) this.heartbeatIntervalMs = r.body.heartbeatIntervalMs
    this.armSessionTimer()
    // null = unchanged: keep reconciling toward the last assignment (a failed step is retried).
    if (r.body.assignment) this.target = r.body.assignment.topics
    this.startReconciling()
  }

  /**
   * As KIP-848 clients do: once no heartbeat has succeeded for the session
   * timeout, the coordinator has (or may have) expired us and handed our
   * partitions to others, so we stop consuming them now rather than share them.
   */
  private armSessionTimer(): void {
    this.cancelSessionTimer?.()
    this.cancelSessionTimer = this.cluster.clock.setTimeout(() => {
      if (!this.stopping && !this.cluster.closed) void this.endMembership(false)
    }, this.opts.sessionTimeoutMs)
  }

  /**
   * The coordinator no longer counts us as a member (fenced, or our session
   * ran out): every partition is lost, without committing, once the
   * reconciliation step in flight has finished; then we rejoin with epoch 0.
   */
  private endMembership(forgetId: boolean): Promise<void> {
    this.generation++
    this.cancelSessionTimer?.()
    if (forgetId) this.memberId = ''
    this.memberEpoch = 0
    this.subscriptionSent = false
    this.target = undefined
    this.losing ??= this.loseAll().finally(() => {
      this.losing = undefined
      this.wakeUp?.()
    })
    return this.losing
  }

  private async loseAll(): Promise<void> {
    await this.reconciling
    const owned = this.ownedPartitions()
    this.owned.clear()
    if (owned.length > 0) await this.listener.lost(owned).catch(() => {})
  }

  private startReconciling(): void {
    if (this.reconciling || this.losing || this.stopping || !this.target) return
    this.reconciling = this.reconcile(this.generation)
      .catch(() => {}) // a failed step (e.g. the offset lookup) is tried again after the next heartbeat
      .finally(() => {
        this.reconciling = undefined
      })
  }

  /**
   * Revoke first (the listener commits), then take the new partitions, one
   * step at a time until we own the latest target. `owned` changes only once a
   * step's listener is done, whatever happened meanwhile: a loss waits for this
   * and then gives up exactly what is being consumed.
   */
  private async reconcile(generation: number): Promise<void> {
    const current = (): boolean => generation === this.generation && !this.stopping
    while (current() && this.target) {
      const want = new Map((await this.resolvedTarget(this.target)).map((tp) => [tpKey(tp.topic, tp.partition), tp]))
      if (!current()) return
      const revoked = [...this.owned].filter(([k]) => !want.has(k)).map(([, tp]) => tp)
      const added = [...want].filter(([k]) => !this.owned.has(k)).map(([, tp]) => tp)
      if (revoked.length > 0) {
        await this.listener.revoked(revoked)
        for (const tp of revoked) this.owned.delete(tpKey(tp.topic, tp.partition))
      } else if (added.length > 0) {
        await this.listener.assigned(added)
        for (const tp of added) this.owned.set(tpKey(tp.topic, tp.partition), tp)
      } else {
        return
      }
      this.reportNow = true
      this.wakeUp?.()
    }
  }

  /** The target's partitions by name, resolved once per target (heartbeats reconcile an unchanged one often). */
  private async resolvedTarget(target: TopicPartitions[]): Promise<TopicPartition[]> {
    if (this.resolved?.from !== target) this.resolved = { from: target, tps: await this.resolveNames(target) }
    return this.resolved.tps
  }

  /** Assignments may name topics by id only: map them through metadata. */
  private async resolveNames(topics: TopicPartitions[]): Promise<TopicPartition[]> {
    const byId = async (id: string): Promise<string | undefined> => {
      const find = (): string | undefined => [...this.cluster.metadata.topics.values()].find((t) => t.topicId === id)?.name
      if (find() === undefined) await this.cluster.refreshMetadata()
      return find()
    }
    const out: TopicPartition[] = []
    for (const t of topics) {
      const name = t.topic || (t.topicId ? await byId(t.topicId) : undefined)
      if (name === undefined) throw new TributaryError(ErrorCode.UNKNOWN_TOPIC_ID, `assignment names unknown topic id ${t.topicId}`)
      for (const partition of t.partitions) out.push({ topic: name, partition })
    }
    return out
  }
}

export function toTopicPartitions(tps: TopicPartition[]): TopicPartitions[] {
  const byTopic = new Map<string, number[]>()
  for (const tp of tps) {
    let ps = byTopic.get(tp.topic)
    if (!ps) byTopic.set(tp.topic, (ps = []))
    ps.push(tp.partition)
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) }))
}
