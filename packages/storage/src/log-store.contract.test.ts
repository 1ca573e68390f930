/**
 * One contract, four worlds: the memory store, LevelDB with a roomy tail cache,
 * LevelDB with none (every read goes to LevelDB) and with a small one (reads cross
 * from LevelDB into the cache). Each test builds its log
 * from scratch and states one behaviour of PartitionLog / LogStore.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  ATTR_DELETE_HORIZON,
  concatBytes,
  crc32c,
  decodeRecordBatch,
  encodeRecordBatch,
  ErrorCode,
  readBatchHeader,
  splitBatches,
  writeInt32,
  writeInt64,
  type RecordInput,
} from '@tributary/protocol'
import { MemoryLogStore } from './memory-log-store.js'
import { openLevelStorage, type LevelStorage } from './level-storage.js'
import type { LogStore, PartitionLog, ReadResult } from './partition-log.js'

interface World {
  store: LogStore
  /** Close and reopen the store (a process restart for LevelDB). */
  restart(): Promise<LogStore>
  dispose(): Promise<void>
}

async function levelWorld(tailCacheBytesPerPartitionMax: number, segmentBytes?: number): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-storage-'))
  const open = () => openLevelStorage(dir, { tailCacheBytesPerPartitionMax, writeBufferBytes: 4 << 20, segmentBytes })
  let s: LevelStorage = await open()
  return {
    get store() {
      return s.logs
    },
    async restart() {
      await s.close()
      s = await open()
      return s.logs
    },
    async dispose() {
      await s.close().catch(() => {})
      await rm(dir, { recursive: true, force: true })
    },
  }
}

async function memoryWorld(): Promise<World> {
  const store = new MemoryLogStore()
  return {
    store,
    async restart() {
      await store.close()
      return store
    },
    async dispose() {
      await store.close()
    },
  }
}

const worlds: Array<[string, () => Promise<World>]> = [
  ['memory', memoryWorld],
  ['level (tail cache)', () => levelWorld(4 << 20)],
  ['level (no tail cache)', () => levelWorld(0)],
  ['level (16 KiB tail cache: reads cross from LevelDB into the cache)', () => levelWorld(16 << 10)],
  // Every write group that wrote a batch ends its segment: batches, truncations, retention and compaction across many segments.
  ['level (no tail cache, a new segment after every batch write)', () => levelWorld(0, 1)],
]

type Rec = { key?: string | null; value: string | null; timestamp?: number }
const T0 = 1_700_000_000_000

function batch(records: Rec[], opts: { baseOffset?: number; epoch?: number } = {}): Uint8Array {
  const input: RecordInput[] = records.map((r, i) => ({ key: r.key ?? null, value: r.value, timestamp: r.timestamp ?? T0 + i }))
  return encodeRecordBatch(input, { baseOffset: opts.baseOffset ?? 0, partitionLeaderEpoch: opts.epoch ?? -1 })
}

const values = (...vs: string[]): Rec[] => vs.map((value) => ({ value }))

/** Every record in a read, after checking each batch's CRC. */
function recordsOf(r: ReadResult): Array<{ offset: number; key: string | null; value: string | null; epoch: number }> {
  const split = splitBatches(r.records, { validate: true })
  if (!split.ok) throw new Error(split.message)
  const dec = new TextDecoder()
  return split.value.flatMap((s) => {
    const d = decodeRecordBatch(s.bytes)
    if (!d.ok) throw new Error(d.message)
    return d.value.records.map((rec) => ({
      offset: rec.offset,
      key: rec.key && dec.decode(rec.key),
      value: rec.value && dec.decode(rec.value),
      epoch: d.value.header.partitionLeaderEpoch,
    }))
  })
}

async function readOk(log: PartitionLog, from: number, maxBytes = 1 << 20, maxOffset?: number): Promise<ReadResult> {
  const r = await log.read(from, maxBytes, maxOffset)
  if (!r.ok) throw new Error(`read failed: ${r.message}`)
  return r.value
}

