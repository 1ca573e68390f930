/**
 * The Kafka listener (issue #18) on a real 3-node cluster, each node's Kafka port
 * picked by the OS: KafkaJS 2.2.4's admin and producer (acks all, keys, headers,
 * timestamps) with the records read back by the Tributary SDK (same key, value,
 * headers, timestamp, offset, partition by murmur2); and raw frames from our own
 * schema table for what a library hides: Fetch of those bytes, ListOffsets,
 * request order, no answer to acks=0, UNSUPPORTED_VERSION, and a bad frame that
 * closes only its own connection. One cluster for the file; tests leave it up.
 * KafkaJS consumer groups are in kafka-groups.test.ts.
 */
import { createRequire } from 'node:module'
import { decodeRecordBatch, encodeRecordBatch, ErrorCode } from '@tributary/protocol'
import { Tributary, partitionForKey, text, type ConsumedMessage } from '@tributary/client'
import { freePort, startCluster, type TestCluster } from './cluster.js'
import { RawKafka } from './kafka-wire.js'

const require = createRequire(import.meta.url)
const { Kafka, logLevel, CompressionTypes } = require('kafkajs')

let cluster: TestCluster
let client: Tributary
let kafkaPorts: number[]
let kafkajs: any

beforeAll(async () => {
  kafkaPorts = []
  while (kafkaPorts.length < 3) {
    const p = await freePort()
    if (!kafkaPorts.includes(p)) kafkaPorts.push(p)
  }
  cluster = await startCluster({ nodes: 3, logLevel: 'warn', brokerArgs: (id) => ['--kafka-listen', `127.0.0.1:${kafkaPorts[id - 1]}`] })
  client = new Tributary({ brokers: cluster.bootstrap, clientId: 'e2e-kafka-listener' })
  kafkajs = new Kafka({ clientId: 'e2e-kafkajs', brokers: kafkaPorts.map((p) => `127.0.0.1:${p}`), logLevel: logLevel.NOTHING, retry: { retries: 8 } })
}, 60_000)

afterAll(async () => {
  await client?.close()
  await cluster?.stop()
}, 30_000)

async function readAll(topic: string, count: number): Promise<ConsumedMessage[]> {
  const got: ConsumedMessage[] = []
  const consumer = client.consumer({ fromBeginning: true, maxWaitTimeInMs: 100 })
  await consumer.subscribe({ topics: [topic] })
  await consumer.run({ eachMessage: async ({ message }) => void got.push(message) })
  try {
    await cluster.waitFor(() => got.length >= count, { timeoutMs: 30_000, message: `${count} messages of ${topic} (have ${got.length})` })
  } finally {
    await consumer.disconnect()
  }
  return got
}

test('KafkaJS admin sees every broker at its Kafka address and creates a topic', async () => {
  const admin = kafkajs.admin()
  await admin.connect()
  try {
    const described = await admin.describeCluster()
    expect(described.brokers.map((b: any) => [b.nodeId, b.host, b.port]).sort()).toEqual([1, 2, 3].map((id) => [id, '127.0.0.1', kafkaPorts[id - 1]]))
    expect(described.controller).toBeGreaterThan(0)
    expect(await admin.createTopics({ topics: [{ topic: 'kjs-admin', numPartitions: 4, replicationFactor: 3 }], waitForLeaders: true })).toBe(true)
    expect(await admin.createTopics({ topics: [{ topic: 'kjs-admin', numPartitions: 4, replicationFactor: 3 }] })).toBe(false) // exists already
    const md = await admin.fetchTopicMetadata({ topics: ['kjs-admin'] })
    expect(md.topics[0].partitions).toHaveLength(4)
    for (const p of md.topics[0].partitions) expect(p.replicas.sort()).toEqual([1, 2, 3])
    // The SDK sees the same topic.
    expect((await client.admin().describeTopic('kjs-admin')).partitions).toHaveLength(4)
  } finally {
    await admin.disconnect()
  }
})

