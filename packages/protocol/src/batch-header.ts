/**
 * The fixed 61-byte RecordBatch v2 header, read and patched without touching records.
 *
 *   off size field                  off size field
 *    0   8   baseOffset              27   8   baseTimestamp
 *    8   4   batchLength (bytes after this field)   35   8   maxTimestamp
 *   12   4   partitionLeaderEpoch    43   8   producerId
 *   16   1   magic (= 2)             51   2   producerEpoch
 *   17   4   crc (CRC-32C of 21..end)  53  4   baseSequence
 *   21   2   attributes              57   4   recordCount
 *   23   4   lastOffsetDelta         61   …   records
 *
 * baseOffset and partitionLeaderEpoch sit before the CRC'd region, so a leader assigns
 * offsets by patching bytes 0..15 and never re-checksums.
 */
import { crc32c } from './crc32c.js'
import { ErrorCode, fail, ok, type Result } from './errors.js'

/** Bytes before the first record. */
export const BATCH_HEADER_BYTES = 61
/** baseOffset + batchLength: batchLength counts what follows it. */
export const BATCH_OVERHEAD_BYTES = 12
/** Where the CRC'd region starts (attributes). */
export const BATCH_CRC_START = 21
export const BATCH_MAGIC = 2
/** Smallest possible encoded record: seven one-byte fields (length..headerCount). */
export const RECORD_BYTES_MIN = 7

export const ATTR_COMPRESSION_MASK = 0x07
export const ATTR_TIMESTAMP_LOG_APPEND = 0x08
export const ATTR_TRANSACTIONAL = 0x10
export const ATTR_CONTROL = 0x20
/**
 * KIP-534: the log cleaner has set a delete horizon. baseTimestamp then holds the
 * horizon (record timestamp deltas are relative to it), and tombstones in the batch
 * may be removed once the cleaner's clock passes it. Only a broker sets this bit.
 */
export const ATTR_DELETE_HORIZON = 0x40

export interface BatchHeader {
  baseOffset: number
  batchLength: number
  partitionLeaderEpoch: number
  magic: number
  crc: number
  attributes: number
  lastOffsetDelta: number
  baseTimestamp: number
  maxTimestamp: number
  producerId: number
  producerEpoch: number
  baseSequence: number
  recordCount: number
}

const BATCH_LENGTH_MIN = BATCH_HEADER_BYTES - BATCH_OVERHEAD_BYTES
const corrupt = <T>(message: string): Result<T> => fail(ErrorCode.CORRUPT_MESSAGE, message)

const int32 = (b: Uint8Array, o: number): number => (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]
const uint32 = (b: Uint8Array, o: number): number => int32(b, o) >>> 0
const int16 = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16)) >> 16
/** Big-endian int64 as a Number; NaN when it is not a safe integer. */
function int64(b: Uint8Array, o: number): number {
  const hi = int32(b, o)
  // |value| < 2^53 means hi in [-2^21, 2^21); hi = -2^21 with lo = 0 is exactly -2^53 (unsafe).
  if (hi >= 0x200000 || hi < -0x200000 || (hi === -0x200000 && uint32(b, o + 4) === 0)) return NaN
  return hi * 0x1_0000_0000 + uint32(b, o + 4)
}

export function writeInt32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24
  b[o + 1] = v >>> 16
  b[o + 2] = v >>> 8
  b[o + 3] = v
}

export function writeInt64(b: Uint8Array, o: number, v: number): void {
  if (!Number.isSafeInteger(v)) throw new RangeError(`int64 field must be a safe integer, got ${v}`)
  const lo = v % 0x1_0000_0000
  const hi = (v - lo) / 0x1_0000_0000
  writeInt32(b, o, lo < 0 ? hi - 1 : hi)
  writeInt32(b, o + 4, lo < 0 ? lo + 0x1_0000_0000 : lo)
}

/** Parse the header at `at`: sizes and magic are checked, the CRC is not. */
export function readBatchHeader(buf: Uint8Array, at = 0): Result<BatchHeader> {
  if (!Number.isSafeInteger(at) || at < 0) return fail(ErrorCode.INVALID_REQUEST, `bad batch position ${at}`)
  if (buf.length - at < BATCH_HEADER_BYTES) {
    return corrupt(`truncated batch header: ${Math.max(0, buf.length - at)} of ${BATCH_HEADER_BYTES} bytes`)
  }
  const magic = buf[at + 16]
  if (magic !== BATCH_MAGIC) return corrupt(`unsupported batch magic ${magic} (only RecordBatch v2 is supported)`)
  const batchLength = int32(buf, at + 8)
  if (batchLength < BATCH_LENGTH_MIN) return corrupt(`batchLength ${batchLength} is below the header size ${BATCH_LENGTH_MIN}`)
  const h: BatchHeader = {
    baseOffset: int64(buf, at),
    batchLength,
    partitionLeaderEpoch: int32(buf, at + 12),
    magic,
    crc: uint32(buf, at + 17),
    attributes: int16(buf, at + 21),
    lastOffsetDelta: int32(buf, at + 23),
    baseTimestamp: int64(buf, at + 27),
    maxTimestamp: int64(buf, at + 35),
    producerId: int64(buf, at + 43),
    producerEpoch: int16(buf, at + 51),
    baseSequence: int32(buf, at + 53),
    recordCount: int32(buf, at + 57),
  }
  if (Number.isNaN(h.baseOffset) || h.baseOffset < 0) return corrupt(`baseOffset is negative or not a safe integer`)
  if (Number.isNaN(h.baseTimestamp) || Number.isNaN(h.maxTimestamp)) return corrupt('batch timestamp is not a safe integer')
  if (Number.isNaN(h.producerId)) return corrupt('producerId is not a safe integer')
  if (h.recordCount < 0) return corrupt(`negative recordCount ${h.recordCount}`)
  if (h.lastOffsetDelta < 0) return corrupt(`negative lastOffsetDelta ${h.lastOffsetDelta}`)
  return ok(h)
}

