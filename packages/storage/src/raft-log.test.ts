/** DurableRaftLog contract, run against LevelDB (with reopen) and memory. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CompactedError, decodeVoters, encodeVoters, MemoryRaftStorage, type DurableRaftLog, type Entry, type Snapshot } from '@tributary/raft'
import { openLevelStorage, type LevelStorage } from './level-storage.js'
import { MemoryRaftLog } from './raft-log.js'
import type { Op } from './write-group.js'

interface RaftWorld {
  log: DurableRaftLog
  /** A fresh instance over the same stored data (a restart). */
  reopen(): Promise<DurableRaftLog>
  dispose(): Promise<void>
}

async function levelRaft(): Promise<RaftWorld & { storage(): LevelStorage }> {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-raft-'))
  let s = await openLevelStorage(dir, { writeBufferBytes: 1 << 20 })
  return {
    get log() {
      return s.raft
    },
    storage: () => s,
    async reopen() {
      await s.close()
      s = await openLevelStorage(dir, { writeBufferBytes: 1 << 20 })
      return s.raft
    },
    async dispose() {
      await s.close().catch(() => {})
      await rm(dir, { recursive: true, force: true })
    },
  }
}

async function memoryRaft(): Promise<RaftWorld> {
  const log = new MemoryRaftLog()
  return { log, reopen: async () => log, dispose: async () => {} }
}

const entry = (index: number, term: number, text = `e${index}`): Entry => ({
  index,
  term,
  type: 'normal',
  data: new TextEncoder().encode(text),
})
const summary = (es: Entry[]) => es.map((e) => `${e.index}@${e.term}:${new TextDecoder().decode(e.data)}`)

