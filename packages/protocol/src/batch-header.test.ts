import {
  BATCH_HEADER_BYTES,
  BATCH_OVERHEAD_BYTES,
  concatBytes,
  encodeRecordBatch,
  ErrorCode,
  lastOffsetOf,
  patchBaseOffset,
  patchLogAppendTime,
  decodeRecordBatch,
  patchPartitionLeaderEpoch,
  readBatchHeader,
  splitBatches,
  validateBatch,
  writeInt32,
  type RecordInput,
} from './index.js'
import { fromHex, KAFKAJS_PLAIN_HEX } from './fixtures/record-batch-v2.js'

const recs = (n: number, tag = 'v'): RecordInput[] =>
  Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `${tag}${i}`, timestamp: 1000 + i }))

const expectCorrupt = (r: { ok: boolean; code?: number; message?: string }, pattern: RegExp): void => {
  expect(r.ok).toBe(false)
  if (r.ok) return
  expect(r.code).toBe(ErrorCode.CORRUPT_MESSAGE)
  expect(r.message).toMatch(pattern)
}

describe('readBatchHeader', () => {
  test('reads every field of the kafkajs fixture', () => {
    const r = readBatchHeader(fromHex(KAFKAJS_PLAIN_HEX))
    expect(r).toEqual({
      ok: true,
      value: {
        baseOffset: 0,
        batchLength: 71,
        partitionLeaderEpoch: 0,
        magic: 2,
        crc: 0x943273ec,
        attributes: 0,
        lastOffsetDelta: 1,
        baseTimestamp: 1_700_000_000_000,
        maxTimestamp: 1_700_000_000_007,
        producerId: 1000,
        producerEpoch: 2,
        baseSequence: 5,
        recordCount: 2,
      },
    })
  })

  test('the header is 61 bytes and batchLength counts what follows the first 12', () => {
    const b = encodeRecordBatch(recs(3))
    const h = readBatchHeader(b)
    expect(h.ok && h.value.batchLength).toBe(b.length - BATCH_OVERHEAD_BYTES)
    expect(BATCH_HEADER_BYTES).toBe(61)
  })

  test('producerId -1 and large int64 fields round-trip', () => {
    const b = encodeRecordBatch(recs(1), { producerId: -1, baseOffset: 2 ** 50 + 3, baseTimestamp: -5 })
    const h = readBatchHeader(b)
    expect(h.ok && [h.value.producerId, h.value.baseOffset, h.value.baseTimestamp]).toEqual([-1, 2 ** 50 + 3, -5])
  })

  test('does not check the CRC', () => {
    const b = encodeRecordBatch(recs(2))
    b[b.length - 1] ^= 0xff
    expect(readBatchHeader(b).ok).toBe(true)
    expectCorrupt(validateBatch(b), /CRC-32C mismatch/)
  })

  test('fewer than 61 bytes is a truncated header', () => {
    expectCorrupt(readBatchHeader(encodeRecordBatch(recs(1)).subarray(0, 60)), /truncated batch header/)
    expectCorrupt(readBatchHeader(new Uint8Array(0)), /truncated/)
  })

  test('magic other than 2 is refused', () => {
    const b = encodeRecordBatch(recs(1))
    b[16] = 1
    expectCorrupt(readBatchHeader(b), /magic 1/)
  })

  test('negative or too small batchLength is refused', () => {
    const b = encodeRecordBatch(recs(1))
    writeInt32(b, 8, -1)
    expectCorrupt(readBatchHeader(b), /batchLength -1/)
    writeInt32(b, 8, 48)
    expectCorrupt(readBatchHeader(b), /batchLength 48/)
  })

  test('an int64 beyond 2^53 is refused, not rounded', () => {
    const b = encodeRecordBatch(recs(1))
    b[0] = 0x7f
    expectCorrupt(readBatchHeader(b), /baseOffset/)
  })

  test('a position past the buffer is a failure, not a throw', () => {
    expect(readBatchHeader(new Uint8Array(10), 100).ok).toBe(false)
    expect(readBatchHeader(new Uint8Array(10), -1).ok).toBe(false)
  })
})

