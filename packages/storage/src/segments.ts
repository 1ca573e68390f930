/**
 * The node's log segments (keys.ts): every write goes into the current segment, and
 * once `segmentBytes` have gone into it the next write group starts a new one. A
 * group never spans two segments, so a partition's state record always sits in the
 * same segment as the data written with it.
 *
 * Once a segment's last group is written, LevelDB is asked to flush its memtable
 * (a compactRange over an empty key range does exactly that), so a table file holds
 * one segment and overlaps no other file: LevelDB places it low in the tree and
 * never merges it. With segmentBytes well under the memtable size the memtable
 * never fills on its own. The next group is written a turn later without waiting
 * for the flush; should it still reach the old memtable, the files merely overlap.
 *
 * Segments are not files, and not Kafka's per-partition LogSegment: a segment is a
 * node-wide key prefix shared by every partition, so starting one costs nothing and
 * an emptied one simply has no keys left.
 */
import { assert } from './assert.js'
import { LOG_END, LOG_START, SEGMENT_MAX, segmentOf, segmentStart } from './keys.js'
import type { LevelDb } from './level-log-store.js'

export class Segments {
  private written = 0

  private constructor(
    private readonly known: number[],
    private readonly segmentBytes: number,
  ) {}

  /**
   * Finds the segments present by seeking from each to the next (one seek per
   * segment, not a scan), and starts a new one after the newest.
   */
  static async open(db: LevelDb, segmentBytes: number): Promise<Segments> {
    assert(segmentBytes > 0, `segmentBytes ${segmentBytes} must be positive`)
    const known: number[] = []
    for (let from: Uint8Array = LOG_START; ; ) {
      const [key] = await db.keys({ gte: from, lt: LOG_END, limit: 1 }).all()
      if (key === undefined) break
      const segment = segmentOf(key)
      known.push(segment)
      if (segment === SEGMENT_MAX) break
      from = segmentStart(segment + 1)
    }
    const next = known.length === 0 ? 0 : known[known.length - 1] + 1
    assert(next <= SEGMENT_MAX, 'out of log segments')
    known.push(next)
    return new Segments(known, segmentBytes)
  }

  /** The segment new writes go into. */
  get current(): number {
    return this.known[this.known.length - 1]
  }

  /** Every segment that may hold keys, ascending (the current one last). */
  all(): readonly number[] {
    return this.known
  }

  /** Count bytes written into the current segment. */
  wrote(bytes: number): void {
    this.written += bytes
  }

  /** Between two write groups: start the next segment once the current one is full; true if it did. */
  maybeRoll(): boolean {
    if (this.written < this.segmentBytes) return false
    assert(this.current < SEGMENT_MAX, 'out of log segments')
    this.known.push(this.current + 1)
    this.written = 0
    return true
  }
}
