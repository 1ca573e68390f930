/**
 * Durable Raft logs (DurableRaftLog from @tributary/raft): `LevelRaftLog` in the
 * node's LevelDB under `raft/` (keys.ts), every write a `sync: true` batch that has
 * reached the disk before its promise resolves; `MemoryRaftLog` for tests and the
 * simulation.
 *
 * Encodings (big-endian):
 *   entry     = type u8 (0 normal, 1 noop, 2 config) | term f64 | data
 *   hardstate = term f64 | vote f64 | commit f64
 *   snapshot  = index f64 | term f64 | voterCount u32 | voters f64… | observerCount u32 | observers f64… | data
 */
import { CompactedError, entryBytes, type DurableRaftLog, type Entry, type HardState, type Snapshot } from '@tributary/raft'
import { assert } from './assert.js'
import { RAFT_ENTRY_KEYS, RAFT_HARD_STATE_KEY, RAFT_SNAPSHOT_KEY } from './keys.js'
import type { LevelDb } from './level-log-store.js'
import { OpQueue } from './op-queue.js'
import type { Op } from './write-group.js'

const ENTRY_TYPES = ['normal', 'noop', 'config'] as const

export function encodeEntry(e: Entry): Uint8Array {
  const out = new Uint8Array(9 + e.data.length)
  out[0] = ENTRY_TYPES.indexOf(e.type)
  new DataView(out.buffer).setFloat64(1, e.term)
  out.set(e.data, 9)
  return out
}

export function decodeEntry(index: number, b: Uint8Array): Entry {
  const type = ENTRY_TYPES[b[0]]
  assert(type !== undefined && b.length >= 9, `raft entry ${index} is malformed`)
  const term = new DataView(b.buffer, b.byteOffset, b.byteLength).getFloat64(1)
  return { index, term, type, data: b.slice(9) }
}

export function encodeHardState(hs: HardState): Uint8Array {
  const out = new Uint8Array(24)
  const v = new DataView(out.buffer)
  v.setFloat64(0, hs.term)
  v.setFloat64(8, hs.vote)
  v.setFloat64(16, hs.commit)
  return out
}

export function decodeHardState(b: Uint8Array): HardState {
  assert(b.length === 24, 'raft hard state is 24 bytes')
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength)
  return { term: v.getFloat64(0), vote: v.getFloat64(8), commit: v.getFloat64(16) }
}

export function encodeSnapshot(s: Snapshot): Uint8Array {
  const out = new Uint8Array(16 + 4 + 8 * s.voters.length + 4 + 8 * s.observers.length + s.data.length)
  const v = new DataView(out.buffer)
  v.setFloat64(0, s.index)
  v.setFloat64(8, s.term)
  let at = 16
  for (const ids of [s.voters, s.observers]) {
    v.setUint32(at, ids.length)
    at += 4
    for (const id of ids) {
      v.setFloat64(at, id)
      at += 8
    }
  }
  out.set(s.data, at)
  return out
}

export function decodeSnapshot(b: Uint8Array): Snapshot {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength)
  let at = 16
  const ids = (): number[] => {
    const n = v.getUint32(at)
    at += 4
    assert(at + 8 * n <= b.length, 'raft snapshot membership is cut short')
    const out = Array.from({ length: n }, (_, i) => v.getFloat64(at + 8 * i))
    at += 8 * n
    return out
  }
  const index = v.getFloat64(0)
  const term = v.getFloat64(8)
  const voters = ids()
  const observers = ids()
  return { index, term, voters, observers, data: b.slice(at) }
}

const copyEntry = (e: Entry): Entry => ({ index: e.index, term: e.term, type: e.type, data: e.data.slice() })
const copySnapshot = (s: Snapshot): Snapshot => ({ ...s, voters: [...s.voters], observers: [...s.observers], data: s.data.slice() })

function checkAppend(entries: Entry[], lastIndex: number): void {
  for (let i = 1; i < entries.length; i++) assert(entries[i].index === entries[i - 1].index + 1, 'raft entries must be contiguous')
  assert(entries[0].index <= lastIndex + 1, `raft append at ${entries[0].index} leaves a gap after ${lastIndex}`)
}