/**
 * Full check of the batch at `at` without decoding records: header sane, whole batch
 * inside buf, CRC-32C matches, recordCount >= 1 and consistent with lastOffsetDelta
 * (offset gaps from compaction are allowed, so lastOffsetDelta >= recordCount - 1).
 */
export function validateBatch(buf: Uint8Array, at = 0): Result<BatchHeader> {
  const r = readBatchHeader(buf, at)
  if (!r.ok) return r
  const h = r.value
  const end = at + BATCH_OVERHEAD_BYTES + h.batchLength
  if (end > buf.length) return corrupt(`batch of ${end - at} bytes is cut short at ${buf.length - at}`)
  if (h.recordCount < 1) return corrupt('batch has no records')
  if (h.lastOffsetDelta < h.recordCount - 1) {
    return corrupt(`lastOffsetDelta ${h.lastOffsetDelta} is too small for ${h.recordCount} records`)
  }
  if (h.baseOffset + h.lastOffsetDelta > Number.MAX_SAFE_INTEGER) return corrupt('last offset is not a safe integer')
  if ((h.attributes & ATTR_COMPRESSION_MASK) === 0 && h.recordCount > (end - at - BATCH_HEADER_BYTES) / RECORD_BYTES_MIN) {
    return corrupt(`recordCount ${h.recordCount} cannot fit in ${end - at - BATCH_HEADER_BYTES} record bytes`)
  }
  const crc = crc32c(buf, at + BATCH_CRC_START, end)
  if (crc !== h.crc) return corrupt(`CRC-32C mismatch: stored ${h.crc.toString(16)}, computed ${crc.toString(16)}`)
  return ok(h)
}

export interface BatchSlice {
  at: number
  header: BatchHeader
  /** A subarray view of buf (shares memory), not a copy. */
  bytes: Uint8Array
}

/**
 * Split concatenated batches. `validate` runs validateBatch on each; `allowPartialTail`
 * drops a last batch that is cut short (as a fetch with maxBytes may return) instead
 * of failing.
 */
export function splitBatches(
  buf: Uint8Array,
  opts: { validate?: boolean; allowPartialTail?: boolean } = {},
): Result<BatchSlice[]> {
  const out: BatchSlice[] = []
  let at = 0
  while (at < buf.length) {
    const remaining = buf.length - at
    if (remaining < BATCH_HEADER_BYTES && opts.allowPartialTail) break
    const r = opts.validate ? validateBatch(buf, at) : readBatchHeader(buf, at)
    if (!r.ok) {
      if (opts.allowPartialTail && isCutShort(buf, at)) break
      return r
    }
    const size = BATCH_OVERHEAD_BYTES + r.value.batchLength
    if (size > remaining) {
      if (opts.allowPartialTail) break
      return corrupt(`batch at ${at} of ${size} bytes is cut short at ${remaining}`)
    }
    out.push({ at, header: r.value, bytes: buf.subarray(at, at + size) })
    at += size
  }
  return ok(out)
}

/** True when the batch at `at` claims more bytes than buf holds. */
function isCutShort(buf: Uint8Array, at: number): boolean {
  const remaining = buf.length - at
  if (remaining < BATCH_HEADER_BYTES) return true
  return int32(buf, at + 8) > remaining - BATCH_OVERHEAD_BYTES
}

export function patchBaseOffset(buf: Uint8Array, at: number, baseOffset: number): void {
  writeInt64(buf, at, baseOffset)
}

export function patchPartitionLeaderEpoch(buf: Uint8Array, at: number, epoch: number): void {
  writeInt32(buf, at + 12, epoch)
}

/**
 * Stamp a batch with the broker's append time (topics with
 * message.timestamp.type=LogAppendTime): set attributes bit 3 and maxTimestamp, then
 * re-checksum, as Kafka's broker does. Records then read maxTimestamp as their
 * timestamp. The batch must already have passed validateBatch.
 */
export function patchLogAppendTime(buf: Uint8Array, at: number, timestamp: number): void {
  const end = at + BATCH_OVERHEAD_BYTES + int32(buf, at + 8)
  buf[at + 22] |= ATTR_TIMESTAMP_LOG_APPEND
  writeInt64(buf, at + 35, timestamp)
  writeInt32(buf, at + 17, crc32c(buf, at + BATCH_CRC_START, end))
}

export function lastOffsetOf(h: BatchHeader): number {
  return h.baseOffset + h.lastOffsetDelta
}

/** The delete horizon (ms) the cleaner stamped into the batch, or null when it has none (KIP-534). */
export function deleteHorizonOf(h: BatchHeader): number | null {
  return (h.attributes & ATTR_DELETE_HORIZON) !== 0 ? h.baseTimestamp : null
}

export function compressionOf(h: BatchHeader): number {
  return h.attributes & ATTR_COMPRESSION_MASK
}
