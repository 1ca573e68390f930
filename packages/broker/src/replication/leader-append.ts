/**
 * Group commit for leader appends. Produce requests for a partition queue here; one
 * drain at a time takes everything queued (up to `APPEND_GROUP_BYTES_MAX`), checks
 * each request's batches against the idempotent producer table, and appends all
 * accepted batches with a single `PartitionLog.appendAsLeader` call. Offsets are
 * known before the append (the log assigns them from its LEO in order), so the
 * producer table is updated as batches are accepted and later batches in the same
 * group see earlier ones. Up to `APPEND_WRITES_IN_FLIGHT_MAX` group writes overlap.
 */
import { concatBytes, ErrorCode, type BatchSlice } from '@tributary/protocol'
import type { PartitionLog } from '@tributary/storage'
import type { ProducerStateTable } from './producer-state.js'

/** Bytes one drain appends at most (one appendAsLeader call). */
export const APPEND_GROUP_BYTES_MAX = 8 * 1024 * 1024
/** Bytes queued per partition before producers wait for room. */
export const APPEND_QUEUE_BYTES_MAX = 64 * 1024 * 1024
/** Group writes handed to the log and not yet written, per partition. */
export const APPEND_WRITES_IN_FLIGHT_MAX = 4

export interface AppendOutcome {
  errorCode: number
  errorMessage?: string
  /** -1 on error */
  baseOffset: number
  lastOffset: number
  /** true when the batch was a retry of one already in the log */
  duplicate: boolean
}

/**
 * Where a request is: waiting for queue room, queued, taken by a drain (from then
 * on it is appended or refused with its group), or answered. A request answered at
 * its deadline while still waiting or queued is dropped: nothing of it is appended.
 */
type PendingState = 'room' | 'queued' | 'taken' | 'answered'

interface PendingAppend {
  slices: BatchSlice[]
  bytes: number
  state: PendingState
  /** answers once; later answers (a write completing after the deadline) are ignored */
  answer: (o: AppendOutcome) => void
}

/** A group write handed to the log: offsets [start, end), true once written. */
interface GroupWrite {
  start: number
  end: number
  written: Promise<boolean>
}

export interface AppendTarget {
  readonly log: PartitionLog
  readonly producers: ProducerStateTable
  /** the leader epoch to stamp, or null when this replica no longer leads */
  leaderEpochForAppend(): number | null
  /** runs fn with the partition's log to itself */
  exclusive<T>(fn: () => Promise<T>): Promise<T>
  /** offsets assigned: the LEO moved (the write may still be in flight) */
  afterAssign(): void
  /** the write completed */
  afterAppend(): void
  nowMs(): number
  /** calls fn after ms; returns a cancel function */
  setTimeout(fn: () => void, ms: number): () => void
}

const failed = (errorCode: number, errorMessage?: string): AppendOutcome => ({ errorCode, errorMessage, baseOffset: -1, lastOffset: -1, duplicate: false })

export class LeaderAppender {
  /** waiting for queue room, in arrival order */
  private waiting: PendingAppend[] = []
  private queue: PendingAppend[] = []
  private queuedBytes = 0
  private draining = false
  private readonly writes: GroupWrite[] = []
  /** the LEO after the last group handed to the log, while its write is in flight */
  private pendingEnd = -1

  constructor(private readonly target: AppendTarget) {}

  /**
   * Queue already-validated batches; resolves once appended (or refused). At
   * `deadlineMs` it answers REQUEST_TIMED_OUT: a request still waiting is dropped,
   * one whose write is under way is still written (an idempotent retry then gets
   * its original offsets back as a duplicate).
   */
  append(slices: BatchSlice[], deadlineMs = Number.POSITIVE_INFINITY): Promise<AppendOutcome> {
    let bytes = 0
    for (const s of slices) bytes += s.bytes.length
    return new Promise<AppendOutcome>((resolve) => {
      let cancelTimer = (): void => {}
      const p: PendingAppend = {
        slices,
        bytes,
        state: 'room',
        answer: (o) => {
          if (p.state === 'answered') return
          p.state = 'answered'
          cancelTimer()
          resolve(o)
        },
      }
      if (Number.isFinite(deadlineMs)) cancelTimer = this.target.setTimeout(() => this.expire(p), Math.max(0, deadlineMs - this.target.nowMs()))
      this.waiting.push(p)
      this.admit()
    })
  }

  /** Refuse everything not yet taken by a drain (leadership lost). */
  failAll(code: number): void {
    const all = [...this.queue, ...this.waiting]
    this.queue = []
    this.waiting = []
    this.queuedBytes = 0
    for (const p of all) p.answer(failed(code))
  }

  /** Move waiting requests into the queue, in order, while there is room. */
  private admit(): void {
    while (this.waiting.length > 0) {
      const p = this.waiting[0]
      if (this.queuedBytes > 0 && this.queuedBytes + p.bytes > APPEND_QUEUE_BYTES_MAX) break
      this.waiting.shift()
      p.state = 'queued'
      this.queue.push(p)
      this.queuedBytes += p.bytes
    }
    if (this.queue.length > 0 && !this.draining) void this.drainLoop()
  }

