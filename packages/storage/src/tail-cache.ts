/**
 * The hot tail of one partition: its newest batches, in memory, so that followers
 * and caught-up consumers (who read what was just written) rarely touch LevelDB.
 *
 * The cached batches are always a contiguous suffix of the log: appends add at the
 * tail, eviction takes from the head, truncation cuts the tail. A batch whose write
 * has not finished yet is never evicted, so every batch is always either in LevelDB
 * or here (the cache may overshoot its bound by what is still queued for writing,
 * which the write queue bounds).
 */
import { assert } from './assert.js'

export interface CachedBatch {
  baseOffset: number
  lastOffset: number
  bytes: Uint8Array
  /** Set once the batch's write group is in LevelDB. */
  flushed: boolean
}

/**
 * Shares `totalBytesMax` between every open partition: each gets
 * min(perPartitionBytesMax, totalBytesMax / open partitions).
 */
export class TailCacheBudget {
  private readonly caches = new Set<TailCache>()
  constructor(
    readonly perPartitionBytesMax: number,
    readonly totalBytesMax: number,
  ) {}

  register(cache: TailCache): void {
    this.caches.add(cache)
    for (const c of this.caches) c.evict()
  }

  unregister(cache: TailCache): void {
    this.caches.delete(cache)
  }

  bytesMaxPerPartition(): number {
    return Math.min(this.perPartitionBytesMax, Math.floor(this.totalBytesMax / Math.max(1, this.caches.size)))
  }
}

/** Drop consumed head slots once they are this many or the bigger half. */
const HEAD_SLOTS_COMPACT_MIN = 256

const EVICTED: CachedBatch = Object.freeze({ baseOffset: -1, lastOffset: -1, bytes: new Uint8Array(0), flushed: true })

export class TailCache {
  /** Slots before `head` are consumed and emptied (so their bytes can be collected). */
  private items: CachedBatch[] = []
  private head = 0
  private bytes = 0

  constructor(private readonly budget: TailCacheBudget | null) {
    budget?.register(this)
  }

  private bytesMax(): number {
    return this.budget ? this.budget.bytesMaxPerPartition() : 0
  }

  /** The first cached batch's baseOffset, or null when empty. */
  firstBaseOffset(): number | null {
    return this.head < this.items.length ? this.items[this.head].baseOffset : null
  }

  size(): number {
    return this.bytes
  }

  append(baseOffset: number, lastOffset: number, bytes: Uint8Array): CachedBatch {
    const last = this.items[this.items.length - 1]
    assert(this.head === this.items.length || last.lastOffset < baseOffset, 'cache appends must ascend')
    const item: CachedBatch = { baseOffset, lastOffset, bytes, flushed: false }
    this.items.push(item)
    this.bytes += bytes.length
    return item
  }

  /** The batches are in LevelDB now: they may go. */
  markFlushed(items: CachedBatch[]): void {
    for (const item of items) item.flushed = true
    this.evict()
  }

  evict(): void {
    const max = this.bytesMax()
    while (this.bytes > max && this.head < this.items.length && this.items[this.head].flushed) this.dropHead()
    this.compactSlots()
  }

  /**
   * Index of the first cached batch that holds an offset >= `offset`, or -1 when
   * `offset` is before the cached range (the caller must read LevelDB).
   */
  indexFor(offset: number): number {
    if (this.head === this.items.length || offset < this.items[this.head].baseOffset) return -1
    let lo = this.head
    let hi = this.items.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.items[mid].lastOffset < offset) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  at(index: number): CachedBatch | undefined {
    return index >= this.head ? this.items[index] : undefined
  }

  /** Forget every batch with baseOffset >= `offset` (log truncation). */
  truncateFrom(offset: number): void {
    while (this.items.length > this.head && this.items[this.items.length - 1].baseOffset >= offset) {
      this.bytes -= this.items.pop()!.bytes.length
    }
  }

  /** Forget every batch whose lastOffset < `offset` (retention moved the log start). */
  dropBefore(offset: number): void {
    while (this.head < this.items.length && this.items[this.head].lastOffset < offset) this.dropHead()
    this.compactSlots()
  }

  /** Replace or remove cached batches rewritten by compaction (keyed by baseOffset). */
  rewrite(changes: Map<number, Uint8Array | null>): void {
    const kept: CachedBatch[] = []
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i]
      if (!changes.has(item.baseOffset)) {
        kept.push(item)
        continue
      }
      const bytes = changes.get(item.baseOffset)
      this.bytes -= item.bytes.length
      if (bytes) {
        kept.push({ ...item, bytes })
        this.bytes += bytes.length
      }
    }
    this.items = kept
    this.head = 0
  }

  clear(): void {
    this.items = []
    this.head = 0
    this.bytes = 0
  }

  close(): void {
    this.clear()
    this.budget?.unregister(this)
  }

  private dropHead(): void {
    this.bytes -= this.items[this.head].bytes.length
    this.items[this.head] = EVICTED
    this.head++
  }

  private compactSlots(): void {
    if (this.head > 0 && (this.head >= HEAD_SLOTS_COMPACT_MIN || this.head * 2 >= this.items.length)) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
  }
}
