/**
 * One hosted replica of one partition: its log, its role (leader of an epoch,
 * follower of a leader, or none), the leader's ISR bookkeeping and high watermark,
 * the idempotent producer table, parked acks=all requests, and the signals that
 * wake parked fetches. Every log mutation (leader group append, follower append,
 * truncation, cleaning, producer-state checkpoint) runs through `exclusive`: this
 * is what orders writes to a partition (the whole write path, stage by stage, is in
 * docs/ARCHITECTURE.md, "Life of a produce").
 */
import { ErrorCode, splitBatches, type BatchSlice, type Result } from '@tributary/protocol'
import type { PartitionLog, ReadResult } from '@tributary/storage'
import type { PartitionState } from '../metadata/image-types.js'
import type { Invariants } from '../invariants.js'
import type { Clock } from '../seams.js'
import { DelayedProduce } from './delayed-produce.js'
import { LeaderState } from './leader-state.js'
import { LeaderAppender, type AppendOutcome } from './leader-append.js'
import { IsrChangeBackoff } from './isr-change-backoff.js'
import { PartitionStats, type IsrStats, type TrafficStats } from './partition-stats.js'
import { ProducerStateTable, type ProducerStateBudget } from './producer-state.js'
import { loadProducerState } from './producer-state-replay.js'
import { SerialExecutor } from '../serial-executor.js'
import { Signal } from './signal.js'
import type { TopicSettings } from './topic-settings.js'

/** An AlterPartition the controller accepted but whose PartitionChange never arrived is forgotten after this. */
export const ISR_CHANGE_PENDING_MS_MAX = 5000

export type Role = 'leader' | 'follower' | 'none'

export interface PartitionEnv {
  nodeId: number
  clock: Clock
  replicaLagTimeMaxMs: number
  settings(topicId: string): TopicSettings
  /** May this broker be in an ISR (registered, unfenced)? */
  isEligible(nodeId: number): boolean
  /** Send AlterPartition for this partition (the answer arrives as metadata, or as a call to `isrChangeFailed`). */
  proposeIsr(p: Partition, newIsr: number[]): void
  /** The topic's traffic counters on this broker (the partition's add to them). */
  topicStats(topic: string): TrafficStats
  /** This broker's ISR change counters. */
  isrStats: IsrStats
  /** Where the partition's invariants are checked (invariants.ts). */
  invariants: Invariants
  /** The node-wide bound on idempotent producer entries (producer-state.ts). */
  producerBudget?: ProducerStateBudget
}

export type Transition = 'became-leader' | 'became-follower' | 'isr-changed' | 'unchanged'

export class Partition {
  role: Role = 'none'
  leaderId = -1
  leaderEpoch = -1
  partitionEpoch = -1
  replicas: number[] = []
  /** the ISR committed in metadata: its one owner (the leader's LeaderState reads it) */
  isr: number[] = []
  leaderState: LeaderState | null = null
  readonly producers: ProducerStateTable
  /** The log end offset the stored producer table reflects (-1: none stored this run). */
  private producerCheckpointOffset = -1
  readonly appender: LeaderAppender
  readonly delayed: DelayedProduce
  /** fires when the LEO grows or the role changes */
  readonly dataSignal = new Signal()
  /** fires when the HW grows or the role changes */
  readonly hwSignal = new Signal()
  private readonly executor = new SerialExecutor()
  private readonly isrBackoff = new IsrChangeBackoff()
  closed = false
  /** Traffic counters for /metrics (partition-stats.ts). */
  readonly stats: PartitionStats

  private constructor(
    readonly topic: string,
    readonly topicId: string,
    readonly partition: number,
    readonly log: PartitionLog,
    private readonly env: PartitionEnv,
  ) {
    this.producers = new ProducerStateTable(env.producerBudget ?? null)
    this.delayed = new DelayedProduce(env.clock)
    this.stats = new PartitionStats(env.topicStats(topic))
    this.appender = new LeaderAppender({
      log,
      producers: this.producers,
      leaderEpochForAppend: () => (this.role === 'leader' && !this.closed ? this.leaderEpoch : null),
      exclusive: (fn) => this.exclusive(fn),
      afterAssign: () => this.dataSignal.fire(),
      afterAppend: () => this.afterLeaderAppend(),
      nowMs: () => env.clock.now(),
      setTimeout: (fn, ms) => env.clock.setTimeout(fn, ms),
    })
  }

