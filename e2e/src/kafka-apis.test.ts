/**
 * The Kafka listener's newer APIs as raw frames from our schema table, on a
 * real 3-node cluster without an authorizer: Fetch v13+ by the topic ids
 * Metadata v12 gives out (a stale id after delete/re-create answers
 * UNKNOWN_TOPIC_ID), FindCoordinator v4 batches, DescribeQuorum, the SCRAM user
 * APIs (the same users the WebSocket listener sees), DescribeProducers, the ACL APIs answering
 * SECURITY_DISABLED without `--authorizer acl`, and transactions answering
 * UNSUPPORTED_VERSION on an open socket. The ACL APIs with an authorizer are
 * in kafka-security.test.ts (KafkaJS's admin).
 */
import { pbkdf2Sync, randomBytes } from 'node:crypto'
import { decodeRecordBatch, ErrorCode, ZERO_UUID } from '@tributary/protocol'
import { Tributary, text } from '@tributary/client'
import type { TestCluster } from './cluster.js'
import { stopClusterAndClient } from './cluster-client.js'
import { startKafkaClusterAndClient } from './kafka-cluster.js'
import { RawKafka } from './kafka-wire.js'

let cluster: TestCluster
let client: Tributary
let kafkaPorts: number[]

beforeAll(async () => {
  ;({ cluster, client, kafkaPorts } = await startKafkaClusterAndClient('e2e-kafka-apis'))
}, 60_000)

afterAll(() => stopClusterAndClient(client, cluster), 30_000)

async function leaderConnection(topic: string): Promise<RawKafka> {
  const leader = (await client.admin().describeTopic(topic)).partitions[0].leader
  return RawKafka.connect('127.0.0.1', kafkaPorts[leader - 1])
}

