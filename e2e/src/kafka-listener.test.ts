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
import { AUTHORIZED_OPERATIONS_OMITTED, decodeRecordBatch, encodeRecordBatch, ErrorCode, hasOperation, TOPIC_OPERATIONS, type KafkaObject } from '@tributary/protocol'
import { Tributary, partitionForKey, text, type ConsumedMessage } from '@tributary/client'
import type { TestCluster } from './cluster.js'
import { stopClusterAndClient } from './cluster-client.js'
import { kafkajsClient, startKafkaClusterAndClient } from './kafka-cluster.js'
import { RawKafka } from './kafka-wire.js'

const require = createRequire(import.meta.url)
const { CompressionTypes, ConfigResourceTypes } = require('kafkajs')

let cluster: TestCluster
let client: Tributary
let kafkaPorts: number[]
let kafkaBrokers: string[]
let kafkajs: any

beforeAll(async () => {
  ;({ cluster, client, kafkaPorts, kafkaBrokers } = await startKafkaClusterAndClient('e2e-kafka-listener'))
  kafkajs = kafkajsClient('e2e-kafkajs', kafkaBrokers, 8)
}, 60_000)

afterAll(() => stopClusterAndClient(client, cluster), 30_000)

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

test('KafkaJS admin: describe and alter configs (the whole set replaced), add partitions, delete the topic', async () => {
  const topic = 'kjs-configs'
  const admin = kafkajs.admin()
  await admin.connect()
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 3, configEntries: [{ name: 'retention.ms', value: '100000' }] }], waitForLeaders: true })
    const described = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }], includeSynonyms: false })
    expect(described.resources[0].configEntries.map((c: any) => [c.configName, c.configValue, c.isDefault])).toEqual([['retention.ms', '100000', false]])

    // AlterConfigs names cleanup.policy only: retention.ms, set before, goes back to its default.
    await admin.alterConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] })
    await cluster.waitFor(async () => {
      const c = await topicConfigs(topic)
      return c['cleanup.policy'] === 'compact' && c['retention.ms'] === undefined
    }, { message: 'cleanup.policy set and retention.ms reset, as every node sees it' })

    await admin.createPartitions({ topicPartitions: [{ topic, count: 4 }] })
    await cluster.waitFor(async () => (await client.admin().describeTopic(topic)).partitions.length === 4, { message: '4 partitions' })
    await expect(admin.createPartitions({ topicPartitions: [{ topic, count: 5, assignments: [[1]] }] })).rejects.toThrow(/assignment/i)

    await admin.deleteTopics({ topics: [topic] })
    await cluster.waitFor(async () => !(await client.admin().listTopics()).includes(topic), { message: 'the topic is gone' })
  } finally {
    await admin.disconnect()
  }
})

test('KafkaJS idempotent producer: a producer id from InitProducerId, sequences the leader checks, every record once', async () => {
  const topic = 'kjs-idempotent'
  await client.admin().createTopic({ topic, partitions: 1, replicationFactor: 3 })
  const producer = kafkajs.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  try {
    for (let i = 0; i < 4; i++) await producer.send({ topic, acks: -1, messages: Array.from({ length: 5 }, (_, j) => ({ key: 'k', value: `idem-${i * 5 + j}` })) })
  } finally {
    await producer.disconnect()
  }
  const conn = await leaderConnection(topic, 0)
  try {
    conn.send(1, 12, 1, { maxWaitMs: 100, minBytes: 1, maxBytes: 1 << 20, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }] })
    const p = (RawKafka.decode(1, 12, await conn.next()) as any).responses[0].partitions[0]
    const values: string[] = []
    let at = 0
    const seqs: number[] = []
    while (at < p.records.byteLength) {
      const b = decodeRecordBatch(p.records, at)
      if (!b.ok) throw new Error(b.message)
      expect(b.value.header.producerId).toBeGreaterThanOrEqual(0)
      seqs.push(b.value.header.baseSequence)
      for (const r of b.value.records) values.push(text(r.value!) ?? '')
      at += 12 + b.value.header.batchLength
    }
    expect(values).toEqual(Array.from({ length: 20 }, (_, i) => `idem-${i}`))
    expect(seqs).toEqual([0, 5, 10, 15])
  } finally {
    conn.close()
  }
})

