/**
 * Durable Raft logs (DurableRaftLog from @tributary/raft): `LevelRaftLog` in the
 * node's LevelDB under `raft/` (keys.ts), every write a `sync: true` batch that has
 * reached the disk before its promise resolves; `MemoryRaftLog` for tests and the
 * simulation.
 *
 * Encodings (big-endian):
 *   entry     = type u8 (0 normal, 1 noop) | term f64 | data
 *   hardstate = term f64 | vote f64 | commit f64
 *   snapshot  = index f64 | term f64 | voterCount u32 | voters f64… | observerCount u32 | observers f64… | data
 */
import type { DurableRaftLog, Entry, HardState, Snapshot } from '@tributary/raft'
import { assert } from './assert.js'
import { RAFT_ENTRY_KEYS, RAFT_HARD_STATE_KEY, RAFT_SNAPSHOT_KEY } from './keys.js'
import type { LevelDb } from './level-log-store.js'
import { OpQueue } from './op-queue.js'
import type { Op } from './write-group.js'

const ENTRY_TYPES = ['normal', 'noop'] as const

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

export class LevelRaftLog implements DurableRaftLog {
  /** First and last stored entry index (0/0 when none) and the snapshot index; read on first use. */
  private bounds: { first: number; last: number; snapshot: number } | null = null
  private readonly ops = new OpQueue()

  constructor(private readonly db: LevelDb) {}

  load(): Promise<{ hardState: HardState | null; snapshot: Snapshot | null; entries: Entry[] }> {
    return this.ops.exclusive(async () => {
      const [hs, snap] = await this.db.getMany([RAFT_HARD_STATE_KEY, RAFT_SNAPSHOT_KEY])
      const snapshot = snap ? decodeSnapshot(snap) : null
      const entries: Entry[] = []
      const keys = RAFT_ENTRY_KEYS
      const after = snapshot ? snapshot.index + 1 : 0
      for await (const [key, value] of this.db.iterator({ gte: keys.key(after), lt: keys.end })) {
        entries.push(decodeEntry(keys.offsetOf(key), value))
      }
      return { hardState: hs ? decodeHardState(hs) : null, snapshot, entries }
    })
  }

  append(entries: Entry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve()
    return this.ops.exclusive(async () => {
      const b = await this.loadBounds()
      checkAppend(entries, Math.max(b.last, b.snapshot))
      const keys = RAFT_ENTRY_KEYS
      const ops: Op[] = entries.map((e) => ({ type: 'put', key: keys.key(e.index), value: encodeEntry(e) }))
      const newLast = entries[entries.length - 1].index
      for (let i = newLast + 1; i <= b.last; i++) ops.push({ type: 'del', key: keys.key(i) })
      await this.db.batch(ops, { sync: true })
      b.last = newLast
      if (b.first === 0 || entries[0].index < b.first) b.first = entries[0].index
    })
  }

  setHardState(hs: HardState): Promise<void> {
    return this.ops.exclusive(() => this.db.put(RAFT_HARD_STATE_KEY, encodeHardState(hs), { sync: true }))
  }

  saveSnapshot(s: Snapshot): Promise<void> {
    return this.ops.exclusive(async () => {
      const b = await this.loadBounds()
      const ops: Op[] = [{ type: 'put', key: RAFT_SNAPSHOT_KEY, value: encodeSnapshot(s) }]
      const dropTo = Math.min(s.index, b.last)
      for (let i = b.first; b.first > 0 && i <= dropTo; i++) ops.push({ type: 'del', key: RAFT_ENTRY_KEYS.key(i) })
      await this.db.batch(ops, { sync: true })
      b.snapshot = s.index
      if (s.index >= b.last) b.first = b.last = 0
      else if (b.first > 0 && b.first <= s.index) b.first = s.index + 1
    })
  }

  async close(): Promise<void> {
    await this.ops.exclusive(async () => {})
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

/** The same contract in memory; it keeps copies, so callers may reuse their arrays. */
export class MemoryRaftLog implements DurableRaftLog {
  private hardState: HardState | null = null
  private snapshot: Snapshot | null = null
  private entries: Entry[] = []

  async load(): Promise<{ hardState: HardState | null; snapshot: Snapshot | null; entries: Entry[] }> {
    return {
      hardState: this.hardState && { ...this.hardState },
      snapshot: this.snapshot && copySnapshot(this.snapshot),
      entries: this.entries.map(copyEntry),
    }
  }

  async append(entries: Entry[]): Promise<void> {
    if (entries.length === 0) return
    const last = this.entries.length > 0 ? this.entries[this.entries.length - 1].index : (this.snapshot?.index ?? 0)
    checkAppend(entries, last)
    this.entries = this.entries.filter((e) => e.index < entries[0].index).concat(entries.map(copyEntry))
  }

  async setHardState(hs: HardState): Promise<void> {
    this.hardState = { ...hs }
  }

  async saveSnapshot(s: Snapshot): Promise<void> {
    this.snapshot = copySnapshot(s)
    this.entries = this.entries.filter((e) => e.index > s.index)
  }

  async close(): Promise<void> {}
}
