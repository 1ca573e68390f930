/**
 * What only the LevelDB store does: group commit, back-pressure, fsync policy, the
 * hot tail, and fencing after a failed write.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeRecordBatch, ErrorCode, TributaryError } from '@tributary/protocol'
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

/** Records every db.batch call's ops and options. */
function spyBatches(db: LevelDb): Array<{ ops: Op[]; sync: boolean }> {
  const calls: Array<{ ops: Op[]; sync: boolean }> = []
  const original = db.batch.bind(db) as (ops: Op[], o: { sync?: boolean }) => Promise<void>
  ;(db as unknown as { batch: unknown }).batch = (ops: Op[], o: { sync?: boolean }) => {
    calls.push({ ops, sync: o?.sync === true })
    return original(ops, o)
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

test('a failed write rejects its appends with KAFKA_STORAGE_ERROR and fences the log', async () => {
  const s = await open()
  const log = await s.logs.open('t', 0)
  ;(s.db as unknown as { batch: unknown }).batch = () => Promise.reject(new Error('disk on fire'))
  const err = await log.appendAsLeader(batch('a'), 0).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(TributaryError)
  expect((err as TributaryError).code).toBe(ErrorCode.KAFKA_STORAGE_ERROR)
  await expect(log.appendAsLeader(batch('b'), 0)).rejects.toMatchObject({ code: ErrorCode.KAFKA_STORAGE_ERROR })
})

describe('WriteGroups', () => {
  /** A db whose batch() calls wait until the test releases them. */
  function gatedDb() {
    const pending: Array<() => void> = []
    const written: Op[][] = []
    const db = {
      batch(ops: Op[]) {
        return new Promise<void>((resolve) =>
          pending.push(() => {
            written.push(ops)
            resolve()
          }),
        )
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
