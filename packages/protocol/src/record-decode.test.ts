import fc from 'fast-check'
import { readBatchHeader, BATCH_HEADER_BYTES, type BatchHeader } from './batch-header.js'
import { encodeRecordBatch, type RecordInput } from './record-batch.js'
import { plainRun, readRecord, Views, type Run } from './record-decode.js'
import type { DecodedRecord } from './record-batch.js'
import { VarReader } from './varint.js'

function headerOf(batch: Uint8Array): BatchHeader {
  const h = readBatchHeader(batch)
  if (!h.ok) throw new Error(h.message)
  return h.value
}

/** Record start positions of an uncorrupted, uncompressed batch, found with the general path. */
function recordStarts(batch: Uint8Array): number[] {
  const h = headerOf(batch)
  const views = new Views(batch)
  const r = new VarReader(batch, BATCH_HEADER_BYTES, batch.length)
  const starts: number[] = []
  while (r.pos < batch.length) {
    starts.push(r.pos)
    if (typeof readRecord(r, batch.length, views, h) === 'string') throw new Error('bad test batch')
  }
  return starts
}

/**
 * At every position after the header where the fast path accepts one record, the
 * general path reads the same record and ends where it did. Returns how many it accepted.
 */
function fastAgreesWithGeneral(data: Uint8Array, h: BatchHeader): number {
  const views = new Views(data)
  let accepted = 0
  for (let pos = BATCH_HEADER_BYTES; pos < data.length; pos++) {
    const out: DecodedRecord[] = [undefined as unknown as DecodedRecord]
    const run: Run = { pos, next: 0, prevDelta: -1 }
    plainRun(data, data.length, views, h, out, 1, run)
    if (run.next === 0) continue
    accepted++
    const r = new VarReader(data, pos, data.length)
    expect(readRecord(r, data.length, views, h)).toEqual(out[0])
    expect(r.pos).toBe(run.pos)
  }
  return accepted
}

const small = fc.uint8Array({ maxLength: 150 })
/** Mostly plain records (no headers, short fields), some not, as the fast path must tell them apart. */
const recordArb: fc.Arbitrary<RecordInput> = fc.record({
  key: fc.option(small),
  value: fc.option(small),
  headers: fc.oneof(fc.constant(undefined), fc.constant<Array<{ key: string; value: Uint8Array | null }>>([]), fc.array(fc.record({ key: fc.string({ maxLength: 4 }), value: fc.option(small) }), { minLength: 1, maxLength: 2 })),
  timestamp: fc.oneof(fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 0, max: 2 ** 40 })),
})

describe('the plain-record fast path', () => {
  test('takes a whole batch of common records: small varints, no headers', () => {
    const records = Array.from({ length: 300 }, (_, i) => ({ key: `key-${i}`, value: new Uint8Array(100).fill(i), timestamp: 1_700_000_000_000 + i }))
    const batch = encodeRecordBatch(records)
    const out: DecodedRecord[] = new Array(records.length)
    const run: Run = { pos: BATCH_HEADER_BYTES, next: 0, prevDelta: -1 }
    plainRun(batch, batch.length, new Views(batch), headerOf(batch), out, records.length, run)
    expect(run).toEqual({ pos: batch.length, next: records.length, prevDelta: records.length - 1 })
    expect(recordStarts(batch).length).toBe(records.length)
    expect(out[299].value).toEqual(new Uint8Array(100).fill(299))
  })

  test('wherever it accepts bytes, the general path reads the same record ending at the same place', () => {
    fc.assert(
      fc.property(
        fc.array(recordArb, { minLength: 1, maxLength: 6 }),
        fc.array(fc.record({ at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }), { maxLength: 3 }),
        (records, flips) => {
          const batch = encodeRecordBatch(records)
          for (const f of flips) {
            const at = BATCH_HEADER_BYTES + (f.at % (batch.length - BATCH_HEADER_BYTES))
            batch[at] ^= f.xor
          }
          // every position, not only record starts: the fast path meets arbitrary bytes
          fastAgreesWithGeneral(batch, headerOf(batch))
        },
      ),
      { numRuns: 300 },
    )
  })

  /** Mostly `usual`, sometimes one of `odd`. */
  const mostly = <T>(usual: T, ...odd: T[]): fc.Arbitrary<T> => fc.oneof({ arbitrary: fc.constant(usual), weight: 8 }, { arbitrary: fc.constantFrom(...odd), weight: 1 })
  /** A varint of v as Kafka writes it, or padded to a longer (non-canonical) form. */
  const varintBytes = (v: number, extra: number): number[] => {
    let z = ((v << 1) ^ (v >> 31)) >>> 0
    const out: number[] = []
    while (z >= 0x80) {
      out.push((z & 0x7f) | 0x80)
      z >>>= 7
    }
    for (let k = 0; k < extra; k++) {
      out.push(z | 0x80)
      z = 0
    }
    out.push(z)
    return out
  }
  const varintArb = (values: fc.Arbitrary<number>): fc.Arbitrary<number[]> =>
    fc.tuple(values, mostly(0, 1, 2)).map(([v, extra]) => varintBytes(v, extra))
  const lengthSkew = mostly(0, -1, 1, -3)
  /** Records built field by field, each field sometimes wrong: lengths off by a little, long or padded varints, headers. */
  const recordBytesArb = fc
    .record({
      attributes: mostly(0, 0x80, 0xff),
      ts: varintArb(fc.oneof({ arbitrary: fc.integer({ min: -9000, max: 9000 }), weight: 4 }, fc.integer())),
      off: varintArb(fc.oneof({ arbitrary: fc.integer({ min: 0, max: 9000 }), weight: 4 }, fc.integer({ min: -2, max: 20000 }))),
      key: fc.option(fc.uint8Array({ maxLength: 70 })),
      keySkew: lengthSkew,
      value: fc.option(fc.uint8Array({ maxLength: 200 })),
      valueSkew: lengthSkew,
      headerCount: mostly(0, 1, 2, 0x80),
      lengthSkew,
      lengthPad: mostly(0, 1),
      trailing: fc.uint8Array({ maxLength: 3 }),
    })
    .map(f => {
      const field = (v: Uint8Array | null, skew: number): number[] => (v === null ? varintBytes(-1 + (skew < 0 ? skew : 0), 0) : [...varintBytes(v.length + skew, 0), ...v])
      const body = [f.attributes, ...f.ts, ...f.off, ...field(f.key, f.keySkew), ...field(f.value, f.valueSkew), f.headerCount]
      return Uint8Array.from([...varintBytes(body.length + f.lengthSkew, f.lengthPad), ...body, ...f.trailing])
    })

  test('on records built field by field, some fields wrong', () => {
    const header = encodeRecordBatch([{ value: null, timestamp: 0 }], { lastOffsetDelta: 10_000 }).subarray(0, BATCH_HEADER_BYTES)
    const h = headerOf(encodeRecordBatch([{ value: null, timestamp: 0 }], { lastOffsetDelta: 10_000 }))
    let accepted = 0
    fc.assert(
      fc.property(recordBytesArb, bytes => {
        const data = new Uint8Array(BATCH_HEADER_BYTES + bytes.length)
        data.set(header)
        data.set(bytes, BATCH_HEADER_BYTES)
        accepted += fastAgreesWithGeneral(data, h)
      }),
      { numRuns: 3000 },
    )
    expect(accepted).toBeGreaterThan(500) // the property was exercised, not vacuous
  })
})
