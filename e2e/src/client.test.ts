/**
 * The client SDK against real broker processes (issue #7): per-key order and
 * Kafka's partition choice, the idempotent producer across kill -9 of a leader
 * (every acknowledged record exactly once), gzip batches through the broker,
 * a 3-member group over 6 partitions (every record exactly once), bounded
 * producer and consumer memory, and clear errors. One 3-node cluster for the file; tests leave all nodes up.
 */
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import path from 'node:path'
import { ErrorCode } from '@tributary/protocol'
import { Tributary, partitionForKey, text, type ConsumedMessage, type Consumer, type RecordMetadata } from '@tributary/client'
import { REPO_ROOT, freePort, type TestCluster } from './cluster.js'
import { startClusterAndClient, stopClusterAndClient } from './cluster-client.js'

const require = createRequire(import.meta.url)
const kafkajsMurmur2: (key: string) => number = require('kafkajs/src/producer/partitioners/default/murmur2.js')

let cluster: TestCluster
let client: Tributary

beforeAll(async () => {
  ;({ cluster, client } = await startClusterAndClient({ nodes: 3, logLevel: 'warn' }, 'e2e-client'))
}, 60_000)

afterAll(() => stopClusterAndClient(client, cluster), 30_000)

/** Read `count` messages of a topic from the beginning with a group-less consumer. */
async function readAll(topic: string, count: number, timeoutMs = 30_000): Promise<ConsumedMessage[]> {
  const got: ConsumedMessage[] = []
  const consumer = client.consumer({ fromBeginning: true, maxWaitTimeInMs: 100 })
  await consumer.subscribe({ topics: [topic] })
  await consumer.run({ eachMessage: async ({ message }) => void got.push(message) })
  try {
    await cluster.waitFor(() => got.length >= count, { timeoutMs, message: `${count} messages of ${topic} (have ${got.length})` })
  } finally {
    await consumer.disconnect()
  }
  return got
}

const leaderOf = async (topic: string, partition: number): Promise<number> =>
  (await client.admin().describeTopic(topic)).partitions[partition].leader

test('per-key order holds across 6 partitions, and each key lands on the partition Kafka picks', async () => {
  await client.admin().createTopic({ topic: 'keyed', partitions: 6, replicationFactor: 3 })
  const producer = client.producer({ lingerMs: 5 })
  const keys = Array.from({ length: 50 }, (_, i) => `customer-${i}`)
  const seq = new Map<string, number>()
  const sends: Promise<RecordMetadata[]>[] = []
  for (let s = 0; s < 100; s++) {
    const messages = Array.from({ length: 10 }, (_, i) => {
      const key = keys[(s * 7 + i) % keys.length]
      const n = seq.get(key) ?? 0
      seq.set(key, n + 1)
      return { key, value: `${key}:${n}` }
    })
    sends.push(producer.send({ topic: 'keyed', messages }))
  }
  const acks = (await Promise.all(sends)).flat()
  expect(acks).toHaveLength(1000)
  const got = await readAll('keyed', 1000)
  const last = new Map<string, number>()
  for (const m of got) {
    const key = text(m.key)!
    expect(m.partition).toBe(partitionForKey(key, 6))
    expect(m.partition).toBe((kafkajsMurmur2(key) & 0x7fffffff) % 6)
    const n = Number(text(m.value)!.split(':')[1])
    expect(n).toBe((last.get(key) ?? -1) + 1)
    last.set(key, n)
  }
  expect([...last.values()].reduce((a, b) => a + b + 1, 0)).toBe(1000)
  await producer.close()
}, 60_000)

test('gzip: compressed batches are accepted by the broker and consumed back unchanged', async () => {
  await client.admin().createTopic({ topic: 'gzipped', partitions: 2, replicationFactor: 3 })
  const producer = client.producer({ compression: 'gzip', lingerMs: 5 })
  const messages = Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: `record ${i} `.repeat(20), headers: { i: String(i) } }))
  const acks = await producer.send({ topic: 'gzipped', messages })
  await producer.close()
  const got = await readAll('gzipped', 200)
  const byKey = new Map(got.map((m) => [text(m.key)!, m]))
  expect(byKey.size).toBe(200)
  messages.forEach((m, i) => {
    const r = byKey.get(m.key)!
    expect([r.partition, r.offset]).toEqual([acks[i].partition, acks[i].offset])
    expect(text(r.value)).toBe(m.value)
    expect(text(r.headers.i)).toBe(String(i))
  })
}, 60_000)

