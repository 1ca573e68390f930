/**
 * The follower side of replication: one fetcher per leader broker, pulling all the
 * partitions this broker follows there with one long-polling Fetch at a time
 * (replicaId = our node id, fetchOffset = our LEO, lastFetchedEpoch). A partition
 * joining the fetcher (a new leader or a new leader epoch) first asks
 * OffsetForLeaderEpoch and truncates its divergent tail (docs/ARCHITECTURE.md,
 * "Replication"); Fetch's divergingEpoch covers what slips through. Fetches go in
 * an incremental fetch session (KIP-227): after the first, a fetch names only the
 * partitions whose position moved, and the answer only those with news.
 */
import { ApiKey, ErrorCode, FetchSessionBuilder, topicPartitionKey, type FetchPartitionResponse, type FetchResponse, type OffsetForLeaderEpochResponse, type RpcResponse, type SessionPartition } from '@tributary/protocol'
import { escalateViolation } from '../invariants.js'
import { errorFields } from '../log-limit.js'
import type { ReplicaHost } from './host.js'
import type { Partition } from './partition.js'

/** Slack on top of the long-poll wait before a follower fetch counts as lost. */
export const REPLICA_FETCH_TIMEOUT_SLACK_MS = 5000
/**
 * What one fetch copies in all for the throttled replicas being added. The
 * throttle bounds bytes per second, not per answer: at 20 MB/s its one second of
 * burst let one answer carry 8 MiB (replicaFetchMaxBytes), which the leader
 * reads and sends, and this broker writes, in one piece while acks=all writes
 * wait behind it. Smaller answers spread the same copy into slices. 2 MiB still
 * copies 40 MB/s at a 50 ms round trip, over the rates a throttle is set to.
 */
export const THROTTLED_FETCH_BYTES_MAX = 2 * 1024 * 1024

interface FetchState {
  p: Partition
  /** the leader epoch this state follows; a new epoch means a new state */
  leaderEpoch: number
  needsTruncation: boolean
  /** after a partition-level error: left out of requests until then, so one bad partition cannot spin the rest */
  retryAtMs: number
  /**
   * Our log reached the leader's HW at its last answer: an adding replica this
   * close is not throttled (Kafka's isReplicaInSync), since the leader is about to
   * count it in the ISR, and then every acks=all write waits on its next fetch.
   */
  caughtUp: boolean
}

export class FollowerFetcher {
  private readonly states = new Map<Partition, FetchState>()
  private running = false
  private stopped = false
  private cancelBackoff: (() => void) | null = null
  private wakeBackoff: (() => void) | null = null
  /** our side of the fetch session with this leader */
  readonly session: FetchSessionBuilder

  constructor(
    readonly leaderId: number,
    private readonly host: ReplicaHost,
  ) {
    this.session = new FetchSessionBuilder(host.config.replicaFetchSessions)
  }

  get size(): number {
    return this.states.size
  }

  /** Follow `p` (in its current leader epoch) from this leader, truncating first. */
  add(p: Partition): void {
    this.states.set(p, { p, leaderEpoch: p.leaderEpoch, needsTruncation: true, retryAtMs: 0, caughtUp: false })
    this.wakeBackoff?.()
    this.kick()
  }

  remove(p: Partition): void {
    this.states.delete(p)
  }

  /** The follower throttle's rate changed: replicas being added that wait on the old rate look again now. */
  throttleChanged(): void {
    const now = this.host.clock.now()
    for (const s of this.states.values()) if (s.retryAtMs > now && this.host.isAddingReplica(s.p.topic, s.p.partition, this.host.nodeId)) s.retryAtMs = now
    this.wakeBackoff?.()
  }

  stop(): void {
    this.stopped = true
    this.cancelBackoff?.()
    this.wakeBackoff?.()
  }

  private kick(): void {
    if (!this.running && !this.stopped && this.states.size > 0) void this.loop()
  }

  private async loop(): Promise<void> {
    this.running = true
    try {
      while (!this.stopped && this.states.size > 0) {
        let progressed: boolean
        try {
          const nowMs = this.host.clock.now()
          const ready = [...this.states.values()].filter((s) => s.retryAtMs <= nowMs)
          const truncating = ready.filter((s) => s.needsTruncation)
          if (ready.length === 0) progressed = false
          else progressed = truncating.length > 0 ? await this.truncate(truncating) : await this.fetch(ready)
        } catch (err) {
          escalateViolation(err)
          this.host.limitedLog.warn(`replica fetch failed:${this.leaderId}`, { ...errorFields(err), leader: this.leaderId }, 'replica fetch failed')
          progressed = false
        }
        if (!progressed) await this.backoff()
      }
    } finally {
      this.running = false
    }
  }

