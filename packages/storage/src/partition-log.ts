/**
 * The contract of one partition's log, as the broker's data plane sees it.
 *
 * A log is a sequence of Kafka RecordBatch v2 byte strings, stored as they came
 * (never one object per record). Offsets are safe integers. Every batch covers the
 * offsets [baseOffset, baseOffset + lastOffsetDelta]; compaction may leave gaps
 * *inside* and *between* batches, so "the batch holding offset X" is the last batch
 * whose baseOffset <= X, and if X sits in a gap the read starts at the next batch.
 *
 * One implementation, `BatchLog`, holds these semantics over two backends (and one
 * contract test suite): `LevelLogStore` (the node's log LevelDB) and `MemoryLogStore`
 * (unit tests, simulation).
 *
 * Byte ownership: the log takes ownership of the bytes passed to append (it may
 * patch them in place and keep them in its cache); the caller must not touch them
 * afterwards. Bytes returned by `read` may be shared with the cache: callers must
 * treat them as read-only.
 *
 * Errors: an offset outside the log is a value (`Result` with
 * OFFSET_OUT_OF_RANGE), because a consumer asking for it is normal. Calling an
 * append in a way the contract forbids (offset not at the LEO, epoch going
 * backwards, empty input) is a caller bug and throws.
 */
import type { Result } from '@tributary/protocol'

export interface AppendResult {
  /** Offset of the first record appended (baseOffset of the first batch). */
  baseOffset: number
  /** Last offset appended (last batch's baseOffset + lastOffsetDelta). */
  lastOffset: number
  /** Largest maxTimestamp over the appended batches (-1 if none carried one). */
  maxTimestamp: number
  /** Wall-clock time of a leader append (`nowMs`); -1 for follower appends. */
  logAppendTimeMs: number
  /** Number of batches appended. */
  batches: number
  /** Bytes appended. */
  bytes: number
}

export interface ReadResult {
  /**
   * Whole stored batches, concatenated, starting with the batch that holds
   * `fromOffset` (so its baseOffset may be < fromOffset, as in Kafka: the consumer
   * skips records below its position). Empty when there is nothing to return.
   */
  records: Uint8Array
  /** baseOffset of the first returned batch; equals `nextOffset` when empty. */
  firstOffset: number
  /** The offset after the last returned batch: where the next read continues. */
  nextOffset: number
}

/** One leader-epoch cache entry: `epoch` began writing at `startOffset`. */
export interface EpochEntry {
  epoch: number
  startOffset: number
}

export interface RetentionPolicy {
  /** Drop batches whose maxTimestamp is older than nowMs - retentionMs; -1 = infinite. */
  retentionMs: number
  /** Drop head batches while the log is larger than this; -1 = infinite. */
  retentionBytes: number
  nowMs: number
  /** Never delete a batch holding an offset at/after this (the high watermark). */
  maxOffset?: number
  /**
   * Advance the log start to at least this offset (DeleteRecords, or a follower
   * following its leader's log start), clamped to maxOffset and the LEO: batches
   * entirely below it are dropped; one straddling it stays stored, but offsets
   * below it are no longer readable.
   */
  logStartOffset?: number
}

export interface CompactionPolicy {
  /**
   * How long tombstones (null value) stay after the cleaner first keeps them: that
   * pass stamps their batch with the delete horizon nowMs + deleteRetentionMs
   * (KIP-534); a later pass at or past the horizon drops them.
   */
  deleteRetentionMs: number
  nowMs: number
  /** Only batches entirely below this offset are compacted (the HW / active tail). */
  maxOffset: number
}