test('idempotent producer across kill -9 of a leader: every acknowledged record exactly once', async () => {
  await client.admin().createTopic({ topic: 'idem', partitions: 3, replicationFactor: 3 })
  const producer = client.producer({ lingerMs: 2, retry: { retries: 40, initialRetryTimeMs: 50, maxRetryTimeMs: 500 } })
  const victim = await leaderOf('idem', 0)
  const acked = new Map<string, RecordMetadata>()
  const failed: string[] = []
  let next = 0
  let killedAt = 0
  let maxSendMs = 0
  const TOTAL = 3000
  const worker = async (): Promise<void> => {
    while (next < TOTAL) {
      const ids = Array.from({ length: Math.min(10, TOTAL - next) }, () => `id-${next++}`)
      const started = Date.now()
      try {
        const r = await producer.send({ topic: 'idem', messages: ids.map((id, i) => ({ key: id, value: id, partition: i % 3 })) })
        r.forEach((m, i) => acked.set(ids[i], m))
        if (killedAt > 0) maxSendMs = Math.max(maxSendMs, Date.now() - started)
      } catch {
        failed.push(...ids)
      }
      if (next >= 600 && killedAt === 0) {
        killedAt = Date.now()
        void cluster.kill(victim, 'SIGKILL')
      }
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker))
  expect(killedAt).toBeGreaterThan(0)
  console.log(`idempotent producer: ${acked.size} acknowledged, ${failed.length} failed; slowest send after kill -9 of node ${victim}: ${maxSendMs} ms`)
  expect(failed).toEqual([])
  const got = await readAll('idem', acked.size)
  const counts = new Map<string, number>()
  for (const m of got) counts.set(text(m.value)!, (counts.get(text(m.value)!) ?? 0) + 1)
  for (const [id, meta] of acked) {
    expect(counts.get(id)).toBe(1)
    const m = got.find((x) => text(x.value) === id)!
    expect([m.partition, m.offset]).toEqual([meta.partition, meta.offset])
  }
  expect(got.length).toBe(acked.size)
  await producer.close()
  await cluster.restart(victim)
}, 120_000)

test('a group of 3 consumers over 6 partitions receives every record exactly once', async () => {
  await client.admin().createTopic({ topic: 'grouped', partitions: 6, replicationFactor: 3 })
  const producer = client.producer()
  await producer.send({ topic: 'grouped', messages: Array.from({ length: 600 }, (_, i) => ({ key: `k${i}`, value: `a${i}` })) })
  const seen = new Map<string, number>()
  const consumers: Consumer[] = []
  for (let i = 0; i < 3; i++) {
    const c = client.consumer({ groupId: 'e2e-three', fromBeginning: true, maxWaitTimeInMs: 100, autoCommitIntervalMs: 200 })
    await c.subscribe({ topics: ['grouped'] })
    await c.run({ eachMessage: async ({ message: m }) => void seen.set(`${m.partition}/${m.offset}`, (seen.get(`${m.partition}/${m.offset}`) ?? 0) + 1) })
    consumers.push(c)
  }
  await cluster.waitFor(() => consumers.every((c) => c.assignment().length === 2), { timeoutMs: 30_000, message: 'a 2/2/2 split' })
  await producer.send({ topic: 'grouped', messages: Array.from({ length: 600 }, (_, i) => ({ key: `k${i}`, value: `b${i}` })) })
  await cluster.waitFor(() => seen.size === 1200, { timeoutMs: 30_000, message: `1200 records (have ${seen.size})` })
  expect([...seen.values()].filter((n) => n !== 1)).toEqual([])
  const owned = consumers.flatMap((c) => c.assignment().map((tp) => tp.partition)).sort()
  expect(owned).toEqual([0, 1, 2, 3, 4, 5])
  await Promise.all(consumers.map((c) => c.disconnect()))
  await producer.close()
}, 90_000)

