import fc from 'fast-check'
import { decodeRecordBatch, encodeRecordBatch, RecordBatchBuilder, type RecordInput } from './index.js'

const bytesArb = fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.uint8Array({ maxLength: 3000 }))
const recordArb: fc.Arbitrary<RecordInput> = fc.record(
  {
    key: fc.option(bytesArb),
    value: fc.option(bytesArb),
    headers: fc.dictionary(fc.string({ maxLength: 10 }), fc.oneof(fc.string({ maxLength: 20 }), fc.uint8Array({ maxLength: 20 })), { maxKeys: 3 }),
    timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
  },
  { requiredKeys: ['value'] },
)

function build(records: RecordInput[], baseTimestamp: number, now: number, opts = {}): Uint8Array {
  const b = new RecordBatchBuilder(baseTimestamp)
  for (const r of records) b.append(r, now)
  expect(b.count).toBe(records.length)
  return b.build(opts)
}

describe('RecordBatchBuilder', () => {
  test('builds the bytes encodeRecordBatch gives for the same records, growing past its first buffer', () => {
    fc.assert(
      fc.property(
        fc.array(recordArb, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 2 ** 45 }),
        fc.record({ producerId: fc.integer({ min: -1, max: 2 ** 40 }), producerEpoch: fc.integer({ min: -1, max: 32767 }), baseSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }), compression: fc.constantFrom('none' as const, 'gzip' as const) }),
        (records, now, opts) => {
          const baseTimestamp = records[0]!.timestamp ?? now
          const stamped = records.map((r) => ({ ...r, timestamp: r.timestamp ?? now }))
          expect(build(records, baseTimestamp, now, opts)).toEqual(encodeRecordBatch(stamped, { ...opts, baseTimestamp }))
        },
      ),
    )
  })

  test('a reused working buffer gives the same bytes, and build keeps none of it', () => {
    const first = new RecordBatchBuilder(7)
    first.append({ key: 'k', value: 'x'.repeat(5_000) }, 7)
    const firstBytes = first.build()
    const copy = firstBytes.slice()
    const buffer = first.takeBuffer()!
    expect(buffer.length).toBeGreaterThanOrEqual(5_000)
    expect(first.takeBuffer()).toBeUndefined()
    const second = new RecordBatchBuilder(9, buffer)
    second.append({ value: 'y' }, 9)
    expect(second.build()).toEqual(encodeRecordBatch([{ value: 'y', timestamp: 9 }]))
    expect(firstBytes).toEqual(copy)
  })

  test('records stamped before the base timestamp keep their time (negative deltas)', () => {
    const bytes = build([{ value: 'a' }, { value: 'b', timestamp: 500 }], 1_000, 1_000)
    const r = decodeRecordBatch(bytes)
    if (!r.ok) throw new Error(r.message)
    expect(r.value.records.map((x) => [x.offset, x.timestamp])).toEqual([[0, 1_000], [1, 500]])
    expect(r.value.header.maxTimestamp).toBe(1_000)
  })

  test('refuses an empty batch, a second build and an append after build', () => {
    const b = new RecordBatchBuilder(0)
    expect(() => b.build()).toThrow(/at least one record/)
    b.append({ value: 'x' }, 0)
    b.build()
    expect(() => b.build()).toThrow(/built once/)
    expect(() => b.append({ value: 'y' }, 0)).toThrow(/after build/)
  })
})