export interface PartitionLog {
  readonly topicId: string
  readonly partition: number
  /** First offset that may still be read. */
  logStartOffset(): number
  /** Log end offset (LEO): the offset the next appended record gets. */
  logEndOffset(): number
  /**
   * The last checkpointed high watermark (restored on open, never above the LEO).
   * The log does not compute it: replication does, and stores it here.
   */
  highWatermark(): number
  /**
   * Remember the high watermark; it is checkpointed lazily with the next write group
   * (a crash may lose the latest value, never advance it past what was set).
   * Clamped to [logStartOffset, logEndOffset].
   */
  setHighWatermark(offset: number): void
  /**
   * Leader append: `batches` = one or more already-validated batches, concatenated.
   * Assigns offsets from the LEO by patching each baseOffset and stamps
   * partitionLeaderEpoch (no per-record decode, the CRC is unaffected); records
   * `leaderEpoch` in the epoch cache if it is new. Throws if `leaderEpoch` is below
   * `latestEpoch()` or `batches` is empty.
   */
  appendAsLeader(batches: Uint8Array, leaderEpoch: number, nowMs?: number): Promise<AppendResult>
  /**
   * Follower append: batches keep their offsets and epochs. The first batch's
   * baseOffset must be >= the LEO (greater only when the leader's log has a
   * compaction gap there) and offsets must ascend, else it throws. Updates the epoch
   * cache from the batches' partitionLeaderEpoch.
   */
  appendAsFollower(batches: Uint8Array): Promise<AppendResult>
  /**
   * Read whole batches from `fromOffset`. `maxOffset` is exclusive (the high
   * watermark for consumers, omitted for followers): batches whose baseOffset >=
   * maxOffset are not returned. Always returns the first batch if one exists at
   * fromOffset even if it is larger than maxBytes (Kafka semantics), then stops
   * before exceeding maxBytes. fromOffset == logEndOffset returns empty records.
   * fromOffset outside [logStartOffset, logEndOffset] → `{ ok: false, code:
   * OFFSET_OUT_OF_RANGE }`; a log fenced by a failed write → `{ ok: false, code:
   * KAFKA_STORAGE_ERROR }`.
   */
  read(fromOffset: number, maxBytes: number, maxOffset?: number): Promise<Result<ReadResult>>
  /**
   * Remove every offset >= offset (follower truncation). Whole batches only: a batch
   * straddling `offset` goes too, so the LEO becomes min(offset, that batch's
   * baseOffset). Fixes the epoch cache and clamps the HW. At or below the log start
   * it behaves as truncateFullyAndStartAt(offset).
   */
  truncateTo(offset: number): Promise<void>
  /** Remove everything (epoch cache too); logStart = logEnd = HW = offset (a follower far behind the leader's log start). */
  truncateFullyAndStartAt(offset: number): Promise<void>
  /** The newest epoch in the epoch cache; -1 when none. */
  latestEpoch(): number
  /**
   * Kafka's OffsetsForLeaderEpoch (LeaderEpochFileCache.endOffsetFor), exactly:
   * - `epoch` is the latest cached epoch → `{ epoch, endOffset: LEO }`;
   * - a cached epoch below it exists → the largest cached epoch <= `epoch` and the
   *   start offset of the cached epoch after it;
   * - `epoch` is older than every cached epoch → `{ epoch, endOffset: first start offset }`
   *   (the follower truncates to where this log's known history begins);
   * - `epoch` is newer than the latest, -1, or the cache is empty → `{ -1, -1 }`.
   */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number }
  /** A copy of the epoch cache, oldest first. */
  epochEntries(): EpochEntry[]
  /** First offset whose batch maxTimestamp >= timestampMs, with that timestamp; null if none. */
  offsetForTimestamp(timestampMs: number): Promise<{ offset: number; timestamp: number } | null>
  /**
   * Retention: drop whole batches from the head while the head batch is expired
   * (maxTimestamp < nowMs - retentionMs) or the log without it is still >=
   * retentionBytes; stops at the first batch that is neither, or that holds an
   * offset >= maxOffset. logStartOffset becomes the dropped batches' end, or
   * policy.logStartOffset when that is further (and no batch limit cut the pass short).
   */
  applyRetention(policy: RetentionPolicy): Promise<{ deletedBatches: number; deletedBytes: number }>
  /**
   * Compaction for cleanup.policy=compact, over the batches entirely below maxOffset
   * (Kafka never cleans the active segment): keep only the newest record per key
   * among them; a batch that keeps tombstones and has no delete horizon gets one
   * (nowMs + deleteRetentionMs), and its tombstones are dropped by the first pass at
   * or after that horizon, whatever their own timestamps (a consumer has
   * deleteRetentionMs to see them); offsets and order are preserved (gaps allowed); touched
   * batches are re-encoded with their original baseOffset, lastOffsetDelta,
   * producer fields and epoch; a batch left empty is deleted. Records without a key,
   * control batches and batches in a compression we cannot decode are kept as-is.
   */
  compact(policy: CompactionPolicy): Promise<{ removedRecords: number }>
  /**
   * An opaque blob the data plane persists with the partition (idempotent producer
   * state). Checkpointed lazily with the next write group, like the HW.
   */
  producerState(): Uint8Array | null
  setProducerState(state: Uint8Array): void
  /** Bytes of stored batches. */
  sizeBytes(): number
  /** Waits until everything written or set so far (HW, producer state) is stored. */
  flush(): Promise<void>
  /** Flushes, then forgets the instance; the next `open` of the partition reloads it. */
  close(): Promise<void>
}

export interface LogStore {
  /** Opens (creating if absent) a partition log; opening an open partition returns the same instance. */
  open(topicId: string, partition: number): Promise<PartitionLog>
  /** Removes all data of the partition (closing it first if open). */
  delete(topicId: string, partition: number): Promise<void>
  /** Every partition that has data or state stored. */
  list(): Promise<Array<{ topicId: string; partition: number }>>
  /** Flushes and closes every open partition. */
  close(): Promise<void>
  /** The node-wide tail cache: its budget and what it holds (absent: no cache). */
  tailCacheUsage?(): TailCacheUsage
  /** Release the tail cache of every partition not written since the previous call; returns bytes released. */
  releaseIdleTailCaches?(): number
}

export interface TailCacheUsage {
  budgetBytes: number
  usedBytes: number
  /** partitions with at least one cached batch */
  partitionsHolding: number
}
