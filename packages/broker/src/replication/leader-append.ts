/**
 * Group commit for leader appends. Produce requests for a partition queue here; one
 * drain at a time takes everything queued (up to `APPEND_GROUP_BYTES_MAX`), checks
 * each request's batches against the idempotent producer table, and appends all
 * accepted batches with a single `PartitionLog.appendAsLeader` call. Offsets are
 * known before the append (the log assigns them from its LEO in order), so the
 * producer table is updated as batches are accepted and later batches in the same
 * group see earlier ones. Up to `APPEND_WRITES_IN_FLIGHT_MAX` group writes overlap.
 */
import { ErrorCode, type BatchSlice } from '@tributary/protocol'
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

interface PendingAppend {
  slices: BatchSlice[]
  bytes: number
  resolve: (o: AppendOutcome) => void
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
}

const failed = (errorCode: number, errorMessage?: string): AppendOutcome => ({ errorCode, errorMessage, baseOffset: -1, lastOffset: -1, duplicate: false })

export class LeaderAppender {
  private queue: PendingAppend[] = []
  private queuedBytes = 0
  private draining = false
  private roomWaiters: Array<() => void> = []
  private writesInFlight = 0
  /** the LEO after the last group handed to the log, while its write is in flight */
  private pendingEnd = -1

  constructor(private readonly target: AppendTarget) {}

  /** Queue already-validated batches; resolves once appended (or refused). */
  async append(slices: BatchSlice[]): Promise<AppendOutcome> {
    let bytes = 0
    for (const s of slices) bytes += s.bytes.length
    while (this.queuedBytes > 0 && this.queuedBytes + bytes > APPEND_QUEUE_BYTES_MAX) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve))
    }
    return new Promise<AppendOutcome>((resolve) => {
      this.queue.push({ slices, bytes, resolve })
      this.queuedBytes += bytes
      if (!this.draining) void this.drainLoop()
    })
  }

  /** Refuse everything queued (leadership lost). */
  failAll(code: number): void {
    const all = this.queue
    this.queue = []
    this.queuedBytes = 0
    for (const p of all) p.resolve(failed(code))
    this.releaseRoom()
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
    this.queuedBytes -= bytes
    this.releaseRoom()
    return group
  }

  private async appendGroup(group: PendingAppend[]): Promise<void> {
    const epoch = this.target.leaderEpochForAppend()
    if (epoch === null) {
      for (const p of group) p.resolve(failed(ErrorCode.NOT_LEADER_OR_FOLLOWER))
      return
    }
    const { log, producers } = this.target
    const nowMs = this.target.nowMs()
    // while writes are in flight the log may not have assigned the last group yet (storage backpressure)
    const startOffset = this.writesInFlight > 0 ? this.pendingEnd : log.logEndOffset()
    let next = startOffset
    const accepted: Array<{ p: PendingAppend; baseOffset: number; lastOffset: number }> = []
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
        p.resolve(outcome)
        continue
      }
      for (const s of p.slices) chunks.push(s.bytes)
      accepted.push({ p, baseOffset: itemStart, lastOffset: next - 1 })
    }
    if (accepted.length === 0) return
    // The log assigns offsets now (synchronously, in call order) and writes later: the
    // next group may be assigned while this one is written, and followers may fetch it
    // from the log's cache before the write completes.
    const write = log.appendAsLeader(concat(chunks), epoch, nowMs)
    this.writesInFlight++
    this.pendingEnd = next
    this.target.afterAssign()
    const done = write.then(
      (result) => {
        if (result.baseOffset !== startOffset || result.lastOffset !== next - 1) {
          throw new Error(`log assigned [${result.baseOffset}, ${result.lastOffset}], expected [${startOffset}, ${next - 1}]`)
        }
        this.target.afterAppend()
        for (const a of accepted) a.p.resolve({ errorCode: ErrorCode.NONE, baseOffset: a.baseOffset, lastOffset: a.lastOffset, duplicate: false })
      },
    ).catch((err: unknown) => {
      // the log is unusable after a failed write; the producer table no longer matters
      producers.truncateFrom(startOffset)
      for (const a of accepted) a.p.resolve(failed(ErrorCode.KAFKA_STORAGE_ERROR, (err as Error).message))
    }).finally(() => {
      this.writesInFlight--
    })
    if (this.writesInFlight >= APPEND_WRITES_IN_FLIGHT_MAX) await done
  }

  private releaseRoom(): void {
    const waiters = this.roomWaiters
    this.roomWaiters = []
    for (const w of waiters) w()
  }
}

/** One buffer for the group; a single chunk is passed through without a copy. */
function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]
  let total = 0
  for (const c of chunks) total += c.length
  const out = new Uint8Array(total)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}
