/**
 * Bad input at the protocol edge: random and corrupted request bodies get error
 * codes, nothing is appended, and no handler throws.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { ApiKey, crc32c, decodeRecordBatch, encodeRecordBatch, ErrorCode, writeInt32 } from '@tributary/protocol'
import { SIM_REPLICA_CONFIG, SimCluster, waitFor } from './sim-cluster.js'
import { batchOf } from './sim-client.js'

let c: SimCluster

beforeAll(async () => {
  c = new SimCluster([1, 2, 3], SIM_REPLICA_CONFIG)
  await c.startAll()
  c.createTopic('t', [[1, 2, 3]])
  await waitFor(() => c.manager(1).isLeader('t', 0), 2000, 'leader')
})

afterAll(async () => {
  await c.stopAll()
})

const leo = (): number => c.manager(1).partition('t', 0)!.logEndOffset()

/** Every partition-level and envelope-level code in a Produce answer. */
function produceCodes(r: { errorCode: number; body: any } | undefined): number[] {
  if (r === undefined) return []
  if (r.errorCode !== 0) return [r.errorCode]
  return r.body.topics.flatMap((t: any) => t.partitions.map((p: any) => p.errorCode))
}

const anyValue = fc.anything({ withTypedArray: true, withNullPrototype: false, maxDepth: 3 })

describe('produce fuzz', () => {
  it('random bodies never throw and never append', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          anyValue,
          fc.record({ acks: fc.constantFrom(-1, 0, 1, 2, 'x'), timeoutMs: fc.oneof(fc.integer(), anyValue), topics: anyValue }),
          fc.record({
            acks: fc.constantFrom(-1, 1),
            timeoutMs: fc.constant(100),
            topics: fc.array(fc.record({ topic: fc.constantFrom('t', 'u', ''), partitions: fc.array(fc.record({ partition: fc.oneof(fc.constant(0), fc.integer()), records: fc.uint8Array({ maxLength: 200 }) }), { maxLength: 3 }) }), { maxLength: 3 }),
          }),
        ),
        async (body) => {
          const before = leo()
          const r = await c.node(1).call(ApiKey.Produce, body)
          for (const code of produceCodes(r)) expect(code).not.toBe(ErrorCode.NONE)
          expect(leo()).toBe(before)
        },
      ),
      { numRuns: 300 },
    )
  })

  // baseOffset (0..7) and partitionLeaderEpoch (12..15) sit outside the CRC: the leader overwrites them
  it('a valid batch with any other header or record byte flipped, or cut short, is refused', async () => {
    const valid = batchOf(['alpha', 'beta', 'gamma'], { key: 'k' })
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 8, max: valid.length - 5 }).map((i) => (i >= 12 ? i + 4 : i)), fc.integer({ min: 1, max: 255 }), fc.boolean(), async (at, xor, cut) => {
        const bytes = valid.slice()
        if (cut) bytes.set(valid.subarray(0, at))
        const body = cut ? bytes.subarray(0, at) : bytes
        if (!cut) body[at] ^= xor
        const before = leo()
        const r = await c.node(1).call(ApiKey.Produce, { acks: -1, timeoutMs: 1000, topics: [{ topic: 't', partitions: [{ partition: 0, records: body }] }] })
        expect(produceCodes(r)).toEqual([ErrorCode.CORRUPT_MESSAGE])
        expect(leo()).toBe(before)
      }),
      { numRuns: 300 },
    )
    const r = await c.node(1).call(ApiKey.Produce, { acks: -1, timeoutMs: 1000, topics: [{ topic: 't', partitions: [{ partition: 0, records: valid }] }] })
    expect(produceCodes(r)).toEqual([ErrorCode.NONE])
  })
})

describe('records behind a correct CRC', () => {
  it('a batch whose CRC matches but whose records are malformed is refused, as Kafka\'s LogValidator refuses it', async () => {
    const valid = batchOf(['alpha', 'beta'], { key: 'k' })
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 120 }), async (noise) => {
        const bytes = new Uint8Array(61 + noise.length)
        bytes.set(valid.subarray(0, 61))
        bytes.set(noise, 61)
        writeInt32(bytes, 8, bytes.length - 12)
        writeInt32(bytes, 57, 1)
        writeInt32(bytes, 17, crc32c(bytes, 21))
        if (decodeRecordBatch(bytes).ok) return // noise that happens to be one well-formed record
        const before = leo()
        const r = await c.node(1).call(ApiKey.Produce, { acks: -1, timeoutMs: 1000, topics: [{ topic: 't', partitions: [{ partition: 0, records: bytes }] }] })
        expect(produceCodes(r)).toEqual([ErrorCode.CORRUPT_MESSAGE])
        expect(leo()).toBe(before)
      }),
      { numRuns: 200 },
    )
  })
})

describe('broker-owned batch attributes', () => {
  it('a producer batch with the delete-horizon bit (KIP-534, set only by the cleaner) is refused', async () => {
    const before = leo()
    const stamped = encodeRecordBatch([{ key: 'k', value: null, timestamp: 1 }], { deleteHorizonMs: 2 })
    const r = await c.node(1).call(ApiKey.Produce, { acks: -1, timeoutMs: 1000, topics: [{ topic: 't', partitions: [{ partition: 0, records: stamped }] }] })
    expect(produceCodes(r)).toEqual([ErrorCode.INVALID_REQUEST])
    expect(leo()).toBe(before)
  })
})

describe('read API fuzz', () => {
  it('random Fetch, ListOffsets and OffsetForLeaderEpoch bodies never throw', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(ApiKey.Fetch, ApiKey.ListOffsets, ApiKey.OffsetForLeaderEpoch),
        fc.oneof(
          anyValue,
          fc.record({
            replicaId: fc.oneof(fc.constantFrom(-2, -1, 2, 9), fc.integer()),
            maxWaitMs: fc.constant(0),
            minBytes: fc.integer({ min: -1, max: 10 }),
            maxBytes: fc.integer({ min: -1, max: 1 << 20 }),
            topics: fc.array(
              fc.record({
                topic: fc.constantFrom('t', 'nope'),
                partitions: fc.array(
                  fc.record({ partition: fc.integer({ min: -1, max: 2 }), fetchOffset: fc.integer(), timestamp: fc.integer(), currentLeaderEpoch: fc.integer({ min: -2, max: 3 }), leaderEpoch: fc.integer({ min: -2, max: 3 }), partitionMaxBytes: fc.integer({ min: -1, max: 4096 }) }),
                  { maxLength: 3 },
                ),
              }),
              { maxLength: 2 },
            ),
          }),
        ),
        async (apiKey, body) => {
          const before = leo()
          const r = await c.node(1).call(apiKey, body)
          expect(r).toBeDefined()
          expect(typeof r!.errorCode).toBe('number')
          expect(leo()).toBe(before)
        },
      ),
      { numRuns: 300 },
    )
  })
})