test('backpressure: producer memory stays within bufferBytes, consumer prefetch within its bound', async () => {
  await client.admin().createTopic({ topic: 'pressure', partitions: 2, replicationFactor: 3 })
  const bufferBytes = 1024 * 1024
  const producer = client.producer({ bufferBytes, batchBytes: 64 * 1024, lingerMs: 2 })
  const value = new Uint8Array(10_000).fill(120)
  let maxBuffered = 0
  const sampler = setInterval(() => (maxBuffered = Math.max(maxBuffered, producer.bufferedBytes)), 1)
  const started = Date.now()
  const total = 1600 // ~16 MB offered at once, 16x the buffer
  await Promise.all(Array.from({ length: total }, (_, i) => producer.send({ topic: 'pressure', messages: [{ key: `k${i}`, value }] })))
  const seconds = (Date.now() - started) / 1000
  clearInterval(sampler)
  console.log(`backpressure: ${total} x 10 kB through a 1 MiB buffer in ${seconds.toFixed(2)} s (${((total * 10_000) / 1e6 / seconds).toFixed(1)} MB/s), max buffered ${maxBuffered} bytes`)
  expect(maxBuffered).toBeGreaterThan(0)
  expect(maxBuffered).toBeLessThanOrEqual(bufferBytes + 10_100)
  await producer.close()

  const prefetchBytes = 256 * 1024
  const maxBytes = 128 * 1024
  const consumer = client.consumer({ fromBeginning: true, prefetchBytes, maxBytes, maxBytesPerPartition: 64 * 1024, maxWaitTimeInMs: 100 })
  await consumer.subscribe({ topics: ['pressure'] })
  let consumed = 0
  let maxPrefetched = 0
  await consumer.run({
    eachMessage: async () => {
      consumed++
      maxPrefetched = Math.max(maxPrefetched, consumer.prefetchedBytes)
      if (consumed % 100 === 0) await new Promise((r) => setTimeout(r, 20)) // a slow handler
    },
  })
  await cluster.waitFor(() => consumed >= total, { timeoutMs: 60_000, message: `all ${total} consumed (have ${consumed})` })
  await consumer.disconnect()
  console.log(`consumer prefetch: max ${maxPrefetched} bytes buffered (bound ${prefetchBytes} + in-flight responses)`)
  // A fetch starts only below prefetchBytes; at most 2 responses of maxBytes per broker are in flight.
  expect(maxPrefetched).toBeLessThanOrEqual(prefetchBytes + 3 * 2 * maxBytes)
}, 120_000)

test('createTopic: validateOnly has the controller check and create nothing; ifNotExists answers created: false', async () => {
  const admin = client.admin()
  await expect(admin.createTopic({ topic: 'dry', partitions: 3, replicationFactor: 4, validateOnly: true })).rejects.toMatchObject({ code: ErrorCode.INVALID_REPLICATION_FACTOR })
  await expect(admin.createTopic({ topic: 'dry', partitions: 3, replicationFactor: 3, config: { 'retention.ms': 'soon' }, validateOnly: true })).rejects.toMatchObject({ code: ErrorCode.INVALID_CONFIG })
  expect(await admin.createTopic({ topic: 'dry', partitions: 3, replicationFactor: 3, validateOnly: true })).toEqual({ topic: 'dry', topicId: null, created: false })
  expect(await admin.listTopics()).not.toContain('dry')
  const first = await admin.createTopic({ topic: 'dry', partitions: 3, replicationFactor: 3, ifNotExists: true })
  expect(first).toEqual({ topic: 'dry', topicId: expect.any(String), created: true })
  expect(await admin.createTopic({ topic: 'dry', partitions: 3, replicationFactor: 3, ifNotExists: true })).toEqual({ ...first, created: false })
  await expect(admin.createTopic({ topic: 'dry', partitions: 3, replicationFactor: 3, validateOnly: true })).rejects.toMatchObject({ code: ErrorCode.TOPIC_ALREADY_EXISTS })
  await expect(admin.createTopic({ topic: 'dry', partitions: 3, replicationFactor: 3 })).rejects.toMatchObject({ code: ErrorCode.TOPIC_ALREADY_EXISTS })
  expect((await admin.describeTopic('dry')).partitions).toHaveLength(3)
})

