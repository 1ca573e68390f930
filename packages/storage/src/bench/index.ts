/**
 * Storage benchmarks: PartitionLog appends and reads of 16 KiB RecordBatches over 1
 * and 32 partitions, beside plain LevelDB batch writes of the same bytes in the same
 * run (the floor the log layer is measured against). Each scenario gets a fresh
 * database under os.tmpdir(), deleted afterwards. MB = 10^6 bytes.
 *
 * Prints a table, then one JSON line. Run with `npm run bench` (after `npm run build`).
 * BENCH_STORAGE_MIB sets the bytes each write scenario writes (default 400; three
 * write scenarios, so >= 1 GiB in total).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeRecordBatch } from '@tributary/protocol'
import { openLevelStorage, type LevelStorage, type PartitionLog } from '../index.js'

const MIB = 1024 * 1024
const WRITE_BYTES = Number(process.env.BENCH_STORAGE_MIB ?? 400) * MIB
const BATCH_BYTES = 16 * 1024
/** Appends (16 KiB each) a producer-facing broker keeps in flight: 4 MiB. */
const APPENDS_IN_FLIGHT_MAX = 256
/** Plain LevelDB: puts per db.batch (1 MiB) and batches in flight. */
const PLAIN_PUTS_PER_BATCH = 64
const PLAIN_BATCHES_IN_FLIGHT_MAX = 4
const READ_MAX_BYTES = 1 * MIB
const TAIL_READ_BYTES = 1024 * MIB

interface Row {
  name: string
  partitions: number
  bytes: number
  seconds: number
  mbPerSec: number
}

/** One incompressible batch of ~16 KiB: 16 records of ~1 KiB. */
function templateBatch(): Uint8Array {
  const records = Array.from({ length: 16 }, (_, i) => {
    const value = new Uint8Array(1000)
    for (let j = 0; j < value.length; j++) value[j] = (Math.imul(i * 1000 + j, 2654435761) >>> 24) & 0xff
    return { key: `key-${i}`, value, timestamp: 1_700_000_000_000 + i }
  })
  const b = encodeRecordBatch(records)
  if (Math.abs(b.length - BATCH_BYTES) > 1024) throw new Error(`template batch is ${b.length} bytes`)
  return b
}

async function withStorage<T>(fn: (s: LevelStorage) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-storage-bench-'))
  const s = await openLevelStorage(dir, process.env.TRIBUTARY_BENCH_WRITE_BUFFER_MIB ? { writeBufferBytes: Number(process.env.TRIBUTARY_BENCH_WRITE_BUFFER_MIB) << 20 } : {})
  try {
    return await fn(s)
  } finally {
    await s.close()
    await rm(dir, { recursive: true, force: true })
  }
}

const row = (name: string, partitions: number, bytes: number, ms: number): Row => ({
  name,
  partitions,
  bytes,
  seconds: ms / 1000,
  mbPerSec: bytes / 1e6 / (ms / 1000),
})

/** The same bytes straight into LevelDB: db.batch of 64 × 16 KiB puts, 4 in flight. */
async function plainLevel(template: Uint8Array): Promise<Row> {
  return withStorage(async (s) => {
    const total = Math.ceil(WRITE_BYTES / template.length)
    const key = (i: number) => {
      const k = new Uint8Array(14)
      k.set(new TextEncoder().encode('plain/'))
      new DataView(k.buffer).setFloat64(6, i)
      return k
    }
    const start = performance.now()
    let next = 0
    const worker = async () => {
      while (next < total) {
        const ops = []
        for (let i = 0; i < PLAIN_PUTS_PER_BATCH && next < total; i++) ops.push({ type: 'put' as const, key: key(next++), value: template.slice() })
        await s.db.batch(ops)
      }
    }
    await Promise.all(Array.from({ length: PLAIN_BATCHES_IN_FLIGHT_MAX }, worker))
    return row('plain LevelDB db.batch', 1, total * template.length, performance.now() - start)
  })
}

