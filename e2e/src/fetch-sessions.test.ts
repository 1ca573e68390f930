/**
 * Incremental fetch sessions (KIP-227) and the node-wide memory budgets on real
 * broker processes: followers and an SDK consumer over many partitions read
 * everything through sessions, and /metrics reports the sessions and every
 * budget (set by broker flags) with its use.
 */
import { ErrorCode } from '@tributary/protocol'
import { Tributary, type ConsumedMessage } from '@tributary/client'
import type { TestCluster } from './cluster.js'
import { stopClusterAndClient } from './cluster-client.js'
import { startKafkaClusterAndClient } from './kafka-cluster.js'
import { RawKafka } from './kafka-wire.js'

const TOPIC = 'sessions'
const PARTITIONS = 60
const TAIL_CACHE_BYTES = 24 * 1024 * 1024
let cluster: TestCluster
let client: Tributary
let kafkaPorts: number[]

beforeAll(async () => {
  const flags = ['--tail-cache-bytes', String(TAIL_CACHE_BYTES), '--fetch-session-cache-partitions', '5000']
  ;({ cluster, client, kafkaPorts } = await startKafkaClusterAndClient('e2e-fetch-sessions', { brokerArgs: () => flags }))
}, 60_000)

afterAll(() => stopClusterAndClient(client, cluster), 30_000)

