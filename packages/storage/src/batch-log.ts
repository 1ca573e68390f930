/**
 * The one implementation of PartitionLog's semantics, over a PartitionBackend
 * (LevelDB or memory), so both behave identically by construction.
 *
 * Offsets, the epoch cache and the sizes change synchronously when an operation is
 * accepted; the bytes reach the backend in the next write group. Until then they are
 * in the tail cache, so reads see them at once (as Kafka's readers see the page cache).
 */
import { concatBytes, ErrorCode, fail, ok, systemClock, TributaryError, type Clock, type Result } from '@tributary/protocol'
import { appendResult, assertAscendingFrom, own, splitOrThrow, stampOffsetsAndEpoch, type BatchSlice } from './append-batches.js'
import { assert } from './assert.js'
import type { LogChange, PartitionBackend, PersistedState, StoredBatch } from './backend.js'
import { lastOffsetDeltaOf, maxTimestampOf } from './batch-bytes.js'
import { planCompaction, type CompactionLimits } from './compaction.js'
import { BatchWalker } from './batch-walker.js'
import { LeaderEpochCache } from './epoch-cache.js'
import { OpQueue } from './op-queue.js'
import type {
  AppendResult,
  CompactionPolicy,
  EpochEntry,
  PartitionLog,
  ReadResult,
  RetentionPolicy,
} from './partition-log.js'
import { planRetention } from './retention.js'
import { findOffsetForTimestamp } from './timestamp-search.js'
import type { CachedBatch, TailCache } from './tail-cache.js'

export interface BatchLogLimits extends CompactionLimits {
  /** Batches one applyRetention call deletes at most; the next call continues. */
  retentionBatchesMax: number
}

export const BATCH_LOG_LIMITS_DEFAULT: BatchLogLimits = {
  retentionBatchesMax: 50_000,
  keysMax: 1_000_000,
  rewriteBytesMax: 64 * 1024 * 1024,
}

/** Longest a new HW waits for a write to carry it to disk (Kafka checkpoints every 5 s). */
export const HW_CHECKPOINT_MS = 1_000

export class BatchLog implements PartitionLog {
  private logStart = 0
  private logEnd = 0
  private hw = 0
  private size = 0
  private epochs = new LeaderEpochCache()
  private epochsVersion = 0
  private producer: Uint8Array | null = null
  private producerVersion = 0
  private lastWrite: Promise<void> = Promise.resolve()
  /** Cancels the armed HW checkpoint timer. */
  private hwCheckpoint: (() => void) | undefined
  /** The HW in the last state record handed to the backend. */
  private storedHw = -1
  private failure: TributaryError | null = null
  private closed = false
  private readonly ops = new OpQueue()
  /** Bumped by every change other than an append: truncation, retention, compaction. */
  private rewrites = 0
  /** Reads through the tail cache, the read-ahead batch and the backend. */
  private readonly walker: BatchWalker
  private constructor(
    readonly topicId: string,
    readonly partition: number,
    private readonly backend: PartitionBackend,
    private readonly cache: TailCache,
    private readonly limits: BatchLogLimits,
    private readonly onClose: () => void,
    private readonly clock: Clock,
  ) {
    this.walker = new BatchWalker(backend, cache, () => this.rewrites, () => this.logEnd)
  }

  /** `clock` arms the HW checkpoint timer and stamps appends without a time (a simulation passes its own). */
  static async open(
    topicId: string,
    partition: number,
    backend: PartitionBackend & { attach(state: () => PersistedState): void },
    cache: TailCache,
    limits: BatchLogLimits,
    onClose: () => void,
    clock: Clock = systemClock,
  ): Promise<BatchLog> {
    const log = new BatchLog(topicId, partition, backend, cache, limits, onClose, clock)
    backend.attach(() => log.persistedState())
    await log.recover()
    return log
  }