  /** Wraps an opened log and rebuilds the producer table (checkpoint + log tail). */
  static async open(topic: string, topicId: string, partition: number, log: PartitionLog, env: PartitionEnv): Promise<Partition> {
    const p = new Partition(topic, topicId, partition, log, env)
    await p.exclusive(async () => {
      p.producerCheckpointOffset = await loadProducerState(log, p.producers, env.clock.now())
    })
    return p
  }

  get settings(): TopicSettings {
    return this.env.settings(this.topicId)
  }

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.executor.run(fn)
  }

  highWatermark(): number {
    return this.log.highWatermark()
  }

  logEndOffset(): number {
    return this.log.logEndOffset()
  }

  logStartOffset(): number {
    return this.log.logStartOffset()
  }

  // ------------------------------------------------------------ role changes

  /** Apply the partition's state from metadata. */
  applyState(ps: PartitionState): Transition {
    // Metadata is applied in log order: a leader epoch older than ours would undo an election.
    const fields = (): Record<string, unknown> => ({ topic: this.topic, partition: this.partition, leaderEpoch: this.leaderEpoch, state: ps })
    if (!this.env.invariants.check(ps.leaderEpoch >= this.leaderEpoch, 'leader epochs only grow', fields)) return 'unchanged'
    // The controller elects only from the ISR (an unclean election makes the ISR the leader alone).
    if (ps.leader === this.env.nodeId && !this.env.invariants.check(ps.isr.includes(ps.leader), 'a leader is in its ISR', fields)) return 'unchanged'
    const wasLeader = this.role === 'leader'
    const epochChanged = ps.leaderEpoch !== this.leaderEpoch
    if (wasLeader && !epochChanged && ps.leader === this.env.nodeId) this.env.isrStats.changed(this.isr, ps.isr)
    if (epochChanged || ps.partitionEpoch !== this.partitionEpoch) {
      this.isrBackoff.reset()
    }
    this.replicas = [...ps.replicas]
    this.isr = [...ps.isr]
    this.partitionEpoch = ps.partitionEpoch
    const nowMs = this.env.clock.now()
    if (ps.leader === this.env.nodeId) {
      if (!wasLeader || epochChanged) {
        this.becomeLeader(ps, nowMs)
        return 'became-leader'
      }
      this.leaderState!.setReplicas(ps.replicas, nowMs)
      this.leaderState!.isrCommitted()
      this.maybeAdvanceHighWatermark()
      return 'isr-changed'
    }
    if (wasLeader || epochChanged || ps.leader !== this.leaderId || this.role === 'none') {
      this.becomeFollower(ps)
      return 'became-follower'
    }
    return 'unchanged'
  }

  private becomeLeader(ps: PartitionState, nowMs: number): void {
    this.role = 'leader'
    this.leaderId = this.env.nodeId
    this.leaderEpoch = ps.leaderEpoch
    this.leaderState = new LeaderState(this.env.nodeId, ps.replicas, () => this.isr, this.log.logEndOffset(), nowMs)
    this.wakeAll()
    this.maybeAdvanceHighWatermark()
  }

  private becomeFollower(ps: PartitionState): void {
    this.role = 'follower'
    this.leaderId = ps.leader
    this.leaderEpoch = ps.leaderEpoch
    this.leaderState = null
    this.appender.failAll(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    this.delayed.failAll(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    this.wakeAll()
  }

  /** Stop serving (topic deleted, replica moved away, broker stopping). */
  close(): void {
    this.closed = true
    this.producers.detach()
    this.role = 'none'
    this.leaderState = null
    this.appender.failAll(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    this.delayed.failAll(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    this.wakeAll()
  }

  private wakeAll(): void {
    this.dataSignal.fire()
    this.hwSignal.fire()
  }

  // ------------------------------------------------------------ leader

  /** Append validated client batches as leader (group committed); REQUEST_TIMED_OUT at deadlineMs. */
  appendAsLeader(slices: BatchSlice[], deadlineMs?: number): Promise<AppendOutcome> {
    return this.appender.append(slices, deadlineMs)
  }

  private afterLeaderAppend(): void {
    this.maybeAdvanceHighWatermark()
  }

  /** Leader: a follower fetched from `fetchOffset`. */
  onFollowerFetch(replicaId: number, fetchOffset: number): void {
    const ls = this.leaderState
    if (ls === null) return
    ls.updateFollower(replicaId, fetchOffset, this.log.logEndOffset(), this.env.clock.now())
    this.maybeAdvanceHighWatermark()
    if (ls.pending === null && this.env.clock.now() >= this.isrBackoff.retryAtMs) {
      const expanded = ls.expandCandidate(replicaId, this.log.highWatermark(), this.env.isEligible)
      if (expanded !== null) this.propose(expanded)
    }
  }

  /** Leader, periodically and when a broker is fenced: drop out-of-sync followers from the ISR. */
  maybeShrinkIsr(): void {
    const ls = this.leaderState
    if (ls === null) return
    const nowMs = this.env.clock.now()
    if (ls.pending !== null) {
      if (nowMs - ls.pending.sentAtMs < ISR_CHANGE_PENDING_MS_MAX) return
      ls.dropProposal()
    }
    if (nowMs < this.isrBackoff.retryAtMs) return
    const shrunk = ls.shrinkCandidate(this.log.logEndOffset(), nowMs, this.env.replicaLagTimeMaxMs, this.env.isEligible)
    if (shrunk !== null) this.propose(shrunk)
  }

  private propose(newIsr: number[]): void {
    this.leaderState!.propose(newIsr, this.env.clock.now())
    this.env.proposeIsr(this, newIsr)
  }

  /**
   * The controller refused with `errorCode` (or could not be reached): forget the
   * proposal and allow a new one after a backoff that doubles per failure in a row
   * (capped), so thousands of partitions refused together never become a storm.
   */
  isrChangeFailed(errorCode: number = ErrorCode.UNKNOWN_SERVER_ERROR): void {
    this.leaderState?.dropProposal()
    this.isrBackoff.failed(errorCode, this.env.clock.now())
    this.maybeAdvanceHighWatermark()
  }

  /** When this leader may propose an ISR change again (0: now). */
  get isrRetryAt(): number {
    return this.isrBackoff.retryAtMs
  }

  /** Leader: HW = min LEO over the (maximal) ISR; completes parked acks=all requests. */
  maybeAdvanceHighWatermark(): void {
    const ls = this.leaderState
    if (ls === null) return
    const leo = this.log.logEndOffset()
    const candidate = ls.highWatermarkCandidate(leo)
    const hwFields = (): Record<string, unknown> => ({ topic: this.topic, partition: this.partition, candidate, logEndOffset: leo })
    if (candidate !== null && candidate > this.log.highWatermark() && this.env.invariants.check(candidate <= leo, 'the high watermark never passes the log end offset', hwFields)) {
      this.log.setHighWatermark(candidate)
      this.hwSignal.fire()
    }
    if (this.delayed.size > 0) {
      const enough = this.isr.length >= this.settings.minInsyncReplicas
      this.delayed.complete(this.log.highWatermark(), enough ? ErrorCode.NONE : ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND)
    }
  }

  // ------------------------------------------------------------ follower

  /**
   * Follower: append what the leader sent (whole batches; a cut-short tail batch is
   * dropped) and take the leader's HW. Batches below the LEO are skipped; one that
   * straddles the LEO means divergence, so the tail is truncated first.
   * Call inside `exclusive`.
   */
  async appendFromLeader(records: Uint8Array, leaderHighWatermark: number): Promise<Result<number>> {
    if (records.length > 0) {
      const split = splitBatches(records, { validate: true, allowPartialTail: true })
      if (!split.ok) return split
      let slices = split.value
      const leo = this.log.logEndOffset()
      let i = 0
      while (i < slices.length && slices[i].header.baseOffset + slices[i].header.lastOffsetDelta < leo) i++
      slices = slices.slice(i)
      if (slices.length > 0) {
        const first = slices[0]
        if (!this.followerAppendIsOrdered(slices, leo)) return { ok: false, code: ErrorCode.CORRUPT_MESSAGE, message: `batches from the leader overlap or go backwards after ${leo}` }
        if (first.header.baseOffset < leo) await this.truncateTo(first.header.baseOffset)
        const last = slices[slices.length - 1]
        await this.log.appendAsFollower(records.subarray(first.at, last.at + last.bytes.length))
        const nowMs = this.env.clock.now()
        for (const s of slices) this.producers.record(s.header, s.header.baseOffset, nowMs)
        this.dataSignal.fire()
      }
    }
    this.setFollowerHighWatermark(leaderHighWatermark)
    return { ok: true, value: this.log.logEndOffset() }
  }

  /**
   * The leader's batches follow each other in offset order without overlapping (a gap
   * between two is legal: compaction removes whole batches and keeps the offsets of the rest).
   */
  private followerAppendIsOrdered(slices: ReadonlyArray<{ header: { baseOffset: number; lastOffsetDelta: number } }>, leo: number): boolean {
    let next = slices[0].header.baseOffset
    let ordered = true
    for (const s of slices) {
      ordered &&= s.header.baseOffset >= next && s.header.lastOffsetDelta >= 0
      next = s.header.baseOffset + s.header.lastOffsetDelta + 1
    }
    return this.env.invariants.check(ordered, 'a follower appends the leader\'s batches in offset order', () => ({
      topic: this.topic,
      partition: this.partition,
      logEndOffset: leo,
      batches: slices.map((s) => [s.header.baseOffset, s.header.baseOffset + s.header.lastOffsetDelta]),
    }))
  }

  setFollowerHighWatermark(leaderHighWatermark: number): void {
    const hw = Math.min(leaderHighWatermark, this.log.logEndOffset())
    if (hw > this.log.highWatermark()) {
      this.log.setHighWatermark(hw)
      this.hwSignal.fire()
    }
  }

  /** Remove every offset >= offset (divergent tail). Call inside `exclusive`. */
  async truncateTo(offset: number): Promise<void> {
    if (offset >= this.log.logEndOffset()) return
    await this.log.truncateTo(offset)
    this.producers.truncateFrom(offset)
    this.wakeAll()
  }

  /** Our log ends before the leader's log starts: start over there. Call inside `exclusive`. */
  async truncateFullyAndStartAt(offset: number): Promise<void> {
    await this.log.truncateFullyAndStartAt(offset)
    this.producers.clear()
    this.wakeAll()
  }

  /**
   * Move the log start forward to `offset` (DeleteRecords on the leader, a follower
   * following its leader's log start), never past `maxOffset` (the HW): the
   * retention path drops the batches below it. Call inside `exclusive`.
   */
  async advanceLogStart(offset: number, maxOffset: number): Promise<void> {
    const target = Math.min(offset, maxOffset)
    // One pass drops a bounded number of batches (and stops short of the target then): go on while it moves.
    let before = -1
    while (this.log.logStartOffset() < target && this.log.logStartOffset() !== before) {
      before = this.log.logStartOffset()
      await this.log.applyRetention({ retentionMs: -1, retentionBytes: -1, nowMs: 0, maxOffset, logStartOffset: target })
    }
  }

  // ------------------------------------------------------------ reads

  /** Whole batches from `fromOffset`; `maxOffset` (exclusive) is the HW for consumers. */
  read(fromOffset: number, maxBytes: number, maxOffset?: number): Promise<Result<ReadResult>> {
    return this.log.read(fromOffset, maxBytes, maxOffset)
  }

  // ------------------------------------------------------------ producer state

  /**
   * Store the producer table with the partition when it changed or the log grew
   * since the last checkpoint. The checkpoint's offset is where a restart starts
   * replaying the log to rebuild the table, so it must follow the log end even when
   * no idempotent producer wrote (else every start re-reads the whole log).
   */
  checkpointProducerState(): Promise<void> {
    return this.exclusive(async () => {
      const leo = this.log.logEndOffset()
      if (!this.producers.dirty && leo === this.producerCheckpointOffset) return
      this.log.setProducerState(this.producers.encode(leo))
      this.producers.dirty = false
      this.producerCheckpointOffset = leo
    })
  }
}
