import fc from 'fast-check'
import { ApiKey, decodeRequest, decodeResponse, encodeRequest, encodeResponse, errorName, ErrorCode, isRetriable, packValue, TributaryError, unpackValue, type Result } from './index.js'

describe('envelope', () => {
  test('a request round-trips with its bytes intact', () => {
    const records = new Uint8Array([1, 2, 3, 255])
    const frame = encodeRequest(ApiKey.Produce, 0, 7, { acks: -1, timeoutMs: 1000, topics: [{ topic: 't', partitions: [{ partition: 0, records }] }] })
    const r = decodeRequest(frame)
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.value.apiKey).toBe(ApiKey.Produce)
    expect(r.value.correlationId).toBe(7)
    const body = r.value.body as any
    expect(body.topics[0].partitions[0].records).toEqual(records)
  })

  test('offsets beyond 32 bits stay exact numbers', () => {
    const frame = encodeResponse(1, 0, { offset: 2 ** 40 + 3, neg: -(2 ** 41) })
    const r = decodeResponse(frame)
    expect(r.ok && (r.value.body as any)).toEqual({ offset: 2 ** 40 + 3, neg: -(2 ** 41) })
  })

  test('garbage yields INVALID_REQUEST, never a throw', () => {
    for (const bytes of [new Uint8Array([0xc1]), new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff]), new Uint8Array(0), encodeRequest(1, 0, -5, {})]) {
      const r = decodeRequest(bytes)
      expect(r.ok).toBe(false)
      if (!r.ok) expect(r.code).toBe(ErrorCode.INVALID_REQUEST)
    }
  })

  test('a readable correlation id is kept on a bad body so the server can answer', () => {
    const r = decodeRequest(encodeRequest(3, 0, 42, 'not a map' as any))
    expect(r.ok).toBe(false)
    expect(r.correlationId).toBe(42)
  })

  test('oversized frames are refused before decoding', () => {
    const r = decodeRequest(new Uint8Array(100), 10)
    expect(r.ok).toBe(false)
  })

  test('errors carry code, name and retriable', () => {
    const e = new TributaryError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'leader moved')
    expect(e.retriable).toBe(true)
    expect(e.type).toBe('NOT_LEADER_OR_FOLLOWER')
    expect(isRetriable(ErrorCode.TOPIC_ALREADY_EXISTS)).toBe(false)
  })

  test('INVALID_RECORD is Kafka code 87 and not retriable (the same record fails again)', () => {
    expect(ErrorCode.INVALID_RECORD).toBe(87)
    expect(errorName(87)).toBe('INVALID_RECORD')
    expect(isRetriable(ErrorCode.INVALID_RECORD)).toBe(false)
  })
})

/** Msgpack-able values as bodies carry them: maps, arrays, strings, bytes, numbers. */
const bodyArb = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true }),
    fc.maxSafeInteger(),
    fc.string({ maxLength: 40 }),
    fc.uint8Array({ maxLength: 64 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 5 }),
  ),
})).value

/** One way to damage a frame: flip, overwrite, cut, insert or duplicate bytes. */
const mutationArb = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 9 }) }),
  fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 16 }) }),
)
type Mutation = typeof mutationArb extends fc.Arbitrary<infer M> ? M : never

function mutate(frame: Uint8Array, mutations: Mutation[]): Uint8Array {
  let b = frame.slice()
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % b.length
    if (m.kind === 'flip' && b.length > 0) b[at] ^= 1 << m.bit
    else if (m.kind === 'set' && b.length > 0) b[at] = m.byte
    else if (m.kind === 'truncate') b = b.slice(0, at)
    else if (m.kind === 'insert') b = Uint8Array.from([...b.subarray(0, at), ...m.bytes, ...b.subarray(at)])
    else if (m.kind === 'repeat') b = Uint8Array.from([...b.subarray(0, at + m.len), ...b.subarray(at)])
  }
  return b
}

describe('packValue', () => {
  test('returns bytes that own their buffer, even after a large frame was encoded', () => {
    encodeResponse(1, 0, { big: new Uint8Array(2 * 1024 * 1024) }) // grows the encoder's shared buffer
    const bytes = packValue({ v: 1, offset: 42 })
    expect(bytes.buffer.byteLength).toBe(bytes.byteLength)
    encodeResponse(2, 0, { big: new Uint8Array(1024).fill(7) }) // reuses the shared buffer: must not touch ours
    expect(unpackValue(bytes)).toEqual({ ok: true, value: { v: 1, offset: 42 } })
  })
})

/** Decoding must return a Result — ok, or INVALID_REQUEST with a message — and do so quickly. */
function expectTypedResult(decode: () => Result<unknown>): void {
  const started = performance.now()
  const r = decode()
  // Generous: a decode of a few KiB takes microseconds; this only catches a runaway loop.
  expect(performance.now() - started).toBeLessThan(2000)
  if (!r.ok) {
    expect(r.code).toBe(ErrorCode.INVALID_REQUEST)
    expect(typeof r.message).toBe('string')
  }
}

describe('envelope decoders on hostile input (property)', () => {
  test('random bytes never throw or hang: a typed error or a well-formed frame', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        expectTypedResult(() => decodeRequest(bytes))
        expectTypedResult(() => decodeResponse(bytes))
      }),
      { numRuns: 1000 },
    )
  })

  test('random bytes after a valid msgpack array header get the same treatment', () => {
    // 0x94/0x93: a fixarray of 4/3 — the decoders then read attacker-chosen elements.
    const arb = fc.tuple(fc.constantFrom(0x94, 0x93, 0xdc, 0xdd), fc.uint8Array({ maxLength: 512 }))
    fc.assert(
      fc.property(arb, ([head, rest]) => {
        const bytes = Uint8Array.from([head, ...rest])
        expectTypedResult(() => decodeRequest(bytes))
        expectTypedResult(() => decodeResponse(bytes))
      }),
      { numRuns: 1000 },
    )
  })

  test('mutated valid requests and responses never throw or hang', () => {
    const frameArb = fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: 70 }), fc.integer({ min: 0, max: 5 }), fc.nat(), bodyArb).map(([k, v, c, body]) => encodeRequest(k, v, c, body)),
      fc.tuple(fc.nat(), fc.integer({ min: -1, max: 120 }), bodyArb).map(([c, e, body]) => encodeResponse(c, e, body)),
    )
    fc.assert(
      fc.property(frameArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (frame, mutations) => {
        const bytes = mutate(frame, mutations)
        expectTypedResult(() => decodeRequest(bytes))
        expectTypedResult(() => decodeResponse(bytes))
        const r = decodeRequest(bytes)
        if (r.ok) {
          expect(Number.isSafeInteger(r.value.apiKey) && Number.isSafeInteger(r.value.apiVersion)).toBe(true)
          expect(Number.isSafeInteger(r.value.correlationId) && r.value.correlationId >= 0).toBe(true)
          expect(typeof r.value.body === 'object' && r.value.body !== null).toBe(true)
        }
      }),
      { numRuns: 1500 },
    )
  })
})