/** Leader appends round-robin over `logs`, at most APPENDS_IN_FLIGHT_MAX in flight. */
function appendAll(logs: PartitionLog[], template: Uint8Array, count: number): Promise<void> {
  return new Promise((done, failed) => {
    let issued = 0
    let finished = 0
    let inFlight = 0
    const pump = (): void => {
      while (inFlight < APPENDS_IN_FLIGHT_MAX && issued < count) {
        const log = logs[issued++ % logs.length]
        inFlight++
        log.appendAsLeader(template.slice(), 0).then(() => {
          inFlight--
          if (++finished === count) done()
          else pump()
        }, failed)
      }
    }
    pump()
  })
}

/** Reads every partition from `from(log)` to its end in 1 MiB reads, round-robin, until `bytes` are read. */
async function readAll(logs: PartitionLog[], from: (log: PartitionLog) => number, bytes: number): Promise<number> {
  let read = 0
  while (read < bytes) {
    const before = read
    for (const log of logs) {
      for (let next = from(log); next < log.logEndOffset() && read < bytes; ) {
        const r = await log.read(next, READ_MAX_BYTES)
        if (!r.ok) throw new Error(r.message)
        read += r.value.records.length
        next = r.value.nextOffset
      }
    }
    if (read === before) throw new Error('nothing to read')
  }
  return read
}

async function logScenario(template: Uint8Array, partitions: number): Promise<Row[]> {
  return withStorage(async (s) => {
    const logs = await Promise.all(Array.from({ length: partitions }, (_, p) => s.logs.open('bench', p)))
    const count = Math.ceil(WRITE_BYTES / template.length)
    let start = performance.now()
    await appendAll(logs, template, count)
    const append = row('PartitionLog append', partitions, count * template.length, performance.now() - start)

    // Tail: what a caught-up follower or consumer reads, the newest ~1 MiB of each partition.
    const tailBatches = Math.max(1, Math.floor(MIB / template.length))
    const tailFrom = (log: PartitionLog) => Math.max(log.logStartOffset(), log.logEndOffset() - tailBatches * 16)
    start = performance.now()
    const tailBytes = await readAll(logs, tailFrom, TAIL_READ_BYTES)
    const tail = row('PartitionLog tail read', partitions, tailBytes, performance.now() - start)

    // Catch-up: a consumer starting at the beginning, served from LevelDB.
    start = performance.now()
    const catchUpBytes = await readAll(logs, (log) => log.logStartOffset(), Math.min(count * template.length, 256 * MIB))
    const catchUp = row('PartitionLog catch-up read', partitions, catchUpBytes, performance.now() - start)
    return [append, tail, catchUp]
  })
}

async function main(): Promise<void> {
  const template = templateBatch()
  const rows: Row[] = [await plainLevel(template)]
  rows.push(...(await logScenario(template, 1)))
  rows.push(...(await logScenario(template, 32)))

  const written = rows.filter((r) => r.name.includes('append') || r.name.includes('plain')).reduce((n, r) => n + r.bytes, 0)
  console.log(`storage bench (node ${process.version}, ${template.length}-byte batches, ${(written / MIB / 1024).toFixed(2)} GiB written)`)
  console.log(['name'.padEnd(28), 'partitions'.padStart(10), 'MiB'.padStart(8), 'seconds'.padStart(8), 'MB/s'.padStart(8)].join(' '))
  for (const r of rows) {
    console.log(
      [r.name.padEnd(28), String(r.partitions).padStart(10), (r.bytes / MIB).toFixed(0).padStart(8), r.seconds.toFixed(2).padStart(8), r.mbPerSec.toFixed(0).padStart(8)].join(' '),
    )
  }
  const mb = (name: string, partitions: number) => Math.round(rows.find((r) => r.name === name && r.partitions === partitions)!.mbPerSec)
  console.log(
    JSON.stringify({
      bench: 'storage',
      batchBytes: template.length,
      bytesWritten: written,
      plainLevelMBPerSec: mb('plain LevelDB db.batch', 1),
      appendMBPerSec: { p1: mb('PartitionLog append', 1), p32: mb('PartitionLog append', 32) },
      tailReadMBPerSec: { p1: mb('PartitionLog tail read', 1), p32: mb('PartitionLog tail read', 32) },
      catchUpReadMBPerSec: { p1: mb('PartitionLog catch-up read', 1), p32: mb('PartitionLog catch-up read', 32) },
      rows: rows.map((r) => ({ ...r, seconds: Number(r.seconds.toFixed(3)), mbPerSec: Math.round(r.mbPerSec) })),
    }),
  )
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