/** One series' value from a node's /metrics (labels all matching), or undefined. */
async function metric(nodeId: number, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const r = await cluster.http(nodeId, '/metrics')
  for (const line of r.text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m || m[1] !== name) continue
    if (Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`))) return Number(m[3])
  }
  return undefined
}

test('a consumer and the followers of 60 partitions read every record through fetch sessions', async () => {
  await client.admin().createTopic({ topic: TOPIC, partitions: PARTITIONS, replicationFactor: 3 })
  const producer = client.producer({ acks: 'all', idempotent: true, lingerMs: 5 })
  const first = Array.from({ length: PARTITIONS }, (_, p) => ({ partition: p, value: `a${p}` }))
  await producer.send({ topic: TOPIC, messages: first })

  const consumer = client.consumer({ maxWaitTimeInMs: 200 })
  consumer.assign(Array.from({ length: PARTITIONS }, (_, p) => ({ topic: TOPIC, partition: p, offset: 0 })))
  const seen: ConsumedMessage[] = []
  const running = consumer.run({ eachMessage: async ({ message }) => void seen.push(message) })
  try {
    await cluster.waitFor(() => seen.length >= PARTITIONS || undefined, { message: 'the first record of every partition' })
    // now most partitions are idle: later fetches are incremental and name only what moved
    const second = Array.from({ length: 10 }, (_, i) => ({ partition: i * 6, value: `b${i * 6}` }))
    await producer.send({ topic: TOPIC, messages: second })
    await cluster.waitFor(() => seen.length >= PARTITIONS + second.length || undefined, { message: 'the second round' })
    const values = seen.map((m) => new TextDecoder().decode(m.value as Uint8Array)).sort()
    expect(values).toEqual([...first, ...second].map((m) => m.value).sort())

    // every broker holds sessions: its two followers' and the consumer's
    for (const id of [1, 2, 3]) {
      await cluster.waitFor(async () => ((await metric(id, 'tributary_fetch_sessions')) ?? 0) >= 3 || undefined, { message: `sessions on node ${id}` })
      expect(await metric(id, 'tributary_fetch_session_partitions')).toBeGreaterThan(0)
    }
  } finally {
    await consumer.disconnect()
    await running.catch(() => {})
    await producer.disconnect()
  }
}, 120_000)

test('/metrics reports each node-wide memory budget, as the broker flags set it, and its use', async () => {
  for (const id of [1, 2, 3]) {
    expect(await metric(id, 'tributary_memory_budget_bytes', { pool: 'tail_cache' })).toBe(TAIL_CACHE_BYTES)
    expect(await metric(id, 'tributary_memory_budget_bytes', { pool: 'fetch_sessions' })).toBeGreaterThan(0)
    expect(await metric(id, 'tributary_memory_budget_bytes', { pool: 'leveldb_write_buffer' })).toBe(32 * 1024 * 1024)
    expect(await metric(id, 'tributary_memory_budget_bytes', { pool: 'producer_state' })).toBeGreaterThan(0)
    const used = await metric(id, 'tributary_memory_used_bytes', { pool: 'tail_cache' })
    expect(used).toBeGreaterThan(0) // the records just written are cached at the tail
    expect(used).toBeLessThanOrEqual(TAIL_CACHE_BYTES)
  }
})

test('a Kafka client\'s fetch session (Fetch v12 by name, v13 by topic id; KIP-227) goes through the Kafka listener: full, incremental, epoch and id errors', async () => {
  const topic = 'kafka-sessions'
  await client.admin().createTopic({ topic, partitions: 2, replicationFactor: 1 })
  const producer = client.producer({ acks: 'all' })
  await producer.send({ topic, messages: [{ partition: 0, value: 'one' }] })
  const leader = (await client.admin().describeTopic(topic)).partitions[0]!.leader
  const conn = await RawKafka.connect('127.0.0.1', kafkaPorts[leader - 1]!)
  let correlationId = 0
  const fetch = async (sessionId: number, sessionEpoch: number, partitions: Array<{ partition: number; fetchOffset: number }>): Promise<any> => {
    const id = ++correlationId
    conn.send(1, 12, id, {
      maxWaitMs: 50, minBytes: 0, maxBytes: 1 << 20, sessionId, sessionEpoch,
      topics: partitions.length === 0 ? [] : [{ topic, partitions: partitions.map((p) => ({ ...p, partitionMaxBytes: 1 << 20 })) }],
    })
    return RawKafka.decode(1, 12, await conn.next())
  }
  const named = (r: any): number[] => r.responses.flatMap((t: any) => t.partitions.map((p: any) => p.partitionIndex)).sort()
  try {
    const full = await fetch(0, 0, [{ partition: 0, fetchOffset: 0 }])
    expect(full.errorCode).toBe(0)
    expect(full.sessionId).toBeGreaterThan(0)
    expect(named(full)).toEqual([0])
    const id = full.sessionId
    // nothing moved: the incremental answer is empty, in the same session
    const quiet = await fetch(id, 1, [{ partition: 0, fetchOffset: 1 }])
    expect([quiet.errorCode, quiet.sessionId, named(quiet)]).toEqual([0, id, []])
    // the session still reads partition 0 from offset 1 without naming it: a new record is answered
    await producer.send({ topic, messages: [{ partition: 0, value: 'two' }] })
    const moved = await fetch(id, 2, [])
    expect(named(moved)).toEqual([0])
    expect(moved.responses[0].partitions[0].highWatermark).toBe(2)
    expect((await fetch(id, 7, [])).errorCode).toBe(ErrorCode.INVALID_FETCH_SESSION_EPOCH)
    expect((await fetch(id + 1000, 1, [])).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
    // sessionless (epoch -1), as KafkaJS and librdkafka fetch: sessionId 0, every partition answered
    const sessionless = await fetch(0, -1, [{ partition: 0, fetchOffset: 2 }, { partition: 1, fetchOffset: 0 }])
    expect([sessionless.sessionId, named(sessionless)]).toEqual([0, [0, 1]])

    // Fetch v13+ (topics by id): the same sessions, the session keeping the topic's id
    conn.send(3, 12, ++correlationId, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
    const topicId = (RawKafka.decode(3, 12, await conn.next()) as any).topics[0].topicId as string
    const byId = (sessionId: number, sessionEpoch: number, fetchOffset: number) => ({ maxWaitMs: 50, minBytes: 0, maxBytes: 1 << 20, sessionId, sessionEpoch, topics: [{ topicId, partitions: [{ partition: 0, fetchOffset, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '' })
    conn.send(1, 13, ++correlationId, byId(0, 0, 0))
    const v13 = RawKafka.decode(1, 13, await conn.next()) as any
    expect([v13.errorCode, v13.sessionId > 0, v13.responses[0].topicId, v13.responses[0].partitions[0].highWatermark]).toEqual([0, true, topicId, 2])
    await producer.send({ topic, messages: [{ partition: 0, value: 'three' }] })
    conn.send(1, 13, ++correlationId, { ...byId(v13.sessionId, 1, 2), topics: [] })
    const v13moved = RawKafka.decode(1, 13, await conn.next()) as any
    expect(v13moved.responses.map((t: any) => [t.topicId, t.partitions[0].partitionIndex, t.partitions[0].highWatermark])).toEqual([[topicId, 0, 3]])
    conn.send(1, 13, ++correlationId, byId(0, 1, 0))
    expect((RawKafka.decode(1, 13, await conn.next()) as any).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
  } finally {
    conn.close()
    await producer.disconnect()
  }
})