describe('validateBatch', () => {
  test('accepts what we encode, at any position', () => {
    const b = encodeRecordBatch(recs(5), { baseOffset: 10 })
    const buf = concatBytes([new Uint8Array(7), b])
    const r = validateBatch(buf, 7)
    expect(r.ok && lastOffsetOf(r.value)).toBe(14)
  })

  test('a batch longer than the buffer is cut short', () => {
    const b = encodeRecordBatch(recs(5))
    expectCorrupt(validateBatch(b.subarray(0, b.length - 1)), /cut short/)
  })

  test('oversized batchLength is refused before anything is read past the buffer', () => {
    const b = encodeRecordBatch(recs(1))
    writeInt32(b, 8, 0x7fffffff)
    expectCorrupt(validateBatch(b), /cut short/)
  })

  test('recordCount 0 is refused', () => {
    const b = encodeRecordBatch(recs(1))
    writeInt32(b, 57, 0)
    expectCorrupt(validateBatch(b), /no records/)
  })

  test('recordCount larger than the records bytes can hold is refused', () => {
    const b = encodeRecordBatch(recs(1))
    writeInt32(b, 23, 1_000_000)
    writeInt32(b, 57, 1_000_000)
    expectCorrupt(validateBatch(b), /cannot fit/)
  })

  test('lastOffsetDelta below recordCount - 1 is refused', () => {
    const b = encodeRecordBatch(recs(3))
    writeInt32(b, 23, 1)
    expectCorrupt(validateBatch(b), /lastOffsetDelta 1 is too small for 3/)
  })

  test('offset gaps from compaction are allowed (lastOffsetDelta > recordCount - 1)', () => {
    const b = encodeRecordBatch(recs(2), { offsetDeltas: [3, 9], lastOffsetDelta: 12 })
    const r = validateBatch(b)
    expect(r.ok && [r.value.recordCount, r.value.lastOffsetDelta]).toEqual([2, 12])
  })
})

describe('patching offsets and epochs outside the CRC', () => {
  test('patchBaseOffset and patchPartitionLeaderEpoch keep the CRC valid', () => {
    const b = encodeRecordBatch(recs(4))
    const buf = concatBytes([new Uint8Array(3), b])
    patchBaseOffset(buf, 3, 2 ** 40 + 5)
    patchPartitionLeaderEpoch(buf, 3, 17)
    const r = validateBatch(buf, 3)
    expect(r.ok && [r.value.baseOffset, r.value.partitionLeaderEpoch, lastOffsetOf(r.value)]).toEqual([2 ** 40 + 5, 17, 2 ** 40 + 8])
  })

  test('patchLogAppendTime sets the timestamp type and maxTimestamp and re-checksums', () => {
    const b = encodeRecordBatch(recs(2), { compression: 'gzip' })
    const buf = concatBytes([new Uint8Array(5), b])
    patchLogAppendTime(buf, 5, 123_456)
    const r = decodeRecordBatch(buf, 5)
    if (!r.ok) throw new Error(r.message)
    expect(r.value.header.attributes).toBe(1 | 8)
    expect(r.value.records.map(x => x.timestamp)).toEqual([123_456, 123_456])
  })

  test('patchBaseOffset refuses a non-safe offset (a caller bug)', () => {
    expect(() => patchBaseOffset(new Uint8Array(61), 0, 2 ** 60)).toThrow(RangeError)
  })
})

describe('splitBatches', () => {
  const a = encodeRecordBatch(recs(2, 'a'), { baseOffset: 0 })
  const b = encodeRecordBatch(recs(3, 'b'), { baseOffset: 2 })
  const c = encodeRecordBatch(recs(1, 'c'), { baseOffset: 5 })
  const all = concatBytes([a, b, c])

  test('splits concatenated batches into views with headers', () => {
    const r = splitBatches(all, { validate: true })
    if (!r.ok) throw new Error(r.message)
    expect(r.value.map(s => [s.at, s.header.baseOffset, s.bytes.length])).toEqual([
      [0, 0, a.length],
      [a.length, 2, b.length],
      [a.length + b.length, 5, c.length],
    ])
    expect(r.value[1].bytes.buffer).toBe(all.buffer) // a view, not a copy
  })

  test('empty input is no batches', () => {
    expect(splitBatches(new Uint8Array(0))).toEqual({ ok: true, value: [] })
  })

  test('a cut-short tail fails by default and is dropped with allowPartialTail', () => {
    for (const cut of [1, 12, 60, 61, c.length - 1]) {
      const buf = all.subarray(0, a.length + b.length + cut)
      expectCorrupt(splitBatches(buf), /cut short|truncated/)
      const r = splitBatches(buf, { allowPartialTail: true, validate: true })
      expect(r.ok && r.value.map(s => s.header.baseOffset)).toEqual([0, 2])
    }
  })

  test('validate catches a bad CRC in the middle batch; without it only headers are read', () => {
    const buf = all.slice()
    buf[a.length + b.length - 1] ^= 1
    expectCorrupt(splitBatches(buf, { validate: true }), /CRC/)
    expectCorrupt(splitBatches(buf, { validate: true, allowPartialTail: true }), /CRC/)
    expect(splitBatches(buf).ok).toBe(true)
  })

  test('garbage between batches fails', () => {
    expectCorrupt(splitBatches(concatBytes([a, new Uint8Array(70), c])), /magic 0/)
  })
})
