import { afterEach, describe, expect, test } from '@jest/globals'
import { ApiKey, ErrorCode, encodeRecordBatch, splitBatches } from '@tributary/protocol'
import type { Consumer } from './consumer.js'
import type { ConsumedMessage } from './records.js'
import { Tributary } from './tributary.js'
import { FakeCluster } from './testing/fake-cluster.js'
import { fakeClient, text, waitFor } from './testing/helpers.js'

const clients: Tributary[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
})

function setup(partitions = 6, nodes = 3): { fake: FakeCluster; client: Tributary } {
  const fake = new FakeCluster(nodes)
  fake.createTopic('orders', partitions)
  const client = fakeClient(fake)
  clients.push(client)
  return { fake, client }
}

async function produce(client: Tributary, n: number, prefix = 'm', topic = 'orders'): Promise<void> {
  await client.producer({ lingerMs: 1 }).send({ topic, messages: Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `${prefix}${i}` })) })
}

function collect(consumer: Consumer, into: ConsumedMessage[]): Promise<void> {
  return consumer.run({ eachMessage: async ({ message }) => void into.push(message) })
}

const fast = { maxWaitTimeInMs: 20, autoCommitIntervalMs: 20 }

describe('consumer without a group', () => {
  test('assigned a topic the broker will not describe to it, it crashes with TOPIC_AUTHORIZATION_FAILED instead of waiting for a leader', async () => {
    const { fake, client } = setup(2)
    fake.createTopic('secret', 1)
    fake.refusedTopics.add('secret')
    const c = client.consumer({ fromBeginning: true, ...fast })
    const crashed = new Promise<number | undefined>((resolve) => c.on('crash', (e) => resolve((e as { error: { code?: number } }).error.code)))
    c.assign([{ topic: 'secret', partition: 0, offset: 0 }])
    await collect(c, [])
    expect(await crashed).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
    expect(fake.requests.some((r) => r.apiKey === ApiKey.Fetch)).toBe(false)
  })

  test('assigned a topic that does not exist yet, it waits for it (no crash) and reads it once created', async () => {
    const { fake, client } = setup(2)
    const c = client.consumer({ fromBeginning: true, ...fast })
    let crashes = 0
    c.on('crash', () => { crashes++ })
    c.assign([{ topic: 'later', partition: 0, offset: 0 }])
    const got: ConsumedMessage[] = []
    await collect(c, got)
    await waitFor(() => fake.requests.filter((r) => r.apiKey === ApiKey.Metadata).length >= 3, 'a few metadata lookups')
    fake.createTopic('later', 1)
    await client.producer().send({ topic: 'later', messages: [{ value: 'v', partition: 0 }] })
    await waitFor(() => got.length === 1, 'the record of the late topic')
    expect(crashes).toBe(0)
  })

  test('assign reads from the given offsets, or per fromBeginning', async () => {
    const { client } = setup(2)
    await client.producer().send({ topic: 'orders', messages: ['a', 'b', 'c'].map((v) => ({ value: v, partition: 0 })) })
    const got: ConsumedMessage[] = []
    const c = client.consumer({ fromBeginning: true, ...fast })
    c.assign([{ topic: 'orders', partition: 0, offset: 1 }])
    await collect(c, got)
    await waitFor(() => got.length === 2, 'two messages')
    expect(got.map((m) => [m.partition, m.offset, text(m.value)])).toEqual([[0, 1, 'b'], [0, 2, 'c']])
  })

  test('keys and values are plain Uint8Array views of the response, not Buffers', async () => {
    const { client } = setup(1, 1)
    await client.producer().send({ topic: 'orders', messages: [{ key: 'k', value: 'v' }] })
    const got: ConsumedMessage[] = []
    const c = client.consumer({ fromBeginning: true, ...fast })
    c.assign([{ topic: 'orders', partition: 0 }])
    await collect(c, got)
    await waitFor(() => got.length === 1, 'the message')
    const { key, value } = got[0]!
    expect([Object.getPrototypeOf(key), Object.getPrototypeOf(value)]).toEqual([Uint8Array.prototype, Uint8Array.prototype])
    expect([text(key), text(value)]).toEqual(['k', 'v'])
  })

  test('messages are class instances, not object literals (V8 pretenures literals per allocation site once a stalled consumer kept many alive)', async () => {
    const { client } = setup(1, 1)
    await client.producer().send({ topic: 'orders', messages: [{ value: 'v' }] })
    const got: ConsumedMessage[] = []
    const c = client.consumer({ fromBeginning: true, ...fast })
    c.assign([{ topic: 'orders', partition: 0 }])
    await collect(c, got)
    await waitFor(() => got.length === 1, 'the message')
    expect(Object.getPrototypeOf(got[0])).not.toBe(Object.prototype)
    expect({ ...got[0], value: text(got[0]!.value) }).toEqual({ topic: 'orders', partition: 0, offset: 0, timestamp: got[0]!.timestamp, key: null, value: 'v', headers: {} })
  })

  test('latest (the default) sees only what is produced after it starts', async () => {
    const { client } = setup(1, 1)
    await produce(client, 3, 'old')
    const got: ConsumedMessage[] = []
    const c = client.consumer(fast)
    c.assign([{ topic: 'orders', partition: 0 }])
    await collect(c, got)
    await waitFor(() => c.assignment().length === 1 && (c as any).fetcher.partitions.values().next().value.fetchOffset === 3, 'the reset to latest')
    await produce(client, 2, 'new')
    await waitFor(() => got.length === 2, 'the new messages')
    expect(got.map((m) => text(m.value))).toEqual(['new0', 'new1'])
  })

  test('the async iterator yields the same messages in order', async () => {
    const { client } = setup(1, 1)
    await produce(client, 5)
    const c = client.consumer({ fromBeginning: true, ...fast })
    await c.subscribe({ topics: ['orders'] })
    const seen: string[] = []
    for await (const m of c) {
      seen.push(text(m.value)!)
      if (seen.length === 5) break
    }
    expect(seen).toEqual(['m0', 'm1', 'm2', 'm3', 'm4'])
  })

  test('OFFSET_OUT_OF_RANGE resets per policy (earliest)', async () => {
    const { fake, client } = setup(1, 1)
    await produce(client, 4)
    await produce(client, 4, 'late')
    fake.truncateHead('orders', 0, 4) // retention removed the first batch
    const got: ConsumedMessage[] = []
    const c = client.consumer({ fromBeginning: true, ...fast })
    c.assign([{ topic: 'orders', partition: 0, offset: 1 }])
    await collect(c, got)
    await waitFor(() => got.length === 4, 'the retained messages')
    expect(got.map((m) => m.offset)).toEqual([4, 5, 6, 7])
  })

  test('compaction gaps: offsets jump, records below the fetch offset are skipped, no refetch loop', async () => {
    const { fake, client } = setup(1, 1)
    const p = fake.topics.get('orders')!.partitions[0]
    // A compacted batch: offsets 0..9 kept only 2, 5 and 7 (lastOffsetDelta still 9).
    const bytes = encodeRecordBatch([{ value: 'a' }, { value: 'b' }, { value: 'c' }], { offsetDeltas: [2, 5, 7], lastOffsetDelta: 9 })
    p.batches.push({ baseOffset: 0, lastOffset: 9, bytes })
    p.logEnd = 10
    await produce(client, 1, 'after')
    const got: ConsumedMessage[] = []
    const c = client.consumer(fast)
    c.assign([{ topic: 'orders', partition: 0, offset: 3 }])
    await collect(c, got)
    await waitFor(() => got.length === 3, 'messages after the gap')
    expect(got.map((m) => [m.offset, text(m.value)])).toEqual([[5, 'b'], [7, 'c'], [10, 'after0']])
    // A refetch loop would ask for offset 3 (or 10) again and again. Watch three more fetches:
    // each asks past the gap, and nothing is delivered twice.
    const fetchOffsets = (): number[] => fake.requests.filter((r) => r.apiKey === ApiKey.Fetch).map((r) => r.body.topics[0].partitions[0].fetchOffset)
    const seen = fetchOffsets().length
    await waitFor(() => fetchOffsets().length >= seen + 3, 'three more fetches')
    const offsets = fetchOffsets()
    expect(offsets.filter((o) => o === 3)).toHaveLength(1)
    expect(offsets.slice(seen)).toEqual(offsets.slice(seen).map(() => 11))
    expect(got).toHaveLength(3)
  })

  test('gzip round trip: a compressed batch is produced, fetched and decoded to the same records', async () => {
    const { fake, client } = setup(1, 1)
    const messages = Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i} `.repeat(40), headers: { n: String(i) } }))
    await client.producer({ compression: 'gzip', lingerMs: 0 }).send({ topic: 'orders', messages })
    const stored = fake.topics.get('orders')!.partitions[0].batches
    const header = splitBatches(stored[0].bytes)
    expect(header.ok && header.value[0].header.attributes & 7).toBe(1) // gzip on the broker's disk too
    const got: ConsumedMessage[] = []
    const c = client.consumer({ fromBeginning: true, ...fast })
    c.assign([{ topic: 'orders', partition: 0 }])
    await collect(c, got)
    await waitFor(() => got.length === 20, 'all twenty')
    expect(got.map((m) => [m.offset, text(m.key), text(m.value), text(m.headers.n)])).toEqual(messages.map((m, i) => [i, m.key, m.value, String(i)]))
  })

  test('seek moves the position; pause stops delivery until resume', async () => {
    const { client } = setup(1, 1)
    await produce(client, 5)
    const got: ConsumedMessage[] = []
    const c = client.consumer({ fromBeginning: true, ...fast })
    c.assign([{ topic: 'orders', partition: 0 }])
    await c.run({
      eachMessage: async ({ message, pause }) => {
        got.push(message)
        if (message.offset === 1) pause()
      },
    })
    await waitFor(() => got.length === 2, 'delivery up to the pause')
    // Once the worker has put the batch back and waits for data, nothing can reach the handler:
    // take() skips a paused partition and the fetcher does not fetch it.
    const fetcher = (c as any).fetcher
    await waitFor(() => fetcher.busy.size === 0 && fetcher.dataWaiterCount === 1, 'the worker to wait for data')
    expect(got.length).toBe(2)
    expect(c.pausedPartitions()).toEqual([{ topic: 'orders', partitions: [0] }])
    c.seek({ topic: 'orders', partition: 0, offset: 4 })
    c.resume([{ topic: 'orders' }])
    await waitFor(() => got.length === 3, 'delivery after resume')
    expect(got.map((m) => m.offset)).toEqual([0, 1, 4])
  })

  test('eachBatch gets whole batches with highWatermark and lag', async () => {
    const { client } = setup(1, 1)
    await produce(client, 10)
    const batches: Array<{ n: number; hw: number; lag: number }> = []
    const c = client.consumer({ fromBeginning: true, ...fast })
    c.assign([{ topic: 'orders', partition: 0 }])
    await c.run({ eachBatch: async ({ batch }) => void batches.push({ n: batch.messages.length, hw: batch.highWatermark, lag: batch.offsetLag() }) })
    await waitFor(() => batches.reduce((s, b) => s + b.n, 0) === 10, 'all ten')
    expect(batches[batches.length - 1]).toMatchObject({ hw: 10, lag: 0 })
  })

  test('a handler that throws gets the same message again (nothing skipped)', async () => {
    const { client } = setup(1, 1)
    await produce(client, 3)
    const seen: number[] = []
    let failures = 0
    const c = client.consumer({ fromBeginning: true, ...fast, retry: { retries: 5, initialRetryTimeMs: 1, maxRetryTimeMs: 2 } })
    c.assign([{ topic: 'orders', partition: 0 }])
    await c.run({
      eachMessage: async ({ message }) => {
        if (message.offset === 1 && failures++ < 2) throw new Error('flaky')
        seen.push(message.offset)
      },
    })
    await waitFor(() => seen.length === 3, 'all three')
    expect(seen).toEqual([0, 1, 2])
  })

  test('partitionsConsumedConcurrently runs partitions in parallel, each still in order', async () => {
    const { client } = setup(3, 1)
    const producer = client.producer({ lingerMs: 0 })
    for (let p = 0; p < 3; p++) await producer.send({ topic: 'orders', messages: Array.from({ length: 5 }, (_, i) => ({ value: `${p}-${i}`, partition: p })) })
    let active = 0
    let maxActive = 0
    // Each partition's first message waits until all three handlers run at once: only
    // concurrent workers get past it (one at a time would never finish).
    let allIn!: () => void
    const together = new Promise<void>((r) => (allIn = r))
    const order = new Map<number, number[]>()
    const c = client.consumer({ fromBeginning: true, ...fast })
    await c.subscribe({ topics: ['orders'] })
    await c.run({
      partitionsConsumedConcurrently: 3,
      eachMessage: async ({ partition, message }) => {
        active++
        maxActive = Math.max(maxActive, active)
        if (active === 3) allIn()
        if (message.offset === 0) await together
        order.set(partition, [...(order.get(partition) ?? []), message.offset])
        active--
      },
    })
    try {
      await waitFor(() => [...order.values()].flat().length === 15, 'fifteen')
    } finally {
      allIn() // if they never ran together, let the stuck handler finish so the consumer can close
    }
    expect(maxActive).toBe(3)
    for (const offsets of order.values()) expect(offsets).toEqual([0, 1, 2, 3, 4])
  })

  test('a handler that keeps failing crashes the consumer instead of skipping the message', async () => {
    const { client } = setup(1, 1)
    await produce(client, 2)
    const c = client.consumer({ fromBeginning: true, ...fast, retry: { retries: 2, initialRetryTimeMs: 1, maxRetryTimeMs: 2 } })
    const crashes: any[] = []
    c.on('crash', (e) => crashes.push(e))
    c.assign([{ topic: 'orders', partition: 0 }])
    const seen: number[] = []
    await c.run({ eachMessage: async ({ message }) => { seen.push(message.offset); throw new Error('poison') } })
    await waitFor(() => crashes.length === 1, 'the crash')
    expect(crashes[0].error.message).toMatch(/poison/)
    expect(seen).toEqual([0, 0, 0])
  })

  test('follows a partition to its new leader after NOT_LEADER_OR_FOLLOWER', async () => {
    const { fake, client } = setup(1, 2)
    await produce(client, 2)
    const got: ConsumedMessage[] = []
    const c = client.consumer({ fromBeginning: true, ...fast })
    c.assign([{ topic: 'orders', partition: 0 }])
    await collect(c, got)
    await waitFor(() => got.length === 2, 'two')
    const p = fake.topics.get('orders')!.partitions[0]
    p.leader = 2
    p.leaderEpoch++
    fake.metadataOffset++
    await produce(client, 2, 'after')
    await waitFor(() => got.length === 4, 'two more from the new leader')
    expect(fake.requests.some((r) => r.apiKey === ApiKey.Fetch && r.nodeId === 2)).toBe(true)
  })

  test('prefetch is bounded in bytes while nobody consumes', async () => {
    const { client } = setup(1, 1)
    const producer = client.producer({ batchBytes: 4_000, lingerMs: 0 })
    await producer.send({ topic: 'orders', messages: Array.from({ length: 200 }, () => ({ value: 'x'.repeat(500) })) })
    const c = client.consumer({ fromBeginning: true, prefetchBytes: 5_000, maxBytesPerPartition: 4_000, ...fast })
    c.assign([{ topic: 'orders', partition: 0 }])
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    let got = 0
    await c.run({ eachMessage: async () => { got++; await gate } })
    await waitFor(() => got === 1 && c.prefetchedBytes > 0, 'one message in the handler and data prefetched')
    // Quiescent: the partition's next batches are buffered and no fetch is in flight, so nothing
    // more arrives until the handler takes one.
    const state = (c as any).fetcher.partitions.values().next().value
    await waitFor(() => state.buffered.length > 0 && !state.inFetch, 'the prefetch to settle')
    expect(c.prefetchedBytes).toBeLessThanOrEqual(5_000 + 4_000)
    release()
    await waitFor(() => got === 200, 'everything')
  })

  test('a partition is fetched ahead while the handler works, two responses deep at most', async () => {
    const { client } = setup(1, 1)
    const producer = client.producer({ batchBytes: 4_000, lingerMs: 0 })
    await producer.send({ topic: 'orders', messages: Array.from({ length: 200 }, () => ({ value: 'x'.repeat(500) })) })
    const c = client.consumer({ fromBeginning: true, prefetchBytes: 1 << 20, maxBytesPerPartition: 4_000, ...fast })
    c.assign([{ topic: 'orders', partition: 0 }])
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    let got = 0
    await c.run({ eachMessage: async () => { got++; await gate } })
    const fetcher = (c as any).fetcher
    const state = fetcher.partitions.values().next().value
    await waitFor(() => got === 1 && state.buffered.length === 2 && !state.inFetch, 'two responses waiting behind the one in the handler')
    fetcher.wake()
    await new Promise((r) => setImmediate(r))
    expect({ buffered: state.buffered.length, inFetch: state.inFetch }).toEqual({ buffered: 2, inFetch: false })
    release()
    await waitFor(() => got === 200, 'everything, in order')
  })

  test('an idle consumer does not pile up data waiters (each timed-out wait is removed)', async () => {
    const { client } = setup(1, 1)
    const c = client.consumer({ maxWaitTimeInMs: 1 })
    c.assign([{ topic: 'orders', partition: 0 }])
    const fetcher = (c as any).fetcher
    let waits = 0
    const wait = fetcher.waitForData.bind(fetcher)
    fetcher.waitForData = () => (waits++, wait())
    await c.run({ partitionsConsumedConcurrently: 2, eachMessage: async () => {} })
    await waitFor(() => waits >= 200, 'many idle waits')
    expect(fetcher.dataWaiterCount).toBeLessThanOrEqual(2) // at most one per worker
  })

  test('bad arguments are ArgumentErrors', async () => {
    const { client } = setup(1, 1)
    const c = client.consumer()
    expect(() => c.assign([{ topic: '', partition: 0 }])).toThrow(/topic must be a non-empty string/)
    expect(() => c.assign([{ topic: 't', partition: -1 }])).toThrow(/partition must be a non-negative integer/)
    await expect(c.run({} as any)).rejects.toThrow(/exactly one of eachMessage or eachBatch/)
    await expect(c.run({ eachMessage: async () => {} })).rejects.toThrow(/assign\(\[\{ topic, partition \}\]\) or subscribe/)
    await expect(c.subscribe({ topics: [/ord.*/] })).rejects.toThrow(/RegExp subscriptions need a groupId/)
    await expect(c.commitOffsets([{ topic: 'orders', partition: 0, offset: 1 }])).rejects.toThrow(/no groupId/)
    await expect(c.commit()).rejects.toMatchObject({ code: ErrorCode.INVALID_GROUP_ID, message: expect.stringMatching(/no groupId/) })
    expect(() => client.consumer({ groupId: '' })).toThrow(/groupId must be a non-empty string/)
  })
})

describe('consumer group', () => {
  test('three members over six partitions receive every record exactly once, and commit', async () => {
    const { fake, client } = setup(6)
    await produce(client, 60)
    const got: ConsumedMessage[] = []
    const members = [0, 1, 2].map(() => client.consumer({ groupId: 'billing', fromBeginning: true, ...fast }))
    for (const m of members) {
      await m.subscribe({ topics: ['orders'] })
      await collect(m, got)
    }
    await waitFor(() => members.every((m) => m.assignment().length === 2), 'an even spread of partitions')
    await waitFor(() => got.length === 60, 'sixty messages')
    await produce(client, 30, 'more')
    await waitFor(() => got.length === 90, 'ninety messages')
    const ids = got.map((m) => `${m.partition}/${m.offset}`)
    expect(new Set(ids).size).toBe(90)
    await waitFor(() => [...fake.groups.group('billing').offsets.values()].reduce((a, b) => a + b, 0) === 90, 'auto-commit of every offset')
  })

  test('a member leaving hands its partitions over after committing: no record is lost or repeated', async () => {
    const { fake, client } = setup(4, 1)
    await produce(client, 40)
    const got: string[] = []
    const a = client.consumer({ groupId: 'g', fromBeginning: true, ...fast })
    const b = client.consumer({ groupId: 'g', fromBeginning: true, ...fast })
    for (const c of [a, b]) {
      await c.subscribe({ topics: ['orders'] })
      await c.run({ eachMessage: async ({ message }) => void got.push(`${message.partition}/${message.offset}`) })
    }
    await waitFor(() => got.length === 40, 'the first forty')
    await waitFor(() => a.assignment().length === 2 && b.assignment().length === 2, 'a 2/2 split')
    await a.disconnect()
    await waitFor(() => b.assignment().length === 4, 'b to own all four partitions')
    await produce(client, 20, 'after')
    await waitFor(() => got.length === 60, 'sixty in total')
    expect(new Set(got).size).toBe(60)
    expect(fake.groups.group('g').members.size).toBe(1)
  })

  test('regex subscription goes to the coordinator as subscribedTopicRegex', async () => {
    const { fake, client } = setup(2, 1)
    fake.createTopic('orders-eu', 1)
    await produce(client, 3, 'eu', 'orders-eu')
    const got: ConsumedMessage[] = []
    const c = client.consumer({ groupId: 'rx', fromBeginning: true, ...fast })
    await c.subscribe({ topics: [/orders-.*/] })
    await collect(c, got)
    await waitFor(() => got.length === 3, 'the eu messages')
    const hb = fake.requests.find((r) => r.apiKey === ApiKey.ConsumerGroupHeartbeat)!
    expect(hb.body).toMatchObject({ memberEpoch: 0, subscribedTopicRegex: '(?:orders-.*)', subscribedTopicNames: null })
  })

  test('a regex subscription matching no topic logs a warning naming the pattern and the whole-name rule', async () => {
    const fake = new FakeCluster(1)
    fake.createTopic('orders-eu', 1)
    const warnings: Array<{ message: string; fields?: Record<string, unknown> }> = []
    const client = fakeClient(fake, { logger: { warn: (message, fields) => void warnings.push({ message, fields }) } })
    clients.push(client)
    await client.consumer({ groupId: 'rx1', ...fast }).subscribe({ topics: [/orders-.*/] }) // matches orders-eu as a whole
    await client.consumer({ groupId: 'rx2', ...fast }).subscribe({ topics: [/orders/] })
    await waitFor(() => warnings.length >= 1, 'the warning for /orders/')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]!.fields).toEqual({ pattern: '/orders/' })
    expect(warnings[0]!.message).toMatch(/\/orders\/ matches no topic.*must match the whole topic name.*"orders-eu" only contains a match/)
    await client.consumer({ groupId: 'rx3', ...fast }).subscribe({ topics: ['orders-eu', /payments-.*/] })
    await waitFor(() => warnings.length >= 2, 'the warning for /payments-.*/')
    expect(warnings).toHaveLength(2)
    expect(warnings[1]!.message).toMatch(/^subscribe: \/payments-\.\*\/ matches no topic now; a subscription pattern must match the whole topic name/)
    expect(warnings[1]!.message).not.toMatch(/only contains a match/)
  })

  test('a RegExp flag the coordinator cannot apply is refused, not dropped; harmless flags are accepted', async () => {
    const { fake, client } = setup(1, 1)
    fake.createTopic('Orders-EU', 1)
    const c = client.consumer({ groupId: 'flags', fromBeginning: true, ...fast })
    // The broker compiles the source alone: /orders-eu/i would silently become case-sensitive.
    await expect(c.subscribe({ topics: [/orders-eu/i] })).rejects.toMatchObject({ name: 'ArgumentError', code: ErrorCode.INVALID_REQUEST, message: expect.stringMatching(/\/orders-eu\/i has flag i, which the group coordinator cannot apply.*\[Oo\]rders/) })
    await expect(c.subscribe({ topics: [/\u{61}/u] })).rejects.toThrow(/has flag u/)
    await expect(c.subscribe({ topics: [/(a)\1/, /b/] })).rejects.toThrow(/numbered backreference/)
    await expect(c.subscribe({ topics: [/(a+)+b/] })).rejects.toThrow(/repeated group may not hold another repeat/) // refused by the coordinator too
    await expect(c.subscribe({ topics: [/a.*b.*/, /c.*/] })).rejects.toThrow(/RegExps together: at most 2 unbounded/)
    await expect(c.run({ eachMessage: async () => {} })).rejects.toThrow(/subscribe\(\{ topics \}\) before consuming/) // nothing was subscribed
    await c.subscribe({ topics: [/[Oo]rders-EU/gm] }) // g and m cannot change a match against a topic name
    const got: ConsumedMessage[] = []
    await collect(c, got)
    await produce(client, 2, 'eu', 'Orders-EU')
    await waitFor(() => got.length === 2, 'the Orders-EU messages')
    const hb = fake.requests.find((r) => r.apiKey === ApiKey.ConsumerGroupHeartbeat)!
    expect(hb.body.subscribedTopicRegex).toBe('(?:[Oo]rders-EU)')
  })

  test('committed offsets are where a restarted group member continues', async () => {
    const { client } = setup(1, 1)
    await produce(client, 5)
    const first: string[] = []
    const c1 = client.consumer({ groupId: 'resume', fromBeginning: true, ...fast })
    await c1.subscribe({ topics: ['orders'] })
    await c1.run({ eachMessage: async ({ message }) => void first.push(text(message.value)!) })
    await waitFor(() => first.length === 5, 'five')
    await c1.disconnect()
    await produce(client, 2, 'new')
    const second: string[] = []
    const c2 = client.consumer({ groupId: 'resume', fromBeginning: true, ...fast })
    await c2.subscribe({ topics: ['orders'] })
    await c2.run({ eachMessage: async ({ message }) => void second.push(text(message.value)!) })
    // A marker produced afterwards: once it arrives, anything redelivered from before would
    // have arrived ahead of it (one partition, delivered in offset order).
    await waitFor(() => second.length === 2, 'the two new ones')
    await produce(client, 1, 'end')
    await waitFor(() => second.includes('end0'), 'the marker')
    expect(second).toEqual(['new0', 'new1', 'end0'])
  })

  test('manual commits (autoCommit off): commit() saves what was processed, commitOffsets(offsets) explicit ones', async () => {
    const { fake, client } = setup(1, 1)
    await produce(client, 6)
    const c = client.consumer({ groupId: 'manual', fromBeginning: true, autoCommit: false, ...fast })
    await c.subscribe({ topics: ['orders'] })
    const commits: number[] = []
    c.on('commit', (e: { offsets: Array<{ offset: number }> }) => commits.push(e.offsets[0]!.offset))
    let processed = 0
    await c.run({
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        for (const m of batch.messages) {
          if (m.offset === 3) return // stop here: 0..2 resolved
          resolveOffset(m.offset)
          processed++
        }
      },
    })
    await waitFor(() => processed >= 3, 'three resolved')
    // Heartbeats keep coming; with autoCommit on, a commit (every 20 ms) would have gone out
    // long before three more heartbeats. None does, and nothing was committed.
    const heartbeats = (): number => fake.requests.filter((r) => r.apiKey === ApiKey.ConsumerGroupHeartbeat).length
    const seen = heartbeats()
    await waitFor(() => heartbeats() >= seen + 3, 'three more heartbeats')
    expect(fake.requests.filter((r) => r.apiKey === ApiKey.OffsetCommit)).toHaveLength(0)
    expect(fake.groups.group('manual').offsets.size).toBe(0)
    await c.commit()
    expect(fake.groups.group('manual').offsets.get('orders:0')).toBe(3)
    await c.commit() // nothing new processed: nothing to send
    expect(fake.requests.filter((r) => r.apiKey === ApiKey.OffsetCommit)).toHaveLength(1)
    await c.commitOffsets([{ topic: 'orders', partition: 0, offset: 5 }])
    expect(fake.groups.group('manual').offsets.get('orders:0')).toBe(5)
    expect(commits).toEqual([3, 5])
  })

  test('commits land in call order: an older commit still retrying never overwrites a newer one', async () => {
    const { fake, client } = setup(1, 1)
    const c = client.consumer({ groupId: 'ordered', fromBeginning: true, autoCommit: false, ...fast })
    await c.subscribe({ topics: ['orders'] })
    await c.run({ eachMessage: async () => {} })
    await waitFor(() => c.assignment().length === 1, 'assignment')
    let refused = 0
    // the commit of offset 3 fails twice (as when its coordinator moves); the commit of 5 would go through at once
    fake.intercept = (r) => {
      if (r.apiKey !== ApiKey.OffsetCommit || r.body.topics[0].partitions[0].offset !== 3 || refused === 2) return undefined
      refused++
      return ErrorCode.COORDINATOR_NOT_AVAILABLE
    }
    const events: number[] = []
    c.on('commit', (e: { offsets: Array<{ offset: number }> }) => events.push(e.offsets[0]!.offset))
    const older = c.commitOffsets([{ topic: 'orders', partition: 0, offset: 3 }])
    const newer = c.commitOffsets([{ topic: 'orders', partition: 0, offset: 5 }])
    await Promise.all([older, newer])
    expect(refused).toBe(2)
    expect(events).toEqual([3, 5])
    expect(fake.groups.group('ordered').offsets.get('orders:0')).toBe(5)
  })

  test('a fenced member drops its partitions without committing and rejoins', async () => {
    const { fake, client } = setup(2, 1)
    const c = client.consumer({ groupId: 'f', ...fast })
    const lost: unknown[] = []
    c.on('lost', (e) => lost.push(e))
    await c.subscribe({ topics: ['orders'] })
    await c.run({ eachMessage: async () => {} })
    await waitFor(() => c.assignment().length === 2, 'assignment')
    fake.groups.group('f').members.clear() // the coordinator forgot us (session expired)
    await waitFor(() => lost.length === 1, 'the loss')
    await waitFor(() => c.assignment().length === 2 && fake.groups.group('f').members.size === 1, 'the rejoin')
  })

  test('a join whose answer is lost is retried as the same member (KIP-1082): no zombie holds partitions', async () => {
    const { fake, client } = setup(2, 1)
    let lost = 0
    fake.intercept = (r) => (r.apiKey === ApiKey.ConsumerGroupHeartbeat && r.body.memberEpoch === 0 && lost++ === 0 ? 'lose' : undefined)
    const c = client.consumer({ groupId: 'retried', ...fast })
    await c.subscribe({ topics: ['orders'] })
    await c.run({ eachMessage: async () => {} })
    await waitFor(() => c.assignment().length === 2, 'both partitions, none held by a zombie')
    const joins = fake.requests.filter((r) => r.apiKey === ApiKey.ConsumerGroupHeartbeat && r.body.memberEpoch === 0)
    expect(joins.length).toBeGreaterThanOrEqual(2)
    expect(new Set(joins.map((r) => r.body.memberId)).size).toBe(1)
    expect(joins[0]!.body.memberId).toMatch(/^[0-9a-f]{32}$/)
    expect([...fake.groups.group('retried').members.keys()]).toEqual([joins[0]!.body.memberId])
  })

  test('an assignment whose offset lookup fails is taken again on a later heartbeat', async () => {
    const { fake, client } = setup(2, 1)
    await produce(client, 4)
    let failures = 0
    fake.intercept = (r) => (r.apiKey === ApiKey.OffsetFetch && failures++ < 12 ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : undefined)
    const got: ConsumedMessage[] = []
    const c = client.consumer({ groupId: 'slow-load', fromBeginning: true, ...fast })
    await c.subscribe({ topics: ['orders'] })
    await collect(c, got)
    await waitFor(() => got.length === 4, 'all four once offsets load')
    expect(failures).toBeGreaterThan(12)
  })

  test('NOT_COORDINATOR makes the member find the coordinator again', async () => {
    const { fake, client } = setup(2, 2)
    const c = client.consumer({ groupId: 'moving', ...fast })
    await c.subscribe({ topics: ['orders'] })
    await c.run({ eachMessage: async () => {} })
    await waitFor(() => c.assignment().length === 2, 'assignment')
    fake.groups.coordinatorId = 2
    const finds = fake.requests.filter((r) => r.apiKey === ApiKey.FindCoordinator).length
    await waitFor(() => fake.requests.some((r) => r.apiKey === ApiKey.ConsumerGroupHeartbeat && r.nodeId === 2), 'a heartbeat to node 2')
    expect(fake.requests.filter((r) => r.apiKey === ApiKey.FindCoordinator).length).toBeGreaterThan(finds)
  })

  /** Heartbeats a member sent since `from` (an index into fake.requests). */
  // Short, so ten heartbeats outlast it 3 times over, yet long enough that a loaded
  // machine's timer delays do not expire a member that is heartbeating.
  const SHORT_SESSION_MS = 600
  const heartbeatsOf = (fake: FakeCluster, memberId: string, from: number): number =>
    fake.requests.slice(from).filter((r) => r.apiKey === ApiKey.ConsumerGroupHeartbeat && r.body.memberId === memberId).length

  test('heartbeats go on while a revocation waits for a handler slower than the session timeout: the member is not fenced', async () => {
    const { fake, client } = setup(2, 1)
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const a = client.consumer({ groupId: 'slow', fromBeginning: true, sessionTimeoutMs: SHORT_SESSION_MS, ...fast })
    const events: string[] = []
    for (const e of ['revoked', 'lost'] as const) a.on(e, (x: { partitions: Array<{ partition: number }> }) => events.push(`${e} ${x.partitions.map((p) => p.partition)}`))
    await a.subscribe({ topics: ['orders'] })
    let busy = false
    await a.run({ eachMessage: async () => { busy = true; await gate } })
    await waitFor(() => a.assignment().length === 2, 'a owns both partitions')
    await client.producer().send({ topic: 'orders', messages: [{ value: 'slow', partition: 1 }] })
    await waitFor(() => busy, 'the handler is busy with partition 1')
    // b joins: a must give partition 1 up, which waits for the handler
    const b = client.consumer({ groupId: 'slow', fromBeginning: true, sessionTimeoutMs: SHORT_SESSION_MS, ...fast })
    await b.subscribe({ topics: ['orders'] })
    await b.run({ eachMessage: async () => {} })
    const from = fake.requests.length
    const aId = (a as any).member.memberId as string
    try {
      await waitFor(() => heartbeatsOf(fake, aId, from) >= 10, 'a to keep heartbeating through the revocation (10 heartbeats, over 3 session timeouts)')
      expect(events).toEqual([])
      expect(fake.groups.group('slow').members.has(aId)).toBe(true)
    } finally {
      release()
    }
    await waitFor(() => events.length > 0 && b.assignment().length === 1, 'the revocation to finish and b to get partition 1')
    expect(events).toEqual(['revoked 1'])
    expect(a.assignment().map((tp) => tp.partition)).toEqual([0])
  })

  test('heartbeats go on while a new assignment waits for its committed offsets', async () => {
    const { fake, client } = setup(2, 1)
    await produce(client, 4)
    fake.intercept = (r) => (r.apiKey === ApiKey.OffsetFetch ? 'hold' : undefined)
    const got: ConsumedMessage[] = []
    const lost: unknown[] = []
    const c = client.consumer({ groupId: 'held', fromBeginning: true, sessionTimeoutMs: SHORT_SESSION_MS, ...fast })
    c.on('lost', (e) => lost.push(e))
    await c.subscribe({ topics: ['orders'] })
    await collect(c, got)
    await waitFor(() => fake.heldCount > 0, 'the offset lookup to be held')
    const from = fake.requests.length
    const id = (c as any).member.memberId as string
    try {
      await waitFor(() => heartbeatsOf(fake, id, from) >= 10, 'heartbeats while the lookup is held')
    } finally {
      fake.intercept = () => undefined
      await fake.releaseHeld()
    }
    await waitFor(() => got.length === 4, 'all four once the lookup answers')
    expect(lost).toEqual([])
    expect(fake.groups.group('held').members.has(id)).toBe(true)
  })

  test('cut off from its coordinator for the session timeout, a member treats its partitions as lost, then rejoins', async () => {
    const { fake, client } = setup(2, 1)
    const got: string[] = []
    const events: string[] = []
    const c = client.consumer({ groupId: 'cut', fromBeginning: true, sessionTimeoutMs: 300, ...fast })
    for (const e of ['assigned', 'revoked', 'lost'] as const) c.on(e, (x: { partitions: Array<{ partition: number }> }) => events.push(`${e} ${x.partitions.map((p) => p.partition).sort()}`))
    await c.subscribe({ topics: ['orders'] })
    await c.run({ eachMessage: async ({ message }) => void got.push(`${message.partition}/${message.offset}`) })
    await waitFor(() => c.assignment().length === 2, 'both partitions')
    await produce(client, 4)
    await waitFor(() => got.length === 4, 'the first four')
    // Committed before the cut, so the rejoined member resumes after them (not from the beginning).
    await waitFor(() => [...fake.groups.group('cut').offsets.values()].reduce((a, b) => a + b, 0) === 4, 'the first four committed')
    const groupApis = new Set<number>([ApiKey.FindCoordinator, ApiKey.ConsumerGroupHeartbeat, ApiKey.OffsetCommit, ApiKey.OffsetFetch])
    let lastHeartbeatAnswered = 0
    fake.intercept = (r) => {
      if (r.apiKey === ApiKey.ConsumerGroupHeartbeat) lastHeartbeatAnswered = Date.now()
      return undefined
    }
    await waitFor(() => lastHeartbeatAnswered > 0, 'a heartbeat seen by the interceptor')
    fake.intercept = (r) => (groupApis.has(r.apiKey) ? ErrorCode.COORDINATOR_NOT_AVAILABLE : undefined)
    let lostAt = 0
    c.on('lost', () => (lostAt ||= Date.now()))
    await waitFor(() => events.includes('lost 0,1'), 'the partitions to be lost', 3_000)
    // Not before a whole session has passed since the last heartbeat the coordinator answered.
    expect(lostAt - lastHeartbeatAnswered).toBeGreaterThanOrEqual(300)
    expect(c.assignment()).toEqual([]) // no fetching any more
    // Records produced now are not consumed while the member owns nothing.
    await produce(client, 2, 'during')
    fake.intercept = () => undefined
    await waitFor(() => c.assignment().length === 2 && got.length === 6, 'the rejoin and the two new records')
    expect(events.filter((e) => e.startsWith('revoked'))).toEqual([])
    expect(events).toEqual(['assigned 0,1', 'lost 0,1', 'assigned 0,1'])
  })
})
