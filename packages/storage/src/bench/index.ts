/**
 * Storage benchmarks: PartitionLog appends and reads of 16 KiB RecordBatches over 1
 * and 32 partitions, beside plain LevelDB batch writes of the same bytes in the same
 * run (the floor the log layer is measured against). MB = 10^6 bytes.
 *
 * Per partition count, each write run in a fresh database under os.tmpdir() (deleted
 * afterwards):
 *   plain        the same bytes straight into LevelDB under the same keys (the floor);
 *   append       BENCH_STORAGE_MIB (default 1024) of leader appends, 256 in flight,
 *                nothing else running (the figure set beside plain LevelDB);
 *   hot re-read  then the newest ~1 MiB of each partition read over and over (the
 *                tail cache's own speed, an upper bound);
 *   cold read    the database closed and reopened (empty block and tail caches),
 *                then every partition read from its log start, 1 MiB reads;
 *   followed     in a second fresh database, the same appends while one consumer per
 *                partition reads each batch once, right after its append resolved
 *                (what a caught-up follower or consumer does): the append rate with
 *                readers, and the tail-follow read rate (bytes over the wall time a
 *                read was outstanding, waiting behind the writes included; tailLagMs
 *                is how long the consumers needed after the last append).
 *
 * Prints a table, then one JSON line. Run with `npm run bench` (after `npm run build`);
 * `BENCH_STORAGE_MIB=64 node packages/storage/dist/bench/index.js` is a quick check.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { encodeRecordBatch } from '@tributary/protocol'
import { LEVEL_LOG_STORE_DEFAULTS, openLevelStorage, type LevelStorage, type PartitionLog } from '../index.js'
import { PartitionKeys } from '../keys.js'
import { BusyClock, TailFollower } from './tail-follower.js'

const MIB = 1024 * 1024
/** Bytes each write run writes (plain LevelDB, and each PartitionLog append run). */
const WRITE_BYTES = Number(process.env.BENCH_STORAGE_MIB ?? 1024) * MIB
const BATCH_BYTES = 16 * 1024
/** Appends (16 KiB each) a producer-facing broker keeps in flight: 4 MiB. */
const APPENDS_IN_FLIGHT_MAX = 256
/** Plain LevelDB: puts per db.batch (1 MiB) and batches in flight. */
const PLAIN_PUTS_PER_BATCH = 64
const PLAIN_BATCHES_IN_FLIGHT_MAX = 4
const READ_MAX_BYTES = 1 * MIB
const HOT_REREAD_BYTES = 256 * MIB