describe.each([
  ['level', levelRaft],
  ['memory', memoryRaft],
] as Array<[string, () => Promise<RaftWorld>]>)('DurableRaftLog: %s', (_name, make) => {
  let w: RaftWorld
  beforeEach(async () => {
    w = await make()
  })
  afterEach(async () => {
    await w.dispose()
  })

  test('an empty log loads as nothing', async () => {
    expect(await w.log.load()).toEqual({ hardState: null, snapshot: null, entries: [] })
  })

  test('entries, hard state and a noop survive a restart', async () => {
    await w.log.append([entry(1, 1), { index: 2, term: 1, type: 'noop', data: new Uint8Array(0) }, entry(3, 2), { index: 4, term: 2, type: 'config', data: encodeVoters([1, 4]) }])
    await w.log.setHardState({ term: 2, vote: 3, commit: 2 })
    const loaded = await (await w.reopen()).load()
    expect(loaded.hardState).toEqual({ term: 2, vote: 3, commit: 2 })
    expect(loaded.entries.map((e) => [e.index, e.term, e.type])).toEqual([[1, 1, 'normal'], [2, 1, 'noop'], [3, 2, 'normal'], [4, 2, 'config']])
    expect(decodeVoters(loaded.entries[3]!.data)).toEqual([1, 4])
  })

  test('an append at index i replaces every stored entry >= i', async () => {
    await w.log.append([entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1)])
    await w.log.append([entry(3, 2, 'new3')])
    expect(summary((await (await w.reopen()).load()).entries)).toEqual(['1@1:e1', '2@1:e2', '3@2:new3'])
  })

  test('an append that would leave a gap is refused', async () => {
    await w.log.append([entry(1, 1)])
    await expect(w.log.append([entry(3, 1)])).rejects.toThrow(/gap/)
  })

  test('a snapshot drops the entries it covers and is loaded with the rest', async () => {
    await w.log.append([1, 2, 3, 4, 5].map((i) => entry(i, 1)))
    await w.log.saveSnapshot({ index: 3, term: 1, voters: [1, 2, 3], observers: [4], data: new Uint8Array([9, 9]) })
    const loaded = await (await w.reopen()).load()
    expect(loaded.snapshot).toEqual({ index: 3, term: 1, voters: [1, 2, 3], observers: [4], data: new Uint8Array([9, 9]) })
    expect(summary(loaded.entries)).toEqual(['4@1:e4', '5@1:e5'])
  })

  test('a snapshot past the log (install-snapshot) empties it; appends continue after it', async () => {
    const log = w.log
    await log.append([entry(1, 1), entry(2, 1)])
    await log.saveSnapshot({ index: 10, term: 3, voters: [1], observers: [], data: new Uint8Array(0) })
    await log.append([entry(11, 3)])
    const loaded = await (await w.reopen()).load()
    expect(loaded.snapshot?.index).toBe(10)
    expect(summary(loaded.entries)).toEqual(['11@3:e11'])
  })

  // Raft §7: a log that holds the snapshot's last entry keeps what follows it;
  // otherwise the whole log is discarded — even a tail whose terms would pass for a
  // continuation of the snapshot.
  test('a snapshot whose index holds an entry of another term discards the whole log', async () => {
    await w.log.append([entry(1, 1), entry(2, 1), entry(3, 2), entry(4, 4), entry(5, 4)])
    const snap: Snapshot = { index: 3, term: 3, voters: [1, 2, 3], observers: [], data: new Uint8Array(0) }
    await w.log.saveSnapshot(snap)
    const loaded = await (await w.reopen()).load()
    expect(loaded.entries).toEqual([])
    // what a restart rebuilds agrees with what the node held in memory after installing it
    expect(MemoryRaftStorage.fromDurable(loaded).lastIndex()).toBe(3)
    await (await w.reopen()).append([entry(4, 3, 'leader4')])
    expect(summary((await (await w.reopen()).load()).entries)).toEqual(['4@3:leader4'])
  })

  test('a snapshot past a divergent log discards it too', async () => {
    await w.log.append([entry(1, 1), entry(2, 5)])
    await w.log.saveSnapshot({ index: 4, term: 3, voters: [1], observers: [], data: new Uint8Array(0) })
    expect((await (await w.reopen()).load()).entries).toEqual([])
  })

  test('a snapshot that matches the stored entry at its index keeps a tail of any term', async () => {
    await w.log.append([entry(1, 1), entry(2, 2), entry(3, 2), entry(4, 5)])
    await w.log.saveSnapshot({ index: 2, term: 2, voters: [1], observers: [], data: new Uint8Array(0) })
    expect(summary((await (await w.reopen()).load()).entries)).toEqual(['3@2:e3', '4@5:e4'])
  })

  test('a snapshot no newer than the stored one changes nothing', async () => {
    await w.log.append([1, 2, 3, 4, 5, 6].map((i) => entry(i, 1)))
    await w.log.saveSnapshot({ index: 4, term: 1, voters: [1], observers: [], data: new Uint8Array([4]) })
    await w.log.saveSnapshot({ index: 2, term: 1, voters: [1], observers: [], data: new Uint8Array([2]) })
    await w.log.saveSnapshot({ index: 4, term: 1, voters: [1], observers: [], data: new Uint8Array([44]) })
    const loaded = await (await w.reopen()).load()
    expect(loaded.snapshot?.data).toEqual(new Uint8Array([4]))
    expect(summary(loaded.entries)).toEqual(['5@1:e5', '6@1:e6'])
  })

  test('entries(lo, hi, maxBytes) reads a range, bounded by bytes but at least one entry', async () => {
    await w.log.append([1, 2, 3, 4, 5, 6].map((i) => entry(i, i < 4 ? 1 : 2, 'x'.repeat(10))))
    const log = await w.reopen()
    expect((await log.entries(2, 5, Infinity)).map((e) => [e.index, e.term])).toEqual([[2, 1], [3, 1], [4, 2]])
    // 10 data bytes + 24 overhead per entry, as RaftStorage counts them
    expect((await log.entries(1, 7, 2 * 34)).map((e) => e.index)).toEqual([1, 2])
    expect((await log.entries(3, 7, 1)).map((e) => e.index)).toEqual([3])
    expect((await log.entries(5, 100, Infinity)).map((e) => e.index)).toEqual([5, 6])
    expect(await log.entries(7, 10, Infinity)).toEqual([])
    expect(await log.entries(4, 4, Infinity)).toEqual([])
    await log.saveSnapshot({ index: 3, term: 1, voters: [1], observers: [], data: new Uint8Array(0) })
    await expect(log.entries(3, 5, Infinity)).rejects.toBeInstanceOf(CompactedError)
    expect((await log.entries(4, 5, Infinity)).map((e) => e.index)).toEqual([4])
  })

  test('truncateFrom(i) deletes every entry >= i and nothing else', async () => {
    await w.log.append([1, 2, 3, 4, 5].map((i) => entry(i, 1)))
    await w.log.setHardState({ term: 1, vote: 1, commit: 2 })
    await w.log.truncateFrom(4)
    let log = await w.reopen()
    expect(summary((await log.load()).entries)).toEqual(['1@1:e1', '2@1:e2', '3@1:e3'])
    await log.truncateFrom(9)
    await log.append([entry(4, 2, 'new4')])
    log = await w.reopen()
    expect(summary((await log.load()).entries)).toEqual(['1@1:e1', '2@1:e2', '3@1:e3', '4@2:new4'])
    expect((await log.load()).hardState).toEqual({ term: 1, vote: 1, commit: 2 })
  })

  test('truncateFrom refuses to delete a committed entry', async () => {
    await w.log.append([1, 2, 3].map((i) => entry(i, 1)))
    await w.log.setHardState({ term: 1, vote: 1, commit: 2 })
    await expect(w.log.truncateFrom(2)).rejects.toThrow(/committed/)
    expect((await (await w.reopen()).load()).entries).toHaveLength(3)
  })
})

