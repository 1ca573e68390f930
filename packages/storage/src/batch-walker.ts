import type { PartitionBackend } from './backend.js'
import { lastOffsetDeltaOf } from './batch-bytes.js'
import type { TailCache } from './tail-cache.js'

/** Sees one batch; returns whether to go on. */
export type Visit = (baseOffset: number, lastOffset: number, bytes: Uint8Array) => boolean

/** A stored batch read ahead of its reader. */
interface AheadBatch {
  baseOffset: number
  lastOffset: number
  bytes: Uint8Array
}

/**
 * Batches held ahead of a sequential reader: the one a read could not fit, and the one
 * after it, read in the background. Bounded by bytes as well: twice the partition's
 * tail-cache share (one ~1 MiB batch fits it alone, so with 1 MiB batches two are held).
 */
const AHEAD_BATCHES_MAX = 2

/**
 * A partition log's read path: the batches in offset order, from the backend, the
 * batches a previous read left ahead, and the tail cache.
 */
export class BatchWalker {
  /**
   * Contiguous stored batches a reader going through the log asks for next: the one a
   * read pulled from LevelDB but could not fit under its maxBytes, and the one after it,
   * read in the background from the moment that read ends. Without the first, every such
   * read would read two batches for one (with 1 MiB batches, the producer's default,
   * 2 MiB from LevelDB per 1 MiB served); without the second, each read still waits for
   * LevelDB to learn that the next batch does not fit, while a client with one Fetch in
   * flight per broker (librdkafka, KafkaJS) waits for that answer before it asks again:
   * the read ahead overlaps LevelDB with the response's transfer and the client's parse.
   * Valid while the log's rewrites count is `aheadRewrites`.
   */
  private ahead: AheadBatch[] = []
  private aheadRewrites = -1
  /** The background read of the batch after the last ahead one, while it runs. */
  private prefetching: { from: number; done: Promise<void> } | null = null

  constructor(
    private readonly backend: PartitionBackend,
    private readonly cache: TailCache,
    /** Bumped by every change other than an append: truncation, retention, compaction. */
    private readonly rewrites: () => number,
    /** The log's end offset now. */
    private readonly logEnd: () => number,
  ) {}

  /** A batch read but not served: the next read likely starts with it; the one after it is read in the background. */
  keepAhead(baseOffset: number, lastOffset: number, bytes: Uint8Array): void {
    if (bytes.length > this.cache.bytesMax()) return
    const rewrites = this.rewrites()
    const at = this.aheadRewrites === rewrites ? this.ahead.findIndex((b) => b.baseOffset === baseOffset) : -1
    // served from the run already held (the reader moved on to it): keep it and what follows; else start a new run
    this.ahead = at >= 0 ? this.ahead.slice(at) : [{ baseOffset, lastOffset, bytes }]
    this.aheadRewrites = rewrites
    this.readAhead()
  }

  forget(): void {
    this.ahead = []
  }

  /** Starts reading the batch after the last ahead one, unless the run is full, it is in the tail cache, or a read runs. */
  private readAhead(): void {
    const last = this.ahead[this.ahead.length - 1]
    if (last === undefined || this.ahead.length >= AHEAD_BATCHES_MAX || this.prefetching !== null) return
    const from = last.lastOffset + 1
    // Never past the log end: after a truncation LevelDB may still hold the cut batches
    // until its deletes are written, and new batches appended later at those offsets do
    // not change the rewrites count, so a cut batch read ahead would be served as theirs.
    const stop = Math.min(this.cache.firstBaseOffset() ?? Number.MAX_SAFE_INTEGER, this.logEnd())
    if (from >= stop) return
    const rewrites = this.aheadRewrites
    const done = (async () => {
      try {
        for await (const b of this.backend.scan(from, stop)) {
          const tail = this.ahead[this.ahead.length - 1]
          const held = this.ahead.reduce((n, x) => n + x.bytes.length, 0)
          // still the run it was read for, contiguous (a compaction gap is left to the read), and within the bound
          if (this.aheadRewrites === rewrites && this.rewrites() === rewrites && tail?.lastOffset === from - 1 && b.baseOffset === from &&
            this.ahead.length < AHEAD_BATCHES_MAX && held + b.bytes.length <= 2 * this.cache.bytesMax()) {
            this.ahead.push({ baseOffset: b.baseOffset, lastOffset: b.baseOffset + lastOffsetDeltaOf(b.bytes), bytes: b.bytes })
          }
          break
        }
      } catch {
        // nothing is lost: the read that needs the batch reads it, and meets the error itself
      } finally {
        this.prefetching = null
      }
    })()
    this.prefetching = { from, done }
  }

  /** The ahead batch holding `offset`, if the run is still valid. */
  private aheadAt(offset: number): AheadBatch | undefined {
    if (this.aheadRewrites !== this.rewrites()) return undefined
    return this.ahead.find((b) => b.baseOffset <= offset && offset <= b.lastOffset)
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
      const ahead = this.aheadAt(cursor)
      if (ahead !== undefined) {
        if (!visit(ahead.baseOffset, ahead.lastOffset, ahead.bytes)) return
        cursor = ahead.lastOffset + 1
        atBoundary = true
        continue
      }
      const pending = this.prefetching
      if (pending !== null && pending.from === cursor) {
        // the batch asked for is being read ahead: wait for that read rather than start a second one
        await pending.done
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
