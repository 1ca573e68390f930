/**
 * One record of a RecordBatch v2, written into a Utf8Target (layout in record-batch.ts).
 * Shared by encodeRecordBatch (a whole batch at once) and RecordBatchBuilder (record by
 * record); internal to the protocol package.
 */
import type { RecordField, RecordInput, HeaderInput } from './record-batch.js'
import type { Utf8Target } from './utf8.js'
import { BATCH_CRC_START, BATCH_MAGIC, BATCH_OVERHEAD_BYTES, writeInt32, writeInt64, type BatchHeader } from './batch-header.js'
import { crc32c } from './crc32c.js'
import { sizeOfVarint, writeVarint, writeVarlong } from './varint.js'

/** Body bytes besides the length-prefixed fields: attributes, timestampDelta, offsetDelta, headerCount. */
const RECORD_FIXED_BYTES_MAX = 1 + 10 + 5 + 5

/** Upper bound of the encoded size of a key/value/header value (with its length prefix). */
function fieldBound(v: RecordField | null | undefined): number {
  if (v == null) return 1
  return 5 + (typeof v === 'string' ? 3 * v.length : v.length)
}

export function bodyBound(r: RecordInput): number {
  let n = RECORD_FIXED_BYTES_MAX + fieldBound(r.key) + fieldBound(r.value)
  const h = r.headers
  if (h === undefined) return n
  if (Array.isArray(h)) {
    for (const e of h) n += fieldBound(e.key) + fieldBound(e.value)
  } else {
    for (const k in h) n += fieldBound(k) + fieldBound(h[k])
  }
  return n
}

/** Write a length-prefixed field; null writes length -1. */
function writeField(out: Utf8Target, p: number, v: RecordField | null | undefined): number {
  const buf = out.bytes
  if (v == null) {
    buf[p] = 1 // zigzag(-1)
    return p + 1
  }
  if (typeof v === 'string') {
    // The UTF-8 length is known only after writing: reserve room for the worst case
    // length prefix and slide the bytes back if the real prefix is shorter.
    const reserved = sizeOfVarint(3 * v.length)
    const n = out.write(p + reserved, v)
    const need = sizeOfVarint(n)
    if (need !== reserved) buf.copyWithin(p + need, p + reserved, p + reserved + n)
    return writeVarint(buf, p, n) + n
  }
  if (!(v instanceof Uint8Array)) throw new TypeError(`record fields must be string, Uint8Array or null, got ${typeof v}`)
  p = writeVarint(buf, p, v.length)
  buf.set(v, p)
  return p + v.length
}

function writeHeaders(out: Utf8Target, p: number, h: HeaderInput | undefined): number {
  const buf = out.bytes
  if (h === undefined) {
    buf[p] = 0
    return p + 1
  }
  if (Array.isArray(h)) {
    p = writeVarint(buf, p, h.length)
    for (const e of h) p = writeField(out, writeField(out, p, e.key), e.value)
    return p
  }
  let count = 0
  for (const _ in h) count++
  p = writeVarint(buf, p, count)
  for (const k in h) p = writeField(out, writeField(out, p, k), h[k])
  return p
}

/** `bound` is bodyBound(r). */
export function writeRecord(out: Utf8Target, start: number, r: RecordInput, bound: number, timestampDelta: number, offsetDelta: number): number {
  const buf = out.bytes
  const reserved = sizeOfVarint(bound)
  let p = start + reserved
  buf[p++] = 0
  p = writeVarlong(buf, p, timestampDelta)
  p = writeVarint(buf, p, offsetDelta)
  p = writeField(out, p, r.key)
  p = writeField(out, p, r.value)
  p = writeHeaders(out, p, r.headers)
  const bodyLen = p - start - reserved
  const need = sizeOfVarint(bodyLen)
  if (need !== reserved) {
    buf.copyWithin(start + need, start + reserved, p)
    p -= reserved - need
  }
  writeVarint(buf, start, bodyLen)
  return p
}

/** The header fields of a batch besides its length, magic and CRC (which are derived). */
export type BatchFields = Omit<BatchHeader, 'batchLength' | 'magic' | 'crc'>

/** Fill the first BATCH_HEADER_BYTES of `out` (records already in place after them) and its CRC. */
export function writeBatchHeader(out: Uint8Array, f: BatchFields): void {
  writeInt64(out, 0, f.baseOffset)
  writeInt32(out, 8, out.length - BATCH_OVERHEAD_BYTES)
  writeInt32(out, 12, f.partitionLeaderEpoch)
  out[16] = BATCH_MAGIC
  writeInt16(out, 21, f.attributes)
  writeInt32(out, 23, f.lastOffsetDelta)
  writeInt64(out, 27, f.baseTimestamp)
  writeInt64(out, 35, f.maxTimestamp)
  writeInt64(out, 43, f.producerId)
  writeInt16(out, 51, f.producerEpoch)
  writeInt32(out, 53, f.baseSequence)
  writeInt32(out, 57, f.recordCount)
  writeInt32(out, 17, crc32c(out, BATCH_CRC_START, out.length))
}

function writeInt16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8
  b[o + 1] = v
}
