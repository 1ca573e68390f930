import fc from 'fast-check'
import { crc32c, crc32cUpdate, crc32cUpdateJs, NATIVE_MIN_BYTES } from './crc32c.js'
import { nativeCrc32c } from './crc32c-native.js'

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s)

/** Bit-at-a-time reference: slow, obviously right. */
function crc32cReference(buf: Uint8Array): number {
  let c = ~0
  for (const b of buf) {
    c ^= b
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
  }
  return ~c >>> 0
}

describe('crc32c', () => {
  test('standard check value: "123456789" -> 0xE3069283', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283)
  })

  test('RFC 3720 (iSCSI) vectors', () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa)
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43)
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e)
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c)
  })

  test('empty input is 0', () => {
    expect(crc32c(new Uint8Array(0))).toBe(0)
  })

  test('matches the bit-at-a-time reference for any bytes and range', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.nat(), (b, x, y) => {
        const start = b.length ? x % b.length : 0
        const end = start + (b.length ? y % (b.length - start + 1) : 0)
        expect(crc32c(b, start, end)).toBe(crc32cReference(b.subarray(start, end)))
      }),
      { numRuns: 300 },
    )
  })

  test('crc32cUpdate continues a checksum across pieces', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 100 }), (a, b) => {
        const joined = new Uint8Array([...a, ...b])
        expect(crc32cUpdate(crc32c(a), b)).toBe(crc32c(joined))
      }),
      { numRuns: 100 },
    )
  })

  describe('native path (ranges of NATIVE_MIN_BYTES and more)', () => {
    test('Node loads the native implementation (it is a dependency of the package)', () => {
      expect(nativeCrc32c).not.toBeNull()
    })

    test('long ranges match the reference and the JS loop, at any start and end', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: NATIVE_MIN_BYTES, maxLength: 4000 }), fc.nat(), fc.nat(), (b, x, y) => {
          const start = x % (b.length - NATIVE_MIN_BYTES + 1)
          const end = start + NATIVE_MIN_BYTES + (y % (b.length - start - NATIVE_MIN_BYTES + 1))
          const expected = crc32cReference(b.subarray(start, end))
          expect(crc32c(b, start, end)).toBe(expected)
          expect(crc32cUpdateJs(0, b, start, end)).toBe(expected)
        }),
        { numRuns: 100 },
      )
    })

    test('continuation mixes native and JS pieces', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 1500 }), fc.uint8Array({ maxLength: 1500 }), (a, b) => {
          const joined = new Uint8Array([...a, ...b])
          expect(crc32cUpdate(crc32c(a), b)).toBe(crc32cReference(joined))
        }),
        { numRuns: 100 },
      )
    })
  })
})
