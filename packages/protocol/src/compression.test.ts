import { gzipSync as nodeGzip } from 'node:zlib'
import fc from 'fast-check'
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

  const TEXT = 'kafka record set, kafka record set, kafka record set!'
  const hex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'))
  const decoded = (code: number, data: Uint8Array, max?: number) => {
    const r = decompress(code, data, max)
    return r.ok ? new TextDecoder().decode(r.value) : `${r.code}: ${r.message}`
  }

  test('snappy and lz4 round-trip, empty and past one snappy chunk (32 KiB) included', () => {
    const big = new Uint8Array(100_000).map((_, i) => (i * 13) % 251)
    for (const code of [Compression.snappy, Compression.lz4]) {
      for (const data of [new Uint8Array(0), bytes(TEXT), big]) {
        const r = decompress(code, compress(code, data))
        expect(r.ok && Buffer.compare(r.value, data)).toBe(0)
      }
    }
  })

  test('snappy: both snappy-java framing (what we write) and a bare block (what librdkafka may write) are read', () => {
    const framed = compress(Compression.snappy, bytes(TEXT))
    expect(Buffer.from(framed.subarray(0, 8)).toString('latin1')).toBe('\x82SNAPPY\x00')
    // The bare block inside the frame, after the 16-byte header and its 4-byte length.
    expect(decoded(Compression.snappy, framed.subarray(20))).toBe(TEXT)
  })

  test('zstd and lz4 frames written by the reference CLIs (zstd -19, lz4) are read', () => {
    expect(decoded(Compression.zstd, hex('28b52ffd2435cd0000986b61666b61207265636f7264207365742c20210100ca99615b14cd06'))).toBe(TEXT)
    expect(decoded(Compression.lz4, hex('04224d186440a71d000000ff036b61666b61207265636f7264207365742c2012000b50207365742100000000bb2d4891'))).toBe(TEXT)
  })

  test('every codec stops at the output cap, and garbage is CORRUPT_MESSAGE, never a throw', () => {
    const data = bytes(TEXT.repeat(100))
    const zstd = hex('28b52ffd2435cd0000986b61666b61207265636f7264207365742c20210100ca99615b14cd06')
    for (const [code, packed] of [[Compression.snappy, compress(Compression.snappy, data)], [Compression.lz4, compress(Compression.lz4, data)], [Compression.zstd, zstd]] as const) {
      expect(decompress(code, packed, 10)).toMatchObject({ ok: false, code: ErrorCode.CORRUPT_MESSAGE })
      for (const junk of [new Uint8Array(0), bytes('not compressed at all'), packed.subarray(0, packed.length - 3), packed.subarray(0, packed.length >> 1)]) {
        expect(decompress(code, junk)).toMatchObject({ ok: false, code: ErrorCode.CORRUPT_MESSAGE })
      }
    }
  })

  test('a codec number Kafka does not define is UNSUPPORTED_COMPRESSION_TYPE; zstd is read, not written', () => {
    expect(decompress(5, bytes('x'))).toMatchObject({ ok: false, code: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE })
    expect(() => compress(Compression.zstd, bytes('x'))).toThrow(/zstd is read only/)
  })

  test('random and mutated input to every decoder is a value, never a throw (seeded)', () => {
    const seeds = [compress(Compression.gzip, bytes(TEXT)), compress(Compression.snappy, bytes(TEXT)), compress(Compression.lz4, bytes(TEXT))]
    const mutated = fc.tuple(fc.constantFrom(...seeds), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([seed, at, v]) => {
      const b = seed.slice()
      b[at % b.length] = v
      return b
    })
    fc.assert(fc.property(fc.integer({ min: 1, max: 4 }), fc.oneof(mutated, fc.uint8Array({ maxLength: 64 })), (code, data) => {
      const r = decompress(code, data, 1 << 20)
      return r.ok ? r.value.length <= 1 << 20 : r.code === ErrorCode.CORRUPT_MESSAGE
    }), { numRuns: 3000, seed: 76 })
  })
})