async function offsetsFrom(log: PartitionLog, from: number): Promise<number[]> {
  return recordsOf(await readOk(log, from)).map((r) => r.offset)
}

describe.each(worlds)('PartitionLog contract: %s', (_name, makeWorld) => {
  let world: World
  let log: PartitionLog
  beforeEach(async () => {
    world = await makeWorld()
    log = await world.store.open('topicA', 0)
  })
  afterEach(async () => {
    await world.dispose()
  })

  test('a new log is empty at offset 0 with no epochs', () => {
    expect([log.logStartOffset(), log.logEndOffset(), log.highWatermark(), log.latestEpoch(), log.sizeBytes()]).toEqual([0, 0, 0, -1, 0])
  })

  test('leader append assigns offsets from the LEO and stamps the leader epoch', async () => {
    const a = await log.appendAsLeader(batch(values('a', 'b', 'c'), { baseOffset: 99 }), 3, T0)
    const b = await log.appendAsLeader(concatBytes([batch(values('d')), batch(values('e', 'f'))]), 3, T0)
    expect(a).toMatchObject({ baseOffset: 0, lastOffset: 2, batches: 1, logAppendTimeMs: T0, maxTimestamp: T0 + 2 })
    expect(b).toMatchObject({ baseOffset: 3, lastOffset: 5, batches: 2 })
    expect(log.logEndOffset()).toBe(6)
    const recs = recordsOf(await readOk(log, 0))
    expect(recs.map((r) => [r.offset, r.value, r.epoch])).toEqual([
      [0, 'a', 3], [1, 'b', 3], [2, 'c', 3], [3, 'd', 3], [4, 'e', 3], [5, 'f', 3],
    ])
    expect(log.epochEntries()).toEqual([{ epoch: 3, startOffset: 0 }])
    expect(log.sizeBytes()).toBe(a.bytes + b.bytes)
  })

  test('appends issued in one turn get consecutive offsets in call order', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => log.appendAsLeader(batch(values(`v${i}`, `w${i}`)), 0)))
    expect(results.map((r) => r.baseOffset)).toEqual(Array.from({ length: 20 }, (_, i) => i * 2))
    expect(recordsOf(await readOk(log, 0)).map((r) => r.value).slice(0, 4)).toEqual(['v0', 'w0', 'v1', 'w1'])
  })

  test('a leader epoch below the latest is refused', async () => {
    await log.appendAsLeader(batch(values('a')), 5)
    await expect(log.appendAsLeader(batch(values('b')), 4)).rejects.toThrow(/leader epoch/)
    expect(log.logEndOffset()).toBe(1)
  })

  test('read starts with the batch holding fromOffset and returns whole batches', async () => {
    await log.appendAsLeader(batch(values('a', 'b', 'c')), 0)
    await log.appendAsLeader(batch(values('d', 'e')), 0)
    const r = await readOk(log, 1)
    expect(r.firstOffset).toBe(0)
    expect(r.nextOffset).toBe(5)
    expect(recordsOf(r).map((x) => x.offset)).toEqual([0, 1, 2, 3, 4])
    expect((await readOk(log, 3)).firstOffset).toBe(3)
  })

  test('read returns at least one batch even past maxBytes, then stops before exceeding it', async () => {
    const sizes: number[] = []
    for (let i = 0; i < 5; i++) sizes.push((await log.appendAsLeader(batch(values(`value-${i}`)), 0)).bytes)
    const one = await readOk(log, 0, 1)
    expect(one.records.length).toBe(sizes[0])
    expect(one.nextOffset).toBe(1)
    const two = await readOk(log, 1, sizes[1] + sizes[2] + 1)
    expect(recordsOf(two).map((r) => r.offset)).toEqual([1, 2])
  })

  test('read never returns a batch starting at or after maxOffset (the high watermark)', async () => {
    for (let i = 0; i < 4; i++) await log.appendAsLeader(batch(values(`v${i}`)), 0)
    expect(recordsOf(await readOk(log, 0, 1 << 20, 2)).map((r) => r.offset)).toEqual([0, 1])
    const atHw = await readOk(log, 2, 1 << 20, 2)
    expect([atHw.records.length, atHw.firstOffset, atHw.nextOffset]).toEqual([0, 2, 2])
  })

  test('reading at the LEO is empty; outside [logStart, LEO] is OFFSET_OUT_OF_RANGE', async () => {
    await log.appendAsLeader(batch(values('a', 'b')), 0)
    const atEnd = await readOk(log, 2)
    expect([atEnd.records.length, atEnd.nextOffset]).toEqual([0, 2])
    const past = await log.read(3, 100)
    expect(past).toMatchObject({ ok: false, code: ErrorCode.OFFSET_OUT_OF_RANGE })
    expect(await log.read(-1, 100)).toMatchObject({ ok: false, code: ErrorCode.OFFSET_OUT_OF_RANGE })
  })

  test('follower append keeps offsets and epochs and learns epochs from the batches', async () => {
    await log.appendAsFollower(concatBytes([batch(values('a', 'b'), { baseOffset: 0, epoch: 1 }), batch(values('c'), { baseOffset: 2, epoch: 2 })]))
    const r = await log.appendAsFollower(batch(values('d'), { baseOffset: 3, epoch: 4 }))
    expect(r).toMatchObject({ baseOffset: 3, lastOffset: 3, logAppendTimeMs: -1 })
    expect(log.epochEntries()).toEqual([{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 2 }, { epoch: 4, startOffset: 3 }])
    expect(recordsOf(await readOk(log, 0)).map((x) => [x.offset, x.epoch])).toEqual([[0, 1], [1, 1], [2, 2], [3, 4]])
  })

  test('follower append below the LEO is refused; above it (a compaction gap) is accepted', async () => {
    await log.appendAsFollower(batch(values('a', 'b'), { baseOffset: 0, epoch: 1 }))
    await expect(log.appendAsFollower(batch(values('x'), { baseOffset: 1, epoch: 1 }))).rejects.toThrow(/below the log end/)
    await log.appendAsFollower(batch(values('c'), { baseOffset: 7, epoch: 1 }))
    expect(log.logEndOffset()).toBe(8)
    expect(await offsetsFrom(log, 2)).toEqual([7])
  })

  test('endOffsetForEpoch answers like Kafka for latest, older, between, too-old and too-new epochs', async () => {
    await log.appendAsFollower(batch(values('a', 'b'), { baseOffset: 0, epoch: 2 }))
    await log.appendAsFollower(batch(values('c'), { baseOffset: 2, epoch: 5 }))
    await log.appendAsFollower(batch(values('d'), { baseOffset: 3, epoch: 7 }))
    expect(log.endOffsetForEpoch(7)).toEqual({ epoch: 7, endOffset: 4 })
    expect(log.endOffsetForEpoch(5)).toEqual({ epoch: 5, endOffset: 3 })
    expect(log.endOffsetForEpoch(6)).toEqual({ epoch: 5, endOffset: 3 })
    expect(log.endOffsetForEpoch(1)).toEqual({ epoch: 1, endOffset: 0 })
    expect(log.endOffsetForEpoch(8)).toEqual({ epoch: -1, endOffset: -1 })
    expect(log.endOffsetForEpoch(-1)).toEqual({ epoch: -1, endOffset: -1 })
  })

  test('truncateTo removes whole batches from the offset, fixes epochs and the HW, and appends continue there', async () => {
    await log.appendAsFollower(batch(values('a', 'b'), { baseOffset: 0, epoch: 1 }))
    await log.appendAsFollower(batch(values('c', 'd'), { baseOffset: 2, epoch: 2 }))
    await log.appendAsFollower(batch(values('e'), { baseOffset: 4, epoch: 3 }))
    log.setHighWatermark(5)
    const sizeBefore = log.sizeBytes()
    await log.truncateTo(3) // straddles the batch [2, 3]: it goes whole
    expect(log.logEndOffset()).toBe(2)
    expect(log.highWatermark()).toBe(2)
    expect(log.epochEntries()).toEqual([{ epoch: 1, startOffset: 0 }])
    expect(log.sizeBytes()).toBeLessThan(sizeBefore)
    expect(await offsetsFrom(log, 0)).toEqual([0, 1])
    await log.appendAsLeader(batch(values('z')), 4)
    expect(recordsOf(await readOk(log, 0)).map((r) => [r.offset, r.value])).toEqual([[0, 'a'], [1, 'b'], [2, 'z']])
    expect(log.endOffsetForEpoch(1)).toEqual({ epoch: 1, endOffset: 2 })
  })

  test('truncateTo at or past the LEO changes nothing', async () => {
    await log.appendAsLeader(batch(values('a', 'b')), 1)
    await log.truncateTo(2)
    await log.truncateTo(10)
    expect(await offsetsFrom(log, 0)).toEqual([0, 1])
  })

  test('truncateFullyAndStartAt empties the log and moves start and end', async () => {
    await log.appendAsLeader(batch(values('a', 'b')), 1)
    await log.truncateFullyAndStartAt(100)
    expect([log.logStartOffset(), log.logEndOffset(), log.highWatermark(), log.sizeBytes(), log.latestEpoch()]).toEqual([100, 100, 100, 0, -1])
    expect(await log.read(0, 100)).toMatchObject({ ok: false, code: ErrorCode.OFFSET_OUT_OF_RANGE })
    await log.appendAsFollower(batch(values('x'), { baseOffset: 100, epoch: 2 }))
    expect(await offsetsFrom(log, 100)).toEqual([100])
  })

  test('appends queued behind a truncation run after it, in order', async () => {
    await log.appendAsLeader(batch(values('a', 'b', 'c')), 1)
    const truncated = log.truncateTo(0)
    const appended = [log.appendAsLeader(batch(values('x')), 2), log.appendAsLeader(batch(values('y')), 2)]
    await truncated
    expect((await Promise.all(appended)).map((r) => r.baseOffset)).toEqual([0, 1])
    expect(recordsOf(await readOk(log, 0)).map((r) => r.value)).toEqual(['x', 'y'])
  })

  test('the HW is clamped to the log and checkpointed', async () => {
    await log.appendAsLeader(batch(values('a', 'b', 'c')), 1)
    log.setHighWatermark(10)
    expect(log.highWatermark()).toBe(3)
    log.setHighWatermark(2)
    await log.flush()
    const reopened = await (await world.restart()).open('topicA', 0)
    expect(reopened.highWatermark()).toBe(2)
  })

  test('state survives a restart: offsets, size, epochs, HW and producer state', async () => {
    await log.appendAsFollower(batch(values('a', 'b'), { baseOffset: 0, epoch: 1 }))
    await log.appendAsLeader(batch(values('c')), 3)
    log.setHighWatermark(2)
    log.setProducerState(new Uint8Array([1, 2, 3]))
    const size = log.sizeBytes()
    await log.close()
    const again = await (await world.restart()).open('topicA', 0)
    expect([again.logStartOffset(), again.logEndOffset(), again.highWatermark(), again.sizeBytes()]).toEqual([0, 3, 2, size])
    expect(again.epochEntries()).toEqual([{ epoch: 1, startOffset: 0 }, { epoch: 3, startOffset: 2 }])
    expect(again.producerState()).toEqual(new Uint8Array([1, 2, 3]))
    expect(recordsOf(await readOk(again, 0)).map((r) => r.value)).toEqual(['a', 'b', 'c'])
    await again.appendAsLeader(batch(values('d')), 3)
    expect(again.logEndOffset()).toBe(4)
  })

  test('offsetForTimestamp finds the first record at or after the timestamp', async () => {
    await log.appendAsLeader(batch([{ value: 'a', timestamp: 100 }, { value: 'b', timestamp: 200 }]), 0)
    await log.appendAsLeader(batch([{ value: 'c', timestamp: 300 }, { value: 'd', timestamp: 400 }]), 0)
    expect(await log.offsetForTimestamp(0)).toEqual({ offset: 0, timestamp: 100 })
    expect(await log.offsetForTimestamp(150)).toEqual({ offset: 1, timestamp: 200 })
    expect(await log.offsetForTimestamp(300)).toEqual({ offset: 2, timestamp: 300 })
    expect(await log.offsetForTimestamp(401)).toBeNull()
  })

  test('retention.bytes drops whole head batches and advances the log start', async () => {
    const sizes: number[] = []
    for (let i = 0; i < 10; i++) sizes.push((await log.appendAsLeader(batch(values(`v${i}`, `w${i}`)), 0)).bytes)
    const keep = sizes[7] + sizes[8] + sizes[9]
    const r = await log.applyRetention({ retentionMs: -1, retentionBytes: keep, nowMs: T0 })
    expect(r.deletedBatches).toBe(7)
    expect(log.logStartOffset()).toBe(14)
    expect(log.sizeBytes()).toBe(keep)
    expect(await log.read(0, 100)).toMatchObject({ ok: false, code: ErrorCode.OFFSET_OUT_OF_RANGE })
    expect(await offsetsFrom(log, 14)).toEqual([14, 15, 16, 17, 18, 19])
  })

  test('retention.ms drops expired head batches but never at or past maxOffset', async () => {
    for (let i = 0; i < 6; i++) await log.appendAsLeader(batch([{ value: `v${i}`, timestamp: 1000 * i }]), 0)
    const r = await log.applyRetention({ retentionMs: 10_000, retentionBytes: -1, nowMs: 13_500, maxOffset: 2 })
    expect(r.deletedBatches).toBe(2)
    expect(log.logStartOffset()).toBe(2)
    const more = await log.applyRetention({ retentionMs: 10_000, retentionBytes: -1, nowMs: 13_500 })
    expect(more.deletedBatches).toBe(2) // timestamps 2000 and 3000 are older than 3500
    expect(log.logStartOffset()).toBe(4)
    const none = await log.applyRetention({ retentionMs: -1, retentionBytes: -1, nowMs: 1e15 })
    expect(none.deletedBatches).toBe(0)
  })

  test('retention survives a restart and the epoch cache starts at the new log start', async () => {
    for (let i = 0; i < 4; i++) await log.appendAsLeader(batch([{ value: `v${i}`, timestamp: i }]), i)
    await log.applyRetention({ retentionMs: 0, retentionBytes: -1, nowMs: 2, maxOffset: 3 })
    expect(log.epochEntries()).toEqual([{ epoch: 2, startOffset: 2 }, { epoch: 3, startOffset: 3 }])
    await log.close()
    const again = await (await world.restart()).open('topicA', 0)
    expect([again.logStartOffset(), again.logEndOffset()]).toEqual([2, 4])
    expect(await offsetsFrom(again, 2)).toEqual([2, 3])
  })

  test('a requested log start (DeleteRecords) drops the batches below it, keeps the one straddling it, and survives a restart', async () => {
    for (let i = 0; i < 4; i++) await log.appendAsLeader(batch(values(`v${i}`, `w${i}`, `x${i}`)), 0) // batches [0-2] [3-5] [6-8] [9-11]
    const r = await log.applyRetention({ retentionMs: -1, retentionBytes: -1, nowMs: T0, maxOffset: 10, logStartOffset: 4 })
    expect(r.deletedBatches).toBe(1)
    expect(log.logStartOffset()).toBe(4)
    expect(await log.read(3, 100)).toMatchObject({ ok: false, code: ErrorCode.OFFSET_OUT_OF_RANGE })
    expect(await offsetsFrom(log, 4)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]) // whole batches, as Kafka returns them
    const capped = await log.applyRetention({ retentionMs: -1, retentionBytes: -1, nowMs: T0, maxOffset: 7, logStartOffset: 11 })
    expect([capped.deletedBatches, log.logStartOffset()]).toEqual([1, 7]) // never past maxOffset
    const none = await log.applyRetention({ retentionMs: -1, retentionBytes: -1, nowMs: T0, logStartOffset: 5 })
    expect([none.deletedBatches, log.logStartOffset()]).toEqual([0, 7]) // never backwards
    await log.close()
    const again = await (await world.restart()).open('topicA', 0)
    expect([again.logStartOffset(), again.logEndOffset()]).toEqual([7, 12])
    expect(await again.read(6, 100)).toMatchObject({ ok: false, code: ErrorCode.OFFSET_OUT_OF_RANGE })
  })

  test('compaction keeps the newest record per key, keeps offsets, and drops old tombstones', async () => {
    await log.appendAsLeader(batch([{ key: 'k1', value: 'a' }, { key: 'k2', value: 'b' }, { key: null, value: 'nokey' }]), 0)
    await log.appendAsLeader(batch([{ key: 'k1', value: 'c' }, { key: 'k3', value: 'x' }]), 0)
    await log.appendAsLeader(batch([{ key: 'k3', value: null, timestamp: 5_000 }]), 0) // tombstone at offset 5
    await log.appendAsLeader(batch([{ key: 'k2', value: 'd' }]), 0) // offset 6
    await log.appendAsLeader(batch([{ key: 'k1', value: 'tail' }]), 0) // offset 7: at/after maxOffset, untouched
    const sizeBefore = log.sizeBytes()
    const r = await log.compact({ deleteRetentionMs: 1_000_000, nowMs: 10_000, maxOffset: 7 })
    expect(r.removedRecords).toBe(3) // k1@0, k2@1, k3@4
    const recs = recordsOf(await readOk(log, 0))
    expect(recs.map((x) => [x.offset, x.key, x.value])).toEqual([
      [2, null, 'nokey'], [3, 'k1', 'c'], [5, 'k3', null], [6, 'k2', 'd'], [7, 'k1', 'tail'],
    ])
    expect(log.sizeBytes()).toBeLessThan(sizeBefore)
    expect(log.logEndOffset()).toBe(8)
    // the first pass stamped the tombstone's batch with the horizon 10_000 + 1_000_000
    const early = await log.compact({ deleteRetentionMs: 1_000, nowMs: 1_009_999, maxOffset: 7 })
    expect(early.removedRecords).toBe(0)
    const r2 = await log.compact({ deleteRetentionMs: 1_000, nowMs: 1_010_000, maxOffset: 7 })
    expect(r2.removedRecords).toBe(1) // the horizon has passed
    expect(recordsOf(await readOk(log, 0)).map((x) => x.offset)).toEqual([2, 3, 6, 7])
  })

  test('a tombstone with an old timestamp survives the first compaction: its batch gets a delete horizon (KIP-534)', async () => {
    await log.appendAsLeader(batch([{ key: 'k', value: 'v', timestamp: 1 }]), 0)
    await log.appendAsLeader(batch([{ key: 'k', value: null, timestamp: 2 }, { key: 'j', value: 'w', timestamp: 3 }]), 0) // 1-2
    await log.appendAsLeader(batch([{ key: 'x', value: 'tail' }]), 0) // 3
    const first = await log.compact({ deleteRetentionMs: 500, nowMs: T0, maxOffset: 3 })
    expect(first.removedRecords).toBe(1) // k@0, superseded by the tombstone
    const stamped = await readOk(log, 1)
    const h = readBatchHeader(stamped.records)
    expect(h.ok && [h.value.attributes & ATTR_DELETE_HORIZON, h.value.baseTimestamp, h.value.maxTimestamp, h.value.baseOffset]).toEqual([ATTR_DELETE_HORIZON, T0 + 500, 3, 1])
    const decoded = decodeRecordBatch(stamped.records)
    expect(decoded.ok && decoded.value.records.map((r) => [r.offset, r.timestamp])).toEqual([[1, 2], [2, 3]])
    // a later pass before the horizon keeps it (and keeps the horizon, not re-stamping it)
    expect((await log.compact({ deleteRetentionMs: 500, nowMs: T0 + 499, maxOffset: 3 })).removedRecords).toBe(0)
    expect(recordsOf(await readOk(log, 0)).map((x) => [x.offset, x.key, x.value])).toEqual([[1, 'k', null], [2, 'j', 'w'], [3, 'x', 'tail']])
    expect((await log.compact({ deleteRetentionMs: 500, nowMs: T0 + 500, maxOffset: 3 })).removedRecords).toBe(1)
    expect(recordsOf(await readOk(log, 0)).map((x) => [x.offset, x.key, x.value])).toEqual([[2, 'j', 'w'], [3, 'x', 'tail']])
    expect(await log.offsetForTimestamp(3)).toEqual({ offset: 2, timestamp: 3 })
  })

  test('offsetForTimestamp walks past a batch whose maxTimestamp no record reaches', async () => {
    const claims = batch([{ value: 'a', timestamp: 100 }, { value: 'b', timestamp: 200 }])
    writeInt64(claims, 35, 900) // maxTimestamp above every record (a batch as old compaction left it)
    writeInt32(claims, 17, crc32c(claims, 21))
    await log.appendAsLeader(claims, 0)
    await log.appendAsLeader(batch([{ value: 'c', timestamp: 500 }]), 0)
    expect(await log.offsetForTimestamp(300)).toEqual({ offset: 2, timestamp: 500 })
    expect(await log.offsetForTimestamp(600)).toBeNull()
  })

  test('a follower append with a bad later batch is refused whole: the epoch cache is untouched', async () => {
    await log.appendAsFollower(batch(values('a', 'b'), { baseOffset: 0, epoch: 1 }))
    const good = batch(values('c'), { baseOffset: 2, epoch: 3 })
    const overlapping = batch(values('x'), { baseOffset: 2, epoch: 4 }) // below the end the first one leaves
    await expect(log.appendAsFollower(concatBytes([good, overlapping]))).rejects.toThrow(/below the log end/)
    expect(log.epochEntries()).toEqual([{ epoch: 1, startOffset: 0 }])
    expect(log.logEndOffset()).toBe(2)
    await log.appendAsFollower(batch(values('c'), { baseOffset: 2, epoch: 2 }))
    expect(log.epochEntries()).toEqual([{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 2 }])
  })

  test('reads across compaction gaps land on the next batch; batches keep base and last offsets', async () => {
    await log.appendAsLeader(batch([{ key: 'k', value: '1' }, { key: 'k', value: '2' }]), 0) // 0-1
    await log.appendAsLeader(batch([{ key: 'k', value: '3' }]), 0) // 2
    await log.appendAsLeader(batch([{ key: 'k', value: '4' }, { key: 'j', value: '5' }]), 0) // 3-4
    await log.appendAsLeader(batch([{ key: 'k', value: '6' }]), 0) // 5
    await log.compact({ deleteRetentionMs: 0, nowMs: T0, maxOffset: 6 })
    expect(await offsetsFrom(log, 0)).toEqual([4, 5])
    expect(await offsetsFrom(log, 2)).toEqual([4, 5])
    const r = await readOk(log, 3)
    const h = readBatchHeader(r.records)
    expect(h.ok && [h.value.baseOffset, h.value.lastOffsetDelta, h.value.recordCount]).toEqual([3, 1, 1])
    await log.close()
    const again = await (await world.restart()).open('topicA', 0)
    expect(again.logEndOffset()).toBe(6)
    expect(await offsetsFrom(again, 1)).toEqual([4, 5])
  })

  // A read that stops before a batch keeps that batch for the next read (LevelDB worlds with a
  // tail cache); these make sure a truncation or a compaction in between is never read past.
  const pad = 'p'.repeat(1500)
  /** 30 batches of about 1.6 KiB, one record each (offset = index), so the oldest are only in LevelDB. */
  async function thirtyBatches(l: PartitionLog, key: (i: number) => string | null): Promise<number> {
    let bytes = 0
    for (let i = 0; i < 30; i++) bytes = (await l.appendAsLeader(batch([{ key: key(i), value: `${i}:${pad}` }]), 0)).bytes
    return bytes
  }

  test('a truncation between two reads: the next read sees the batch written after it, not the one it replaced', async () => {
    const one = await thirtyBatches(log, () => null)
    expect(recordsOf(await readOk(log, 0, one)).map((r) => r.offset)).toEqual([0]) // stopped before batch 1
    await log.truncateTo(1)
    await log.appendAsLeader(batch([{ value: `new:${pad}` }]), 1)
    for (let i = 2; i < 30; i++) await log.appendAsLeader(batch([{ value: `${i}:${pad}` }]), 1) // offset 1 leaves the tail cache
    const r = recordsOf(await readOk(log, 1, one))
    expect(r.map((x) => [x.offset, x.value!.split(':')[0], x.epoch])).toEqual([[1, 'new', 1]])
  })

  test('a compaction between two reads: the next read sees the compacted batch', async () => {
    const one = await thirtyBatches(log, (i) => (i === 1 ? 'gone' : `k${i}`))
    await log.appendAsLeader(batch([{ key: 'gone', value: 'newer' }]), 0) // offset 30 supersedes offset 1
    expect(recordsOf(await readOk(log, 0, one)).map((r) => r.offset)).toEqual([0])
    const c = await log.compact({ deleteRetentionMs: 0, nowMs: T0, maxOffset: 31 })
    expect(c.removedRecords).toBe(1)
    expect(recordsOf(await readOk(log, 1, one)).map((r) => r.offset)).toEqual([2])
  })

  test('reads spanning many batches come back contiguous, CRC-valid and in order', async () => {
    const payload = 'x'.repeat(2000)
    for (let i = 0; i < 300; i++) await log.appendAsLeader(batch([{ value: `${i}:${payload}` }]), 0)
    const offsets: number[] = []
    for (let next = 0; next < log.logEndOffset(); ) {
      const r = await readOk(log, next, 64 * 1024)
      offsets.push(...recordsOf(r).map((x) => x.offset))
      next = r.nextOffset
    }
    expect(offsets).toEqual(Array.from({ length: 300 }, (_, i) => i))
  })
})