  private async recover(): Promise<void> {
    const { state, firstOffset, lastBatch } = await this.backend.load()
    const storedEnd = lastBatch ? lastBatch.baseOffset + lastOffsetDeltaOf(lastBatch.bytes) + 1 : 0
    if (state) {
      this.logStart = state.logStartOffset
      this.logEnd = Math.max(state.logEndOffset, storedEnd, this.logStart)
      this.size = state.sizeBytes
      this.epochs = LeaderEpochCache.decode(state.epochs)
      this.producer = state.producerState
    } else {
      this.logStart = firstOffset ?? 0
      this.logEnd = Math.max(storedEnd, this.logStart)
      for await (const b of this.backend.scan(0, Number.MAX_SAFE_INTEGER)) this.size += b.bytes.length
    }
    this.epochs.truncateFromEnd(this.logEnd)
    this.hw = clamp(state?.highWatermark ?? 0, this.logStart, this.logEnd)
    if (!state) await this.write([], [], [])
  }

  private persistedState(): PersistedState {
    this.storedHw = this.hw
    return {
      logStartOffset: this.logStart,
      logEndOffset: this.logEnd,
      highWatermark: this.hw,
      sizeBytes: this.size,
      epochs: this.epochs.encode(),
      epochsVersion: this.epochsVersion,
      producerState: this.producer,
      producerStateVersion: this.producerVersion,
    }
  }

