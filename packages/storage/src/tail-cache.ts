/**
 * The hot tail of one partition: its newest batches, in memory, so that followers
 * and caught-up consumers (who read what was just written) rarely touch LevelDB.
 *
 * The cached batches are always a contiguous suffix of the log: appends add at the
 * tail, eviction takes from the head, truncation cuts the tail. A batch whose write
 * has not finished yet is never evicted, so every batch is always either in LevelDB
 * or here. The bound applies to written batches only: what is still queued for
 * writing is bounded by the write queue, and counting it would evict every written
 * batch whenever more than the bound is in flight (a producer with 4 MiB in flight
 * against a 1 MiB bound), sending the consumers at the tail to LevelDB.
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
 * min(perPartitionBytesMax, totalBytesMax / open partitions). An idle partition
 * gives its share back (`releaseIdle`), so the bytes held track the partitions
 * being written, not the partitions open.
 */
export class TailCacheBudget {
  private readonly caches = new Set<TailCache>()
  constructor(
    readonly perPartitionBytesMax: number,
    readonly totalBytesMax: number,
  ) {}

  /** Bytes held by every cache (written and not yet written). */
  usedBytes(): number {
    let n = 0
    for (const c of this.caches) n += c.size()
    return n
  }

  /** Caches holding at least one batch. */
  holding(): number {
    let n = 0
    for (const c of this.caches) if (c.size() > 0) n++
    return n
  }

  /**
   * Empty (of written batches) every cache not appended to since the previous
   * call: the caller calls it once per idle interval. Returns the bytes released.
   */
  releaseIdle(): number {
    let released = 0
    for (const c of this.caches) released += c.releaseIfIdle()
    return released
  }

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
  /** Bytes of cached batches not yet written (never evicted, not counted against the bound). */
  private unwritten = 0
  /** appended to since the last idle sweep */
  private appended = false

  constructor(private readonly budget: TailCacheBudget | null) {
    budget?.register(this)
  }

  /** This partition's share of the budget (bytes). */
  bytesMax(): number {
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
    this.appended = true
    this.bytes += bytes.length
    this.unwritten += bytes.length
    return item
  }

  /** The batches are in LevelDB now: they may go. */
  markFlushed(items: CachedBatch[]): void {
    for (const item of items) {
      if (item.flushed) continue // also: already dropped by truncation, compaction or clear
      item.flushed = true
      this.unwritten -= item.bytes.length
    }
    this.evict()
  }

  evict(max = this.bytesMax()): void {
    while (this.bytes - this.unwritten > max && this.head < this.items.length && this.items[this.head].flushed) this.dropHead()
    this.compactSlots()
  }

  /** Drop every written batch when nothing was appended since the last sweep; the bytes released. */
  releaseIfIdle(): number {
    const idle = !this.appended
    this.appended = false
    if (!idle || this.bytes === this.unwritten) return 0
    const before = this.bytes
    this.evict(0)
    if (this.head === this.items.length) {
      this.items = [] // also the slots array's capacity
      this.head = 0
    }
    return before - this.bytes
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
      this.forget(this.items.pop()!)
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
      const bytes = changes.get(item.baseOffset)
      if (bytes === undefined) {
        kept.push(item)
      } else if (bytes === null) {
        this.forget(item)
      } else {
        // In place: the append that made the item still holds it and marks it written.
        const delta = bytes.length - item.bytes.length
        this.bytes += delta
        if (!item.flushed) this.unwritten += delta
        item.bytes = bytes
        kept.push(item)
      }
    }
    this.items = kept
    this.head = 0
  }

  clear(): void {
    for (let i = this.head; i < this.items.length; i++) this.forget(this.items[i])
    this.items = []
    this.head = 0
  }

  /** Account for an item leaving the cache; marking it written keeps a late markFlushed from counting it twice. */
  private forget(item: CachedBatch): void {
    this.bytes -= item.bytes.length
    if (!item.flushed) this.unwritten -= item.bytes.length
    item.flushed = true
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
