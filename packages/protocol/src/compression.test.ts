import { gzipSync as nodeGzip } from 'node:zlib'
import { compress, Compression, concatBytes, decompress, ErrorCode } from './index.js'

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('compression', () => {
  test('none passes bytes through untouched', () => {
    const b = bytes('abc')
    expect(compress(Compression.none, b)).toBe(b)
    expect(decompress(Compression.none, b)).toEqual({ ok: true, value: b })
  })

  test('gzip round-trips, including output bigger than one inflate step', () => {
    const big = new Uint8Array(300_000).map((_, i) => (i * 7) % 251)
    for (const data of [new Uint8Array(0), bytes('hello'), big]) {
      const r = decompress(Compression.gzip, compress(Compression.gzip, data))
      expect(r.ok && Buffer.compare(r.value, data)).toBe(0)
    }
  })

  test('gzip output is deterministic (mtime 0)', () => {
    expect(compress(Compression.gzip, bytes('x'))).toEqual(compress(Compression.gzip, bytes('x')))
  })

  test('reads node zlib gzip, including concatenated members', () => {
    const twoMembers = concatBytes([nodeGzip(bytes('hello ')), nodeGzip(bytes('world'))])
    const r = decompress(Compression.gzip, twoMembers)
    expect(r.ok && new TextDecoder().decode(r.value)).toBe('hello world')
  })

  test('garbage, truncation and trailing junk are CORRUPT_MESSAGE', () => {
    const good = compress(Compression.gzip, bytes('hello world'.repeat(10)))
    for (const bad of [new Uint8Array(0), bytes('not gzip at all'), good.subarray(0, good.length - 10), concatBytes([good, bytes('junk!junk!junk!')])]) {
      const r = decompress(Compression.gzip, bad)
      expect(r.ok).toBe(false)
      if (!r.ok) expect(r.code).toBe(ErrorCode.CORRUPT_MESSAGE)
    }
  })

  test('output past maxBytes is refused', () => {
    const r = decompress(Compression.gzip, compress(Compression.gzip, new Uint8Array(100_001)), 100_000)
    expect(r.ok).toBe(false)
    expect(decompress(Compression.gzip, compress(Compression.gzip, new Uint8Array(100_000)), 100_000).ok).toBe(true)
  })

  test('snappy, lz4 and zstd are refused with a clear error; encoding them is a caller bug', () => {
    for (const code of [Compression.snappy, Compression.lz4, Compression.zstd]) {
      const r = decompress(code, bytes('x'))
      expect(r).toMatchObject({ ok: false, code: ErrorCode.CORRUPT_MESSAGE })
      if (!r.ok) expect(r.message).toMatch(/unsupported compression (snappy|lz4|zstd)/)
      expect(() => compress(code, bytes('x'))).toThrow(RangeError)
    }
  })
})
