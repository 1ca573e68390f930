/**
 * A leader's check of the records inside a batch whose header and CRC are already
 * valid, as Kafka's LogValidator walks every record before it appends: a producer
 * can checksum garbage, and a log that stores it breaks every consumer after it.
 *
 * It makes the same checks as decodeRecordBatch (each record's length covers
 * exactly its fields, offset deltas increase within lastOffsetDelta, exactly
 * recordCount records fill the batch) but builds nothing: lengths are read and
 * skipped, so the hot produce path stays a walk over bytes. Compressed batches are
 * decompressed (bounded) to be walked.
 */
import { RECORD_BYTES_MIN, type BatchHeader } from './batch-header.js'
import { ErrorCode, fail, ok, type Result } from './errors.js'
import { recordsRegion, type DecodeBatchOptions } from './record-batch.js'
import { VarReader } from './varint.js'

/** Body without length: attributes, timestampDelta, offsetDelta, keyLength, valueLength, headerCount. */
const RECORD_BODY_BYTES_MIN = RECORD_BYTES_MIN - 1

/** Check every record of the batch at `at`, which must already have passed validateBatch (its header is `header`). */
export function validateRecords(buf: Uint8Array, at: number, header: BatchHeader, opts: DecodeBatchOptions = {}): Result<void> {
  const region = recordsRegion(buf, at, header, opts)
  if (!region.ok) return region
  const why = walkRecords(region.value.data, region.value.start, region.value.stop, header)
  return why === null ? ok(undefined) : fail(ErrorCode.CORRUPT_MESSAGE, why)
}

/** Why the records are malformed, or null. */
function walkRecords(data: Uint8Array, start: number, stop: number, h: BatchHeader): string | null {
  const r = new VarReader(data, start, stop)
  let prevDelta = -1
  for (let i = 0; i < h.recordCount; i++) {
    r.end = stop
    const len = r.varint()
    if (r.bad !== null) return `record ${i}: ${r.bad}`
    if (len < RECORD_BODY_BYTES_MIN || len > stop - r.pos) return `record ${i}: length ${len} outside [${RECORD_BODY_BYTES_MIN}, ${stop - r.pos}]`
    const recordEnd = r.pos + len
    r.end = recordEnd
    r.pos++ // record attributes: unused in v2
    r.varlong() // timestampDelta
    const offsetDelta = r.varint()
    skipField(r) // key
    skipField(r) // value
    skipHeaders(r)
    if (r.bad !== null) return `record ${i}: ${r.bad}`
    if (r.pos !== recordEnd) return `record ${i}: ${recordEnd - r.pos} bytes left over inside the record`
    if (offsetDelta <= prevDelta || offsetDelta > h.lastOffsetDelta) {
      return `record ${i}: offsetDelta ${offsetDelta} not increasing within lastOffsetDelta ${h.lastOffsetDelta}`
    }
    prevDelta = offsetDelta
  }
  return r.pos === stop ? null : `${stop - r.pos} bytes after the last of ${h.recordCount} records`
}

/** A length-prefixed field (-1 = null); failures land in r.bad. */
function skipField(r: VarReader): void {
  const len = r.varint()
  if (len < -1 || len > r.end - r.pos) r.fail(`field length ${len} outside the record`)
  else if (len > 0) r.pos += len
}

function skipHeaders(r: VarReader): void {
  const count = r.varint()
  // Each header takes at least two bytes (two lengths).
  if (count < 0 || count > (r.end - r.pos) / 2) {
    r.fail(`header count ${count} does not fit the record`)
    return
  }
  for (let i = 0; i < count && r.bad === null; i++) {
    const keyLen = r.varint()
    if (keyLen < 0 || keyLen > r.end - r.pos) {
      r.fail(`header key length ${keyLen} invalid`)
      return
    }
    r.pos += keyLen
    skipField(r)
  }
}
