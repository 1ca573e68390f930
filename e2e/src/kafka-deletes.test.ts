/**
 * DeleteRecords (21) and OffsetDelete (47) on a real 3-node cluster, through
 * the Kafka port (KafkaJS's deleteTopicRecords, raw frames from our schema
 * table) and the SDK's admin: the log start moves on the leader and its
 * followers (it survives a kill -9 of the leader), past the high watermark is
 * OFFSET_OUT_OF_RANGE, and a group's offsets go only for topics its members
 * do not consume (GROUP_SUBSCRIBED_TO_TOPIC otherwise), for an SDK
 * (consumer-protocol) group and a KafkaJS (classic) one.
 */
import { ErrorCode } from '@tributary/protocol'
import { Tributary, type TributaryError } from '@tributary/client'
import type { TestCluster } from './cluster.js'
import { stopClusterAndClient } from './cluster-client.js'
import { kafkajsClient, startKafkaClusterAndClient } from './kafka-cluster.js'
import { RawKafka } from './kafka-wire.js'


let cluster: TestCluster
let client: Tributary
let kafkaPorts: number[]
let kafkaBrokers: string[]
let kafkajs: any

beforeAll(async () => {
  ;({ cluster, client, kafkaPorts, kafkaBrokers } = await startKafkaClusterAndClient('e2e-kafka-deletes'))
  kafkajs = kafkajsClient('e2e-kafkajs-deletes', kafkaBrokers, 8)
}, 60_000)

afterAll(() => stopClusterAndClient(client, cluster), 30_000)

const lows = async (topic: string) => (await client.admin().fetchTopicOffsets(topic)).map((o) => [o.partition, o.low, o.high])
/** A Kafka connection to the group's coordinator, found with FindCoordinator v1. */
async function coordinatorOf(groupId: string): Promise<RawKafka> {
  const any = await RawKafka.connect('127.0.0.1', kafkaPorts[0])
  try {
    any.send(10, 1, 1, { key: groupId, keyType: 0 })
    const found = RawKafka.decode(10, 1, await any.next()) as any
    expect(found.errorCode).toBe(ErrorCode.NONE)
    return await RawKafka.connect('127.0.0.1', found.port)
  } finally {
    any.close()
  }
}

const failure = (p: Promise<unknown>) => p.then(() => null, (e: TributaryError) => e.code)

test('DeleteRecords: KafkaJS moves each partition\'s log start on its leader; past the high watermark is OFFSET_OUT_OF_RANGE; the followers keep it when the leader is killed', async () => {
  const topic = 'trimmed'
  await client.admin().createTopic({ topic, partitions: 2, replicationFactor: 3 })
  const producer = client.producer({ acks: 'all' })
  for (const partition of [0, 1]) await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ partition, value: `${partition}-${i}` })) })

  const admin = kafkajs.admin()
  await admin.connect()
  try {
    await admin.fetchTopicMetadata({ topics: [topic] }) // KafkaJS routes by the metadata it has loaded
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '4' }, { partition: 1, offset: '-1' }] })
  } finally {
    await admin.disconnect()
  }
  expect(await lows(topic)).toEqual([[0, 4, 10], [1, 10, 10]])

  const { leader } = (await client.admin().describeTopic(topic)).partitions[0]
  const conn = await RawKafka.connect('127.0.0.1', kafkaPorts[leader - 1])
  try {
    conn.send(21, 2, 1, { topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset: 11 }, { partitionIndex: 0, offset: 2 }] }], timeoutMs: 1000 })
    const answered = (RawKafka.decode(21, 2, await conn.next()) as any).topics[0].partitions
    expect(answered.map((p: any) => [p.partitionIndex, Number(p.lowWatermark), p.errorCode])).toEqual([[0, -1, ErrorCode.OFFSET_OUT_OF_RANGE], [0, 4, ErrorCode.NONE]])
  } finally {
    conn.close()
  }

  // One more acknowledged write: the followers have fetched it, and with it the leader's log start.
  await producer.send({ topic, messages: [{ partition: 0, value: 'after' }] })
  await producer.close()
  await cluster.kill(leader, 'SIGKILL')
  try {
    await cluster.waitFor(async () => {
      const p = (await client.admin().describeTopic(topic)).partitions[0]
      return p.leader !== leader && p.leader > 0
    }, { message: 'a new leader for partition 0', timeoutMs: 30_000 })
    // A follower learns the high watermark from its next fetch, so the new leader may start one record behind
    // until the other follower fetches from it; the log start it kept is what this checks.
    await cluster.waitFor(async () => (await lows(topic))[0]![2] === 11, { message: 'the new leader\'s high watermark reaches 11', timeoutMs: 10_000 })
    expect((await lows(topic))[0]).toEqual([0, 4, 11])
  } finally {
    await cluster.restart(leader)
  }
}, 90_000)

test('the SDK\'s deleteRecords answers each partition\'s new log start; -1 is the high watermark', async () => {
  const topic = 'trimmed-sdk'
  await client.admin().createTopic({ topic, partitions: 2, replicationFactor: 3 })
  const producer = client.producer({ acks: 'all' })
  await producer.send({ topic, messages: Array.from({ length: 6 }, (_, i) => ({ partition: i % 2, value: `v${i}` })) })
  await producer.close()
  expect(await client.admin().deleteRecords({ topic, partitions: [{ partition: 0, offset: 2 }, { partition: 1, offset: -1 }] })).toEqual([
    { partition: 0, lowWatermark: 2 }, { partition: 1, lowWatermark: 3 },
  ])
  expect(await failure(client.admin().deleteRecords({ topic, partitions: [{ partition: 0, offset: 4 }] }))).toBe(ErrorCode.OFFSET_OUT_OF_RANGE)
  expect(await lows(topic)).toEqual([[0, 2, 3], [1, 3, 3]])
}, 60_000)