/** The topic's id as Metadata v12 gives it to a Kafka client. */
async function topicIdOf(conn: RawKafka, topic: string, correlationId: number): Promise<string> {
  conn.send(3, 12, correlationId, { topics: [{ topicId: ZERO_UUID, name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
  const t = (RawKafka.decode(3, 12, await conn.next()) as any).topics[0]
  expect([t.name, t.errorCode]).toEqual([topic, 0])
  return t.topicId
}

const fetchById = (topicId: string) => ({
  maxWaitMs: 100, minBytes: 1, maxBytes: 1 << 20, sessionId: 0, sessionEpoch: -1,
  topics: [{ topicId, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '',
})

test('Fetch v13-v17 name topics by the ids Metadata v12 gives; an unknown or stale id answers UNKNOWN_TOPIC_ID', async () => {
  const topic = 'by-id'
  await client.admin().createTopic({ topic, partitions: 1, replicationFactor: 3 })
  const producer = client.producer()
  await producer.send({ topic, messages: [{ key: 'k', value: 'one' }, { key: 'k', value: 'two' }] })
  await producer.close()
  const conn = await leaderConnection(topic)
  try {
    const id = await topicIdOf(conn, topic, 1)
    expect(id).not.toBe(ZERO_UUID)
    for (const version of [13, 16, 17]) {
      conn.send(1, version, 10 + version, fetchById(id))
      const r = RawKafka.decode(1, version, await conn.next()) as any
      expect([r.errorCode, r.responses.length, r.responses[0].topicId]).toEqual([0, 1, id])
      const p = r.responses[0].partitions[0]
      expect([p.errorCode, p.highWatermark]).toEqual([0, 2])
      const batch = decodeRecordBatch(p.records)
      expect(batch.ok && batch.value.records.map((x) => text(x.value!))).toEqual(['one', 'two'])
    }
    const unknown = Buffer.from(randomBytes(16)).toString('base64url')
    conn.send(1, 13, 40, fetchById(unknown))
    const r = RawKafka.decode(1, 13, await conn.next()) as any
    expect(r.responses.map((t: any) => [t.topicId, t.partitions[0].errorCode])).toEqual([[unknown, ErrorCode.UNKNOWN_TOPIC_ID]])

    // Deleted and created again under the same name: a new id; the old one must not reach the new topic.
    await client.admin().deleteTopic(topic)
    await cluster.waitFor(async () => !(await client.admin().listTopics()).includes(topic), { message: `${topic} deleted` })
    await client.admin().createTopic({ topic, partitions: 1, replicationFactor: 3 })
    const again = await leaderConnection(topic)
    try {
      const newId = await topicIdOf(again, topic, 50)
      expect(newId).not.toBe(id)
      again.send(1, 13, 51, fetchById(id))
      expect((RawKafka.decode(1, 13, await again.next()) as any).responses[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID)
      again.send(1, 13, 52, fetchById(newId))
      expect((RawKafka.decode(1, 13, await again.next()) as any).responses[0].partitions[0]).toMatchObject({ errorCode: 0, highWatermark: 0 })
    } finally {
      again.close()
    }
  } finally {
    conn.close()
  }
})

test('DescribeProducers v0: the leader lists the idempotent producer it holds, with its epoch and last sequence; a follower answers NOT_LEADER_OR_FOLLOWER', async () => {
  const topic = 'producers'
  await client.admin().createTopic({ topic, partitions: 1, replicationFactor: 3 })
  const producer = client.producer({ idempotent: true, acks: 'all' })
  for (let i = 0; i < 3; i++) await producer.send({ topic, messages: [{ value: `p${i}` }, { value: `q${i}` }] })
  await producer.close()
  const { leader, replicas } = (await client.admin().describeTopic(topic)).partitions[0]
  const conn = await RawKafka.connect('127.0.0.1', kafkaPorts[leader - 1])
  const follower = await RawKafka.connect('127.0.0.1', kafkaPorts[replicas.find((r: number) => r !== leader)! - 1])
  try {
    conn.send(61, 0, 1, { topics: [{ name: topic, partitionIndexes: [0, 7] }] })
    const [p0, p7] = (RawKafka.decode(61, 0, await conn.next()) as any).topics[0].partitions
    expect([p0.partitionIndex, p0.errorCode, p0.activeProducers.length]).toEqual([0, 0, 1])
    expect(p0.activeProducers[0]).toMatchObject({ producerEpoch: 0, lastSequence: 5, coordinatorEpoch: -1, currentTxnStartOffset: -1 })
    expect(p0.activeProducers[0].producerId).toBeGreaterThanOrEqual(0)
    expect([p7.partitionIndex, p7.errorCode]).toEqual([7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION])
    follower.send(61, 0, 2, { topics: [{ name: topic, partitionIndexes: [0] }] })
    expect((RawKafka.decode(61, 0, await follower.next()) as any).topics[0].partitions[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER)
  } finally {
    conn.close()
    follower.close()
  }
})

test('FindCoordinator v4 answers a batch of keys, each with its Kafka address or its own error', async () => {
  const conn = await RawKafka.connect('127.0.0.1', kafkaPorts[0])
  try {
    let r: any
    let correlationId = 100
    // COORDINATOR_NOT_AVAILABLE (retriable) until __consumer_offsets exists: ask again, as clients do.
    await cluster.waitFor(async () => {
      conn.send(10, 4, ++correlationId, { keyType: 0, coordinatorKeys: ['group-a', 'group-b', 'group-c'] })
      r = RawKafka.decode(10, 4, await conn.next())
      expect(r.coordinators.map((c: any) => c.key)).toEqual(['group-a', 'group-b', 'group-c'])
      return r.coordinators.every((c: any) => c.errorCode !== ErrorCode.COORDINATOR_NOT_AVAILABLE)
    }, { message: 'the group coordinators are available' })
    for (const c of r.coordinators) {
      expect(c.errorCode).toBe(0)
      expect(c.port).toBe(kafkaPorts[c.nodeId - 1])
    }
    // The same answer as v3 gives for one key.
    conn.send(10, 3, 2, { key: 'group-b', keyType: 0 })
    expect((RawKafka.decode(10, 3, await conn.next()) as any).nodeId).toBe(r.coordinators[1].nodeId)
    // Transaction coordinators (key type 1): no transactions, an error per key, the socket stays open.
    conn.send(10, 6, 3, { keyType: 1, coordinatorKeys: ['tx-1', 'tx-2'] })
    const tx = RawKafka.decode(10, 6, await conn.next()) as any
    expect(tx.coordinators.map((c: any) => [c.key, c.errorCode !== 0, c.nodeId])).toEqual([['tx-1', true, -1], ['tx-2', true, -1]])
  } finally {
    conn.close()
  }
})

test('Fetch v13 with a fetch session: the session answers what moved under its topic id, a deleted topic answers UNKNOWN_TOPIC_ID and is forgotten by id', async () => {
  const [stay, go] = ['session-stay', 'session-go']
  for (const topic of [stay, go]) await client.admin().createTopic({ topic, partitions: 1, replicationFactor: 1, assignments: [[1]] })
  const conn = await RawKafka.connect('127.0.0.1', kafkaPorts[0])
  try {
    const [stayId, goId] = [await topicIdOf(conn, stay, 1), await topicIdOf(conn, go, 2)]
    const at = (topicId: string, fetchOffset: number) => ({ topicId, partitions: [{ partition: 0, fetchOffset, partitionMaxBytes: 1 << 20 }] })
    const send = async (correlationId: number, body: Record<string, unknown>) => {
      conn.send(1, 13, correlationId, { ...fetchById(stayId), maxWaitMs: 0, minBytes: 0, ...body })
      return RawKafka.decode(1, 13, await conn.next()) as any
    }
    // a full fetch makes a new session each time: the first that finds both partitions led by node 1 is the one kept
    let full: any
    await cluster.waitFor(async () => {
      full = await send(3, { sessionEpoch: 0, topics: [at(stayId, 0), at(goId, 0)] })
      return full.responses.every((t: any) => t.partitions[0].errorCode === 0)
    }, { message: 'both partitions led by node 1' })
    expect(full.errorCode).toBe(0)
    expect(full.sessionId).toBeGreaterThan(0)
    expect(full.responses.map((t: any) => t.topicId)).toEqual([stayId, goId])

    const producer = client.producer()
    await producer.send({ topic: go, messages: [{ value: 'news' }] })
    await producer.close()
    // the incremental fetch names nothing: the session answers the partition that moved, by its id
    const moved = await send(4, { sessionId: full.sessionId, sessionEpoch: 1, topics: [] })
    expect(moved.sessionId).toBe(full.sessionId)
    expect(moved.responses.map((t: any) => [t.topicId, t.partitions[0].highWatermark])).toEqual([[goId, 1]])

    await client.admin().deleteTopic(go)
    // deleted as node 1 itself sees it (its metadata may trail the controller's)
    let correlationId = 100
    await cluster.waitFor(async () => {
      conn.send(3, 12, ++correlationId, { topics: [{ topicId: ZERO_UUID, name: go }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
      return (RawKafka.decode(3, 12, await conn.next()) as any).topics[0].errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    }, { message: `${go} deleted on node 1` })
    const gone = await send(5, { sessionId: full.sessionId, sessionEpoch: 2, topics: [at(goId, 1)] })
    expect(gone.responses.map((t: any) => [t.topicId, t.partitions[0].errorCode])).toEqual([[goId, ErrorCode.UNKNOWN_TOPIC_ID]])
    const forgotten = await send(6, { sessionId: full.sessionId, sessionEpoch: 3, topics: [], forgottenTopicsData: [{ topicId: goId, partitions: [0] }] })
    expect([forgotten.errorCode, forgotten.responses]).toEqual([0, []])
  } finally {
    conn.close()
  }
})

test('DescribeQuorum v2 (KIP-853) lists the voters with Kafka\'s zero directory id and each voter as a node at the address the quorum reaches it', async () => {
  const conn = await RawKafka.connect('127.0.0.1', kafkaPorts[0])
  try {
    conn.send(55, 2, 1, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] })
    const r = RawKafka.decode(55, 2, await conn.next()) as any
    expect([r.errorCode, r.errorMessage]).toEqual([0, null])
    const p = r.topics[0].partitions[0]
    expect(p.currentVoters.map((v: any) => [v.replicaId, v.replicaDirectoryId]).sort()).toEqual([[1, ZERO_UUID], [2, ZERO_UUID], [3, ZERO_UUID]])
    const ports = new Map(cluster.bootstrap.map((url, i) => [i + 1, Number(new URL(url).port)]))
    expect(r.nodes.map((n: any) => [n.nodeId, n.listeners]).sort()).toEqual([1, 2, 3].map((id) => [id, [{ name: 'CONTROLLER', host: '127.0.0.1', port: ports.get(id) }]]))
  } finally {
    conn.close()
  }
})

test('DescribeQuorum v1 describes __cluster_metadata partition 0 as the controller leader sees it; another partition is unknown', async () => {
  const conn = await RawKafka.connect('127.0.0.1', kafkaPorts[2])
  try {
    conn.send(55, 1, 1, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] })
    const r = RawKafka.decode(55, 1, await conn.next()) as any
    expect(r.errorCode).toBe(0)
    const p = r.topics[0].partitions[0]
    expect(p.errorCode).toBe(0)
    expect([1, 2, 3]).toContain(p.leaderId)
    expect(p.currentVoters.map((v: any) => v.replicaId).sort()).toEqual([1, 2, 3])
    expect(p.highWatermark).toBeGreaterThan(0)
    const quorum = await client.admin().describeQuorum()
    expect(p.leaderId).toBe(quorum.leaderId)

    conn.send(55, 0, 2, { topics: [{ topicName: 'other', partitions: [{ partitionIndex: 3 }] }] })
    const other = RawKafka.decode(55, 0, await conn.next()) as any
    expect(other.topics[0].partitions[0]).toMatchObject({ partitionIndex: 3, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })
  } finally {
    conn.close()
  }
})

test('AlterUserScramCredentials v0 upserts and deletes users that DescribeUserScramCredentials and the SDK both see', async () => {
  const conn = await RawKafka.connect('127.0.0.1', kafkaPorts[1])
  try {
    const salt = randomBytes(16)
    const saltedPassword = pbkdf2Sync('secret', salt, 4096, 32, 'sha256')
    conn.send(51, 0, 1, { deletions: [], upsertions: [{ name: 'carol', mechanism: 1, iterations: 4096, salt, saltedPassword }] })
    expect((RawKafka.decode(51, 0, await conn.next()) as any).results).toEqual([{ user: 'carol', errorCode: 0, errorMessage: null }])
    await cluster.waitFor(async () => {
      conn.send(50, 0, 2, { users: [{ name: 'carol' }] })
      const d = RawKafka.decode(50, 0, await conn.next()) as any
      return d.results[0]?.errorCode === 0 && d.results[0].credentialInfos[0]?.iterations === 4096
    }, { message: 'carol described on the Kafka port' })
    expect((await client.admin().describeUsers()).map((u) => u.user)).toContain('carol')

    conn.send(51, 0, 3, { deletions: [{ name: 'carol', mechanism: 1 }], upsertions: [] })
    expect((RawKafka.decode(51, 0, await conn.next()) as any).results[0].errorCode).toBe(0)
    await cluster.waitFor(async () => {
      conn.send(50, 0, 4, { users: [{ name: 'carol' }] })
      return (RawKafka.decode(50, 0, await conn.next()) as any).results[0]?.errorCode === ErrorCode.RESOURCE_NOT_FOUND
    }, { message: 'carol gone' })
  } finally {
    conn.close()
  }
})

test('the ACL APIs answer SECURITY_DISABLED in their own shape without an authorizer; transactions answer UNSUPPORTED_VERSION', async () => {
  const conn = await RawKafka.connect('127.0.0.1', kafkaPorts[0])
  try {
    const filter = { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 }
    conn.send(29, 3, 1, filter)
    expect(RawKafka.decode(29, 3, await conn.next())).toMatchObject({ errorCode: ErrorCode.SECURITY_DISABLED, resources: [] })
    conn.send(30, 2, 2, { creations: [{ resourceType: 2, resourceName: 't', resourcePatternType: 3, principal: 'User:a', host: '*', operation: 3, permissionType: 3 }] })
    expect((RawKafka.decode(30, 2, await conn.next()) as any).results).toEqual([{ errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: expect.stringMatching(/authorizer/) }])
    conn.send(31, 1, 3, { filters: [filter] })
    expect((RawKafka.decode(31, 1, await conn.next()) as any).filterResults[0].errorCode).toBe(ErrorCode.SECURITY_DISABLED)

    // AddPartitionsToTxn (24), EndTxn (26), TxnOffsetCommit (28), DescribeTransactions (65): header v1, empty bodies.
    for (const [key, correlationId] of [[24, 4], [26, 5], [28, 6], [65, 7]]) {
      conn.write(Uint8Array.from([0, 0, 0, 10, 0, key, 0, 0, 0, 0, 0, correlationId, 0xff, 0xff]))
      const r = await conn.next()
      expect([r.correlationId, Buffer.from(r.bytes).readInt16BE(4)]).toEqual([correlationId, ErrorCode.UNSUPPORTED_VERSION])
    }
    conn.send(18, 3, 8, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' })
    const versions = RawKafka.decode(18, 3, await conn.next()) as any
    const advertised = new Map(versions.apiKeys.map((k: any) => [k.apiKey, [k.minVersion, k.maxVersion]]))
    expect([1, 10, 29, 30, 31, 50, 51, 55, 61].map((k) => advertised.get(k))).toEqual([[4, 17], [0, 6], [0, 3], [0, 3], [0, 3], [0, 0], [0, 0], [0, 2], [0, 0]])
    expect(advertised.has(24)).toBe(false)
  } finally {
    conn.close()
  }
})