  private expire(p: PendingAppend): void {
    if (p.state === 'room') {
      this.waiting.splice(this.waiting.indexOf(p), 1)
    } else if (p.state === 'queued') {
      this.queue.splice(this.queue.indexOf(p), 1)
      this.queuedBytes -= p.bytes
      this.admit()
    }
    // 'taken': a drain not yet at it skips it; one past it has handed it to the log
    p.answer(failed(ErrorCode.REQUEST_TIMED_OUT, 'the append did not complete within the request timeout'))
  }

  private async drainLoop(): Promise<void> {
    this.draining = true
    try {
      while (this.queue.length > 0) {
        const group = this.takeGroup()
        await this.target.exclusive(() => this.appendGroup(group))
      }
    } finally {
      this.draining = false
    }
  }

  private takeGroup(): PendingAppend[] {
    let n = 0
    let bytes = 0
    while (n < this.queue.length && (n === 0 || bytes + this.queue[n].bytes <= APPEND_GROUP_BYTES_MAX)) {
      bytes += this.queue[n].bytes
      n++
    }
    const group = this.queue.splice(0, n)
    for (const p of group) p.state = 'taken'
    this.queuedBytes -= bytes
    this.admit()
    return group
  }

  private async appendGroup(taken: PendingAppend[]): Promise<void> {
    const group = taken.filter((p) => p.state === 'taken') // not answered at its deadline meanwhile
    if (group.length === 0) return
    const epoch = this.target.leaderEpochForAppend()
    if (epoch === null) {
      for (const p of group) p.answer(failed(ErrorCode.NOT_LEADER_OR_FOLLOWER))
      return
    }
    const { log, producers } = this.target
    const nowMs = this.target.nowMs()
    // while writes are in flight the log may not have assigned the last group yet (storage backpressure)
    const startOffset = this.writes.length > 0 ? this.pendingEnd : log.logEndOffset()
    let next = startOffset
    const accepted: Array<{ p: PendingAppend; baseOffset: number; lastOffset: number }> = []
    const duplicates: Array<{ p: PendingAppend; outcome: AppendOutcome }> = []
    const chunks: Uint8Array[] = []
    for (const p of group) {
      const itemStart = next
      let outcome: AppendOutcome | null = null
      for (const s of p.slices) {
        const check = producers.check(s.header)
        if (check.kind === 'error') {
          outcome = failed(check.code, check.message)
          break
        }
        if (check.kind === 'duplicate') {
          outcome = { errorCode: ErrorCode.NONE, baseOffset: check.baseOffset, lastOffset: check.lastOffset, duplicate: true }
          break
        }
        producers.record(s.header, next, nowMs)
        next += s.header.lastOffsetDelta + 1
      }
      if (outcome !== null) {
        // nothing of a refused (or retried) request is appended
        if (next !== itemStart) producers.truncateFrom(itemStart)
        next = itemStart
        if (outcome.duplicate) duplicates.push({ p, outcome })
        else p.answer(outcome)
        continue
      }
      for (const s of p.slices) chunks.push(s.bytes)
      accepted.push({ p, baseOffset: itemStart, lastOffset: next - 1 })
    }
    const done = accepted.length > 0 ? this.write(concatBytes(chunks), epoch, nowMs, startOffset, next, accepted) : null
    for (const d of duplicates) this.answerDuplicate(d.p, d.outcome)
    if (done !== null && this.writes.length >= APPEND_WRITES_IN_FLIGHT_MAX) await done
  }

  /**
   * The log assigns offsets now (synchronously, in call order) and writes later: the
   * next group may be assigned while this one is written, and followers may fetch it
   * from the log's cache before the write completes.
   */
  private write(bytes: Uint8Array, epoch: number, nowMs: number, start: number, end: number, accepted: Array<{ p: PendingAppend; baseOffset: number; lastOffset: number }>): Promise<boolean> {
    const { log, producers } = this.target
    const appended = log.appendAsLeader(bytes, epoch, nowMs)
    this.pendingEnd = end
    this.target.afterAssign()
    const written = appended.then(
      (result) => {
        if (result.baseOffset !== start || result.lastOffset !== end - 1) {
          throw new Error(`log assigned [${result.baseOffset}, ${result.lastOffset}], expected [${start}, ${end - 1}]`)
        }
        this.target.afterAppend()
        for (const a of accepted) a.p.answer({ errorCode: ErrorCode.NONE, baseOffset: a.baseOffset, lastOffset: a.lastOffset, duplicate: false })
        return true
      },
    ).catch((err: unknown) => {
      // the log is unusable after a failed write; the producer table no longer matters
      producers.truncateFrom(start)
      for (const a of accepted) a.p.answer(failed(ErrorCode.KAFKA_STORAGE_ERROR, (err as Error).message))
      return false
    })
    const entry: GroupWrite = { start, end, written }
    this.writes.push(entry)
    void written.finally(() => this.writes.splice(this.writes.indexOf(entry), 1))
    return written
  }

  /** A retried batch is answered once its original write is stored, as the original would have been. */
  private answerDuplicate(p: PendingAppend, outcome: AppendOutcome): void {
    const w = this.writes.find((x) => outcome.baseOffset >= x.start && outcome.baseOffset < x.end)
    if (w === undefined) {
      p.answer(outcome)
      return
    }
    void w.written.then((ok) => p.answer(ok ? outcome : failed(ErrorCode.KAFKA_STORAGE_ERROR, 'the original write of this batch failed')))
  }
}
