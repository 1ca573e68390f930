/**
 * Encode and decode Kafka RecordBatch v2 (magic 2) record by record.
 *
 *   Record => length varint            (bytes after this field)
 *             attributes int8          (unused, 0)
 *             timestampDelta varlong   (from baseTimestamp)
 *             offsetDelta varint       (from baseOffset)
 *             keyLength varint, key    (-1 = null key)
 *             valueLength varint, value (-1 = null value, a tombstone)
 *             headerCount varint, [headerKeyLength varint, key utf8, headerValueLength varint, value]
 *
 * The header layout lives in batch-header.ts. Decoded keys, values and header values
 * are subarray views into the input (or the decompressed copy): copy them to keep them
 * beyond the input's lifetime.
 */
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_DELETE_HORIZON,
  ATTR_TIMESTAMP_LOG_APPEND,
  ATTR_TRANSACTIONAL,
  BATCH_HEADER_BYTES,
  BATCH_OVERHEAD_BYTES,
  RECORD_BYTES_MIN,
  type BatchHeader,
  validateBatch,
} from './batch-header.js'
import { compress, Compression, decompress, DECOMPRESSED_BYTES_MAX_DEFAULT, type WritableCompression } from './compression.js'
import { ErrorCode, fail, ok, type Result } from './errors.js'
import { decodeRecords } from './record-decode.js'
import { Utf8Target } from './utf8.js'
import { bodyBound, writeBatchHeader, writeRecord } from './record-encode.js'
import { VARINT_BYTES_MAX } from './varint.js'

export type RecordField = string | Uint8Array
export type HeaderInput = Record<string, RecordField> | Array<{ key: string; value: Uint8Array | null }>

export interface RecordInput {
  key?: RecordField | null
  value: RecordField | null
  headers?: HeaderInput
  /** Milliseconds since the epoch; defaults to now. */
  timestamp?: number
}

export interface RecordHeader {
  key: string
  value: Uint8Array | null
}

export interface DecodedRecord {
  offset: number
  timestamp: number
  key: Uint8Array | null
  value: Uint8Array | null
  headers: RecordHeader[]
  offsetDelta: number
  timestampDelta: number
}

export interface EncodeBatchOptions {
  baseOffset?: number
  /** -1 (Kafka's NO_PARTITION_LEADER_EPOCH) until the leader patches it. */
  partitionLeaderEpoch?: number
  /** -1 = not an idempotent producer. */
  producerId?: number
  producerEpoch?: number
  baseSequence?: number
  compression?: WritableCompression
  timestampType?: 'create' | 'logAppend'
  transactional?: boolean
  control?: boolean
  /** Defaults to the first record's timestamp. */
  baseTimestamp?: number
  /**
   * For the log cleaner (KIP-534): set the delete-horizon attribute and store this
   * time as baseTimestamp; record timestamps stay exact (their deltas may be negative).
   */
  deleteHorizonMs?: number
  /** For compaction: keep original offsets (strictly increasing, gaps allowed). Default 0..n-1. */
  offsetDeltas?: number[]
  /** Defaults to the last offset delta; compaction keeps the original batch's. */
  lastOffsetDelta?: number
}

export interface DecodeBatchOptions {
  /** Cap on decompressed record bytes (gzip bomb guard). */
  decompressedBytesMax?: number
}

/** Encoding scratch kept between calls up to this size; bigger batches get a one-off buffer. */
const SCRATCH_BYTES_KEEP = 4 * 1024 * 1024
let scratch = new Utf8Target(new Uint8Array(64 * 1024))

const corrupt = <T>(message: string): Result<T> => fail(ErrorCode.CORRUPT_MESSAGE, message)

/**
 * A bigger target holding t's first `used` bytes, with room for records[from..]:
 * called once, when the first record that does not fit in the scratch comes.
 */
function grow(t: Utf8Target, used: number, records: RecordInput[], from: number): Utf8Target {
  let need = used
  for (let i = from; i < records.length; i++) need += VARINT_BYTES_MAX + bodyBound(records[i])
  let next: Utf8Target
  if (need > SCRATCH_BYTES_KEEP) {
    next = new Utf8Target(new Uint8Array(need))
  } else {
    next = scratch = new Utf8Target(new Uint8Array(Math.min(SCRATCH_BYTES_KEEP, Math.max(need, 2 * t.bytes.length))))
  }
  next.bytes.set(t.bytes.subarray(0, used))
  return next
}

function attributesOf(opts: EncodeBatchOptions, code: number): number {
  return (
    code |
    (opts.timestampType === 'logAppend' ? ATTR_TIMESTAMP_LOG_APPEND : 0) |
    (opts.transactional ? ATTR_TRANSACTIONAL : 0) |
    (opts.control ? ATTR_CONTROL : 0) |
    (opts.deleteHorizonMs !== undefined ? ATTR_DELETE_HORIZON : 0)
  )
}

/**
 * Encode records as one RecordBatch v2. Throws (a caller bug, not bad input) on an
 * empty batch, offset deltas that do not increase, or non-safe-integer numbers.
 */