  logStartOffset(): number {
    return this.logStart
  }
  logEndOffset(): number {
    return this.logEnd
  }
  highWatermark(): number {
    return this.hw
  }
  sizeBytes(): number {
    return this.size
  }
  latestEpoch(): number {
    return this.epochs.latestEpoch()
  }
  epochEntries(): EpochEntry[] {
    return this.epochs.list()
  }
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } {
    return this.epochs.endOffsetFor(epoch, this.logEnd)
  }
  producerState(): Uint8Array | null {
    return this.producer
  }

  setHighWatermark(offset: number): void {
    if (this.closed) return
    const hw = clamp(offset, this.logStart, this.logEnd)
    if (hw === this.hw) return
    this.hw = hw
    this.scheduleHighWatermarkCheckpoint()
  }

  /**
   * The HW moves with every acks=all produce; a LevelDB write of its own each time
   * would cost as much as the data. Any write stores the current state, so a new HW
   * rides on the next append; a quiet partition stores it HW_CHECKPOINT_MS later.
   */
  private scheduleHighWatermarkCheckpoint(): void {
    if (this.hwCheckpoint !== undefined) return
    // A background timer: a quiet partition's checkpoint must not hold a process open.
    this.hwCheckpoint = this.clock.setTimeout(() => {
      this.hwCheckpoint = undefined
      // A write since the HW step already stored it (the state is read when a group seals).
      if (!this.closed && !this.failure && this.hw !== this.storedHw) void this.write([], [], [])
    }, HW_CHECKPOINT_MS, true)
  }

  setProducerState(state: Uint8Array): void {
    this.checkUsable()
    this.producer = state
    this.producerVersion++
    void this.write([], [], [])
  }

  appendAsLeader(batches: Uint8Array, leaderEpoch: number, nowMs = this.clock.now()): Promise<AppendResult> {
    return this.ops.append(() => this.leaderAppendNow(batches, leaderEpoch, nowMs), () => this.backend.writable())
  }

  appendAsFollower(batches: Uint8Array): Promise<AppendResult> {
    return this.ops.append(() => this.followerAppendNow(batches), () => this.backend.writable())
  }

  /** Everything before the first await runs synchronously: offsets are assigned in call order. */
  private async leaderAppendNow(input: Uint8Array, leaderEpoch: number, nowMs: number): Promise<AppendResult> {
    this.checkUsable()
    assert(leaderEpoch >= this.epochs.latestEpoch(), `leader epoch ${leaderEpoch} is below ${this.epochs.latestEpoch()}`)
    const buf = own(input)
    const slices = splitOrThrow(buf)
    const baseOffset = this.logEnd
    stampOffsetsAndEpoch(buf, slices, baseOffset, leaderEpoch)
    if (this.epochs.assign(leaderEpoch, baseOffset)) this.epochsVersion++
    await this.appendSlices(slices)
    return appendResult(slices, nowMs)
  }

  private async followerAppendNow(input: Uint8Array): Promise<AppendResult> {
    this.checkUsable()
    const buf = own(input)
    const slices = splitOrThrow(buf)
    // Check every batch before the epoch cache changes: a refused append leaves no trace.
    assertAscendingFrom(slices, this.logEnd)
    for (const { header: h } of slices) {
      if (h.partitionLeaderEpoch > this.epochs.latestEpoch() && this.epochs.assign(h.partitionLeaderEpoch, h.baseOffset)) {
        this.epochsVersion++
      }
    }
    await this.appendSlices(slices)
    return appendResult(slices, -1)
  }

  private appendSlices(slices: BatchSlice[]): Promise<void> {
    const puts: StoredBatch[] = []
    const cached: CachedBatch[] = []
    for (const s of slices) {
      const last = s.header.baseOffset + s.header.lastOffsetDelta
      puts.push({ baseOffset: s.header.baseOffset, bytes: s.bytes })
      cached.push(this.cache.append(s.header.baseOffset, last, s.bytes))
      this.size += s.bytes.length
      this.logEnd = last + 1
    }
    return this.write(puts, [], cached)
  }

  async read(fromOffset: number, maxBytes: number, maxOffset = Number.MAX_SAFE_INTEGER): Promise<Result<ReadResult>> {
    // A fenced log answers reads with its error as a value: a fetch then carries KAFKA_STORAGE_ERROR
    // (retriable: the reader refreshes and goes on) for this partition, not an UNKNOWN_SERVER_ERROR for all.
    if (this.failure) return fail(this.failure.code, this.failure.message)
    this.checkUsable()
    if (!(fromOffset >= this.logStart && fromOffset <= this.logEnd)) {
      return fail(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${fromOffset} is outside [${this.logStart}, ${this.logEnd}]`)
    }
    const limit = Math.min(maxOffset, this.logEnd)
    const rewrites = this.rewrites
    const chunks: Uint8Array[] = []
    let bytes = 0
    let firstOffset = fromOffset
    let nextOffset = fromOffset
    if (fromOffset < limit) {
      await this.walker.walk(fromOffset, (base, last, batch) => {
        if (base >= limit) return false
        if (chunks.length > 0 && bytes + batch.length > maxBytes) {
          if (rewrites === this.rewrites) this.walker.keepAhead(base, last, batch)
          return false
        }
        if (chunks.length === 0) firstOffset = base
        chunks.push(batch)
        bytes += batch.length
        nextOffset = last + 1
        return bytes < maxBytes
      })
    }
    return ok({ records: concatBytes(chunks, bytes), firstOffset, nextOffset })
  }

  async offsetForTimestamp(timestampMs: number): Promise<{ offset: number; timestamp: number } | null> {
    this.checkUsable()
    let found: { offset: number; timestamp: number } | null = null
    const end = this.logEnd
    await this.walker.walk(this.logStart, (base, _last, bytes) => {
      if (base >= end) return false
      if (maxTimestampOf(bytes) < timestampMs) return true
      found = findOffsetForTimestamp(bytes, timestampMs)
      return found === null
    })
    return found
  }

  truncateTo(offset: number): Promise<void> {
    return this.ops.exclusive(async () => {
      this.checkUsable()
      if (offset >= this.logEnd) return
      if (offset <= this.logStart) return this.truncateFullyNow(offset)
      await this.lastWrite
      const floor = await this.backend.floor(offset)
      const straddles = floor !== null && floor.baseOffset + lastOffsetDeltaOf(floor.bytes) >= offset
      const cut = straddles ? floor.baseOffset : offset
      const deletes: number[] = []
      let deletedBytes = 0
      for await (const b of this.backend.scan(cut, Number.MAX_SAFE_INTEGER)) {
        deletes.push(b.baseOffset)
        deletedBytes += b.bytes.length
      }
      if (cut <= this.logStart) return this.truncateFullyNow(this.logStart)
      this.logEnd = cut
      this.hw = Math.min(this.hw, cut)
      if (this.epochs.truncateFromEnd(cut)) this.epochsVersion++
      this.cache.truncateFrom(cut)
      await this.rewrite([], deletes, -deletedBytes, { truncateFrom: cut })
    })
  }

  truncateFullyAndStartAt(offset: number): Promise<void> {
    return this.ops.exclusive(async () => {
      this.checkUsable()
      await this.truncateFullyNow(offset)
    })
  }

  private async truncateFullyNow(offset: number): Promise<void> {
    await this.lastWrite
    const deletes: number[] = []
    for await (const b of this.backend.scan(0, Number.MAX_SAFE_INTEGER, { values: false })) deletes.push(b.baseOffset)
    this.logStart = this.logEnd = this.hw = offset
    this.epochs = new LeaderEpochCache()
    this.epochsVersion++
    this.cache.clear()
    await this.rewrite([], deletes, -this.size, { truncateFrom: 0 })
  }

  applyRetention(policy: RetentionPolicy): Promise<{ deletedBatches: number; deletedBytes: number }> {
    return this.ops.exclusive(async () => {
      this.checkUsable()
      await this.lastWrite
      const scan = (from: number, to: number) => this.backend.scan(from, to)
      const { deletes, deletedBytes, newStart } = await planRetention(scan, this.logStart, this.logEnd, this.size, policy, this.limits.retentionBatchesMax)
      if (deletes.length === 0 && newStart === this.logStart) return { deletedBatches: 0, deletedBytes: 0 }
      this.logStart = newStart
      this.hw = Math.max(this.hw, newStart)
      if (this.epochs.truncateFromStart(newStart)) this.epochsVersion++
      this.cache.dropBefore(newStart)
      await this.rewrite([], deletes, -deletedBytes, { dropBefore: newStart })
      return { deletedBatches: deletes.length, deletedBytes }
    })
  }

  compact(policy: CompactionPolicy): Promise<{ removedRecords: number }> {
    return this.ops.exclusive(async () => {
      this.checkUsable()
      await this.lastWrite
      const maxOffset = Math.min(policy.maxOffset, this.logEnd)
      const scan = (from: number, to: number) => this.backend.scan(from, to)
      const plan = await planCompaction(scan, this.logStart, { ...policy, maxOffset }, this.limits)
      if (plan.rewrites.size === 0) return { removedRecords: 0 }
      const puts: StoredBatch[] = []
      const deletes: number[] = []
      for (const [baseOffset, bytes] of plan.rewrites) {
        if (bytes) puts.push({ baseOffset, bytes })
        else deletes.push(baseOffset)
      }
      this.cache.rewrite(plan.rewrites)
      await this.rewrite(puts, deletes, plan.bytesDelta, { rewrite: true })
      return { removedRecords: plan.removedRecords }
    })
  }

  async flush(): Promise<void> {
    if (this.closed) return
    await this.ops.exclusive(() => this.write([], [], []))
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.hwCheckpoint?.()
    this.hwCheckpoint = undefined
    await this.flush()
    this.closed = true
    this.walker.forget()
    this.cache.close()
    this.onClose()
  }

  /** A change to batches already written (truncation, retention, compaction): counted for readers, sized, written. */
  private rewrite(puts: StoredBatch[], deletes: number[], sizeDelta: number, change: LogChange): Promise<void> {
    this.rewrites++
    this.size += sizeDelta
    return this.write(puts, deletes, [], change)
  }

  /** Hands the change to the backend; a failed write fences the log (KAFKA_STORAGE_ERROR). */
  private write(puts: StoredBatch[], deletes: number[], cached: CachedBatch[], change?: LogChange): Promise<void> {
    const written = this.backend.write(puts, deletes, change)
    this.lastWrite = written
    written.then(
      () => cached.length > 0 && this.cache.markFlushed(cached),
      (err: unknown) => {
        this.failure ??= new TributaryError(ErrorCode.KAFKA_STORAGE_ERROR, `write failed: ${String(err)}`, { cause: err })
      },
    )
    return written
  }

  private checkUsable(): void {
    if (this.failure) throw this.failure
    if (this.closed) throw new Error(`partition log ${this.topicId}/${this.partition} is closed`)
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi)
}