test('KafkaJS produces keys, values, headers and timestamps with acks all; the SDK reads exactly them', async () => {
  const topic = 'kjs-produce'
  await client.admin().createTopic({ topic, partitions: 3, replicationFactor: 3 })
  const producer = kafkajs.producer()
  await producer.connect()
  const sent = Array.from({ length: 30 }, (_, i) => ({ key: `key-${i % 7}`, value: `value-${i}`, headers: { seq: String(i), source: 'kafkajs' }, timestamp: String(1_700_000_000_000 + i) }))
  const results: any[] = []
  try {
    for (let i = 0; i < sent.length; i += 10) results.push(...(await producer.send({ topic, acks: -1, messages: sent.slice(i, i + 10) })))
  } finally {
    await producer.disconnect()
  }
  for (const r of results) expect(r.errorCode).toBe(0)

  const got = await readAll(topic, sent.length)
  expect(got).toHaveLength(sent.length)
  const byValue = new Map(got.map((m) => [text(m.value!), m]))
  const nextOffset = new Map<number, number>()
  for (const s of sent) {
    const m = byValue.get(s.value)!
    expect(m).toBeDefined()
    expect(text(m.key!)).toBe(s.key)
    expect(m.partition).toBe(partitionForKey(s.key, 3)) // KafkaJS's default partitioner is murmur2, as ours
    expect(Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, text(v!)]))).toEqual(s.headers)
    expect(m.timestamp).toBe(Number(s.timestamp))
    // Within a partition, records keep send order at consecutive offsets from 0.
    expect(m.offset).toBe(nextOffset.get(m.partition) ?? 0)
    nextOffset.set(m.partition, m.offset + 1)
  }

  const admin = kafkajs.admin()
  await admin.connect()
  try {
    const offsets = await admin.fetchTopicOffsets(topic) // ListOffsets latest and earliest
    for (const o of offsets) {
      expect(Number(o.high)).toBe(nextOffset.get(o.partition) ?? 0)
      expect(Number(o.low)).toBe(0)
    }
  } finally {
    await admin.disconnect()
  }
})

test('KafkaJS gzip batches are accepted and read back by the SDK', async () => {
  const topic = 'kjs-gzip'
  await client.admin().createTopic({ topic, partitions: 1, replicationFactor: 3 })
  const producer = kafkajs.producer()
  await producer.connect()
  try {
    const [r] = await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages: Array.from({ length: 20 }, (_, i) => ({ key: 'g', value: `gzip-${i}`.repeat(20) })) })
    expect([r.errorCode, Number(r.baseOffset)]).toEqual([0, 0])
  } finally {
    await producer.disconnect()
  }
  const got = await readAll(topic, 20)
  expect(got.map((m) => [m.offset, text(m.value!)])).toEqual(Array.from({ length: 20 }, (_, i) => [i, `gzip-${i}`.repeat(20)]))
})

/** The node leading `topic`/`partition` and a raw connection to its Kafka port. */
async function leaderConnection(topic: string, partition: number): Promise<RawKafka> {
  const leader = (await client.admin().describeTopic(topic)).partitions[partition].leader
  return RawKafka.connect('127.0.0.1', kafkaPorts[leader - 1])
}

test('raw frames: Produce v9 and Fetch v12 (flexible) carry RecordBatch v2 bytes unchanged; ListOffsets v6', async () => {
  const topic = 'raw-wire'
  await client.admin().createTopic({ topic, partitions: 1, replicationFactor: 3 })
  const conn = await leaderConnection(topic, 0)
  try {
    const batch = encodeRecordBatch([{ key: 'k', value: 'v1', headers: { h: 'x' }, timestamp: 1_700_000_000_123 }, { key: null, value: 'v2', timestamp: 1_700_000_000_124 }])
    conn.send(0, 9, 1, { acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] })
    const produced = RawKafka.decode(0, 9, await conn.next()) as any
    expect(produced.responses[0].partitionResponses[0]).toMatchObject({ index: 0, errorCode: 0, baseOffset: 0 })

    conn.send(1, 12, 2, { maxWaitMs: 100, minBytes: 1, maxBytes: 1 << 20, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }] })
    const fetched = RawKafka.decode(1, 12, await conn.next()) as any
    const p = fetched.responses[0].partitions[0]
    expect([p.errorCode, p.highWatermark, p.lastStableOffset, fetched.sessionId]).toEqual([0, 2, 2, 0])
    const records = decodeRecordBatch(p.records)
    expect(records.ok && records.value.records.map((r) => [r.offset, r.key && text(r.key), text(r.value!), r.timestamp])).toEqual([
      [0, 'k', 'v1', 1_700_000_000_123],
      [1, null, 'v2', 1_700_000_000_124],
    ])

    conn.send(2, 6, 3, { replicaId: -1, topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -1 }, { partitionIndex: 1, timestamp: -2 }] }] })
    const listed = RawKafka.decode(2, 6, await conn.next()) as any
    expect(listed.topics[0].partitions.map((x: any) => [x.partitionIndex, x.errorCode, x.offset])).toEqual([[0, 0, 2], [1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1]])
  } finally {
    conn.close()
  }
})

