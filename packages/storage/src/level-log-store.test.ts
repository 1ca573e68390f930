/**
 * What only the LevelDB store does: group commit, back-pressure, fsync policy, the
 * hot tail, and fencing after a failed write.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeRecordBatch, encodeRecordBatch, ErrorCode, splitBatches, TributaryError } from '@tributary/protocol'
import { segmentOf } from './keys.js'
import { openLevelStorage, type LevelStorage, type LevelStorageOptions } from './level-storage.js'
import type { LevelDb } from './level-log-store.js'
import { WriteGroups, type Op } from './write-group.js'
import { HW_CHECKPOINT_MS } from './batch-log.js'

const batch = (value: string) => encodeRecordBatch([{ key: null, value, timestamp: 1 }])

let dir: string
let storage: LevelStorage
async function open(opts: LevelStorageOptions = {}): Promise<LevelStorage> {
  dir = await mkdtemp(join(tmpdir(), 'tributary-level-'))
  storage = await openLevelStorage(dir, { writeBufferBytes: 4 << 20, ...opts })
  return storage
}
afterEach(async () => {
  await storage?.close().catch(() => {})
  await rm(dir, { recursive: true, force: true })
})

/** Records the ops and options of every batch written (the chained form the write groups use, or an array). */
function spyBatches(db: LevelDb): Array<{ ops: Op[]; sync: boolean }> {
  const calls: Array<{ ops: Op[]; sync: boolean }> = []
  const original = db.batch.bind(db) as (...args: unknown[]) => unknown
  ;(db as unknown as { batch: unknown }).batch = (...args: unknown[]) => {
    if (args.length > 0) {
      calls.push({ ops: args[0] as Op[], sync: (args[1] as { sync?: boolean } | undefined)?.sync === true })
      return original(...args)
    }
    const chained = original() as ReturnType<LevelDb['batch']>
    const ops: Op[] = []
    return {
      put(key: Uint8Array, value: Uint8Array) {
        ops.push({ type: 'put', key, value })
        chained.put(key, value)
        return this
      },
      del(key: Uint8Array) {
        ops.push({ type: 'del', key })
        chained.del(key)
        return this
      },
      write(o?: { sync?: boolean }) {
        calls.push({ ops, sync: o?.sync === true })
        return chained.write(o ?? {})
      },
      close: () => chained.close(),
    }
  }
  return calls
}

test('appends to many partitions in one event-loop turn are written in one db.batch', async () => {
  const s = await open()
  const logs = await Promise.all(Array.from({ length: 8 }, (_, p) => s.logs.open('t', p)))
  await Promise.all(logs.map((l) => l.flush()))
  const calls = spyBatches(s.db)
  await Promise.all(logs.flatMap((l) => [l.appendAsLeader(batch('a'), 0), l.appendAsLeader(batch('b'), 0)]))
  expect(calls).toHaveLength(1)
  const puts = calls[0].ops.filter((o) => o.type === 'put')
  expect(puts).toHaveLength(8 * (2 + 2)) // per partition: two batches, its meta and its new epoch-cache record
  expect(calls[0].sync).toBe(false)
})

