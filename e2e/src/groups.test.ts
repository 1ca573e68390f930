/**
 * Consumer groups with real broker processes and the client SDK: three
 * consumers split a 6-partition topic 2/2/2 through the coordinator's
 * server-side assignment, and committed offsets survive kill -9 of the
 * coordinator (they live in the replicated __consumer_offsets topic), also
 * after the killed node restarts and the next coordinator is killed in turn.
 * One 3-node cluster for the whole file; tests run in order and build on it.
 */
import { ApiKey, ErrorCode, type OffsetFetchResponse } from '@tributary/protocol'
import { Tributary, type Consumer } from '@tributary/client'
import type { TestCluster } from './cluster.js'
import { startClusterAndClient, stopClusterAndClient } from './cluster-client.js'
import { coordinatorOf } from './coordinator.js'

const GROUP = 'billing'
const TOPIC = 'orders'
const PARTITIONS = 6
const MESSAGES = 600

let cluster: TestCluster
let client: Tributary
let consumers: Consumer[] = []
const seen = new Map<string, number>()

beforeAll(async () => {
  ;({ cluster, client } = await startClusterAndClient({ nodes: 3, logLevel: 'warn' }, 'e2e-groups'))
}, 60_000)

afterAll(() => stopClusterAndClient(client, cluster), 30_000)

async function produce(from: number, count: number): Promise<void> {
  const producer = client.producer({ acks: 'all' })
  const messages = Array.from({ length: count }, (_, i) => ({ key: `k${from + i}`, value: `m${from + i}` }))
  await producer.send({ topic: TOPIC, messages })
  await producer.disconnect()
}

/** Committed offsets as the group's current coordinator serves them. */
async function committedOffsets(groupId: string): Promise<Map<number, number>> {
  return cluster.waitFor(async () => {
    const coordinator = await coordinatorOf(cluster, groupId)
    const r = await cluster.request<OffsetFetchResponse>(coordinator, ApiKey.OffsetFetch, { groupId, topics: null }).catch(() => undefined)
    if (!r || r.errorCode !== ErrorCode.NONE) return undefined
    return new Map(r.body.topics.filter((t) => t.topic === TOPIC).flatMap((t) => t.partitions.map((p) => [p.partition, p.offset] as [number, number])))
  }, { message: `committed offsets of ${groupId}` })
}

test('three consumers of a 6-partition topic split it 2/2/2 and read every message', async () => {
  await client.admin().createTopic({ topic: TOPIC, partitions: PARTITIONS, replicationFactor: 3 })
  await produce(0, MESSAGES)
  consumers = [0, 1, 2].map(() => client.consumer({ groupId: GROUP, fromBeginning: true, sessionTimeoutMs: 6000, autoCommitIntervalMs: 200 }))
  for (const c of consumers) {
    await c.subscribe({ topics: [TOPIC] })
    void c.run({
      eachMessage: async ({ message }) => {
        const v = String(message.value)
        seen.set(v, (seen.get(v) ?? 0) + 1)
      },
    })
  }
  await cluster.waitFor(() => {
    const sizes = consumers.map((c) => c.assignment().length)
    const all = new Set(consumers.flatMap((c) => c.assignment().map((tp) => tp.partition)))
    return sizes.every((n) => n === 2) && all.size === PARTITIONS
  }, { message: 'a 2/2/2 assignment', timeoutMs: 30_000 })
  await cluster.waitFor(() => seen.size === MESSAGES, { message: `all ${MESSAGES} messages consumed`, timeoutMs: 30_000 })

  const meta = await cluster.request(1, ApiKey.Metadata, { topics: ['__consumer_offsets'], includeInternal: true })
  const offsetsTopic = meta.body.topics[0]
  expect([offsetsTopic.internal, offsetsTopic.partitions.length]).toEqual([true, 16])
  for (const p of offsetsTopic.partitions) expect(p.replicas).toHaveLength(3)

  const group = await client.admin().describeGroup(GROUP)
  expect(group.state).toBe('stable')
  expect(group.members.map((m) => m.assignment.flatMap((t) => t.partitions).length)).toEqual([2, 2, 2])
}, 90_000)

test('kill -9 of the coordinator: every committed offset is there on the new coordinator, and consumption goes on', async () => {
  const ends = await client.admin().fetchTopicOffsets(TOPIC)
  const expected = new Map(ends.map((e) => [e.partition, e.high]))
  expect([...expected.values()].reduce((a, b) => a + b)).toBe(MESSAGES)
  // Autocommit brings every partition's committed offset to its end.
  await cluster.waitFor(async () => {
    const c = await committedOffsets(GROUP)
    return [...expected].every(([p, end]) => c.get(p) === end)
  }, { message: 'every partition committed to its end', timeoutMs: 20_000 })
  const before = await committedOffsets(GROUP)

  const old = await coordinatorOf(cluster, GROUP)
  const killedAt = Date.now()
  await cluster.kill(old, 'SIGKILL')
  const next = await cluster.waitFor(async () => {
    const id = await coordinatorOf(cluster, GROUP)
    return id !== old ? id : undefined
  }, { message: 'a new coordinator', timeoutMs: 20_000 })
  expect(next).not.toBe(old)
  expect(await committedOffsets(GROUP)).toEqual(before)
  if (process.env.TRIBUTARY_E2E_TIMINGS === '1') console.log(`offsets served by node ${next} ${Date.now() - killedAt} ms after kill -9 of node ${old}`)

  // The members move to the new coordinator and keep consuming.
  await produce(MESSAGES, 60)
  await cluster.waitFor(() => seen.size === MESSAGES + 60, { message: 'the 60 new messages consumed after failover', timeoutMs: 30_000 })
  await cluster.waitFor(async () => {
    const c = await committedOffsets(GROUP)
    return [...c.values()].reduce((a, b) => a + b, 0) === MESSAGES + 60
  }, { message: 'the new messages committed on the new coordinator', timeoutMs: 20_000 })
}, 120_000)

test('the killed coordinator restarts and catches up; kill -9 of the next coordinator still loses no committed offset', async () => {
  const down = cluster.nodes.filter((n) => !n.process).map((n) => n.nodeId)
  expect(down).toHaveLength(1)
  await cluster.restart(down[0]!)
  await cluster.waitFor(async () => {
    const meta = await cluster.request(down[0]!, ApiKey.Metadata, { topics: ['__consumer_offsets'], includeInternal: true })
    const parts: Array<{ isr: number[] }> = meta.body.topics[0]?.partitions ?? []
    return parts.length === 16 && parts.every((p) => p.isr.length === 3)
  }, { message: 'every __consumer_offsets partition back to 3 in-sync replicas', timeoutMs: 30_000 })
  const before = await committedOffsets(GROUP)
  expect([...before.values()].reduce((a, b) => a + b, 0)).toBe(MESSAGES + 60)

  const current = await coordinatorOf(cluster, GROUP)
  await cluster.kill(current, 'SIGKILL')
  await cluster.waitFor(async () => (await coordinatorOf(cluster, GROUP)) !== current, { message: 'another coordinator', timeoutMs: 20_000 })
  expect(await committedOffsets(GROUP)).toEqual(before)
  await produce(MESSAGES + 60, 30)
  await cluster.waitFor(() => seen.size === MESSAGES + 90, { message: 'the 30 new messages consumed', timeoutMs: 30_000 })
  await cluster.restart(current)
}, 120_000)