test('raw frames: acks=0 gets no response, later answers keep request order', async () => {
  const topic = 'raw-acks0'
  await client.admin().createTopic({ topic, partitions: 1, replicationFactor: 1 })
  const conn = await leaderConnection(topic, 0)
  try {
    const batch = encodeRecordBatch([{ key: null, value: 'fire-and-forget', timestamp: 1 }])
    // A slow Fetch (long poll on an empty offset), an acks=0 produce, then ApiVersions: answers come back Fetch, ApiVersions.
    conn.send(1, 11, 10, { maxWaitMs: 300, minBytes: 1 << 20, maxBytes: 1 << 20, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 5, partitionMaxBytes: 1 << 20 }] }] })
    conn.send(0, 7, 11, { acks: 0, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] })
    conn.send(18, 3, 12, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' })
    expect((await conn.next()).correlationId).toBe(10)
    expect((await conn.next()).correlationId).toBe(12)
    await cluster.waitFor(async () => (await client.admin().fetchTopicOffsets(topic))[0]?.high === 1, { message: 'the acks=0 record is stored' })
  } finally {
    conn.close()
  }
})

test('raw frames: an API or version we lack answers UNSUPPORTED_VERSION (ApiVersions in v0 with our list); the socket stays open', async () => {
  const conn = await RawKafka.connect('127.0.0.1', kafkaPorts[0])
  try {
    // ApiVersions v9: header v1 (apiKey, version, correlation id, null client id), empty body.
    conn.write(Uint8Array.from([0, 0, 0, 10, 0, 18, 0, 9, 0, 0, 0, 21, 0xff, 0xff]))
    const v0 = RawKafka.decode(18, 0, await conn.next()) as any
    expect(v0.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION)
    expect(v0.apiKeys.find((k: any) => k.apiKey === 18)).toEqual({ apiKey: 18, minVersion: 0, maxVersion: 3 })
    expect(v0.apiKeys.map((k: any) => k.apiKey)).toEqual(expect.arrayContaining([0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 19, 42]))
    expect(v0.apiKeys.map((k: any) => k.apiKey)).not.toContain(43)
    // ElectLeaders (43) v0: not served.
    conn.write(Uint8Array.from([0, 0, 0, 10, 0, 43, 0, 0, 0, 0, 0, 22, 0xff, 0xff]))
    const join = await conn.next()
    expect([join.correlationId, Buffer.from(join.bytes).readInt16BE(4)]).toEqual([22, ErrorCode.UNSUPPORTED_VERSION])
    conn.send(3, 1, 23, { topics: null })
    expect((RawKafka.decode(3, 1, await conn.next()) as any).brokers).toHaveLength(3)
  } finally {
    conn.close()
  }
})

test('a bad frame closes only its connection; a 2 GiB size prefix allocates nothing; the node keeps serving', async () => {
  const huge = await RawKafka.connect('127.0.0.1', kafkaPorts[1])
  huge.write(Uint8Array.from([0x7f, 0xff, 0xff, 0xff, 0, 3, 0, 1]))
  await huge.waitClosed()
  const garbage = await RawKafka.connect('127.0.0.1', kafkaPorts[1])
  // Metadata v9 (flexible) whose tag buffer claims 100 bytes that are not there.
  garbage.write(Uint8Array.from([0, 0, 0, 18, 0, 3, 0, 9, 0, 0, 0, 1, 0xff, 0xff, 0, 1, 0, 0, 0, 1, 5, 100]))
  await garbage.waitClosed()
  const ok = await RawKafka.connect('127.0.0.1', kafkaPorts[1])
  try {
    ok.send(18, 3, 1, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' })
    expect((RawKafka.decode(18, 3, await ok.next()) as any).errorCode).toBe(0)
  } finally {
    ok.close()
  }
  expect(cluster.node(2).logs.some((l) => l.includes('kafka listener: bad frame'))).toBe(true)
})
