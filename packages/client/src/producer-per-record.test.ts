/**
 * One-record sends, the way most applications produce: one send() per event, none
 * awaited. Each send gets its own promise and offset although the records share
 * batches (producer.ts sendOneFast, ProducerBatch.recordMetadata).
 */
import { afterEach, describe, expect, test } from '@jest/globals'
import { ApiKey, ErrorCode } from '@tributary/protocol'
import type { RecordMetadata } from './records.js'
import { Tributary } from './tributary.js'
import { FakeCluster } from './testing/fake-cluster.js'
import { fakeClient, text, waitFor } from './testing/helpers.js'

let client: Tributary | undefined
afterEach(async () => {
  await client?.close()
  client = undefined
})

function setup(partitions = 1): FakeCluster {
  const fake = new FakeCluster(1)
  fake.createTopic('events', partitions)
  client = fakeClient(fake)
  return fake
}

const stored = (fake: FakeCluster, p = 0): Array<string | null> => fake.records('events', p).map((r) => text(r.value))

describe('one-record sends', () => {
  test('unawaited sends resolve in send order, each with its own consecutive offset', async () => {
    const fake = setup()
    const producer = client!.producer({ lingerMs: 5, batchBytes: 4_000 })
    await producer.connect() // the topic is known: every send takes the one-record path
    const resolved: number[] = []
    const sends = Array.from({ length: 500 }, (_, i) => producer.send({ topic: 'events', messages: [{ value: `e${i}` }] }).then((r) => (resolved.push(i), r)))
    const results = await Promise.all(sends)
    expect(results.map((r) => r.length)).toEqual(results.map(() => 1))
    expect(results.map((r) => r[0]!.offset)).toEqual(results.map((_, i) => i))
    expect(resolved).toEqual(resolved.map((_, i) => i))
    expect(stored(fake)).toEqual(results.map((_, i) => `e${i}`))
    // Offsets continue across the batches the records were split into.
    expect(fake.requests.filter((r) => r.apiKey === ApiKey.Produce).length).toBeGreaterThan(2)
  })

  test('one-record and many-record sends sharing a batch each get the offsets of their own records', async () => {
    const fake = setup()
    const producer = client!.producer({ lingerMs: 20 })
    await producer.connect()
    const sends: Array<Promise<RecordMetadata[]>> = []
    const expected: string[][] = []
    for (let i = 0; i < 30; i++) {
      const values = i % 3 === 1 ? [`m${i}a`, `m${i}b`, `m${i}c`] : [`s${i}`]
      expected.push(values)
      sends.push(producer.send({ topic: 'events', messages: values.map((value) => ({ value })) }))
    }
    const results = await Promise.all(sends)
    expect(fake.requests.filter((r) => r.apiKey === ApiKey.Produce).length).toBe(1)
    const log = fake.records('events', 0)
    results.forEach((r, i) => expect(r.map((m) => text(log.find((x) => x.offset === m.offset)!.value))).toEqual(expected[i]))
  })

  test('a batch that fails rejects every send in it with the error; later sends go through', async () => {
    const fake = setup()
    let produces = 0
    fake.intercept = (r) => (r.apiKey === ApiKey.Produce && produces++ === 0 ? ErrorCode.INVALID_REQUIRED_ACKS : undefined)
    const producer = client!.producer({ lingerMs: 10 })
    await producer.connect()
    const first = Array.from({ length: 20 }, (_, i) => producer.send({ topic: 'events', messages: [{ value: `a${i}` }] }))
    const settled = await Promise.allSettled(first)
    expect(settled.map((s) => s.status)).toEqual(first.map(() => 'rejected'))
    for (const s of settled) expect((s as PromiseRejectedResult).reason).toMatchObject({ code: ErrorCode.INVALID_REQUIRED_ACKS, retriable: false })
    const later = await Promise.all(Array.from({ length: 5 }, (_, i) => producer.send({ topic: 'events', messages: [{ value: `b${i}` }] })))
    expect(later.map((r) => r[0]!.offset)).toEqual([0, 1, 2, 3, 4])
    expect(stored(fake)).toEqual(['b0', 'b1', 'b2', 'b3', 'b4'])
  })

  test('past bufferBytes, sends wait for room: the buffer stays bounded and every record arrives once, in order', async () => {
    const fake = setup()
    fake.intercept = (r) => (r.apiKey === ApiKey.Produce ? 'hold' : undefined)
    const bufferBytes = 5_000
    const producer = client!.producer({ lingerMs: 0, bufferBytes, batchBytes: 1_000 })
    await producer.connect()
    const value = 'x'.repeat(100)
    const count = 300
    const sends = Array.from({ length: count }, (_, i) => producer.send({ topic: 'events', messages: [{ value: `${i}:${value}` }] }))
    await waitFor(() => fake.heldCount >= 1 && producer.bufferedBytes > bufferBytes / 2, 'the buffer to fill while the broker holds the answers')
    let peak = producer.bufferedBytes
    expect(peak).toBeLessThanOrEqual(bufferBytes)
    fake.intercept = (r) => {
      peak = Math.max(peak, producer.bufferedBytes)
      return r.apiKey === ApiKey.Produce ? 'hold' : undefined
    }
    // Release answers one round at a time: the waiting sends move in as room frees up.
    while (fake.heldCount > 0) {
      await fake.releaseHeld()
      await new Promise((r) => setImmediate(r))
    }
    fake.intercept = () => undefined
    await fake.releaseHeld()
    const results = await Promise.all(sends)
    expect(peak).toBeLessThanOrEqual(bufferBytes)
    expect(results.map((r) => r[0]!.offset)).toEqual(results.map((_, i) => i))
    expect(stored(fake).map((v) => Number(v!.split(':')[0]))).toEqual(results.map((_, i) => i))
    expect(producer.bufferedBytes).toBe(0)
  })

  test('with the topic known, a record is encoded when send is called: changing the message afterwards changes nothing; it is stamped then', async () => {
    const fake = setup()
    const producer = client!.producer({ lingerMs: 30 })
    await producer.connect()
    const value = new TextEncoder().encode('before')
    const message = { value: value as Uint8Array | string }
    const earliest = Date.now()
    const sent = producer.send({ topic: 'events', messages: [message] })
    const latest = Date.now()
    value.set(new TextEncoder().encode('AFTER!'))
    message.value = 'replaced'
    await sent
    const [record] = fake.records('events', 0)
    expect(text(record!.value)).toBe('before')
    expect(record!.timestamp).toBeGreaterThanOrEqual(earliest)
    expect(record!.timestamp).toBeLessThanOrEqual(latest)
  })
})