interface Row {
  name: string
  partitions: number
  bytes: number
  seconds: number
  mbPerSec: number
  /** tail-follow only: reads issued, and ms the consumers needed after the last append. */
  reads?: number
  tailLagMs?: number
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

const openStorage = (dir: string): Promise<LevelStorage> =>
  openLevelStorage(dir, process.env.TRIBUTARY_BENCH_WRITE_BUFFER_MIB ? { writeBufferBytes: Number(process.env.TRIBUTARY_BENCH_WRITE_BUFFER_MIB) << 20 } : {})

/** A fresh database in a temp dir; `fn` may reopen it. Closed and deleted afterwards. */
async function withStorage<T>(fn: (s: LevelStorage, reopen: () => Promise<LevelStorage>) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-storage-bench-'))
  let s = await openStorage(dir)
  const reopen = async (): Promise<LevelStorage> => {
    await s.close()
    s = await openStorage(dir)
    return s
  }
  try {
    return await fn(s, reopen)
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

/**
 * The same bytes straight into LevelDB under the log's own keys (keys.ts: a new
 * segment every segmentBytes), round-robin over `partitions` like the appends:
 * chained batches of 64 × 16 KiB puts (the faster form, as the log uses), 4 in
 * flight, no state records.
 */
async function plainLevel(template: Uint8Array, partitions: number): Promise<Row> {
  return withStorage(async (s) => {
    const total = Math.ceil(WRITE_BYTES / template.length)
    const keys = Array.from({ length: partitions }, (_, p) => new PartitionKeys('bench', p))
    const putsPerSegment = Math.floor(LEVEL_LOG_STORE_DEFAULTS.segmentBytes / template.length)
    const nextOffset = new Array<number>(partitions).fill(0)
    const start = performance.now()
    let next = 0
    const worker = async () => {
      while (next < total) {
        const batch = s.db.batch()
        for (let i = 0; i < PLAIN_PUTS_PER_BATCH && next < total; i++) {
          const p = next++ % partitions
          batch.put(keys[p].batch(Math.floor(next / putsPerSegment), nextOffset[p]), template.slice())
          nextOffset[p] += 16
        }
        await batch.write()
      }
    }
    await Promise.all(Array.from({ length: PLAIN_BATCHES_IN_FLIGHT_MAX }, worker))
    return row('plain LevelDB batch', partitions, total * template.length, performance.now() - start)
  })
}

/** Leader appends round-robin over `logs`, at most APPENDS_IN_FLIGHT_MAX in flight; `appended(k, end)` after each. */
function appendAll(logs: PartitionLog[], template: Uint8Array, count: number, appended: (k: number, end: number) => void): Promise<void> {
  return new Promise((done, failed) => {
    let issued = 0
    let finished = 0
    let inFlight = 0
    const pump = (): void => {
      while (inFlight < APPENDS_IN_FLIGHT_MAX && issued < count) {
        const k = issued++ % logs.length
        inFlight++
        logs[k].appendAsLeader(template.slice(), 0).then((r) => {
          inFlight--
          appended(k, r.lastOffset + 1)
          if (++finished === count) done()
          else pump()
        }, failed)
      }
    }
    pump()
  })
}

/** Reads the newest `offsets` of every partition again and again until `bytes` are read. */
async function reReadTail(logs: PartitionLog[], offsets: number, bytes: number): Promise<number> {
  let read = 0
  while (read < bytes) {
    for (const log of logs) {
      for (let next = Math.max(log.logStartOffset(), log.logEndOffset() - offsets); next < log.logEndOffset(); ) {
        const r = await log.read(next, READ_MAX_BYTES)
        if (!r.ok) throw new Error(r.message)
        read += r.value.records.length
        next = r.value.nextOffset
      }
    }
  }
  return read
}

/** Reads every partition from its log start to its end in 1 MiB reads, round-robin. */
async function readFromStart(logs: PartitionLog[]): Promise<number> {
  const next = logs.map((log) => log.logStartOffset())
  let read = 0
  for (let more = true; more; ) {
    more = false
    for (let k = 0; k < logs.length; k++) {
      if (next[k] >= logs[k].logEndOffset()) continue
      const r = await logs[k].read(next[k], READ_MAX_BYTES)
      if (!r.ok) throw new Error(r.message)
      read += r.value.records.length
      next[k] = r.value.nextOffset
      more = true
    }
  }
  return read
}

const openLogs = (s: LevelStorage, partitions: number): Promise<PartitionLog[]> => Promise.all(Array.from({ length: partitions }, (_, p) => s.logs.open('bench', p)))

/** Appends alone (the figure the issue sets), then the hot-tail re-read and, reopened, the cold read. */
async function appendScenario(template: Uint8Array, partitions: number): Promise<Row[]> {
  return withStorage(async (s, reopen) => {
    const logs = await openLogs(s, partitions)
    const count = Math.ceil(WRITE_BYTES / template.length)
    let start = performance.now()
    await appendAll(logs, template, count, () => {})
    const append = row('PartitionLog append', partitions, count * template.length, performance.now() - start)

    const hotBatches = Math.max(1, Math.floor(MIB / template.length))
    start = performance.now()
    const hotBytes = await reReadTail(logs, hotBatches * 16, HOT_REREAD_BYTES)
    const hot = row('PartitionLog hot-tail re-read', partitions, hotBytes, performance.now() - start)

    const cold = await reopen()
    const coldLogs = await openLogs(cold, partitions)
    start = performance.now()
    const coldBytes = await readFromStart(coldLogs)
    if (coldBytes !== count * template.length) throw new Error(`cold read returned ${coldBytes} bytes of ${count * template.length}`)
    const coldRead = row('PartitionLog cold read', partitions, coldBytes, performance.now() - start)
    return [append, hot, coldRead]
  })
}

/** In a fresh database: appends with one consumer per partition following the tail, reading each batch once. */
async function tailFollowScenario(template: Uint8Array, partitions: number): Promise<Row[]> {
  return withStorage(async (s) => {
    const logs = await openLogs(s, partitions)
    const clock = new BusyClock()
    const followers = logs.map((log) => new TailFollower(log, READ_MAX_BYTES, clock))
    const count = Math.ceil(WRITE_BYTES / template.length)
    const start = performance.now()
    await appendAll(logs, template, count, (k, end) => followers[k].appended(end))
    const appendEnd = performance.now()
    const append = row('PartitionLog append, followed', partitions, count * template.length, appendEnd - start)
    await Promise.all(followers.map((f) => f.idle()))
    const tailLagMs = performance.now() - appendEnd
    const tailBytes = followers.reduce((n, f) => n + f.bytesRead, 0)
    if (tailBytes !== count * template.length) throw new Error(`tail followers read ${tailBytes} bytes of ${count * template.length}`)
    return [append, { ...row('PartitionLog tail-follow read', partitions, tailBytes, clock.ms), reads: followers.reduce((n, f) => n + f.reads, 0), tailLagMs }]
  })
}

const logScenario = async (template: Uint8Array, partitions: number): Promise<Row[]> => [
  ...(await appendScenario(template, partitions)),
  ...(await tailFollowScenario(template, partitions)),
]

async function main(): Promise<void> {
  const template = templateBatch()
  const rows: Row[] = []
  for (const partitions of [1, 32]) rows.push(await plainLevel(template, partitions), ...(await logScenario(template, partitions)))

  const written = rows.filter((r) => r.name.includes('append') || r.name.includes('plain')).reduce((n, r) => n + r.bytes, 0)
  console.log(`storage bench (node ${process.version}, ${template.length}-byte batches, ${(written / MIB / 1024).toFixed(2)} GiB written, ${levelDbBuild()})`)
  console.log(['name'.padEnd(30), 'partitions'.padStart(10), 'MiB'.padStart(8), 'seconds'.padStart(8), 'MB/s'.padStart(8), ' notes'].join(' '))
  for (const r of rows) {
    const notes = r.tailLagMs === undefined ? '' : ` ${r.reads} reads, done ${r.tailLagMs.toFixed(0)} ms after the last append`
    console.log(
      [r.name.padEnd(30), String(r.partitions).padStart(10), (r.bytes / MIB).toFixed(0).padStart(8), r.seconds.toFixed(2).padStart(8), r.mbPerSec.toFixed(0).padStart(8), notes].join(' '),
    )
  }
  const mb = (name: string, partitions: number) => Math.round(rows.find((r) => r.name === name && r.partitions === partitions)!.mbPerSec)
  console.log(
    JSON.stringify({
      bench: 'storage',
      batchBytes: template.length,
      bytesWritten: written,
      plainLevelMBPerSec: { p1: mb('plain LevelDB batch', 1), p32: mb('plain LevelDB batch', 32) },
      appendMBPerSec: { p1: mb('PartitionLog append', 1), p32: mb('PartitionLog append', 32) },
      appendFollowedMBPerSec: { p1: mb('PartitionLog append, followed', 1), p32: mb('PartitionLog append, followed', 32) },
      tailFollowReadMBPerSec: { p1: mb('PartitionLog tail-follow read', 1), p32: mb('PartitionLog tail-follow read', 32) },
      hotTailReReadMBPerSec: { p1: mb('PartitionLog hot-tail re-read', 1), p32: mb('PartitionLog hot-tail re-read', 32) },
      coldReadMBPerSec: { p1: mb('PartitionLog cold read', 1), p32: mb('PartitionLog cold read', 32) },
      rows: rows.map((r) => ({ ...r, seconds: Number(r.seconds.toFixed(3)), mbPerSec: Math.round(r.mbPerSec), ...(r.tailLagMs === undefined ? {} : { tailLagMs: Math.round(r.tailLagMs) }) })),
    }),
  )
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})

/** Which LevelDB binary runs: scripts/leveldb-crc.mjs marks the one it built. */
function levelDbBuild(): string {
  const dir = dirname(createRequire(import.meta.url).resolve('classic-level/package.json'))
  return existsSync(join(dir, 'build', 'Release', '.tributary-sse42')) ? 'LevelDB built with SSE4.2 CRC-32C' : "classic-level's prebuilt LevelDB, software CRC-32C"
}
