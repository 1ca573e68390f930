import { assert } from '../errors.js'
import type { Entry, HardState, Snapshot } from '../types.js'

/**
 * A node's disk in the simulation, with exactly the DurableRaftLog semantics (see
 * ../durable.ts) but synchronous: append overwrites a suffix, saveSnapshot drops the
 * entries it covers and keeps the rest only if the log held the snapshot's last entry. On restart the node's MemoryRaftStorage is
 * rebuilt from load(), as the broker does.
 */
export class SimDisk {
  private hardState: HardState | null = null
  private snap: Snapshot | null = null
  /** Contiguous entries after the snapshot. */
  private entries: Entry[] = []

  load(): { hardState: HardState | null; snapshot: Snapshot | null; entries: Entry[] } {
    return { hardState: this.hardState && { ...this.hardState }, snapshot: this.snap, entries: this.entries.slice() }
  }

  append(entries: Entry[]): void {
    if (entries.length === 0) return
    const first = entries[0]!.index
    assert(first <= this.lastIndex() + 1, `disk append at ${first} leaves a gap after ${this.lastIndex()}`)
    this.entries = this.entries.filter((e) => e.index < first).concat(entries)
  }

  setHardState(hs: HardState): void {
    this.hardState = { ...hs }
  }

  /** Raft §7: keep the entries after the snapshot only if the log holds its last entry. */
  saveSnapshot(s: Snapshot): void {
    if (this.snap && s.index <= this.snap.index) return
    const keepTail = this.term(s.index) === s.term
    this.snap = s
    this.entries = keepTail ? this.entries.filter((e) => e.index > s.index) : []
  }

  hardStateNow(): HardState {
    return this.hardState ?? { term: 0, vote: 0, commit: 0 }
  }

  snapshotIndex(): number {
    return this.snap?.index ?? 0
  }

  firstIndex(): number {
    return this.snapshotIndex() + 1
  }

  lastIndex(): number {
    return this.entries.length > 0 ? this.entries[this.entries.length - 1]!.index : this.snapshotIndex()
  }

  /** Term at index, or undefined if not on disk. */
  term(index: number): number | undefined {
    if (this.snap && index === this.snap.index) return this.snap.term
    if (index === 0) return 0
    const first = this.entries[0]?.index
    if (first === undefined || index < first || index > this.lastIndex()) return undefined
    return this.entries[index - first]!.term
  }
}
