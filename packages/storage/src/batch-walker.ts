import type { PartitionBackend } from './backend.js'
import { lastOffsetDeltaOf } from './batch-bytes.js'
import type { TailCache } from './tail-cache.js'

/** Sees one batch; returns whether to go on. */
export type Visit = (baseOffset: number, lastOffset: number, bytes: Uint8Array) => boolean

/**
 * A partition log's read path: the batches in offset order, from the backend, the
 * batch a previous read left ahead, and the tail cache.
 */
export class BatchWalker {
  /**
   * The stored batch a read pulled from LevelDB but could not fit under its maxBytes:
   * the next read of a consumer going through the log starts there. Without it every
   * such read reads two batches for one (with 1 MiB batches, the producer's default,
   * 2 MiB from LevelDB per 1 MiB served). Valid while the log's rewrites count is unchanged.
   */
  private readAhead: { baseOffset: number; lastOffset: number; bytes: Uint8Array; rewrites: number } | null = null

  constructor(
    private readonly backend: PartitionBackend,
    private readonly cache: TailCache,
    /** Bumped by every change other than an append: truncation, retention, compaction. */
    private readonly rewrites: () => number,
  ) {}

  /** A batch read but not served: the next read likely starts with it. */
  keepAhead(baseOffset: number, lastOffset: number, bytes: Uint8Array): void {
    if (bytes.length <= this.cache.bytesMax()) this.readAhead = { baseOffset, lastOffset, bytes, rewrites: this.rewrites() }
  }

  forget(): void {
    this.readAhead = null
  }

  /**
   * Visits the batches holding offsets >= `from` in order, from the backend up to the
   * cached tail and then from the cache, until `visit` returns false. The cache's
   * head may move while the backend is read, so this alternates until done.
   */
  async walk(from: number, visit: Visit): Promise<void> {
    let cursor = from
    // the cursor just past a batch visited: no batch can straddle it (batches do not overlap)
    let atBoundary = false
    for (;;) {
      const index = this.cache.indexFor(cursor)
      if (index >= 0) {
        for (let i = index, b = this.cache.at(i); b !== undefined; b = this.cache.at(++i)) {
          if (!visit(b.baseOffset, b.lastOffset, b.bytes)) return
        }
        return
      }
      const ahead = this.readAhead
      if (ahead !== null && ahead.rewrites === this.rewrites() && ahead.baseOffset <= cursor && cursor <= ahead.lastOffset) {
        if (!visit(ahead.baseOffset, ahead.lastOffset, ahead.bytes)) return
        cursor = ahead.lastOffset + 1
        atBoundary = true
        continue
      }
      const stop = this.cache.firstBaseOffset() ?? Number.MAX_SAFE_INTEGER
      // A cursor inside a batch starts the scan at that batch; the floor's key alone
      // says where, so the batch is read once, by the scan. Past a batch just visited
      // (a sequential reader after its read-ahead batch) that lookup is skipped: one
      // backend round trip less per read.
      const floor = atBoundary ? null : await this.backend.floor(cursor, { values: false })
      const start = floor !== null && floor.baseOffset < cursor ? floor.baseOffset : cursor
      for await (const b of this.backend.scan(start, stop)) {
        const last = b.baseOffset + lastOffsetDeltaOf(b.bytes)
        if (last < cursor) continue // the floor batch ends before the cursor (a gap left by compaction)
        if (!visit(b.baseOffset, last, b.bytes)) return
        cursor = last + 1
        atBoundary = true
      }
      if (stop === Number.MAX_SAFE_INTEGER) return
      cursor = Math.max(cursor, stop)
    }
  }
}
