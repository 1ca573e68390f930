/**
 * Incremental fetch sessions (KIP-227) and the node-wide memory budgets on real
 * broker processes: followers and an SDK consumer over many partitions read
 * everything through sessions, and /metrics reports the sessions and every
 * budget (set by broker flags) with its use.
 */
import { Tributary, type ConsumedMessage } from '@tributary/client'
import { startCluster, type TestCluster } from './cluster.js'

const TOPIC = 'sessions'
const PARTITIONS = 60
const TAIL_CACHE_BYTES = 24 * 1024 * 1024
let cluster: TestCluster
let client: Tributary

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3, logLevel: 'warn', brokerArgs: ['--tail-cache-bytes', String(TAIL_CACHE_BYTES), '--fetch-session-cache-partitions', '5000'] })
  client = new Tributary({ brokers: cluster.bootstrap, clientId: 'e2e-fetch-sessions' })
}, 60_000)

afterAll(async () => {
  await client?.close()
  await cluster?.stop()
}, 30_000)

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
    const used = await metric(id, 'tributary_memory_used_bytes', { pool: 'tail_cache' })
    expect(used).toBeGreaterThan(0) // the records just written are cached at the tail
    expect(used).toBeLessThanOrEqual(TAIL_CACHE_BYTES)
  }
})
