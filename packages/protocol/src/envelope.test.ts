import { ApiKey, decodeRequest, decodeResponse, encodeRequest, encodeResponse, ErrorCode, isRetriable, TributaryError } from './index.js'

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
})
