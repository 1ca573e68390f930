import fc from 'fast-check'
import { createRequire } from 'node:module'
import { sizeOfVarint, sizeOfVarlong, VarReader, writeVarint, writeVarlong } from './varint.js'

const require = createRequire(import.meta.url)
const KafkajsEncoder = require('kafkajs/src/protocol/encoder.js')

const encodeVarint = (v: number): Uint8Array => {
  const b = new Uint8Array(5)
  return b.subarray(0, writeVarint(b, 0, v))
}
const encodeVarlong = (v: number): Uint8Array => {
  const b = new Uint8Array(10)
  return b.subarray(0, writeVarlong(b, 0, v))
}
const reader = (bytes: number[] | Uint8Array): VarReader => new VarReader(Uint8Array.from(bytes), 0, bytes.length)

describe('varint (zigzag int32)', () => {
  test('known encodings, as in Kafka ByteUtils tests', () => {
    expect([...encodeVarint(0)]).toEqual([0])
    expect([...encodeVarint(-1)]).toEqual([1])
    expect([...encodeVarint(1)]).toEqual([2])
    expect([...encodeVarint(63)]).toEqual([0x7e])
    expect([...encodeVarint(-64)]).toEqual([0x7f])
    expect([...encodeVarint(64)]).toEqual([0x80, 0x01])
    expect([...encodeVarint(2 ** 31 - 1)]).toEqual([0xfe, 0xff, 0xff, 0xff, 0x0f])
    expect([...encodeVarint(-(2 ** 31))]).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f])
  })

  test('round-trips every int32 and matches kafkajs bytes and sizes', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), v => {
        const b = encodeVarint(v)
        expect(b.length).toBe(sizeOfVarint(v))
        expect(Buffer.from(b)).toEqual(new KafkajsEncoder().writeVarInt(v).buffer)
        const r = reader(b)
        expect(r.varint()).toBe(v)
        expect(r.bad).toBeNull()
        expect(r.pos).toBe(b.length)
      }),
      { numRuns: 500 },
    )
  })

  test('more than 5 bytes is rejected', () => {
    const r = reader([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])
    expect(r.varint()).toBe(0)
    expect(r.bad).toMatch(/longer than 5 bytes/)
  })

  test('a varint cut short is rejected and later reads fail fast', () => {
    const r = reader([0x80, 0x80])
    r.varint()
    expect(r.bad).toMatch(/truncated varint/)
    expect(r.pos).toBe(r.end)
    expect(r.varint()).toBe(0)
    expect(r.bad).toMatch(/truncated varint/) // the first reason is kept
  })

  test('reads stop at end even when the buffer goes on', () => {
    const buf = Uint8Array.from([0x80, 0x01, 0x02]) // 64 as two bytes, then 1
    const cut = new VarReader(buf, 0, 1)
    cut.varint()
    expect(cut.bad).toMatch(/truncated varint/)
    const whole = new VarReader(buf, 0, 3)
    expect([whole.varint(), whole.varint(), whole.bad]).toEqual([64, 1, null])
  })
})

describe('varlong (zigzag int64 as a safe integer)', () => {
  test('round-trips every safe integer and matches kafkajs bytes', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), v => {
        const b = encodeVarlong(v)
        expect(b.length).toBe(sizeOfVarlong(v))
        expect(Buffer.from(b)).toEqual(new KafkajsEncoder().writeVarLong(v).buffer)
        const r = reader(b)
        expect(r.varlong()).toBe(v)
        expect(r.bad).toBeNull()
      }),
      { numRuns: 500 },
    )
  })

  test('edges: 0, -1, ±2^31, ±(2^53 - 1)', () => {
    for (const v of [0, -1, 2 ** 31, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
      expect(reader(encodeVarlong(v)).varlong()).toBe(v)
    }
  })

  test('more than 10 bytes is rejected', () => {
    const r = reader([...new Array(10).fill(0x80), 0x01])
    r.varlong()
    expect(r.bad).toMatch(/longer than 10 bytes/)
  })

  test('a value beyond 2^53 is rejected, not rounded', () => {
    const r = reader([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]) // zigzag 2^64-1
    r.varlong()
    expect(r.bad).toMatch(/not a safe integer/)
  })

  test('a varlong cut short is rejected', () => {
    const r = reader([0x80, 0x80, 0x80, 0x80, 0x80])
    r.varlong()
    expect(r.bad).toMatch(/truncated varlong/)
  })

  test('reads stop at end even when the buffer goes on', () => {
    const buf = Uint8Array.from([0x80, 0x01, 0x02])
    const cut = new VarReader(buf, 0, 1)
    cut.varlong()
    expect(cut.bad).toMatch(/truncated varlong/)
    const whole = new VarReader(buf, 0, 3)
    expect([whole.varlong(), whole.varlong(), whole.bad]).toEqual([64, 1, null])
  })
})
