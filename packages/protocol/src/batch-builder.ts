/**
 * A RecordBatch v2 built record by record, as Kafka's MemoryRecordsBuilder: each
 * append encodes its record at once into a growing buffer, so a producer holds bytes,
 * not the caller's record objects, while the batch fills and waits. Those objects then
 * die young (a scavenge never copies them), which is most of the cost of many small
 * sends. `build` seals the batch once the producer fields are known (they sit under
 * the CRC).
 *
 * The bytes equal encodeRecordBatch's for the same records, base timestamp and options.
 */
import { BATCH_HEADER_BYTES } from './batch-header.js'
import { compress, Compression, type WritableCompression } from './compression.js'
import { bodyBound, writeBatchHeader, writeRecord } from './record-encode.js'
import type { RecordInput } from './record-batch.js'
import { Utf8Target } from './utf8.js'
import { VARINT_BYTES_MAX } from './varint.js'

/** First buffer of a batch; doubled as records come (a lone record gets what it needs). */
export const BUILDER_INITIAL_BYTES = 1024

export interface BuildOptions {
  /** -1 = not an idempotent producer. */
  producerId?: number
  producerEpoch?: number
  baseSequence?: number
  compression?: WritableCompression
}

export class RecordBatchBuilder {
  private target: Utf8Target
  private pos = BATCH_HEADER_BYTES
  private maxTimestamp = -Infinity
  private built = false
  /** The working buffer once built, until takeBuffer. */
  private leftover: Uint8Array | undefined
  /** Records appended. */
  count = 0

  /**
   * baseTimestamp: the first record's timestamp (record deltas are taken from it, and may be
   * negative). buffer: working space to reuse (another builder's takeBuffer), else a new one.
   */
  constructor(readonly baseTimestamp: number, buffer?: Uint8Array) {
    if (!Number.isSafeInteger(baseTimestamp)) throw new RangeError(`baseTimestamp must be a safe integer, got ${baseTimestamp}`)
    this.target = new Utf8Target(buffer !== undefined && buffer.length >= BATCH_HEADER_BYTES + 64 ? buffer : new Uint8Array(BUILDER_INITIAL_BYTES))
  }

  /** Encoded bytes so far, header included. */
  get bytes(): number {
    return this.pos
  }

  /** Encode r as the next record (offset delta = its index), stamped `timestamp` unless it has its own. */
  append(r: RecordInput, timestamp: number): void {
    if (this.built) throw new RangeError('append after build')
    const ts = r.timestamp ?? timestamp
    const tsDelta = ts - this.baseTimestamp
    if (!Number.isSafeInteger(tsDelta)) throw new RangeError(`record timestamp must be a safe integer, got ${ts}`)
    const bound = bodyBound(r)
    if (this.pos + VARINT_BYTES_MAX + bound > this.target.bytes.length) this.grow(this.pos + VARINT_BYTES_MAX + bound)
    this.pos = writeRecord(this.target, this.pos, r, bound, tsDelta, this.count)
    if (ts > this.maxTimestamp) this.maxTimestamp = ts
    this.count++
  }

  /** The finished batch (exact size, own buffer); the builder takes no more records and drops its buffer. */
  build(opts: BuildOptions = {}): Uint8Array {
    if (this.built) throw new RangeError('a batch is built once')
    if (this.count === 0) throw new RangeError('a record batch needs at least one record')
    this.built = true
    const code = Compression[opts.compression ?? 'none']
    const buf = this.target.bytes
    let out: Uint8Array
    if (code === Compression.none) {
      out = buf.slice(0, this.pos)
    } else {
      const body = compress(code, buf.subarray(BATCH_HEADER_BYTES, this.pos))
      out = new Uint8Array(BATCH_HEADER_BYTES + body.length)
      out.set(body, BATCH_HEADER_BYTES)
    }
    this.leftover = buf
    this.target = EMPTY
    writeBatchHeader(out, {
      baseOffset: 0,
      partitionLeaderEpoch: -1,
      attributes: code,
      lastOffsetDelta: this.count - 1,
      baseTimestamp: this.baseTimestamp,
      maxTimestamp: this.maxTimestamp,
      producerId: opts.producerId ?? -1,
      producerEpoch: opts.producerEpoch ?? -1,
      baseSequence: opts.baseSequence ?? -1,
      recordCount: this.count,
    })
    return out
  }

  /**
   * After build: the working buffer, to hand to the next builder so a steady stream of
   * batches does not allocate and grow one per batch. build copied all it needs out of it.
   */
  takeBuffer(): Uint8Array | undefined {
    const b = this.leftover
    this.leftover = undefined
    return b
  }

  private grow(need: number): void {
    const next = new Utf8Target(new Uint8Array(Math.max(need, 2 * this.target.bytes.length)))
    next.bytes.set(this.target.bytes.subarray(0, this.pos))
    this.target = next
  }
}

const EMPTY = new Utf8Target(new Uint8Array(0))
