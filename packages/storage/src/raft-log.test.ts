/** DurableRaftLog contract, run against LevelDB (with reopen) and memory. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DurableRaftLog, Entry } from '@tributary/raft'
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
    await w.log.append([entry(1, 1), { index: 2, term: 1, type: 'noop', data: new Uint8Array(0) }, entry(3, 2)])
    await w.log.setHardState({ term: 2, vote: 3, commit: 2 })
    const loaded = await (await w.reopen()).load()
    expect(loaded.hardState).toEqual({ term: 2, vote: 3, commit: 2 })
    expect(loaded.entries.map((e) => [e.index, e.term, e.type])).toEqual([[1, 1, 'normal'], [2, 1, 'noop'], [3, 2, 'normal']])
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
})

test('every LevelRaftLog write is a sync batch', async () => {
  const w = await levelRaft()
  try {
    const db = w.storage().db
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
    expect(syncs).toEqual([true, true, true])
  } finally {
    await w.dispose()
  }
})