test('every LevelRaftLog write is a sync batch', async () => {
  const w = await levelRaft()
  try {
    const db = w.storage().raftDb
    const syncs: boolean[] = []
    const batch = db.batch.bind(db) as (ops: Op[], o: { sync?: boolean }) => Promise<void>
    const put = db.put.bind(db) as (k: Uint8Array, v: Uint8Array, o: { sync?: boolean }) => Promise<void>
    Object.assign(db, {
      batch: (ops: Op[], o: { sync?: boolean }) => (syncs.push(o?.sync === true), batch(ops, o)),
      put: (k: Uint8Array, v: Uint8Array, o: { sync?: boolean }) => (syncs.push(o?.sync === true), put(k, v, o)),
    })
    await w.log.append([entry(1, 1)])
    await w.log.setHardState({ term: 1, vote: 1, commit: 1 })
    await w.log.saveSnapshot({ index: 1, term: 1, voters: [1], observers: [], data: new Uint8Array(0) })
    await w.log.append([entry(2, 1), entry(3, 1)])
    await w.log.truncateFrom(3)
    expect(syncs).toEqual([true, true, true, true, true])
  } finally {
    await w.dispose()
  }
})

test('saveReady writes one Ready\'s entries and hard state in one batch, synced unless only the commit index changed', async () => {
  const w = await levelRaft()
  try {
    const db = w.storage().raftDb
    const writes: Array<{ ops: number; sync: boolean }> = []
    const batch = db.batch.bind(db) as (ops: Op[], o: { sync?: boolean }) => Promise<void>
    Object.assign(db, { batch: (ops: Op[], o: { sync?: boolean }) => (writes.push({ ops: ops.length, sync: o?.sync === true }), batch(ops, o)) })
    const log = w.log as Required<DurableRaftLog>
    await log.saveReady([entry(1, 1), entry(2, 1)], { term: 1, vote: 1, commit: 0 }, { sync: true })
    await log.saveReady([], { term: 1, vote: 1, commit: 2 }, { sync: false })
    await log.saveReady([entry(3, 1)], { term: 1, vote: 1, commit: 2 }, { sync: false }) // entries sync anyway
    await log.saveReady([], null, { sync: true }) // nothing to write
    expect(writes).toEqual([{ ops: 3, sync: true }, { ops: 1, sync: false }, { ops: 2, sync: true }])
    const loaded = await (await w.reopen()).load()
    expect(loaded.hardState).toEqual({ term: 1, vote: 1, commit: 2 })
    expect(summary(loaded.entries)).toEqual(['1@1:e1', '2@1:e2', '3@1:e3'])
  } finally {
    await w.dispose()
  }
})
