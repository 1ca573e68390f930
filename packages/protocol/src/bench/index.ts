/**
 * Protocol micro-benchmarks: RecordBatch v2 encode/decode of 100-byte records, batch
 * validation (CRC-32C over the batch), the leader's produce check (CRC plus a walk
 * over the records) and raw CRC-32C throughput, one thread.
 * Prints a table, then one JSON line. Run with `npm run bench` (after `npm run build`).
 */
import { crc32c, crc32cUpdateJs, decodeRecordBatch, encodeRecordBatch, validateBatch, validateRecords, type RecordInput } from '../index.js'

/** Each measurement runs at least this long after warm-up. */
const MEASURE_MS = Number(process.env.BENCH_MS ?? 1000)
const WARMUP_MS = Math.min(300, MEASURE_MS)
const RECORDS_PER_BATCH = 1000
const VALUE_BYTES = 100
const CRC_BUFFER_BYTES = 1024 * 1024

interface Row {
  name: string
  opsPerSec: number
  recordsPerSec?: number
  mbPerSec: number
}

/** Run fn repeatedly for ms; returns calls per second. */
function timeIt(fn: () => void, ms: number): number {
  let calls = 0
  const start = performance.now()
  let now = start
  while (now - start < ms) {
    for (let i = 0; i < 16; i++) fn()
    calls += 16
    now = performance.now()
  }
  return (calls * 1000) / (now - start)
}

function measure(fn: () => void): number {
  timeIt(fn, WARMUP_MS)
  return timeIt(fn, MEASURE_MS)
}

function makeRecords(n: number, textValues: boolean): RecordInput[] {
  const records: RecordInput[] = []
  const t0 = 1_700_000_000_000
  for (let i = 0; i < n; i++) {
    const bytes = new Uint8Array(VALUE_BYTES)
    for (let j = 0; j < VALUE_BYTES; j++) bytes[j] = 97 + ((i + j) % 26)
    const value = textValues ? new TextDecoder().decode(bytes) : bytes
    records.push({ key: `key-${i % 100}`, value, timestamp: t0 + i })
  }
  return records
}

let sink = 0

function batchRows(label: string, records: RecordInput[], compression: 'none' | 'gzip'): Row[] {
  const batch = encodeRecordBatch(records, { compression })
  // MB/s counts uncompressed batch bytes so rows compare the same work.
  const rawBytes = compression === 'none' ? batch.length : encodeRecordBatch(records).length
  const n = records.length
  const encodeOps = measure(() => {
    sink += encodeRecordBatch(records, { compression, baseOffset: 42 }).length
  })
  const decodeOps = measure(() => {
    const r = decodeRecordBatch(batch)
    if (!r.ok) throw new Error(r.message)
    sink += r.value.records.length
  })
  const rows: Row[] = [
    { name: `encode ${label}`, opsPerSec: encodeOps, recordsPerSec: encodeOps * n, mbPerSec: (encodeOps * rawBytes) / 1e6 },
    { name: `decode ${label}`, opsPerSec: decodeOps, recordsPerSec: decodeOps * n, mbPerSec: (decodeOps * rawBytes) / 1e6 },
  ]
  if (compression === 'none') {
    const validateOps = measure(() => {
      sink += validateBatch(batch).ok ? 1 : 0
    })
    rows.push({ name: `validate ${label}`, opsPerSec: validateOps, recordsPerSec: validateOps * n, mbPerSec: (validateOps * batch.length) / 1e6 })
  }
  // what a leader runs on every produced batch: header and CRC, then a walk over the records
  const produceCheckOps = measure(() => {
    const h = validateBatch(batch)
    if (!h.ok) throw new Error(h.message)
    sink += validateRecords(batch, 0, h.value).ok ? 1 : 0
  })
  rows.push({ name: `produce check ${label}`, opsPerSec: produceCheckOps, recordsPerSec: produceCheckOps * n, mbPerSec: (produceCheckOps * rawBytes) / 1e6 })
  return rows
}

function main(): void {
  const binary = makeRecords(RECORDS_PER_BATCH, false)
  const text = makeRecords(RECORDS_PER_BATCH, true)
  const rows: Row[] = [
    ...batchRows(`${RECORDS_PER_BATCH}x${VALUE_BYTES}B bytes`, binary, 'none'),
    ...batchRows(`${RECORDS_PER_BATCH}x${VALUE_BYTES}B strings`, text, 'none'),
    ...batchRows(`${RECORDS_PER_BATCH}x${VALUE_BYTES}B gzip`, binary, 'gzip'),
  ]
  const crcBuf = new Uint8Array(CRC_BUFFER_BYTES)
  for (let i = 0; i < crcBuf.length; i++) crcBuf[i] = (i * 2654435761) >>> 24
  const crcOps = measure(() => {
    sink ^= crc32c(crcBuf)
  })
  rows.push({ name: 'crc32c 1MiB', opsPerSec: crcOps, mbPerSec: (crcOps * CRC_BUFFER_BYTES) / 1e6 })
  // What browsers (and Node without the native binary) run.
  const jsCrcOps = measure(() => {
    sink ^= crc32cUpdateJs(0, crcBuf, 0, crcBuf.length)
  })
  rows.push({ name: 'crc32c 1MiB, JS loop', opsPerSec: jsCrcOps, mbPerSec: (jsCrcOps * CRC_BUFFER_BYTES) / 1e6 })

  const fmt = (x: number | undefined): string => (x === undefined ? '-' : Math.round(x).toLocaleString('en-US'))
  console.log(`protocol bench (node ${process.version}, ${MEASURE_MS} ms per row)`)
  console.log(['name'.padEnd(34), 'ops/s'.padStart(12), 'records/s'.padStart(14), 'MB/s'.padStart(10)].join(' '))
  for (const r of rows) {
    console.log([r.name.padEnd(34), fmt(r.opsPerSec).padStart(12), fmt(r.recordsPerSec).padStart(14), fmt(r.mbPerSec).padStart(10)].join(' '))
  }
  const byName = (prefix: string): Row => rows.find(r => r.name.startsWith(prefix))!
  console.log(
    JSON.stringify({
      bench: 'protocol',
      encodeRecordsPerSec: Math.round(byName('encode').recordsPerSec!),
      decodeRecordsPerSec: Math.round(byName('decode').recordsPerSec!),
      crc32cMBPerSec: Math.round(byName('crc32c').mbPerSec),
      rows: rows.map(r => ({ ...r, opsPerSec: Math.round(r.opsPerSec), recordsPerSec: r.recordsPerSec && Math.round(r.recordsPerSec), mbPerSec: Math.round(r.mbPerSec) })),
    }),
  )
  if (sink === 0.5) console.log('unreachable')
}

main()