function checkRange(lo: number, snapshotIndex: number): void {
  assert(Number.isSafeInteger(lo) && lo >= 1, `raft entries from ${lo}: lo must be a positive integer`)
  if (lo <= snapshotIndex) throw new CompactedError(`raft entry ${lo} is compacted (snapshot at ${snapshotIndex})`)
}

function checkTruncate(index: number, hardState: HardState | null): void {
  assert(Number.isSafeInteger(index) && index >= 1, `raft truncateFrom(${index}): index must be a positive integer`)
  const commit = hardState?.commit ?? 0
  assert(index > commit, `raft truncateFrom(${index}) would delete committed entries (commit ${commit})`)
}

/** Keeps entries while their total stays within maxBytes, and always the first. */
class ByteBudget {
  private bytes = 0
  constructor(private readonly maxBytes: number) {}
  admits(e: Entry, taken: number): boolean {
    this.bytes += entryBytes(e)
    return taken === 0 || this.bytes <= this.maxBytes
  }
}

export class LevelRaftLog implements DurableRaftLog {
  /** First and last stored entry index (0/0 when none) and the snapshot index; read on first use. */
  private bounds: { first: number; last: number; snapshot: number } | null = null
  private readonly ops = new OpQueue()

  constructor(private readonly db: LevelDb) {}

  load(): Promise<{ hardState: HardState | null; snapshot: Snapshot | null; entries: Entry[] }> {
    return this.ops.exclusive(async () => {
      const [hs, snap] = await this.db.getMany([RAFT_HARD_STATE_KEY, RAFT_SNAPSHOT_KEY])
      const snapshot = snap ? decodeSnapshot(snap) : null
      const entries = await this.readRange((snapshot?.index ?? 0) + 1, Infinity, Infinity)
      return { hardState: hs ? decodeHardState(hs) : null, snapshot, entries }
    })
  }

  entries(lo: number, hi: number, maxBytes: number): Promise<Entry[]> {
    return this.ops.exclusive(async () => {
      checkRange(lo, (await this.loadBounds()).snapshot)
      return this.readRange(lo, hi, maxBytes)
    })
  }

  append(entries: Entry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve()
    return this.saveReady(entries, null, { sync: true })
  }

  saveReady(entries: Entry[], hardState: HardState | null, opts: { sync: boolean }): Promise<void> {
    if (entries.length === 0 && hardState === null) return Promise.resolve()
    return this.ops.exclusive(async () => {
      const b = await this.loadBounds()
      const ops: Op[] = []
      if (entries.length > 0) {
        checkAppend(entries, Math.max(b.last, b.snapshot))
        const keys = RAFT_ENTRY_KEYS
        for (const e of entries) ops.push({ type: 'put', key: keys.key(e.index), value: encodeEntry(e) })
        ops.push(...deletes(entries[entries.length - 1].index + 1, b.last))
      }
      if (hardState !== null) ops.push({ type: 'put', key: RAFT_HARD_STATE_KEY, value: encodeHardState(hardState) })
      // new entries always sync: a vote or an acknowledgement may rest on them
      await this.db.batch(ops, { sync: opts.sync || entries.length > 0 })
      if (entries.length > 0) {
        b.last = entries[entries.length - 1].index
        if (b.first === 0 || entries[0].index < b.first) b.first = entries[0].index
      }
    })
  }

  truncateFrom(index: number): Promise<void> {
    return this.ops.exclusive(async () => {
      const hs = await this.db.get(RAFT_HARD_STATE_KEY)
      checkTruncate(index, hs ? decodeHardState(hs) : null)
      const b = await this.loadBounds()
      if (b.first === 0 || index > b.last) return
      const from = Math.max(index, b.first)
      await this.db.batch(deletes(from, b.last), { sync: true })
      if (from === b.first) b.first = b.last = 0
      else b.last = from - 1
    })
  }

  setHardState(hs: HardState): Promise<void> {
    return this.ops.exclusive(() => this.db.put(RAFT_HARD_STATE_KEY, encodeHardState(hs), { sync: true }))
  }

  saveSnapshot(s: Snapshot): Promise<void> {
    return this.ops.exclusive(async () => {
      const b = await this.loadBounds()
      if (s.index <= b.snapshot) return
      const keepTail = await this.holds(b, s.index, s.term)
      const ops: Op[] = [{ type: 'put', key: RAFT_SNAPSHOT_KEY, value: encodeSnapshot(s) }]
      if (b.first > 0) ops.push(...deletes(b.first, keepTail ? s.index : b.last))
      await this.db.batch(ops, { sync: true })
      b.snapshot = s.index
      if (!keepTail || s.index >= b.last) b.first = b.last = 0
      else b.first = s.index + 1
    })
  }