describe.each(worlds)('LogStore contract: %s', (_name, makeWorld) => {
  let world: World
  beforeEach(async () => {
    world = await makeWorld()
  })
  afterEach(async () => {
    await world.dispose()
  })

  test('open returns the same instance for an open partition; partitions are independent', async () => {
    const a = await world.store.open('t1', 0)
    expect(await world.store.open('t1', 0)).toBe(a)
    const b = await world.store.open('t1', 1)
    await a.appendAsLeader(batch(values('a', 'b')), 0)
    await b.appendAsLeader(batch(values('c')), 0)
    expect([a.logEndOffset(), b.logEndOffset()]).toEqual([2, 1])
  })

  test('list names every stored partition; delete removes all of its data', async () => {
    const a = await world.store.open('t1', 0)
    await a.appendAsLeader(batch(values('a')), 0)
    await (await world.store.open('t2', 3)).appendAsLeader(batch(values('b')), 0)
    const sorted = (xs: Array<{ topicId: string; partition: number }>) => xs.map((x) => `${x.topicId}/${x.partition}`).sort()
    expect(sorted(await world.store.list())).toEqual(['t1/0', 't2/3'])
    await world.store.delete('t1', 0)
    expect(sorted(await world.store.list())).toEqual(['t2/3'])
    const fresh = await world.store.open('t1', 0)
    expect([fresh.logEndOffset(), fresh.sizeBytes()]).toEqual([0, 0])
  })
})
