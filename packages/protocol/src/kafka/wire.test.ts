/**
 * KafkaWriter keeps long byte strings (record batches) by reference and a
 * response frame's pieces are the stored bytes themselves; the frame they make
 * is byte for byte the one a copy would have made.
 */
import { decodeKafkaMessage, encodeKafkaResponse, encodeKafkaResponsePieces, KAFKA_APIS, KAFKA_SHARED_BYTES_MIN, KafkaApiKey, KafkaWriter, ResponseHeader, readMessage, KafkaReader } from './index.js'

const filled = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff)
const join = (pieces: Uint8Array[]): Buffer => Buffer.concat(pieces)
/** Equality of long arrays without jest's element-by-element diff. */
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))

describe('KafkaWriter', () => {
  it('copies short byte strings and keeps long ones by reference, in order', () => {
    const short = filled(KAFKA_SHARED_BYTES_MIN - 1, 1)
    const long = filled(KAFKA_SHARED_BYTES_MIN, 2)
    const w = new KafkaWriter()
    w.int32(7)
    w.raw(short)
    w.raw(long)
    w.int16(-1)
    const pieces = w.pieces()
    expect(pieces).toHaveLength(3)
    expect(pieces[1]).toBe(long)
    expect(pieces.some((p) => p === short)).toBe(false)
    expect(w.written).toBe(4 + short.byteLength + long.byteLength + 2)
    expect(same(w.bytes(), Uint8Array.from([0, 0, 0, 7, ...short, ...long, 0xff, 0xff]))).toBe(true)
  })

  it('bytes() is a copy: later writes and the writer\'s own buffer do not change it', () => {
    const w = new KafkaWriter()
    w.int8(1)
    const before = w.bytes()
    w.int8(2)
    expect([...before]).toEqual([1])
    expect([...w.bytes()]).toEqual([1, 2])
  })

  it('two long strings back to back are two pieces with no empty piece between them', () => {
    const a = filled(KAFKA_SHARED_BYTES_MIN, 3)
    const b = filled(KAFKA_SHARED_BYTES_MIN + 1, 4)
    const w = new KafkaWriter()
    w.raw(a)
    w.raw(b)
    expect(w.pieces()).toEqual([a, b])
    expect(w.pieces()[0]).toBe(a)
  })
})

describe('a Fetch response frame as pieces', () => {
  const fetch = KAFKA_APIS.get(KafkaApiKey.Fetch)!
  const records = [filled(64 * 1024, 5), filled(10, 6), filled(200 * 1024, 7)]
  const body = () => ({
    sessionId: 0,
    responses: [{
      topic: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
      partitions: records.map((r, i) => ({ partitionIndex: i, errorCode: 0, highWatermark: 100, lastStableOffset: 100, logStartOffset: 0, abortedTransactions: null, preferredReadReplica: -1, records: r })),
    }],
  })

  it.each([4, 11, 12, 13, 17])('v%i: the long record sets are pieces by reference and the whole is the copied frame', (version) => {
    const pieces = encodeKafkaResponsePieces(KafkaApiKey.Fetch, version, 42, body())
    expect(pieces).toContain(records[0])
    expect(pieces).toContain(records[2])
    const frame = join(pieces)
    expect(same(frame, encodeKafkaResponse(KafkaApiKey.Fetch, version, 42, body()))).toBe(true)
    // the size prefix counts every piece
    expect(frame.readInt32BE(0)).toBe(frame.byteLength - 4)
    const r = new KafkaReader(frame, 4)
    expect(readMessage(ResponseHeader, version >= 12 ? 1 : 0, r).correlationId).toBe(42)
    const decoded = decodeKafkaMessage(fetch.response, version, frame, r.pos)
    expect(decoded.ok).toBe(true)
    const partitions = (decoded as unknown as { value: { responses: Array<{ partitions: Array<{ records: Uint8Array }> }> } }).value.responses[0]!.partitions
    expect(partitions.map((p, i) => same(p.records, records[i]!))).toEqual([true, true, true])
  })
})
