import { afterEach, describe, expect, test } from '@jest/globals'
import { ApiKey, ErrorCode, splitBatches } from '@tributary/protocol'
import { partitionForKey } from './partitioner.js'
import { Tributary } from './tributary.js'
import { FakeCluster } from './testing/fake-cluster.js'
import { fakeClient, text, waitFor } from './testing/helpers.js'

let client: Tributary | undefined
afterEach(async () => {
  await client?.close()
  client = undefined
})

function setup(partitions = 6, nodes = 3): { fake: FakeCluster; client: Tributary } {
  const fake = new FakeCluster(nodes)
  fake.createTopic('orders', partitions)
  client = fakeClient(fake)
  return { fake, client }
}

const values = (fake: FakeCluster, topic: string, p: number): Array<string | null> => fake.records(topic, p).map((r) => text(r.value))

describe('producer', () => {
  test('send resolves with each message partition and offset; keys land where Kafka puts them', async () => {
    const { fake, client } = setup()
    const producer = client.producer({ lingerMs: 0 })
    const keys = Array.from({ length: 50 }, (_, i) => `key-${i}`)
    const meta = await producer.send({ topic: 'orders', messages: keys.map((k) => ({ key: k, value: `v-${k}`, headers: { h: '1' } })) })
    meta.forEach((m, i) => {
      expect(m.partition).toBe(partitionForKey(keys[i], 6))
      const rec = fake.records('orders', m.partition).find((r) => r.offset === m.offset)!
      expect(text(rec.key)).toBe(keys[i])
      expect(text(rec.value)).toBe(`v-${keys[i]}`)
      expect(text(rec.headers[0].value)).toBe('1')
    })
  })

  test('messages with one key keep their order across many sends', async () => {
    const { fake, client } = setup()
    const producer = client.producer({ lingerMs: 2 })
    await Promise.all(Array.from({ length: 200 }, (_, i) => producer.send({ topic: 'orders', messages: [{ key: `k${i % 7}`, value: String(i) }] })))
    for (let k = 0; k < 7; k++) {
      const mine = fake.records('orders', partitionForKey(`k${k}`, 6)).filter((r) => text(r.key) === `k${k}`).map((r) => Number(text(r.value)))
      expect(mine).toEqual([...mine].sort((a, b) => a - b))
      expect(mine.length).toBe(Array.from({ length: 200 }, (_, i) => i).filter((i) => i % 7 === k).length)
    }
  })

  test('lingerMs batches concurrent sends to a partition into one Produce request', async () => {
    const { fake, client } = setup(1, 1)
    const producer = client.producer({ lingerMs: 30 })
    await Promise.all(Array.from({ length: 100 }, (_, i) => producer.send({ topic: 'orders', messages: [{ value: `m${i}` }] })))
    const produces = fake.requests.filter((r) => r.apiKey === ApiKey.Produce)
    expect(produces.length).toBe(1)
    expect(values(fake, 'orders', 0)).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`))
  })

  test('batchBytes closes a batch early; each batch carries its baseSequence', async () => {
    const { fake, client } = setup(1, 1)
    const producer = client.producer({ lingerMs: 100, batchBytes: 2000 })
    await producer.send({ topic: 'orders', messages: Array.from({ length: 100 }, (_, i) => ({ value: 'x'.repeat(100) + i })) })
    const batches = fake.topics.get('orders')!.partitions[0].batches.map((b) => splitBatches(b.bytes))
    expect(batches.length).toBeGreaterThan(4)
    let seq = 0
    for (const b of batches) {
      if (!b.ok) throw new Error(b.message)
      expect(b.value[0].header.baseSequence).toBe(seq)
      expect(b.value[0].header.producerId).toBeGreaterThanOrEqual(1000)
      seq += b.value[0].header.recordCount
    }
  })

  test('keyless messages stick to one partition per batch', async () => {
    const { fake, client } = setup(6)
    const producer = client.producer({ lingerMs: 20 })
    await producer.send({ topic: 'orders', messages: Array.from({ length: 20 }, (_, i) => ({ value: `m${i}` })) })
    const used = [0, 1, 2, 3, 4, 5].filter((p) => fake.records('orders', p).length > 0)
    expect(used.length).toBe(1)
  })

  test('keyless records move to another partition once their batch is full (KIP-480)', async () => {
    const { fake, client } = setup(6)
    const producer = client.producer({ lingerMs: 50, batchBytes: 1_000 })
    await Promise.all(Array.from({ length: 100 }, (_, i) => producer.send({ topic: 'orders', messages: [{ value: `${i}`.padStart(100, '.') }] })))
    const used = [0, 1, 2, 3, 4, 5].filter((p) => fake.records('orders', p).length > 0)
    expect(used.length).toBeGreaterThan(1)
    for (const p of used) for (const b of fake.topics.get('orders')!.partitions[p].batches) expect(b.bytes.length).toBeLessThan(1_300)
  })

  test('explicit partition wins; an out-of-range one is an ArgumentError', async () => {
    const { fake, client } = setup(6)
    const producer = client.producer()
    const [m] = await producer.send({ topic: 'orders', messages: [{ key: 'k', value: 'v', partition: 4 }] })
    expect(m).toEqual({ topic: 'orders', partition: 4, offset: 0 })
    expect(values(fake, 'orders', 4)).toEqual(['v'])
    await expect(producer.send({ topic: 'orders', messages: [{ value: 'v', partition: 6 }] })).rejects.toMatchObject({ name: 'ArgumentError', code: ErrorCode.INVALID_REQUEST })
  })

  test('retries after NOT_LEADER_OR_FOLLOWER go to the new leader, in order, without duplicates', async () => {
    const { fake, client } = setup(1, 3)
    const producer = client.producer({ lingerMs: 0 })
    await producer.send({ topic: 'orders', messages: [{ value: 'first' }] })
    const p = fake.topics.get('orders')!.partitions[0]
    p.leader = 2 // the client still believes 1
    p.leaderEpoch++
    fake.metadataOffset++
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => producer.send({ topic: 'orders', messages: [{ value: `m${i}` }] })))
    expect(values(fake, 'orders', 0)).toEqual(['first', ...Array.from({ length: 20 }, (_, i) => `m${i}`)])
    expect(results.map((r) => r[0].offset)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
  })

  test('a dead leader: batches go to the new leader as soon as metadata names it, not after their retry backoff', async () => {
    const { fake, client } = setup(1, 3)
    // A retry backoff far longer than the failover, so only the metadata watch can explain a fast recovery.
    const producer = client.producer({ lingerMs: 0, retry: { retries: 5, initialRetryTimeMs: 3_000, maxRetryTimeMs: 5_000 } })
    await producer.send({ topic: 'orders', messages: [{ value: 'first' }] })
    const node = fake.nodes.get(1)!
    node.alive = false // its connections close and reconnects are refused, but metadata still names it...
    for (const t of [...node.transports]) t.close(1006, 'killed')
    let movedAt = Infinity
    const move = setTimeout(() => {
      fake.moveLeadership(1) // ...until the controller moves its partitions
      movedAt = performance.now()
    }, 300)
    try {
      const sends = Array.from({ length: 5 }, (_, i) => producer.send({ topic: 'orders', messages: [{ value: `m${i}` }] }))
      const results = await Promise.all(sends)
      expect(performance.now() - movedAt).toBeLessThan(1_500)
      expect(results.map((r) => r[0].offset)).toEqual([1, 2, 3, 4, 5])
      expect(values(fake, 'orders', 0)).toEqual(['first', 'm0', 'm1', 'm2', 'm3', 'm4'])
    } finally {
      clearTimeout(move)
    }
  })

  test('idempotence: a lost acknowledgement is retried and the broker keeps one copy', async () => {
    const { fake, client } = setup(1, 1)
    const producer = client.producer({ lingerMs: 0 })
    let lost = 0
    fake.intercept = (r) => (r.apiKey === ApiKey.Produce && lost++ < 2 ? 'lose' : undefined)
    const [m] = await producer.send({ topic: 'orders', messages: [{ value: 'once' }] })
    expect(values(fake, 'orders', 0)).toEqual(['once'])
    expect(m.offset).toBe(0)
    expect(fake.requests.filter((r) => r.apiKey === ApiKey.Produce).length).toBe(3)
  })

  test('an idempotent producer pipelines up to 5 batches of a partition; without idempotence, 1', async () => {
    for (const [idempotent, expected] of [[true, 5], [false, 1]] as const) {
      const { fake, client } = setup(1, 1)
      fake.intercept = (r) => (r.apiKey === ApiKey.Produce ? 'hold' : undefined)
      const producer = client.producer({ lingerMs: 0, batchBytes: 500, idempotent, acks: idempotent ? 'all' : 1 })
      const sent = producer.send({ topic: 'orders', messages: Array.from({ length: 40 }, (_, i) => ({ value: `${i}`.padStart(100, '.') })) })
      await waitFor(() => fake.heldCount === expected, `${expected} batches in flight`)
      // No sixth on its way: the sender has finished its pass with exactly `expected` requests
      // awaiting answers, and starts no other until one comes back.
      const sender = (producer as any).sender
      await waitFor(() => !sender.draining, 'the sender to finish its pass')
      expect(sender.inFlightRequests).toBe(expected)
      expect(fake.heldCount).toBe(expected)
      fake.intercept = () => undefined
      await fake.releaseHeld()
      await sent
      expect(values(fake, 'orders', 0).map((v) => Number(v!.replace(/\./g, '')))).toEqual(Array.from({ length: 40 }, (_, i) => i))
      await client.close()
    }
  })

  test('linger 0: a batch still filling waits while its partition has one in flight, then carries every record that came meanwhile', async () => {
    const { fake, client } = setup(1, 1)
    fake.intercept = (r) => (r.apiKey === ApiKey.Produce ? 'hold' : undefined)
    const producer = client.producer({ lingerMs: 0 })
    const first = producer.send({ topic: 'orders', messages: [{ value: 'first' }] })
    await waitFor(() => fake.heldCount === 1, 'the first batch in flight')
    const later = Array.from({ length: 10 }, (_, i) => producer.send({ topic: 'orders', messages: [{ value: `v${i}` }] }))
    const sender = (producer as any).sender
    await waitFor(() => !sender.draining, 'the sender to finish its pass')
    expect(fake.heldCount).toBe(1) // not ten small requests behind it
    fake.intercept = () => undefined
    await fake.releaseHeld()
    await Promise.all([first, ...later])
    const produces = fake.requests.filter((r) => r.apiKey === ApiKey.Produce)
    expect(produces).toHaveLength(2) // the held one, then one batch of all ten
    expect(values(fake, 'orders', 0)).toEqual(['first', ...Array.from({ length: 10 }, (_, i) => `v${i}`)])
    await client.close()
  })

  test('a failed batch in a pipeline: the later ones (OUT_OF_ORDER_SEQUENCE) follow it again, in order, once', async () => {
    const { fake, client } = setup(1, 1)
    let produces = 0
    fake.intercept = (r) => (r.apiKey === ApiKey.Produce && produces++ === 0 ? ErrorCode.NOT_ENOUGH_REPLICAS : undefined)
    const producer = client.producer({ lingerMs: 0, batchBytes: 500 })
    const meta = await producer.send({ topic: 'orders', messages: Array.from({ length: 40 }, (_, i) => ({ value: `${i}`.padStart(100, '.') })) })
    expect(values(fake, 'orders', 0).map((v) => Number(v!.replace(/\./g, '')))).toEqual(Array.from({ length: 40 }, (_, i) => i))
    expect(meta.map((m) => m.offset)).toEqual(Array.from({ length: 40 }, (_, i) => i))
    // batch 1 failed and the 4 behind it were refused as out of order: all 5 went again
    expect(produces).toBe(fake.topics.get('orders')!.partitions[0].batches.length + 5)
    expect(producer.producerId).toBe(1000) // no producer id reset: nothing was lost
  })

  test('a connection lost mid-pipeline: retried batches the broker already has are not written twice', async () => {
    const { fake, client } = setup(1, 1)
    let produces = 0
    fake.intercept = (r) => (r.apiKey === ApiKey.Produce && produces++ === 1 ? 'lose' : undefined)
    const producer = client.producer({ lingerMs: 0, batchBytes: 500 })
    const meta = await producer.send({ topic: 'orders', messages: Array.from({ length: 40 }, (_, i) => ({ value: `${i}`.padStart(100, '.') })) })
    expect(values(fake, 'orders', 0).map((v) => Number(v!.replace(/\./g, '')))).toEqual(Array.from({ length: 40 }, (_, i) => i))
    expect(meta.map((m) => m.offset)).toEqual(Array.from({ length: 40 }, (_, i) => i))
  })

  test('without idempotence the same lost acknowledgement duplicates (at-least-once)', async () => {
    const { fake, client } = setup(1, 1)
    const producer = client.producer({ lingerMs: 0, idempotent: false })
    let lost = 0
    fake.intercept = (r) => (r.apiKey === ApiKey.Produce && lost++ < 1 ? 'lose' : undefined)
    await producer.send({ topic: 'orders', messages: [{ value: 'twice' }] })
    expect(values(fake, 'orders', 0)).toEqual(['twice', 'twice'])
  })

  test('retries exhausted: the send fails with the last retriable error', async () => {
    const { fake, client } = setup(1, 1)
    fake.intercept = (r) => (r.apiKey === ApiKey.Produce ? ErrorCode.NOT_ENOUGH_REPLICAS : undefined)
    const producer = client.producer({ lingerMs: 0, retry: { retries: 2, initialRetryTimeMs: 1, maxRetryTimeMs: 2 } })
    await expect(producer.send({ topic: 'orders', messages: [{ value: 'x' }] })).rejects.toMatchObject({ code: ErrorCode.NOT_ENOUGH_REPLICAS, retriable: true })
    expect(fake.requests.filter((r) => r.apiKey === ApiKey.Produce).length).toBe(3)
    // the next send uses a fresh producer id, so the sequence hole does not poison it
    fake.intercept = () => undefined
    await expect(producer.send({ topic: 'orders', messages: [{ value: 'y' }] })).resolves.toHaveLength(1)
  })

  test('a non-retriable partition error fails the send at once', async () => {
    const { fake, client } = setup(1, 1)
    fake.intercept = (r) => (r.apiKey === ApiKey.Produce ? ErrorCode.INVALID_REQUIRED_ACKS : undefined)
    const producer = client.producer({ lingerMs: 0 })
    await expect(producer.send({ topic: 'orders', messages: [{ value: 'x' }] })).rejects.toMatchObject({ code: ErrorCode.INVALID_REQUIRED_ACKS, retriable: false })
  })

  test('bufferBytes bounds memory: send waits until earlier batches are acknowledged', async () => {
    const { fake, client } = setup(1, 1)
    fake.intercept = (r) => (r.apiKey === ApiKey.Produce ? 'hold' : undefined)
    const producer = client.producer({ lingerMs: 0, bufferBytes: 10_000, batchBytes: 2_000 })
    const value = 'x'.repeat(1_000)
    let acknowledged = 0
    const sends = Array.from({ length: 40 }, () => producer.send({ topic: 'orders', messages: [{ value }] }).then(() => acknowledged++))
    await waitFor(() => fake.heldCount >= 1, 'the first batches to reach the broker')
    await waitFor(() => producer.bufferedBytes > 8_000, 'the buffer to fill')
    expect(producer.bufferedBytes).toBeLessThanOrEqual(10_000)
    expect(acknowledged).toBe(0)
    fake.intercept = () => undefined
    await fake.releaseHeld()
    await Promise.all(sends)
    expect(fake.records('orders', 0).length).toBe(40)
    expect(producer.bufferedBytes).toBe(0)
  })

  test('close with a full buffer delivers every accepted send, including those waiting for room; none hangs', async () => {
    const { fake, client } = setup(1, 1)
    fake.intercept = (r) => (r.apiKey === ApiKey.Produce ? 'hold' : undefined)
    const producer = client.producer({ lingerMs: 0, bufferBytes: 10_000, batchBytes: 2_000 })
    const value = 'x'.repeat(1_000)
    const outcomes: string[] = []
    const sends = Array.from({ length: 40 }, (_, i) =>
      producer.send({ topic: 'orders', messages: [{ value: `${i}`.padEnd(1_000, '.') }] }).then(() => outcomes.push('ok'), (e: Error) => outcomes.push(e.message)),
    )
    await waitFor(() => fake.heldCount >= 1 && producer.bufferedBytes > 8_000, 'the buffer to fill')
    expect((producer as any).acc.waiting).toBeGreaterThan(0) // sends are waiting for buffer room
    const closed = producer.close()
    await expect(producer.send({ topic: 'orders', messages: [{ value }] })).rejects.toThrow(/producer is closed/)
    fake.intercept = () => undefined
    await fake.releaseHeld()
    await closed
    await waitFor(() => outcomes.length === 40, 'every send to settle')
    await Promise.all(sends)
    expect(outcomes).toEqual(Array(40).fill('ok'))
    expect(values(fake, 'orders', 0).map((v) => Number(v!.replace(/\./g, '')))).toEqual(Array.from({ length: 40 }, (_, i) => i))
    expect(producer.bufferedBytes).toBe(0)
  })

  test('close when the connections are gone underneath: what cannot be delivered fails with "producer is closed"', async () => {
    const { fake, client } = setup(1, 1)
    fake.intercept = (r) => (r.apiKey === ApiKey.Produce ? 'drop' : undefined)
    const producer = client.producer({ lingerMs: 0 })
    const sent = producer.send({ topic: 'orders', messages: [{ value: 'a' }] })
    await waitFor(() => fake.requests.some((r) => r.apiKey === ApiKey.Produce), 'the produce to reach the broker')
    ;(client as any).cluster.close() // as if the client were torn down without closing the producer first
    await producer.close()
    await expect(sent).rejects.toThrow(/producer is closed/)
    expect(producer.bufferedBytes).toBe(0)
  })

  test('gzip batches decode to the same records', async () => {
    const { fake, client } = setup(1, 1)
    const producer = client.producer({ compression: 'gzip', lingerMs: 0 })
    await producer.send({ topic: 'orders', messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: 'same '.repeat(50) })) })
    const b = splitBatches(fake.topics.get('orders')!.partitions[0].batches[0].bytes)
    expect(b.ok && b.value[0].header.attributes & 7).toBe(1)
    expect(values(fake, 'orders', 0)).toEqual(Array(10).fill('same '.repeat(50)))
  })

  test('acks reaches the broker as configured: 1, all (-1) and 0', async () => {
    for (const [acks, wire] of [[1, 1], ['all', -1], [0, 0]] as const) {
      const { fake, client } = setup(1, 1)
      const producer = client.producer({ acks, idempotent: acks === 'all', lingerMs: 0 })
      await producer.send({ topic: 'orders', messages: [{ value: `acks ${acks}` }] })
      await waitFor(() => fake.records('orders', 0).length === 1, 'the record to land') // acks=0 resolves before it does
      const produces = fake.requests.filter((r) => r.apiKey === ApiKey.Produce)
      expect(produces.map((r) => r.body.acks)).toEqual([wire])
      await client.close()
    }
  })

  test('acks=0 resolves without an answer and offsets are -1', async () => {
    const { fake, client } = setup(1, 1)
    const producer = client.producer({ acks: 0, idempotent: false, lingerMs: 0 })
    const [m] = await producer.send({ topic: 'orders', messages: [{ value: 'fire' }] })
    expect(m.offset).toBe(-1)
    await waitFor(() => fake.records('orders', 0).length === 1, 'the record to land')
  })

  test('flush sends lingering batches now; close refuses later sends', async () => {
    const { fake, client } = setup(1, 1)
    const producer = client.producer({ lingerMs: 60_000 })
    const sent = producer.send({ topic: 'orders', messages: [{ value: 'a' }] })
    await new Promise((r) => setImmediate(r))
    await producer.flush()
    await sent
    expect(values(fake, 'orders', 0)).toEqual(['a'])
    await producer.close()
    await expect(producer.send({ topic: 'orders', messages: [{ value: 'b' }] })).rejects.toThrow(/producer is closed/)
  })

  test('an unknown topic fails with UNKNOWN_TOPIC_OR_PARTITION after topicWaitMs', async () => {
    const fake = new FakeCluster(1)
    client = fakeClient(fake, { topicWaitMs: 100 })
    await expect(client.producer().send({ topic: 'nope', messages: [{ value: 'x' }] })).rejects.toMatchObject({ code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: expect.stringMatching(/"nope" is not known/) })
  })

  test('a message over maxMessageBytes is MESSAGE_TOO_LARGE before anything is sent', async () => {
    const { fake, client } = setup(1, 1)
    const producer = client.producer({ maxMessageBytes: 10_000 })
    await expect(producer.send({ topic: 'orders', messages: [{ value: new Uint8Array(20_000) }] })).rejects.toMatchObject({ code: ErrorCode.MESSAGE_TOO_LARGE, retriable: false })
    expect(fake.requests.filter((r) => r.apiKey === ApiKey.Produce)).toHaveLength(0)
  })

  test('bad arguments are ArgumentErrors naming the field', async () => {
    const { client } = setup(1, 1)
    const producer = client.producer()
    const bad = async (record: any): Promise<string> => (await producer.send(record).catch((e) => e)).message
    expect(await bad({ topic: '', messages: [] })).toMatch(/topic must be a non-empty string/)
    expect(await bad({ topic: 'orders' })).toMatch(/messages must be an array/)
    expect(await bad({ topic: 'orders', messages: [{ key: 'k' }] })).toMatch(/messages\[0\]\.value is required/)
    expect(await bad({ topic: 'orders', messages: [{ value: 42 }] })).toMatch(/messages\[0\]\.value must be a string, Uint8Array or null/)
    expect(await bad({ topic: 'orders', messages: [{ value: 'v', headers: { a: 1 } }] })).toMatch(/headers\["a"\]/)
    expect(await bad({ topic: 'orders', messages: [{ value: 'v', timestamp: -5 }] })).toMatch(/timestamp/)
  })

  test('an idempotent producer refuses acks other than all, and zero retries', () => {
    const { client } = setup(1, 1)
    expect(() => client.producer({ acks: 1, idempotent: true })).toThrow(/idempotent producer needs acks 'all'/)
    expect(() => client.producer({ idempotent: true, retry: { retries: 0 } })).toThrow(/needs retries > 0/)
    expect(() => client.producer({ acks: 2 as any })).toThrow(/acks must be/)
    expect(() => client.producer({ acks: 1 })).not.toThrow() // idempotence defaults off for acks 1
  })

  test('a custom partitioner is used, and a bad answer is an ArgumentError', async () => {
    const { fake, client } = setup(6)
    const producer = client.producer({ partitioner: ({ partitionCount, message }) => (message.value === 'bad' ? partitionCount : partitionCount - 1) })
    const [m] = await producer.send({ topic: 'orders', messages: [{ key: 'k', value: 'v' }] })
    expect(m.partition).toBe(5)
    expect(values(fake, 'orders', 5)).toEqual(['v'])
    await expect(producer.send({ topic: 'orders', messages: [{ value: 'bad' }] })).rejects.toThrow(/partitioner returned 6/)
  })

  test('sendBatch covers several topics', async () => {
    const { fake, client } = setup(1, 1)
    fake.createTopic('other', 1)
    const r = await client.producer().sendBatch({ topicMessages: [{ topic: 'orders', messages: [{ value: 'a' }] }, { topic: 'other', messages: [{ value: 'b' }] }] })
    expect(r.map((x) => x.topic)).toEqual(['orders', 'other'])
    expect(values(fake, 'other', 0)).toEqual(['b'])
  })
})