test('OffsetDelete: refused for a topic a member consumes, done for the others and once the group is empty; an unknown group is GROUP_ID_NOT_FOUND', async () => {
  const [topic, other, groupId] = ['od', 'od-other', 'od-group']
  await client.admin().createTopics({ topics: [{ topic, partitions: 2, replicationFactor: 3 }, { topic: other, partitions: 1, replicationFactor: 3 }] })
  const admin = client.admin()
  await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: 0 }, { partition: 1, offset: 0 }] })
  await admin.setOffsets({ groupId, topic: other, partitions: [{ partition: 0, offset: 0 }] })
  const committed = async () => (await admin.fetchOffsets({ groupId })).map((o) => `${o.topic}-${o.partition}`)

  const consumer = client.consumer({ groupId, autoCommit: false, maxWaitTimeInMs: 100 })
  await consumer.subscribe({ topics: [topic] })
  await consumer.run({ eachMessage: async () => {} })
  await cluster.waitFor(async () => (await admin.describeGroup(groupId)).members.some((m) => m.assignment.length > 0), { message: 'the member holds od', timeoutMs: 20_000 })

  const coordinator = await coordinatorOf(groupId)
  try {
    coordinator.send(47, 0, 2, { groupId, topics: [{ name: topic, partitions: [{ partitionIndex: 0 }, { partitionIndex: 1 }] }, { name: other, partitions: [{ partitionIndex: 0 }] }] })
    const r = RawKafka.decode(47, 0, await coordinator.next()) as any
    expect(r.errorCode).toBe(ErrorCode.NONE)
    expect(r.topics.map((t: any) => [t.name, t.partitions.map((p: any) => [p.partitionIndex, p.errorCode])])).toEqual([
      [topic, [[0, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC], [1, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC]]],
      [other, [[0, ErrorCode.NONE]]],
    ])
    expect(await committed()).toEqual(['od-0', 'od-1'])
  } finally {
    coordinator.close()
  }
  const unknownAt = await coordinatorOf('no-such-group')
  try {
    // The coordinator may still be loading that __consumer_offsets partition (COORDINATOR_LOAD_IN_PROGRESS): ask again, as clients do.
    let correlationId = 3
    const answer = await cluster.waitFor(async () => {
      unknownAt.send(47, 0, ++correlationId, { groupId: 'no-such-group', topics: [{ name: topic, partitions: [{ partitionIndex: 0 }] }] })
      const r = RawKafka.decode(47, 0, await unknownAt.next()) as any
      return r.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ? null : r
    }, { message: 'the coordinator loaded' })
    expect(answer).toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] })
  } finally {
    unknownAt.close()
  }

  expect(await failure(admin.deleteGroupOffsets({ groupId, topic }))).toBe(ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC)
  await consumer.disconnect()
  await admin.deleteGroupOffsets({ groupId, topic, partitions: [1] })
  expect(await committed()).toEqual(['od-0'])
  await admin.deleteGroupOffsets({ groupId, topic })
  expect(await committed()).toEqual([])
  expect(await failure(admin.deleteGroupOffsets({ groupId: 'no-such-group', topic }))).toBe(ErrorCode.GROUP_ID_NOT_FOUND)
}, 60_000)

test('OffsetDelete on a classic group: a KafkaJS member\'s topic is refused while it is in the group, and free once it left', async () => {
  const [topic, other, groupId] = ['od-classic', 'od-classic-other', 'kafkajs-od']
  await client.admin().createTopics({ topics: [{ topic, partitions: 1, replicationFactor: 3 }, { topic: other, partitions: 1, replicationFactor: 3 }] })
  const admin = client.admin()
  await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: 0 }] })
  await admin.setOffsets({ groupId, topic: other, partitions: [{ partition: 0, offset: 0 }] })
  const consumer = kafkajs.consumer({ groupId, maxWaitTimeInMs: 100 })
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: [topic] })
    await consumer.run({ autoCommit: false, eachMessage: async () => {} })
    await cluster.waitFor(async () => (await admin.describeGroup(groupId)).classic?.state === 'Stable', { message: 'the KafkaJS group is stable', timeoutMs: 30_000 })
    const send = async (names: string[]) => {
      const conn = await coordinatorOf(groupId)
      try {
        conn.send(47, 0, 9, { groupId, topics: names.map((name) => ({ name, partitions: [{ partitionIndex: 0 }] })) })
        return (RawKafka.decode(47, 0, await conn.next()) as any).topics.map((t: any) => [t.name, t.partitions[0].errorCode])
      } finally {
        conn.close()
      }
    }
    expect(await send([topic, other])).toEqual([[topic, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC], [other, ErrorCode.NONE]])
    await consumer.disconnect()
    await cluster.waitFor(async () => (await admin.describeGroup(groupId)).members.length === 0, { message: 'the member left' })
    expect(await send([topic])).toEqual([[topic, ErrorCode.NONE]])
    expect(await admin.fetchOffsets({ groupId })).toEqual([])
  } finally {
    await consumer.disconnect()
  }
}, 60_000)

test('ApiVersions advertises DeleteRecords v0-2 and OffsetDelete v0', async () => {
  const conn = await RawKafka.connect('127.0.0.1', kafkaPorts[1])
  try {
    conn.send(18, 3, 1, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' })
    const versions = RawKafka.decode(18, 3, await conn.next()) as any
    const advertised = new Map(versions.apiKeys.map((k: any) => [k.apiKey, [k.minVersion, k.maxVersion]]))
    expect([advertised.get(21), advertised.get(47)]).toEqual([[0, 2], [0, 0]])
  } finally {
    conn.close()
  }
})