test('a new high watermark takes no write of its own: it rides on the next append, or is stored HW_CHECKPOINT_MS later', async () => {
  const s = await open()
  const log = await s.logs.open('t', 0)
  await log.appendAsLeader(batch('a'), 0)
  await log.appendAsLeader(batch('b'), 0)
  const calls = spyBatches(s.db)
  log.setHighWatermark(1)
  await new Promise((resolve) => setImmediate(resolve)) // a write group would have sealed by now
  expect(calls).toHaveLength(0)
  await log.appendAsLeader(batch('c'), 0) // carries the HW in its state record
  expect(calls).toHaveLength(1)
  log.setHighWatermark(2)
  const started = Date.now()
  while (calls.length < 2) {
    if (Date.now() - started > HW_CHECKPOINT_MS + 5_000) throw new Error('the HW checkpoint never came')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  expect(Date.now() - started).toBeGreaterThanOrEqual(HW_CHECKPOINT_MS - 50)
  await s.close()
  const again = await openLevelStorage(dir, { writeBufferBytes: 4 << 20 })
  storage = again
  expect((await again.logs.open('t', 0)).highWatermark()).toBe(2)
})

test('sync: true (log.flush=batch) fsyncs every group', async () => {
  const s = await open({ sync: true })
  const log = await s.logs.open('t', 0)
  const calls = spyBatches(s.db)
  await log.appendAsLeader(batch('a'), 0)
  expect(calls.map((c) => c.sync)).toEqual([true])
})

test('tail reads of recent appends are served without touching LevelDB', async () => {
  const s = await open()
  const log = await s.logs.open('t', 0)
  for (let i = 0; i < 50; i++) await log.appendAsLeader(batch(`v${i}`), 0)
  let iterators = 0
  const original = s.db.iterator.bind(s.db)
  ;(s.db as unknown as { iterator: unknown }).iterator = (o: never) => {
    iterators++
    return original(o)
  }
  const r = await log.read(40, 1 << 20)
  expect(r.ok && r.value.nextOffset).toBe(50)
  expect(iterators).toBe(0)
})

/** Counts the iterators made on `db`, and holds back their reads while `gate.closed` (until `gate.open()`). */
function watchIterators(db: LevelDb) {
  const state = { made: 0, closed: 0, gateClosed: false, release: [] as Array<() => void> }
  const original = db.iterator.bind(db)
  ;(db as unknown as { iterator: unknown }).iterator = (o: never) => {
    state.made++
    const it = original(o)
    const nextv = it.nextv.bind(it)
    const close = it.close.bind(it)
    const held = state.gateClosed
    Object.assign(it, {
      nextv: async (n: number) => {
        if (held) await new Promise<void>((resolve) => state.release.push(resolve))
        return nextv(n)
      },
      close: async () => {
        await close()
        state.closed++
      },
    })
    return it
  }
  return {
    get made() { return state.made },
    /** Every iterator made so far has been closed (a background read ahead included). */
    async settled(): Promise<void> {
      const deadline = Date.now() + 5_000
      while (state.closed < state.made) {
        if (Date.now() > deadline) throw new Error(`${state.made - state.closed} iterators still open`)
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    },
    hold(): void {
      state.gateClosed = true
    },
    open(): void {
      state.gateClosed = false
      for (const r of state.release.splice(0)) r()
    },
  }
}

test('a sequential reader whose limit cuts before the next batch costs one LevelDB iterator per read (no floor lookup past its read-ahead batch)', async () => {
  // a tail cache of a few batches: the read-ahead batches must fit it, the older batches read here are past it
  const s = await open({ tailCacheBytesPerPartitionMax: 4 * batch('v10').byteLength })
  const log = await s.logs.open('t', 0)
  for (let i = 0; i < 20; i++) await log.appendAsLeader(batch(`v${i}`), 0)
  const one = batch('v10').byteLength
  const iterators = watchIterators(s.db)
  // as a Kafka consumer's 1 MiB fetches over ~1 MiB batches: the first read finds its batch with a floor lookup and a
  // scan; each later one starts with the batch the previous one could not fit, and the one after it is read ahead
  const values: string[] = []
  let reads = 0
  for (let offset = 0; offset < 12; reads++) {
    const r = await log.read(offset, one + 1)
    if (!r.ok) throw new Error(r.message)
    values.push(...decodeValues(r.value.records))
    offset = r.value.nextOffset
  }
  expect(values).toEqual(Array.from({ length: 12 }, (_, i) => `v${i}`))
  expect(reads).toBe(12)
  // the first read's floor lookup, then one read ahead per read
  await iterators.settled()
  expect(iterators.made).toBe(reads + 2)
})

test('once its read ahead has landed, a sequential reader is answered without waiting for LevelDB', async () => {
  const s = await open({ tailCacheBytesPerPartitionMax: 4 * batch('v10').byteLength })
  const log = await s.logs.open('t', 0)
  for (let i = 0; i < 20; i++) await log.appendAsLeader(batch(`v${i}`), 0)
  const one = batch('v10').byteLength
  const iterators = watchIterators(s.db)
  const first = await log.read(0, one + 1)
  expect(first.ok && decodeValues(first.value.records)).toEqual(['v0'])
  await iterators.settled()
  // LevelDB answers nothing now: the read must come from the batches held ahead (v1, left by the first read, and v2)
  iterators.hold()
  const made = iterators.made
  const second = await log.read(1, one + 1)
  expect(second.ok && decodeValues(second.value.records)).toEqual(['v1'])
  expect(second.ok && second.value.nextOffset).toBe(2)
  expect(iterators.made).toBe(made + 1) // the next read ahead (v3), still held back
  iterators.open()
  await iterators.settled()
  const third = await log.read(2, one + 1)
  expect(third.ok && decodeValues(third.value.records)).toEqual(['v2'])
})

test('a read ahead of a log rewritten meanwhile is not served', async () => {
  const s = await open({ tailCacheBytesPerPartitionMax: 4 * batch('v10').byteLength })
  const log = await s.logs.open('t', 0)
  for (let i = 0; i < 20; i++) await log.appendAsLeader(batch(`v${i}`), 0)
  const one = batch('v10').byteLength
  const iterators = watchIterators(s.db)
  await log.read(0, one + 1)
  await iterators.settled()
  // v1 and v2 are held ahead; truncating from 2 replaces them
  await log.truncateTo(2)
  await log.appendAsLeader(batch('w2'), 0)
  for (let i = 3; i < 20; i++) await log.appendAsLeader(batch(`w${i}`), 0)
  const r = await log.read(1, 2 * one + 1)
  expect(r.ok && decodeValues(r.value.records)).toEqual(['v1', 'w2'])
})

test('a read ahead never holds batches past the log end: a truncation whose deletes have not reached LevelDB yet leaves nothing stale to serve', async () => {
  const s = await open({ tailCacheBytesPerPartitionMax: 4 * batch('v10').byteLength })
  const log = await s.logs.open('t', 0)
  for (let i = 0; i < 20; i++) await log.appendAsLeader(batch(`v${i}`), 0)
  const one = batch('v10').byteLength
  const iterators = watchIterators(s.db)
  // LevelDB applies no write until released: the truncation's deletes wait there
  const release: Array<() => void> = []
  const makeBatch = s.db.batch.bind(s.db)
  ;(s.db as unknown as { batch: unknown }).batch = () => {
    const b = makeBatch()
    const write = b.write.bind(b)
    return Object.assign(b, { write: async (o: never) => { await new Promise<void>((r) => release.push(r)); return write(o) } })
  }
  const truncated = log.truncateTo(10)
  const deadline = Date.now() + 5_000
  while (log.logEndOffset() !== 10) {
    if (Date.now() > deadline) throw new Error('the truncation did not start')
    await new Promise((r) => setTimeout(r, 1))
  }
  // a reader at the new end: the batch after the one it could not fit is past the log end
  const r1 = await log.read(8, one + 1)
  expect(r1.ok && decodeValues(r1.value.records)).toEqual(['v8'])
  await iterators.settled()
  ;(s.db as unknown as { batch: unknown }).batch = makeBatch
  for (const r of release.splice(0)) r()
  await truncated
  // new batches at the truncated offsets; the tail cache keeps only the last four
  for (let i = 10; i < 20; i++) await log.appendAsLeader(batch(`w${i}`), 0)
  const r2 = await log.read(9, 2 * one + 1)
  expect(r2.ok && decodeValues(r2.value.records)).toEqual(['v9', 'w10'])
})

test('a failed write rejects its appends with KAFKA_STORAGE_ERROR and fences the log', async () => {
  const s = await open()
  const log = await s.logs.open('t', 0)
  const failing = { put: () => failing, del: () => failing, write: () => Promise.reject(new Error('disk on fire')), close: () => Promise.resolve() }
  ;(s.db as unknown as { batch: unknown }).batch = () => failing
  const err = await log.appendAsLeader(batch('a'), 0).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(TributaryError)
  expect((err as TributaryError).code).toBe(ErrorCode.KAFKA_STORAGE_ERROR)
  await expect(log.appendAsLeader(batch('b'), 0)).rejects.toMatchObject({ code: ErrorCode.KAFKA_STORAGE_ERROR })
})

describe('WriteGroups', () => {
  /** A db whose batch writes wait until the test releases them. */
  function gatedDb() {
    const pending: Array<() => void> = []
    const written: Op[][] = []
    const db = {
      batch() {
        const ops: Op[] = []
        const chained = {
          put: (key: Uint8Array, value: Uint8Array) => (ops.push({ type: 'put', key, value }), chained),
          del: (key: Uint8Array) => (ops.push({ type: 'del', key }), chained),
          close: () => Promise.resolve(),
          write: () =>
            new Promise<void>((resolve) =>
              pending.push(() => {
                written.push(ops)
                resolve()
              }),
            ),
        }
        return chained
      },
    } as unknown as LevelDb
    return { db, pending, written }
  }
  const put = (n: number): Op => ({ type: 'put', key: new Uint8Array([n]), value: new Uint8Array(100) })
  const until = async (cond: () => boolean) => {
    const deadline = Date.now() + 2000
    while (!cond()) {
      if (Date.now() > deadline) throw new Error('condition not met in time')
      await new Promise((r) => setImmediate(r))
    }
  }

  test('a group seals at groupBytesMax and the queue of sealed groups is bounded', async () => {
    const { db, pending, written } = gatedDb()
    const groups = new WriteGroups(db, { groupBytesMax: 200, groupsQueuedMax: 2 })
    const done = [groups.add([put(1)], 100, null), groups.add([put(2)], 100, null)] // seals group 1 (in flight)
    expect(groups.writable()).toBeNull()
    done.push(groups.add([put(3)], 100, null), groups.add([put(4)], 100, null)) // seals group 2 (queued)
    const room = groups.writable()
    expect(room).not.toBeNull()
    let roomy = false
    void room!.then(() => (roomy = true))
    await until(() => pending.length === 1)
    pending.shift()!()
    await until(() => roomy)
    await until(() => pending.length === 1)
    pending.shift()!()
    await Promise.all(done)
    expect(written.map((ops) => ops.map((o) => o.key[0]))).toEqual([[1, 2], [3, 4]])
  })

  test('ops of one turn are sealed together on the next setImmediate, with each writer state last', async () => {
    const { db, pending, written } = gatedDb()
    const groups = new WriteGroups(db, {})
    const writer = { writeState: (ops: Op[]) => ops.push(put(99)) }
    const done = Promise.all([groups.add([put(1)], 100, writer), groups.add([put(2)], 100, writer)])
    await until(() => pending.length === 1)
    pending.shift()!()
    await done
    expect(written.map((ops) => ops.map((o) => o.key[0]))).toEqual([[1, 2, 99]])
  })
})

describe('log segments', () => {
  const enc = new TextEncoder()
  const has = (key: Uint8Array, text: string): boolean => new TextDecoder('latin1').decode(key).includes(text)
  /** Every key of the log database. */
  const keysOf = async (s: LevelStorage): Promise<Uint8Array[]> => s.db.keys().all()
  const segmentsOf = (keys: Uint8Array[], text: string): number[] => [...new Set(keys.filter((k) => has(k, text)).map(segmentOf))]

  test('batches go into a new segment every segmentBytes; the log, its state and list() survive a restart across them', async () => {
    const s = await open({ segmentBytes: 1 })
    const a = await s.logs.open('t', 0)
    const quiet = await s.logs.open('t', 1)
    await quiet.appendAsLeader(batch('q0'), 3)
    quiet.setHighWatermark(1)
    await quiet.flush()
    for (let i = 0; i < 10; i++) await a.appendAsLeader(batch(`v${i}`), i < 5 ? 1 : 2)
    a.setHighWatermark(7)
    await a.flush()
    expect(segmentsOf(await keysOf(s), '/d/t/0/').length).toBeGreaterThanOrEqual(10)
    await s.close()

    storage = await openLevelStorage(dir, { writeBufferBytes: 4 << 20, tailCacheBytesPerPartitionMax: 0 })
    expect((await storage.logs.list()).map((p) => p.partition).sort()).toEqual([0, 1])
    const again = await storage.logs.open('t', 0)
    expect([again.logStartOffset(), again.logEndOffset(), again.highWatermark()]).toEqual([0, 10, 7])
    expect(again.epochEntries()).toEqual([{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 5 }])
    const read = await again.read(0, 1 << 20)
    expect(read.ok && read.value.nextOffset).toBe(10)
    expect((await again.read(6, 1)).ok && (await again.read(6, 1))).toMatchObject({ value: { firstOffset: 6, nextOffset: 7 } })
    const q = await storage.logs.open('t', 1)
    expect([q.logEndOffset(), q.highWatermark(), q.latestEpoch()]).toEqual([1, 1, 3])
    // Reopening deleted the state records older segments still held: one segment holds each partition's state.
    const keys = await keysOf(storage)
    expect(segmentsOf(keys, '/s/t/0/meta')).toHaveLength(1)
    expect(segmentsOf(keys, '/s/t/1/meta')).toHaveLength(1)
  })

  test('truncation then appends across segments, retention emptying old segments, and delete() leave only what they should', async () => {
    const s = await open({ segmentBytes: 1, tailCacheBytesPerPartitionMax: 0 })
    const log = await s.logs.open('t', 0)
    for (let i = 0; i < 6; i++) await log.appendAsLeader(encodeRecordBatch([{ key: null, value: `v${i}`, timestamp: 1000 + i }]), 0)
    await log.truncateTo(3)
    for (let i = 3; i < 6; i++) await log.appendAsLeader(encodeRecordBatch([{ key: null, value: `w${i}`, timestamp: 2000 + i }]), 1)
    const r = await log.read(0, 1 << 20)
    const values = r.ok ? decodeValues(r.value.records) : []
    expect(values).toEqual(['v0', 'v1', 'v2', 'w3', 'w4', 'w5'])
    expect((await log.applyRetention({ retentionMs: 1, retentionBytes: -1, nowMs: 2000 })).deletedBatches).toBe(3)
    const after = await log.read(3, 1 << 20)
    expect(after.ok ? decodeValues(after.value.records) : []).toEqual(['w3', 'w4', 'w5'])
    await log.flush()
    // Segments emptied by retention keep no state records of the partition (the live one sits in the newest).
    const keys = await keysOf(s)
    const dataSegments = new Set(segmentsOf(keys, '/d/t/0/'))
    for (const seg of segmentsOf(keys, '/s/t/0/')) expect(dataSegments.has(seg) || seg === Math.max(...segmentsOf(keys, '/s/t/0/meta'))).toBe(true)

    await s.logs.delete('t', 0)
    expect((await keysOf(s)).filter((k) => has(k, '/t/0/'))).toEqual([])
    expect(await s.logs.list()).toEqual([])
  })

  test('the Raft log lives in its own database', async () => {
    const s = await open()
    await s.raft.setHardState({ term: 3, vote: 1, commit: 0 })
    expect((await keysOf(s)).filter((k) => has(k, 'raft'))).toEqual([])
    expect(await s.raftDb.keys().all()).toContainEqual(enc.encode('raft/hardstate'))
  })
})

function decodeValues(records: Uint8Array): string[] {
  const split = splitBatches(records, { validate: true })
  if (!split.ok) throw new Error(split.message)
  return split.value.flatMap((b) => {
    const d = decodeRecordBatch(b.bytes)
    if (!d.ok) throw new Error(d.message)
    return d.value.records.map((r) => new TextDecoder().decode(r.value!))
  })
}