test('a closed client answers CLIENT_CLOSED (not retriable) for every call', async () => {
  const shortLived = new Tributary({ brokers: cluster.bootstrap, clientId: 'e2e-closed' })
  const producer = shortLived.producer()
  await producer.send({ topic: 'dry', messages: [{ value: 'before close' }] })
  await shortLived.close()
  for (const call of [() => producer.send({ topic: 'dry', messages: [{ value: 'after' }] }), () => shortLived.admin().listTopics(), () => shortLived.consumer({ groupId: 'closed' }).subscribe({ topics: ['dry'] })]) {
    await expect(call()).rejects.toMatchObject({ code: ErrorCode.CLIENT_CLOSED, retriable: false })
  }
})

describe('clear errors', () => {
  test('an unreachable cluster: NETWORK_EXCEPTION naming the URL', async () => {
    const url = `ws://127.0.0.1:${await freePort()}`
    const lonely = new Tributary({ brokers: [url], retry: { retries: 2, initialRetryTimeMs: 10, maxRetryTimeMs: 20 } })
    const started = Date.now()
    const err = await lonely.admin().listTopics().catch((e) => e)
    await lonely.close()
    expect(err).toMatchObject({ code: ErrorCode.NETWORK_EXCEPTION, retriable: true })
    expect(err.message).toContain(`cannot reach any broker of ${url}`)
    expect(err.message).toContain('ECONNREFUSED')
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  test('an unknown topic: UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const err = await client.producer().send({ topic: 'no-such-topic', messages: [{ value: 'x' }] }).catch((e) => e)
    expect(err).toMatchObject({ code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })
    expect(err.message).toMatch(/"no-such-topic" is not known/)
  })

  test('a too-large message: MESSAGE_TOO_LARGE from the client check and from the broker', async () => {
    await client.admin().createTopic({ topic: 'large', partitions: 1, replicationFactor: 3 })
    const big = new Uint8Array(2 * 1024 * 1024)
    await expect(client.producer().send({ topic: 'large', messages: [{ value: big }] })).rejects.toMatchObject({ code: ErrorCode.MESSAGE_TOO_LARGE, retriable: false })
    const lax = client.producer({ maxMessageBytes: 4 * 1024 * 1024, batchBytes: 4 * 1024 * 1024 })
    const err = await lax.send({ topic: 'large', messages: [{ value: big }] }).catch((e) => e)
    expect(err).toMatchObject({ code: ErrorCode.MESSAGE_TOO_LARGE, retriable: false })
    expect(err.message).toMatch(/exceeds max.message.bytes/)
    // the producer goes on working after the refusal
    await expect(lax.send({ topic: 'large', messages: [{ value: 'small' }] })).resolves.toHaveLength(1)
  })

  test('bad arguments: ArgumentError (INVALID_REQUEST, not retriable) naming the field', async () => {
    const err = await client.producer().send({ topic: 'large', messages: [{ value: 5 as any }] }).catch((e) => e)
    expect(err).toMatchObject({ name: 'ArgumentError', code: ErrorCode.INVALID_REQUEST, retriable: false })
    expect(err.message).toMatch(/messages\[0\]\.value must be a string, Uint8Array or null/)
    await expect(client.admin().createTopic({ topic: 'x', partitions: 0 })).rejects.toThrow(/partitions must be a positive integer/)
    expect(() => client.producer({ acks: 1, idempotent: true })).toThrow(/needs acks 'all'/)
  })
})

test('examples/produce-consume.mjs runs against the cluster with the built package', async () => {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'examples', 'produce-consume.mjs')], {
    cwd: REPO_ROOT,
    env: { ...process.env, TRIBUTARY_BOOTSTRAP: cluster.bootstrap.join(',') },
  })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (out += d))
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  clearTimeout(timer)
  expect({ code, out }).toMatchObject({ code: 0 })
  expect(out.match(/^consumed /gm)).toHaveLength(10)
  expect(out).toMatch(/group example-billing: lag 0/)
}, 90_000)
