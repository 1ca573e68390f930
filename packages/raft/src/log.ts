import { assert, CompactedError, UnavailableError } from './errors.js'
import { entryBytes, type RaftStorage } from './storage.js'
import type { Entry, Snapshot } from './types.js'

/**
 * The node's view of its log: what storage holds (durable) plus what is not yet
 * durable (`unstable*`, handed out in the next Ready). Unstable data shadows storage
 * from `unstableOffset` on, so a conflict truncation is visible at once and reaches
 * storage when the Ready is persisted.
 */
export class RaftLog {
  unstableSnapshot: Snapshot | null = null
  unstableEntries: Entry[] = []
  /** Index of unstableEntries[0] (lastIndex + 1 when there are none). */
  unstableOffset: number
  committed: number
  applied: number

  constructor(
    readonly storage: RaftStorage,
    committed: number,
    applied: number,
  ) {
    this.unstableOffset = storage.lastIndex() + 1
    const snapIndex = storage.firstIndex() - 1
    this.committed = Math.max(committed, snapIndex)
    assert(this.committed <= storage.lastIndex(), `commit ${this.committed} beyond last index ${storage.lastIndex()}`)
    assert(applied >= snapIndex && applied <= this.committed, `applied ${applied} outside [${snapIndex}, ${this.committed}]`)
    this.applied = applied
  }

  firstIndex(): number {
    return this.unstableSnapshot ? this.unstableSnapshot.index + 1 : this.storage.firstIndex()
  }

  lastIndex(): number {
    if (this.unstableEntries.length > 0) return this.unstableOffset + this.unstableEntries.length - 1
    if (this.unstableSnapshot) return this.unstableSnapshot.index
    return this.storage.lastIndex()
  }

  /** Term of the entry at index, or undefined if it is compacted or not in the log. */
  term(index: number): number | undefined {
    if (index < this.firstIndex() - 1 || index > this.lastIndex()) return undefined
    if (index >= this.unstableOffset) return this.unstableEntries[index - this.unstableOffset]!.term
    if (this.unstableSnapshot) return index === this.unstableSnapshot.index ? this.unstableSnapshot.term : undefined
    if (index === 0) return 0
    try {
      return this.storage.term(index)
    } catch (e) {
      if (e instanceof CompactedError || e instanceof UnavailableError) return undefined
      throw e
    }
  }

  lastTerm(): number {
    const t = this.term(this.lastIndex())
    assert(t !== undefined, 'the last entry always has a term')
    return t
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term
  }

  /** §5.4.1: a candidate's log is at least as up-to-date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm()
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex())
  }

  /** Index of the first entry whose term differs from ours (or that we lack), 0 if all match. */
  findConflict(entries: Entry[]): number {
    for (const e of entries) {
      if (!this.matchTerm(e.index, e.term)) return e.index
    }
    return 0
  }

  /**
   * Fast back-off: the largest index <= index whose term is <= term, with its term.
   * Entries in between cannot match a leader whose entry at `index` has `term`.
   */
  findConflictByTerm(index: number, term: number): [number, number] {
    let i = Math.min(index, this.lastIndex())
    for (;;) {
      const t = this.term(i)
      if (t === undefined) return [i, 0]
      if (t <= term) return [i, t]
      i--
    }
  }

  append(entries: Entry[]): number {
    if (entries.length === 0) return this.lastIndex()
    const after = entries[0]!.index
    assert(after > this.committed, `append at ${after} would overwrite committed ${this.committed}`)
    const end = this.unstableOffset + this.unstableEntries.length
    if (after === end) {
      for (const e of entries) this.unstableEntries.push(e)
    } else if (after <= this.unstableOffset) {
      this.unstableOffset = after
      this.unstableEntries = entries.slice()
    } else {
      this.unstableEntries = this.unstableEntries.slice(0, after - this.unstableOffset).concat(entries)
    }
    return this.lastIndex()
  }

  /**
   * Entries in [lo, hi), at most maxEntries and (past the first) maxBytes.
   * Undefined if lo is compacted.
   */
  slice(lo: number, hi: number, maxBytes: number, maxEntries = Infinity): Entry[] | undefined {
    if (lo < this.firstIndex()) return undefined
    assert(hi <= this.lastIndex() + 1, `slice end ${hi} beyond last ${this.lastIndex()}`)
    if (lo >= hi) return []
    hi = Math.min(hi, lo + maxEntries)
    let out: Entry[] = []
    let bytes = 0
    if (lo < this.unstableOffset) {
      try {
        out = this.storage.entries(lo, Math.min(hi, this.unstableOffset), maxBytes)
      } catch (e) {
        if (e instanceof CompactedError) return undefined
        throw e
      }
      for (const e of out) bytes += entryBytes(e)
      if (out.length < Math.min(hi, this.unstableOffset) - lo) return out
    }
    for (let i = Math.max(lo, this.unstableOffset); i < hi; i++) {
      const e = this.unstableEntries[i - this.unstableOffset]!
      bytes += entryBytes(e)
      if (out.length > 0 && bytes > maxBytes) break
      out.push(e)
    }
    return out
  }

  commitTo(index: number): boolean {
    if (index <= this.committed) return false
    assert(index <= this.lastIndex(), `commit ${index} beyond last index ${this.lastIndex()}`)
    this.committed = index
    return true
  }

  /** Committed entries not yet handed to the app, up to maxBytes (at least one). */
  nextCommitted(maxBytes: number): Entry[] {
    if (this.unstableSnapshot) return []
    const lo = Math.max(this.applied + 1, this.firstIndex())
    if (lo > this.committed) return []
    return this.slice(lo, this.committed + 1, maxBytes) ?? []
  }

  /** The entries up to (index, term) are now durable in storage. */
  stableTo(index: number, term: number): void {
    if (index < this.unstableOffset) return
    if (this.term(index) !== term) return
    this.unstableEntries = this.unstableEntries.slice(index + 1 - this.unstableOffset)
    this.unstableOffset = index + 1
  }

  stableSnapTo(index: number): void {
    if (this.unstableSnapshot && this.unstableSnapshot.index === index) this.unstableSnapshot = null
  }

  appliedTo(index: number): void {
    assert(index <= this.committed && index >= this.applied, `applied ${index} outside [${this.applied}, ${this.committed}]`)
    this.applied = index
  }

  /** Replace the log with a snapshot from the leader. */
  restore(snap: Snapshot): void {
    this.committed = snap.index
    this.unstableSnapshot = snap
    this.unstableEntries = []
    this.unstableOffset = snap.index + 1
  }
}