  private backoff(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.cancelBackoff?.()
        this.cancelBackoff = null
        this.wakeBackoff = null
        resolve()
      }
      this.wakeBackoff = done
      this.cancelBackoff = this.host.clock.setTimeout(done, this.host.config.replicaFetchBackoffMs)
    })
  }

  private current(s: FetchState | undefined): s is FetchState {
    return s !== undefined && this.states.get(s.p) === s && !s.p.closed && s.p.role === 'follower' && s.p.leaderEpoch === s.leaderEpoch && s.p.leaderId === this.leaderId
  }

  private request<B>(apiKey: number, body: unknown, timeoutMs: number): Promise<RpcResponse<B> | null> {
    return this.host.peers.request<B>(this.leaderId, apiKey, body, { timeoutMs }).catch((err: unknown) => {
      this.host.logger.debug({ err, leader: this.leaderId }, 'replica request failed')
      return null
    })
  }

  // ------------------------------------------------------------ truncation

  private async truncate(states: FetchState[]): Promise<boolean> {
    const asked = new Map<string, { s: FetchState; epoch: number }>()
    const byTopic = new Map<string, Array<{ partition: number; currentLeaderEpoch: number; leaderEpoch: number }>>()
    for (const s of states) {
      const epoch = s.p.log.latestEpoch()
      if (epoch < 0 || s.p.logEndOffset() === s.p.logStartOffset()) {
        s.needsTruncation = false // nothing of ours can diverge
        continue
      }
      asked.set(topicPartitionKey(s.p.topic, s.p.partition), { s, epoch })
      const list = byTopic.get(s.p.topic) ?? []
      list.push({ partition: s.p.partition, currentLeaderEpoch: s.leaderEpoch, leaderEpoch: epoch })
      byTopic.set(s.p.topic, list)
    }
    if (asked.size === 0) return true
    const body = { replicaId: this.host.nodeId, topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) }
    const resp = await this.request<OffsetForLeaderEpochResponse>(ApiKey.OffsetForLeaderEpoch, body, this.host.config.requestTimeoutMsMax)
    if (resp === null || resp.errorCode !== ErrorCode.NONE || !Array.isArray(resp.body?.topics)) return false
    for (const t of resp.body.topics) {
      for (const r of t.partitions ?? []) {
        const entry = asked.get(topicPartitionKey(t.topic, r.partition))
        if (entry === undefined || !this.current(entry.s)) continue
        if (r.errorCode !== ErrorCode.NONE) {
          entry.s.retryAtMs = this.host.clock.now() + this.host.config.replicaFetchBackoffMs
          continue
        }
        const { s, epoch } = entry
        await s.p.exclusive(async () => {
          if (!this.current(s)) return
          await s.p.truncateTo(this.truncationOffset(s.p, epoch, r.leaderEpoch, r.endOffset))
          s.needsTruncation = false
        })
      }
    }
    return true
  }

  /** Where our log stops agreeing with the leader's, given its answer for `epoch`. */
  private truncationOffset(p: Partition, askedEpoch: number, leaderEpoch: number, leaderEndOffset: number): number {
    const leo = p.logEndOffset()
    if (leaderEpoch < 0) return Math.min(p.highWatermark(), leo) // the leader remembers nothing that old
    if (leaderEpoch === askedEpoch) return Math.min(leaderEndOffset, leo)
    const mine = p.log.endOffsetForEpoch(leaderEpoch)
    if (mine.epoch < 0) return Math.min(leaderEndOffset, p.highWatermark(), leo)
    return Math.min(leaderEndOffset, mine.endOffset, leo)
  }

  // ------------------------------------------------------------ fetching

  private async fetch(ready: FetchState[]): Promise<boolean> {
    const sent = new Map<string, { s: FetchState; fetchOffset: number }>()
    const wanted: SessionPartition[] = []
    const cfg = this.host.config
    // Replicas being added by a reassignment share what the throttle allows now (reassignment-throttle.ts) in equal
    // parts, so each moves at once and none waits for another's copy to finish (a fetch may overdraw by a batch each).
    const throttle = this.host.followerThrottle
    const throttled = new Set(ready.filter((s) => throttle.enabled && !s.caughtUp && this.current(s) && this.host.isAddingReplica(s.p.topic, s.p.partition, this.host.nodeId)))
    const budget = throttled.size > 0 ? throttle.available() : Infinity
    const share = Math.max(1, Math.floor(Math.min(budget, THROTTLED_FETCH_BYTES_MAX) / Math.max(1, throttled.size)))
    for (const s of ready) {
      if (!this.current(s)) continue
      let partitionMaxBytes = cfg.replicaFetchMaxBytes
      if (throttled.has(s)) {
        if (budget < 1) {
          s.retryAtMs = this.host.clock.now() + Math.max(1, throttle.msUntilAvailable())
          throttled.delete(s)
          continue
        }
        partitionMaxBytes = Math.min(partitionMaxBytes, share)
      }
      const fetchOffset = s.p.logEndOffset()
      sent.set(topicPartitionKey(s.p.topic, s.p.partition), { s, fetchOffset })
      wanted.push({
        topic: s.p.topic,
        partition: s.p.partition,
        fetchOffset,
        currentLeaderEpoch: s.leaderEpoch,
        lastFetchedEpoch: s.p.log.latestEpoch(),
        partitionMaxBytes,
      })
    }
    if (sent.size === 0) return false
    const session = this.session.build(wanted)
    const body = {
      replicaId: this.host.nodeId,
      replicaEpoch: this.host.brokerEpoch(),
      maxWaitMs: cfg.replicaFetchWaitMaxMs,
      minBytes: 1,
      maxBytes: cfg.replicaFetchMaxBytes,
      sessionId: session.sessionId,
      sessionEpoch: session.sessionEpoch,
      topics: session.topics,
      forgottenTopics: session.forgottenTopics,
    }
    const resp = await this.request<FetchResponse>(ApiKey.Fetch, body, cfg.replicaFetchWaitMaxMs + REPLICA_FETCH_TIMEOUT_SLACK_MS)
    if (resp === null) {
      this.session.failed()
      return false
    }
    this.session.answered(session, resp.errorCode, resp.body?.sessionId)
    if (resp.errorCode === ErrorCode.FETCH_SESSION_ID_NOT_FOUND || resp.errorCode === ErrorCode.INVALID_FETCH_SESSION_EPOCH) return true // full fetch next, at once
    if (resp.errorCode !== ErrorCode.NONE || !Array.isArray(resp.body?.topics)) return false
    const work: Array<Promise<void>> = []
    for (const t of resp.body.topics) {
      for (const r of t.partitions ?? []) {
        const entry = sent.get(topicPartitionKey(t.topic, r.partition))
        if (entry === undefined) continue
        if (throttled.has(entry.s) && r.records instanceof Uint8Array) this.host.followerThrottle.consume(r.records.byteLength)
        work.push(
          this.handlePartition(entry.s, entry.fetchOffset, r).then((ok) => {
            if (!ok) entry.s.retryAtMs = this.host.clock.now() + cfg.replicaFetchBackoffMs
          }),
        )
      }
    }
    await Promise.all(work)
    return true
  }

  /** Apply one partition of a fetch response; false when it needs a pause before the next try. */
  private handlePartition(s: FetchState, fetchOffset: number, r: FetchPartitionResponse): Promise<boolean> {
    const p = s.p
    return p.exclusive(async () => {
      if (!this.current(s) || p.logEndOffset() !== fetchOffset) return true // moved on meanwhile
      if (r.errorCode === ErrorCode.NONE) {
        if (r.divergingEpoch) {
          const { epoch, endOffset } = r.divergingEpoch
          await p.truncateTo(this.truncationOffset(p, -2, epoch, endOffset))
          return true
        }
        const records = r.records instanceof Uint8Array ? r.records : new Uint8Array(0)
        const appended = await p.appendFromLeader(records, r.highWatermark)
        if (!appended.ok) {
          this.host.logger.warn({ topic: p.topic, partition: p.partition, message: appended.message }, 'leader sent bad batches')
          return false
        }
        s.caughtUp = p.logEndOffset() >= r.highWatermark
        // The leader's log start moved (DeleteRecords, its retention): follow it up to our HW.
        if (r.logStartOffset > p.logStartOffset()) await p.advanceLogStart(r.logStartOffset, p.highWatermark())
        return true
      }
      if (r.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
        if (fetchOffset < r.logStartOffset) await p.truncateFullyAndStartAt(r.logStartOffset)
        else if (r.logEndOffset !== undefined && r.logEndOffset >= 0 && fetchOffset > r.logEndOffset) await p.truncateTo(Math.max(r.logEndOffset, p.highWatermark()))
        return true
      }
      // NOT_LEADER / FENCED / UNKNOWN_LEADER_EPOCH ...: metadata will move us; pause meanwhile
      return false
    })
  }
}
