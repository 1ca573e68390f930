/**
 * What `BatchLog` (the one implementation of the PartitionLog semantics) needs from
 * the place it keeps batches: a sorted map baseOffset → batch bytes, plus the
 * partition's state record. LevelDB and memory each provide one.
 *
 * Ordering contract: `write` calls are applied in call order, and each call's puts,
 * deletes and the state snapshot taken when it is sealed land atomically together.
 * Reads (`floor`, `scan`) see only writes whose promise has resolved (or later):
 * BatchLog keeps what is still in flight in its tail cache.
 */

export interface StoredBatch {
  baseOffset: number
  /** Empty when a scan asked for keys only. */
  bytes: Uint8Array
}

/** The partition's own record, stored beside its batches and written atomically with them. */
export interface PersistedState {
  logStartOffset: number
  logEndOffset: number
  highWatermark: number
  sizeBytes: number
  /** LeaderEpochCache.encode(); `epochsVersion` bumps whenever it changes. */
  epochs: Uint8Array
  epochsVersion: number
  producerState: Uint8Array | null
  producerStateVersion: number
}

export interface LoadedPartition {
  /** Null for a partition never written before. */
  state: PersistedState | null
  /** The stored batch with the largest baseOffset (recovers the LEO). */
  lastBatch: StoredBatch | null
  /** The smallest stored baseOffset (null when nothing is stored). */
  firstOffset: number | null
}

export interface PartitionBackend {
  load(): Promise<LoadedPartition>
  /** The written batch with the greatest baseOffset <= offset (bytes empty when asked for keys only). */
  floor(offset: number, opts?: { values?: boolean }): Promise<StoredBatch | null>
  /** Written batches with from <= baseOffset < to, ascending; lazily pulled. */
  scan(from: number, to: number, opts?: { values?: boolean }): AsyncIterable<StoredBatch>
  /**
   * Queue puts then deletes (by baseOffset) together with the partition's state, read
   * through the `state` callback when the write group is sealed. Resolves once
   * written (and fsynced when the store syncs). `change` says what the write does
   * to the log as a whole (a store that files batches by time needs it).
   */
  write(puts: StoredBatch[], deletes: number[], change?: LogChange): Promise<void>
  /** Null when a write may be queued now; else resolves when the bounded write queue has room. */
  writable(): Promise<void> | null
  /** Remove everything of this partition (batches and state). */
  destroy(): Promise<void>
}

export type StateSource = () => PersistedState

/**
 * Default: puts are new batches after every stored one. `rewrite`: puts replace
 * stored batches (compaction). `truncateFrom`: every batch >= it is among the
 * deletes. `dropBefore`: every batch ending before it is among the deletes (retention).
 */
export interface LogChange {
  rewrite?: boolean
  truncateFrom?: number
  dropBefore?: number
}
