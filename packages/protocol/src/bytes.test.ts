import { describe, expect, test } from '@jest/globals'
import { concatBytes } from './bytes.js'

describe('concatBytes', () => {
  test('joins chunks in order, with or without the total given', () => {
    const chunks = [Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3), Uint8Array.of(4, 5, 6)]
    expect([...concatBytes(chunks)]).toEqual([1, 2, 3, 4, 5, 6])
    expect([...concatBytes(chunks, 6)]).toEqual([1, 2, 3, 4, 5, 6])
  })

  test('joins views at their own offsets, not their buffers', () => {
    const buf = Uint8Array.of(9, 1, 2, 9, 3, 9)
    expect([...concatBytes([buf.subarray(1, 3), buf.subarray(4, 5)])]).toEqual([1, 2, 3])
  })

  test('one chunk passes through without a copy; none gives an empty array', () => {
    const one = Uint8Array.of(7, 8)
    expect(concatBytes([one])).toBe(one)
    expect(concatBytes([]).length).toBe(0)
  })
})