  async close(): Promise<void> {
    await this.ops.exclusive(async () => {})
  }

  /** Is the entry (index, term) stored? */
  private async holds(b: { first: number; last: number }, index: number, term: number): Promise<boolean> {
    if (b.first === 0 || index < b.first || index > b.last) return false
    const value = await this.db.get(RAFT_ENTRY_KEYS.key(index))
    return value !== undefined && decodeEntry(index, value).term === term
  }

  /** One iterator over [lo, hi): reads only the range asked for. */
  private async readRange(lo: number, hi: number, maxBytes: number): Promise<Entry[]> {
    const out: Entry[] = []
    if (lo >= hi) return out
    const keys = RAFT_ENTRY_KEYS
    const budget = new ByteBudget(maxBytes)
    const range = { gte: keys.key(lo), lt: Number.isSafeInteger(hi) ? keys.key(hi) : keys.end }
    for await (const [key, value] of this.db.iterator(range)) {
      const e = decodeEntry(keys.offsetOf(key), value)
      if (!budget.admits(e, out.length)) break
      out.push(e)
    }
    return out
  }

  private async loadBounds(): Promise<{ first: number; last: number; snapshot: number }> {
    if (this.bounds) return this.bounds
    const keys = RAFT_ENTRY_KEYS
    const [first] = await this.db.keys({ gte: keys.prefix, lt: keys.end, limit: 1 }).all()
    const [last] = await this.db.keys({ gte: keys.prefix, lt: keys.end, limit: 1, reverse: true }).all()
    const snap = await this.db.get(RAFT_SNAPSHOT_KEY)
    this.bounds = {
      first: first ? keys.offsetOf(first) : 0,
      last: last ? keys.offsetOf(last) : 0,
      snapshot: snap ? decodeSnapshot(snap).index : 0,
    }
    return this.bounds
  }
}

/** Deletes of the entries in [from, to] (none when from > to). */
function deletes(from: number, to: number): Op[] {
  const ops: Op[] = []
  for (let i = from; i <= to; i++) ops.push({ type: 'del', key: RAFT_ENTRY_KEYS.key(i) })
  return ops
}

/** The same contract in memory; it keeps copies, so callers may reuse their arrays. */
export class MemoryRaftLog implements DurableRaftLog {
  private hardState: HardState | null = null
  private snapshot: Snapshot | null = null
  private log: Entry[] = []

  async load(): Promise<{ hardState: HardState | null; snapshot: Snapshot | null; entries: Entry[] }> {
    return {
      hardState: this.hardState && { ...this.hardState },
      snapshot: this.snapshot && copySnapshot(this.snapshot),
      entries: this.log.map(copyEntry),
    }
  }

  async entries(lo: number, hi: number, maxBytes: number): Promise<Entry[]> {
    checkRange(lo, this.snapshot?.index ?? 0)
    const budget = new ByteBudget(maxBytes)
    const out: Entry[] = []
    for (const e of this.log) {
      if (e.index < lo) continue
      if (e.index >= hi || !budget.admits(e, out.length)) break
      out.push(copyEntry(e))
    }
    return out
  }

  async append(entries: Entry[]): Promise<void> {
    if (entries.length === 0) return
    const last = this.log.length > 0 ? this.log[this.log.length - 1].index : (this.snapshot?.index ?? 0)
    checkAppend(entries, last)
    this.log = this.log.filter((e) => e.index < entries[0].index).concat(entries.map(copyEntry))
  }

  async truncateFrom(index: number): Promise<void> {
    checkTruncate(index, this.hardState)
    this.log = this.log.filter((e) => e.index < index)
  }

  async setHardState(hs: HardState): Promise<void> {
    this.hardState = { ...hs }
  }

  async saveSnapshot(s: Snapshot): Promise<void> {
    if (s.index <= (this.snapshot?.index ?? 0)) return
    const keepTail = this.log.some((e) => e.index === s.index && e.term === s.term)
    this.snapshot = copySnapshot(s)
    this.log = keepTail ? this.log.filter((e) => e.index > s.index) : []
  }

  async close(): Promise<void> {}
}