test('raw frames: IncrementalAlterConfigs v1 sets and deletes, refuses APPEND; DescribeCluster v1 lists the Kafka addresses; OffsetForLeaderEpoch v4; no transactional ids', async () => {
  const topic = 'raw-admin'
  await client.admin().createTopic({ topic, partitions: 1, replicationFactor: 3 })
  const conn = await leaderConnection(topic, 0)
  try {
    const resource = (configs: object[]) => ({ resources: [{ resourceType: 2, resourceName: topic, configs }], validateOnly: false })
    conn.send(44, 1, 1, resource([{ name: 'retention.ms', configOperation: 0, value: '5000' }]))
    expect((RawKafka.decode(44, 1, await conn.next()) as any).responses).toEqual([{ errorCode: 0, errorMessage: null, resourceType: 2, resourceName: topic }])
    await cluster.waitFor(async () => (await topicConfigs(topic))['retention.ms'] === '5000', { message: 'retention.ms set' })
    conn.send(44, 1, 2, resource([{ name: 'retention.ms', configOperation: 2, value: '1' }]))
    expect((RawKafka.decode(44, 1, await conn.next()) as any).responses[0]).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage: expect.stringMatching(/APPEND/) })
    conn.send(44, 1, 3, resource([{ name: 'retention.ms', configOperation: 1, value: null }]))
    expect((RawKafka.decode(44, 1, await conn.next()) as any).responses[0].errorCode).toBe(0)
    await cluster.waitFor(async () => (await topicConfigs(topic))['retention.ms'] === undefined, { message: 'retention.ms deleted' })

    conn.send(60, 1, 4, { includeClusterAuthorizedOperations: false, endpointType: 1 })
    const described = RawKafka.decode(60, 1, await conn.next()) as any
    expect(described.errorCode).toBe(0)
    expect(described.brokers.map((b: any) => [b.brokerId, b.port]).sort()).toEqual([1, 2, 3].map((id) => [id, kafkaPorts[id - 1]]))

    // KIP-430: asked for, a topic's authorized operations (all of them: this cluster has no authorizer).
    conn.send(3, 12, 7, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: true })
    const ops = (RawKafka.decode(3, 12, await conn.next()) as any).topics[0].topicAuthorizedOperations
    expect(TOPIC_OPERATIONS.every((op) => hasOperation(ops, op))).toBe(true)
    conn.send(3, 12, 8, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
    expect((RawKafka.decode(3, 12, await conn.next()) as any).topics[0].topicAuthorizedOperations).toBe(AUTHORIZED_OPERATIONS_OMITTED)

    const producer = client.producer()
    await producer.send({ topic, messages: [{ value: 'one' }] })
    await producer.close()
    const epoch = (await client.admin().describeTopic(topic)).partitions[0].leaderEpoch
    conn.send(23, 4, 5, { replicaId: -1, topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: epoch, leaderEpoch: epoch }] }] })
    const ofe = (RawKafka.decode(23, 4, await conn.next()) as any).topics[0].partitions[0]
    expect([ofe.errorCode, ofe.leaderEpoch, ofe.endOffset]).toEqual([0, epoch, 1]) // the current epoch ends at the log end

    // No transactions: a transactional id is refused at once.
    conn.send(22, 4, 6, { transactionalId: 'tx-1', transactionTimeoutMs: 60_000 })
    expect(RawKafka.decode(22, 4, await conn.next())).toMatchObject({ errorCode: ErrorCode.UNSUPPORTED_VERSION, producerId: -1 })
  } finally {
    conn.close()
  }
})

