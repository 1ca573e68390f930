/**
 * The leader-epoch cache: which leader epoch began writing at which offset, Kafka's
 * LeaderEpochFileCache. A follower that meets a new leader asks it for the end of
 * its own latest epoch (OffsetsForLeaderEpoch) and truncates to the answer, so the
 * cache must shrink exactly when the log does.
 */
import type { EpochEntry } from './partition-log.js'
import { assert } from './assert.js'

export const UNDEFINED_EPOCH = -1
export const UNDEFINED_EPOCH_OFFSET = -1

export class LeaderEpochCache {
  private entries: EpochEntry[]

  constructor(entries: EpochEntry[] = []) {
    this.entries = entries.map((e) => ({ ...e }))
    for (let i = 1; i < this.entries.length; i++) {
      const [a, b] = [this.entries[i - 1], this.entries[i]]
      assert(a.epoch < b.epoch && a.startOffset <= b.startOffset, 'epoch cache entries must ascend')
    }
  }

  latestEpoch(): number {
    return this.entries.length === 0 ? UNDEFINED_EPOCH : this.entries[this.entries.length - 1].epoch
  }

  list(): EpochEntry[] {
    return this.entries.map((e) => ({ ...e }))
  }

  /**
   * `epoch` starts at `startOffset`. A repeat of the latest epoch is a no-op; an entry
   * that contradicts it (an older epoch, or an offset before the latest start) first
   * removes the entries it contradicts, as Kafka does. Returns whether anything changed.
   */
  assign(epoch: number, startOffset: number): boolean {
    const latest = this.entries[this.entries.length - 1]
    if (latest && latest.epoch === epoch && latest.startOffset <= startOffset) return false
    this.entries = this.entries.filter((e) => e.epoch < epoch && e.startOffset < startOffset)
    this.entries.push({ epoch, startOffset })
    return true
  }

  /** The log now ends at `endOffset`: forget epochs that start at or after it. */
  truncateFromEnd(endOffset: number): boolean {
    const before = this.entries.length
    this.entries = this.entries.filter((e) => e.startOffset < endOffset)
    return this.entries.length !== before
  }

  /**
   * The log now starts at `startOffset`: the epoch holding it starts there, earlier
   * epochs go.
   */
  truncateFromStart(startOffset: number): boolean {
    let keepFrom = 0
    for (let i = 0; i < this.entries.length; i++) if (this.entries[i].startOffset <= startOffset) keepFrom = i
    const head = this.entries[keepFrom]
    if (keepFrom === 0 && (!head || head.startOffset >= startOffset)) return false
    this.entries = this.entries.slice(keepFrom)
    this.entries[0] = { epoch: head.epoch, startOffset }
    return true
  }

  /**
   * Kafka's endOffsetForEpoch: for the latest epoch, the LEO; for an older cached
   * epoch, the start of the next epoch; for an epoch between cached ones, the largest
   * cached epoch below it and the start of the next; for an epoch older than every
   * cached one, itself and the first start offset; for an epoch newer than the latest
   * (or an empty cache), -1/-1.
   */
  endOffsetFor(epoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    const undefinedAnswer = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET }
    if (epoch === UNDEFINED_EPOCH) return undefinedAnswer
    if (this.latestEpoch() === epoch) return { epoch, endOffset: logEndOffset }
    const higher = this.entries.findIndex((e) => e.epoch > epoch)
    if (higher < 0) return undefinedAnswer
    if (higher === 0) return { epoch, endOffset: this.entries[0].startOffset }
    return { epoch: this.entries[higher - 1].epoch, endOffset: this.entries[higher].startOffset }
  }

  /** 12 bytes per entry: epoch int32, startOffset as a float64 (a safe integer). */
  encode(): Uint8Array {
    const out = new Uint8Array(this.entries.length * 12)
    const view = new DataView(out.buffer)
    this.entries.forEach((e, i) => {
      view.setInt32(i * 12, e.epoch)
      view.setFloat64(i * 12 + 4, e.startOffset)
    })
    return out
  }

  static decode(bytes: Uint8Array): LeaderEpochCache {
    assert(bytes.length % 12 === 0, `epoch cache blob of ${bytes.length} bytes is not a multiple of 12`)
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const entries: EpochEntry[] = []
    for (let at = 0; at < bytes.length; at += 12) {
      entries.push({ epoch: view.getInt32(at), startOffset: view.getFloat64(at + 4) })
    }
    return new LeaderEpochCache(entries)
  }
}
