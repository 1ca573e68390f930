/**
 * The consumer protocol's payloads against bytes built by hand from Kafka's
 * ConsumerProtocolSubscription / ConsumerProtocolAssignment schemas and
 * against KafkaJS, an independent implementation (its AssignerProtocol):
 * each side reads what the other writes. Newer versions read as our newest;
 * truncated bytes are a clear error.
 */
import { createRequire } from 'node:module'
import { ErrorCode } from '../errors.js'
import { decodeConsumerAssignment, decodeConsumerSubscription, encodeConsumerAssignment, encodeConsumerSubscription } from './consumer-protocol.js'

const require = createRequire(import.meta.url)
const { AssignerProtocol } = require('kafkajs')

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((b) => parseInt(b, 16)))
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

test('an assignment v0 encodes to the bytes of the schema', () => {
  // version 0, one topic "t" with partitions [0, 2], null user data
  const bytes = encodeConsumerAssignment({ assignedPartitions: [{ topic: 't', partitions: [0, 2] }] })
  expect(toHex(bytes)).toBe(toHex(hex('0000  00000001 0001 74 00000002 00000000 00000002  ffffffff')))
  expect(decodeConsumerAssignment(bytes)).toEqual({ ok: true, value: { assignedPartitions: [{ topic: 't', partitions: [0, 2] }], userData: null } })
})

test('a subscription v1 with owned partitions round-trips', () => {
  const value = { topics: ['a', 'b'], userData: Uint8Array.from([9]), ownedPartitions: [{ topic: 'a', partitions: [1] }], generationId: -1, rackId: null }
  expect(decodeConsumerSubscription(encodeConsumerSubscription(value, 1))).toEqual({ ok: true, value })
})

test('KafkaJS reads what we write and we read what KafkaJS writes', () => {
  const theirs = AssignerProtocol.MemberMetadata.encode({ version: 0, topics: ['orders', 'audit'], userData: Buffer.from('ud') })
  const sub = decodeConsumerSubscription(theirs)
  expect(sub.ok && [sub.value.topics, Buffer.from(sub.value.userData!).toString()]).toEqual([['orders', 'audit'], 'ud'])

  const assigned = AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: { orders: [0, 3], audit: [1] }, userData: Buffer.alloc(0) })
  const a = decodeConsumerAssignment(assigned)
  expect(a.ok && a.value.assignedPartitions.map((t) => [t.topic, t.partitions]).sort()).toEqual([['audit', [1]], ['orders', [0, 3]]])

  const ours = encodeConsumerAssignment({ assignedPartitions: [{ topic: 'orders', partitions: [2, 5] }] })
  expect(AssignerProtocol.MemberAssignment.decode(Buffer.from(ours)).assignment).toEqual({ orders: [2, 5] })
  const ourSub = encodeConsumerSubscription({ topics: ['x'] })
  expect(AssignerProtocol.MemberMetadata.decode(Buffer.from(ourSub)).topics).toEqual(['x'])
})

test('a version newer than ours reads as our newest, its trailing fields skipped', () => {
  const v3 = encodeConsumerSubscription({ topics: ['t'], rackId: 'r1' }, 3)
  const v9 = Uint8Array.from([...v3, 0xab, 0xcd]) // a future version's extra field
  v9[1] = 9
  const d = decodeConsumerSubscription(v9)
  expect(d.ok && [d.value.topics, d.value.rackId]).toEqual([['t'], 'r1'])
})

test('truncated or negative-version payloads are a clear error, never a throw', () => {
  const bytes = encodeConsumerAssignment({ assignedPartitions: [{ topic: 'orders', partitions: [1, 2, 3] }] })
  for (let n = 0; n < bytes.byteLength; n++) {
    const d = decodeConsumerAssignment(bytes.subarray(0, n))
    expect(!d.ok && d.code).toBe(ErrorCode.INVALID_REQUEST)
  }
  expect(decodeConsumerAssignment(hex('ffff')).ok).toBe(false)
})
