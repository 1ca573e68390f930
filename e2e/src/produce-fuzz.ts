/**
 * Seeded bad Produce requests for the real-broker fuzz test: each case is a body
 * and the error code the leader must answer with. Nothing here is valid: a case
 * the broker accepts is a bug (it would have appended garbage).
 */
import { ATTR_CONTROL, ATTR_DELETE_HORIZON, ATTR_TRANSACTIONAL, BATCH_CRC_START, BATCH_HEADER_BYTES, crc32c, encodeRecordBatch, ErrorCode, writeInt32 } from '@tributary/protocol'
import type { Prng } from './faults/prng.js'

export const FUZZ_KINDS = [
  'random-bytes', 'random-records', 'flipped-byte', 'truncated', 'oversized', 'broker-attributes', 'bad-acks', 'unknown-partition', 'random-body',
] as const
export type FuzzKind = (typeof FUZZ_KINDS)[number]

export interface FuzzCase {
  kind: FuzzKind
  body: unknown
  /** the code the answer must carry (envelope or partition level); null = any non-zero code */
  expect: number | null
}


const randomBytes = (prng: Prng, n: number): Uint8Array => Uint8Array.from({ length: n }, () => prng.int(0, 255))
const randomText = (prng: Prng, max: number): string => String.fromCharCode(...Array.from({ length: prng.int(0, max) }, () => prng.int(32, 126)))

function validBatch(prng: Prng, minValueBytes = 0): Uint8Array {
  const n = prng.int(1, 5)
  return encodeRecordBatch(Array.from({ length: n }, (_, i) => ({
    key: prng.chance(0.5) ? `k${prng.int(0, 9)}` : null,
    value: i === 0 ? randomText(prng, 40) + 'v'.repeat(minValueBytes) : randomText(prng, 40),
  })))
}

/** A well-formed header and a correct CRC around record bytes that are noise. */
function randomRecords(prng: Prng): Uint8Array {
  const recordBytes = prng.int(0, 200)
  const out = new Uint8Array(BATCH_HEADER_BYTES + recordBytes)
  out.set(validBatch(prng).subarray(0, BATCH_HEADER_BYTES))
  out.set(randomBytes(prng, recordBytes), BATCH_HEADER_BYTES)
  const count = prng.int(1, Math.max(1, Math.floor(recordBytes / 7)))
  writeInt32(out, 8, out.length - 12) // batchLength
  writeInt32(out, 23, count - 1 + prng.int(0, 3)) // lastOffsetDelta
  writeInt32(out, 57, count) // recordCount
  writeInt32(out, 17, crc32c(out, BATCH_CRC_START))
  return out
}

function flippedByte(prng: Prng): Uint8Array {
  const b = validBatch(prng)
  const at = prng.chance(0.1) ? prng.int(8, 11) : prng.int(16, b.length - 1) // batchLength, magic, CRC or a CRC-covered byte
  b[at] ^= prng.int(1, 255)
  return b
}

function brokerAttributes(prng: Prng): Uint8Array {
  const b = validBatch(prng)
  b[22] |= prng.pick([ATTR_TRANSACTIONAL, ATTR_CONTROL, ATTR_DELETE_HORIZON]) // the last is the cleaner's
  writeInt32(b, 17, crc32c(b, BATCH_CRC_START))
  return b
}

const produce = (topic: string, records: Uint8Array, acks: unknown = -1, partition = 0): unknown =>
  ({ acks, timeoutMs: 5000, topics: [{ topic, partitions: [{ partition, records }] }] })

/** A random request body that is not a valid Produce (acks is never 0: that one gets no answer). */
function randomBody(prng: Prng, topic: string): unknown {
  const leaf = (): unknown => prng.pick([null, prng.int(-1e6, 1e6), randomText(prng, 8), randomBytes(prng, prng.int(0, 16)), true])
  switch (prng.int(0, 3)) {
    case 0: return leaf()
    case 1: return [leaf(), leaf()]
    case 2: return { acks: prng.pick([-1, 1]), timeoutMs: leaf(), topics: leaf() }
    default: return { acks: prng.pick([-1, 1]), timeoutMs: 1000, topics: [{ topic, partitions: [{ partition: 0, records: leaf() }] }] }
  }
}

export function fuzzCase(prng: Prng, topic: string, maxMessageBytes: number): FuzzCase {
  const kind = prng.pick(FUZZ_KINDS)
  const acks = prng.pick([-1, 1])
  switch (kind) {
    case 'random-bytes': return { kind, body: produce(topic, randomBytes(prng, prng.int(0, 300)), acks), expect: ErrorCode.CORRUPT_MESSAGE }
    case 'random-records': return { kind, body: produce(topic, randomRecords(prng), acks), expect: ErrorCode.CORRUPT_MESSAGE }
    case 'flipped-byte': return { kind, body: produce(topic, flippedByte(prng), acks), expect: ErrorCode.CORRUPT_MESSAGE }
    case 'truncated': {
      const b = validBatch(prng)
      return { kind, body: produce(topic, b.subarray(0, prng.int(1, b.length - 1)), acks), expect: ErrorCode.CORRUPT_MESSAGE }
    }
    case 'oversized': return { kind, body: produce(topic, validBatch(prng, maxMessageBytes), acks), expect: ErrorCode.MESSAGE_TOO_LARGE }
    case 'broker-attributes': return { kind, body: produce(topic, brokerAttributes(prng), acks), expect: ErrorCode.INVALID_REQUEST }
    case 'bad-acks': return { kind, body: produce(topic, validBatch(prng), prng.pick([2, -2, 'all', null, 1.5])), expect: ErrorCode.INVALID_REQUIRED_ACKS }
    case 'unknown-partition': {
      const unknownTopic = prng.chance(0.5)
      const body = produce(unknownTopic ? `${topic}-missing` : topic, validBatch(prng), acks, unknownTopic ? 0 : prng.pick([1, 7, -1]))
      return { kind, body, expect: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }
    }
    case 'random-body': return { kind, body: randomBody(prng, topic), expect: null }
  }
}

/** Every code in a Produce answer: the envelope's, or each partition's. */
export function produceCodes(r: { errorCode: number; body: any }): number[] {
  if (r.errorCode !== ErrorCode.NONE) return [r.errorCode]
  return (r.body?.topics ?? []).flatMap((t: any) => (t.partitions ?? []).map((p: any) => p.errorCode as number))
}