export function encodeRecordBatch(records: RecordInput[], opts: EncodeBatchOptions = {}): Uint8Array {
  const n = records.length
  if (n === 0) throw new RangeError('a record batch needs at least one record')
  const deltas = opts.offsetDeltas
  if (deltas !== undefined && deltas.length !== n) throw new RangeError(`offsetDeltas has ${deltas.length} entries for ${n} records`)
  const code = Compression[opts.compression ?? 'none']
  let now = -1
  if (opts.deleteHorizonMs !== undefined && opts.baseTimestamp !== undefined) throw new RangeError('deleteHorizonMs is the baseTimestamp: give one of them')
  const baseTimestamp = opts.deleteHorizonMs ?? opts.baseTimestamp ?? records[0].timestamp ?? (now = Date.now())
  if (!Number.isSafeInteger(baseTimestamp)) throw new RangeError(`baseTimestamp must be a safe integer, got ${baseTimestamp}`)

  let target = scratch
  let pos = BATCH_HEADER_BYTES
  // Kafka's maxTimestamp is the newest record's: a given baseTimestamp (a delete
  // horizon, or the first record's time before compaction removed it) must not raise it.
  let maxTimestamp = -Infinity
  let prevDelta = -1
  for (let i = 0; i < n; i++) {
    const r = records[i]
    const ts = r.timestamp ?? (now < 0 ? (now = Date.now()) : now)
    if (ts > maxTimestamp) maxTimestamp = ts
    const delta = deltas === undefined ? i : deltas[i]
    if (!(delta > prevDelta) || (delta | 0) !== delta) throw new RangeError(`offsetDeltas must increase from 0, got ${delta} after ${prevDelta}`)
    prevDelta = delta
    const tsDelta = ts - baseTimestamp
    if (!Number.isSafeInteger(tsDelta)) throw new RangeError(`record timestamp must be a safe integer, got ${ts}`)
    const bound = bodyBound(r)
    if (pos + VARINT_BYTES_MAX + bound > target.bytes.length) target = grow(target, pos, records, i)
    pos = writeRecord(target, pos, r, bound, tsDelta, delta)
  }
  const lastOffsetDelta = opts.lastOffsetDelta ?? prevDelta
  if (lastOffsetDelta < prevDelta || (lastOffsetDelta | 0) !== lastOffsetDelta) {
    throw new RangeError(`lastOffsetDelta ${lastOffsetDelta} is below the last record's ${prevDelta}`)
  }

  const buf = target.bytes
  let out: Uint8Array
  if (code === Compression.none) {
    out = buf.slice(0, pos)
  } else {
    const body = compress(code, buf.subarray(BATCH_HEADER_BYTES, pos))
    out = new Uint8Array(BATCH_HEADER_BYTES + body.length)
    out.set(body, BATCH_HEADER_BYTES)
  }
  writeBatchHeader(out, {
    baseOffset: opts.baseOffset ?? 0,
    partitionLeaderEpoch: opts.partitionLeaderEpoch ?? -1,
    attributes: attributesOf(opts, code),
    lastOffsetDelta,
    baseTimestamp,
    maxTimestamp,
    producerId: opts.producerId ?? -1,
    producerEpoch: opts.producerEpoch ?? -1,
    baseSequence: opts.baseSequence ?? -1,
    recordCount: n,
  })
  return out
}

/**
 * Validate (CRC included), decompress and decode every record of the batch at `at`.
 * Allocation is bounded by the input: counts and lengths are checked against the
 * bytes that remain before anything is sized from them.
 */
export function decodeRecordBatch(
  buf: Uint8Array,
  at = 0,
  opts: DecodeBatchOptions = {},
): Result<{ header: BatchHeader; records: DecodedRecord[] }> {
  const v = validateBatch(buf, at)
  if (!v.ok) return v
  const header = v.value
  const region = recordsRegion(buf, at, header, opts)
  if (!region.ok) return region
  const records = decodeRecords(region.value.data, region.value.start, region.value.stop, header)
  return records.ok ? ok({ header, records: records.value }) : records
}

/** Where the records of a validated batch are: in place, or in a decompressed copy. */
export function recordsRegion(
  buf: Uint8Array,
  at: number,
  header: BatchHeader,
  opts: DecodeBatchOptions = {},
): Result<{ data: Uint8Array; start: number; stop: number }> {
  const start = at + BATCH_HEADER_BYTES
  const end = at + BATCH_OVERHEAD_BYTES + header.batchLength
  const code = header.attributes & ATTR_COMPRESSION_MASK
  if (code === Compression.none) return ok({ data: buf, start, stop: end })
  const d = decompress(code, buf.subarray(start, end), opts.decompressedBytesMax ?? DECOMPRESSED_BYTES_MAX_DEFAULT)
  if (!d.ok) return d
  if (header.recordCount > d.value.length / RECORD_BYTES_MIN) {
    return corrupt(`recordCount ${header.recordCount} cannot fit in ${d.value.length} decompressed bytes`)
  }
  return ok({ data: d.value, start: 0, stop: d.value.length })
}
