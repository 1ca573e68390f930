import { assert, CompactedError, UnavailableError } from './errors.js'
import { emptyHardState, emptySnapshot, type Entry, type HardState, type Snapshot } from './types.js'

/** Bytes counted per entry beyond its data, so empty entries still cost something against byte bounds. */
export const ENTRY_OVERHEAD_BYTES = 24

export const entryBytes = (e: Entry): number => e.data.length + ENTRY_OVERHEAD_BYTES

/**
 * What the Raft core reads, synchronously. It only ever holds data that is already
 * durable: the driving loop appends to it *after* persisting a Ready, before advance().
 *
 * Index space: the snapshot covers (0, snapshot.index]; entries cover
 * [firstIndex(), lastIndex()]; firstIndex() = snapshot.index + 1 always, and
 * term(firstIndex() - 1) is the snapshot's term. An empty log has firstIndex 1,
 * lastIndex 0.
 *
 * Errors (thrown, caught by the core):
 *   CompactedError   the index is below firstIndex() - 1 (entries) / below firstIndex() (term excepted):
 *                    the data lives only in the snapshot now; the leader sends the snapshot instead.
 *   UnavailableError the index is above lastIndex(): not written (yet).
 *
 * Ownership: returned arrays are fresh and belong to the caller; the Entry objects
 * and Uint8Arrays inside are shared and must never be mutated by anyone.
 */
export interface RaftStorage {
  /** The hard state, and the membership recorded in the latest snapshot (empty arrays if none). */
  initialState(): { hardState: HardState; voters: number[]; observers: number[] }
  /**
   * Entries in [lo, hi), stopping before the total passes maxBytes — but always at
   * least one entry when lo < hi, so a huge entry cannot stall replication.
   */
  entries(lo: number, hi: number, maxBytes: number): Entry[]
  term(index: number): number
  firstIndex(): number
  lastIndex(): number
  /** The latest snapshot; index 0 means there is none. */
  snapshot(): Snapshot
}

/**
 * The in-memory RaftStorage. The app writes to it after persisting (through
 * DurableRaftLog); on restart it is rebuilt with `fromDurable(await durable.load())`.
 */
export class MemoryRaftStorage implements RaftStorage {
  private hardState: HardState
  private snap: Snapshot
  /** ents[k] has index snap.index + 1 + k. */
  private ents: Entry[]

  constructor(init: { hardState?: HardState | null; snapshot?: Snapshot | null; entries?: Entry[] } = {}) {
    this.hardState = { ...(init.hardState ?? emptyHardState()) }
    this.snap = init.snapshot ?? emptySnapshot()
    this.ents = []
    const entries = validTail(this.snap, init.entries ?? [])
    if (entries.length > 0) {
      assert(entries[0]!.index === this.snap.index + 1, `entries must start right after the snapshot (${this.snap.index})`)
      this.append(entries)
    }
  }

  static fromDurable(loaded: { hardState: HardState | null; snapshot: Snapshot | null; entries: Entry[] }): MemoryRaftStorage {
    return new MemoryRaftStorage(loaded)
  }

  initialState(): { hardState: HardState; voters: number[]; observers: number[] } {
    return { hardState: { ...this.hardState }, voters: [...this.snap.voters], observers: [...this.snap.observers] }
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo < this.firstIndex()) throw new CompactedError(`entry ${lo} is compacted (first ${this.firstIndex()})`)
    if (hi > this.lastIndex() + 1) throw new UnavailableError(`entry ${hi - 1} is beyond last ${this.lastIndex()}`)
    const out: Entry[] = []
    let bytes = 0
    for (let i = lo; i < hi; i++) {
      const e = this.ents[i - this.snap.index - 1]!
      bytes += entryBytes(e)
      if (out.length > 0 && bytes > maxBytes) break
      out.push(e)
    }
    return out
  }

  term(index: number): number {
    if (index === this.snap.index) return this.snap.term
    if (index < this.snap.index) throw new CompactedError(`term ${index} is compacted (first ${this.firstIndex()})`)
    if (index > this.lastIndex()) throw new UnavailableError(`term ${index} is beyond last ${this.lastIndex()}`)
    return this.ents[index - this.snap.index - 1]!.term
  }

  firstIndex(): number {
    return this.snap.index + 1
  }

  lastIndex(): number {
    return this.snap.index + this.ents.length
  }

  snapshot(): Snapshot {
    return this.snap
  }

  hardStateNow(): HardState {
    return { ...this.hardState }
  }

  setHardState(hs: HardState): void {
    this.hardState = { ...hs }
  }

  /**
   * Append entries (contiguous, ascending) that the Raft core handed out in a Ready.
   * An entry at index i replaces every held entry >= i (conflict truncation).
   * Entries at or below the snapshot are dropped: they are already covered.
   */
  append(entries: Entry[]): void {
    if (entries.length === 0) return
    let from = 0
    while (from < entries.length && entries[from]!.index <= this.snap.index) from++
    if (from === entries.length) return
    const first = entries[from]!.index
    assert(first <= this.lastIndex() + 1, `append at ${first} leaves a gap after ${this.lastIndex()}`)
    const keep = first - this.snap.index - 1
    if (keep < this.ents.length) this.ents.length = keep
    for (let k = from; k < entries.length; k++) {
      assert(entries[k]!.index === first + k - from, 'appended entries must be contiguous')
      this.ents.push(entries[k]!)
    }
  }

  /** Replace everything with a snapshot received from the leader (Ready.snapshot). */
  applySnapshot(snap: Snapshot): void {
    if (snap.index <= this.snap.index) return
    this.snap = snap
    this.ents = []
  }

  /**
   * Record a snapshot the app took of its own state (RaftNode.compact) and drop the
   * entries it covers; later entries stay.
   */
  createSnapshot(snap: Snapshot): void {
    if (snap.index <= this.snap.index) return
    assert(snap.index <= this.lastIndex(), `snapshot ${snap.index} is beyond last ${this.lastIndex()}`)
    assert(this.term(snap.index) === snap.term, `snapshot term ${snap.term} disagrees with the log`)
    this.ents = this.ents.slice(snap.index - this.snap.index)
    this.snap = snap
  }
}

/**
 * The entries after the snapshot that can belong to one Raft log with it. A
 * DurableRaftLog drops a divergent log when it saves a snapshot (Raft §7), but a
 * store written before it did may still hold a stale tail after a leader's snapshot.
 * Terms never decrease along a Raft log, so the stale part starts at the first entry
 * whose term is below its predecessor's (the snapshot's, first): keeping it would
 * make this node look less up to date than it is and let it vote for a candidate
 * missing committed entries. Everything from there on is dropped, as is anything
 * not contiguous.
 */
function validTail(snap: Snapshot, entries: Entry[]): Entry[] {
  const out: Entry[] = []
  let prevTerm = snap.term
  let next = snap.index + 1
  for (const e of entries) {
    if (e.index <= snap.index) continue
    if (e.index !== next || e.term < prevTerm) break
    out.push(e)
    prevTerm = e.term
    next++
  }
  return out
}
