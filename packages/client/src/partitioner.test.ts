import { describe, expect, test } from '@jest/globals'
import { createRequire } from 'node:module'
import fc from 'fast-check'
import { murmur2, partitionForKey, StickyPartitioner, toPositive } from './partitioner.js'

const require = createRequire(import.meta.url)
const kafkajsMurmur2: (key: string | Buffer) => number = require('kafkajs/src/producer/partitioners/default/murmur2.js')

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('partitionForKey: Kafka default partitioner', () => {
  // org.apache.kafka.common.utils.UtilsTest#testMurmur2
  test.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('murmur2(%j) is %d as in Kafka UtilsTest', (key, expected) => {
    expect(murmur2(bytes(key))).toBe(expected)
  })

  test('toPositive clears the sign bit (Integer.MIN_VALUE -> 0), unlike Math.abs', () => {
    expect(toPositive(-2147483648)).toBe(0)
    expect(toPositive(-1)).toBe(2147483647)
    expect(toPositive(5)).toBe(5)
  })

  test('matches kafkajs (a Java-compatible implementation) on many random string and byte keys', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), fc.integer({ min: 1, max: 1000 }), (key, n) => {
        expect(murmur2(bytes(key))).toBe(kafkajsMurmur2(key))
        expect(partitionForKey(key, n)).toBe(toPositive(kafkajsMurmur2(key)) % n)
      }),
      { numRuns: 2000 },
    )
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 1000 }), (key, n) => {
        expect(partitionForKey(key, n)).toBe(toPositive(kafkajsMurmur2(Buffer.from(key))) % n)
      }),
      { numRuns: 2000 },
    )
  })

  test('a string key and its UTF-8 bytes land on the same partition', () => {
    expect(partitionForKey('ключ-✓', 6)).toBe(partitionForKey(bytes('ключ-✓'), 6))
  })

  test('a bad partition count is an ArgumentError', () => {
    expect(() => partitionForKey('k', 0)).toThrow(/partitionCount/)
    expect(() => partitionForKey('k', 1.5)).toThrow(/partitionCount/)
  })
})

describe('StickyPartitioner', () => {
  test('keyless records stick to one partition until its batch closes, then move', () => {
    let r = 0
    const seq = [0.1, 0.9]
    const s = new StickyPartitioner(() => seq[r++ % seq.length])
    const first = s.partition('t', 6, [0, 1, 2, 3, 4, 5])
    expect(s.partition('t', 6, [0, 1, 2, 3, 4, 5])).toBe(first)
    s.batchClosed('t', first)
    expect(s.partition('t', 6, [0, 1, 2, 3, 4, 5])).not.toBe(first)
  })

  test('prefers partitions with a leader', () => {
    const s = new StickyPartitioner(() => 0.99)
    expect(s.partition('t', 6, [2])).toBe(2)
    expect(new StickyPartitioner(() => 0.99).partition('t', 6, () => [4])).toBe(4)
  })

  test('asks for the available partitions only when it chooses afresh', () => {
    const s = new StickyPartitioner(() => 0.5)
    let asked = 0
    const available = () => (asked++, [1, 3])
    const first = s.partition('t', 6, available)
    for (let i = 0; i < 10; i++) expect(s.partition('t', 6, available)).toBe(first)
    expect(asked).toBe(1)
    s.batchClosed('t', first)
    s.partition('t', 6, available)
    expect(asked).toBe(2)
  })
})