test('raw frames: a dynamic broker config (the replication throttle) set by IncrementalAlterConfigs, described by its broker with Kafka\'s config source, replaced by AlterConfigs; an unknown or static name is INVALID_CONFIG', async () => {
  const RATE = 'follower.replication.throttled.rate'
  const to1 = await RawKafka.connect('127.0.0.1', kafkaPorts[0]!)
  const to2 = await RawKafka.connect('127.0.0.1', kafkaPorts[1]!)
  let correlation = 0
  const call = async (conn: RawKafka, apiKey: number, version: number, body: KafkaObject): Promise<any> => {
    conn.send(apiKey, version, ++correlation, body)
    return RawKafka.decode(apiKey, version, await conn.next())
  }
  const describe2 = async (): Promise<any> => (await call(to2, 32, 4, { resources: [{ resourceType: 4, resourceName: '2', configurationKeys: [RATE] }], includeSynonyms: false, includeDocumentation: false })).results[0]
  const broker = (name: string, configs: object[]) => ({ resources: [{ resourceType: 4, resourceName: name, configs }], validateOnly: false })
  try {
    // sent to node 1, about broker 2: any node takes it to the controller
    expect((await call(to1, 44, 1, broker('2', [{ name: RATE, configOperation: 0, value: '1048576' }]))).responses).toEqual([{ errorCode: 0, errorMessage: null, resourceType: 4, resourceName: '2' }])
    await cluster.waitFor(async () => (await describe2()).configs[0]?.value === '1048576', { message: 'broker 2 applies the rate' })
    expect((await describe2()).configs[0]).toMatchObject({ name: RATE, value: '1048576', readOnly: false, configSource: 2 }) // DYNAMIC_BROKER_CONFIG
    // the cluster default, described by any node: only what is set there
    expect((await call(to1, 44, 1, broker('', [{ name: 'leader.replication.throttled.rate', configOperation: 0, value: '7' }]))).responses[0].errorCode).toBe(0)
    await cluster.waitFor(async () => (await call(to1, 32, 4, { resources: [{ resourceType: 4, resourceName: '', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false })).results[0].configs.length === 1, { message: 'the default set' })
    const defaults = (await call(to1, 32, 4, { resources: [{ resourceType: 4, resourceName: '', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false })).results[0]
    expect(defaults.configs.map((c: any) => [c.name, c.value, c.configSource])).toEqual([['leader.replication.throttled.rate', '7', 3]]) // DYNAMIC_DEFAULT_BROKER_CONFIG

    for (const [name, value] of [['no.such.config', '1'], ['node-id', '9'], [RATE, '50MB']]) {
      const r = (await call(to1, 44, 1, broker('2', [{ name, configOperation: 0, value }]))).responses[0]
      expect(r).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage: expect.stringMatching(name === RATE ? /not a rate/ : /not a dynamic broker config/) })
    }
    // AlterConfigs replaces the whole dynamic set: naming nothing removes broker 2's rate (the flag's 0 applies again)
    expect((await call(to2, 33, 2, { resources: [{ resourceType: 4, resourceName: '2', configs: [] }], validateOnly: false })).responses[0].errorCode).toBe(0)
    await cluster.waitFor(async () => (await describe2()).configs[0]?.configSource === 5, { message: 'broker 2 back to the default' })
    expect((await describe2()).configs[0]).toMatchObject({ value: '0', configSource: 5 })
    expect((await call(to1, 44, 1, broker('', [{ name: 'leader.replication.throttled.rate', configOperation: 1, value: null }]))).responses[0].errorCode).toBe(0)
  } finally {
    to1.close()
    to2.close()
  }
})

/** The configs set on a topic (not its defaults), as the SDK reads them. */
async function topicConfigs(topic: string): Promise<Record<string, string | null>> {
  const [r] = await client.admin().describeConfigs({ resources: [{ type: 'topic', name: topic }] })
  return Object.fromEntries(r!.configs.filter((c) => c.source === 'topic').map((c) => [c.name, c.value]))
}

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
