/**
 * /metrics of real broker processes, read as Prometheus would: per-partition and
 * per-topic traffic, log offsets and sizes, per-broker leadership and ISR changes
 * (under-replicated counted once, by the leader), group lag on the coordinator only,
 * Fetch long-poll waits kept out of request latency, the standard process metrics,
 * and the Grafana dashboard asking only for series that exist.
 * One 3-node cluster for the file; tests run in order.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { ApiKey, ErrorCode } from '@tributary/protocol'
import { Tributary } from '@tributary/client'
import { REPO_ROOT, type TestCluster } from './cluster.js'
import { startClusterAndClient, stopClusterAndClient } from './cluster-client.js'

/** A follower paused this long past the lag limit leaves the ISR quickly. */
const LAG_MS = 1_000
let cluster: TestCluster
let client: Tributary

beforeAll(async () => {
  ;({ cluster, client } = await startClusterAndClient({ nodes: 3, logLevel: 'warn', brokerArgs: ['--replica-lag-time-max-ms', String(LAG_MS)] }, 'e2e-metrics'))
}, 60_000)

afterAll(() => stopClusterAndClient(client, cluster), 30_000)

interface Sample { name: string; labels: Record<string, string>; value: number }
interface Scrape { samples: Sample[]; types: Map<string, string> }

/** Parse the Prometheus text format (enough of it for our own output). */
function parse(text: string): Scrape {
  const samples: Sample[] = []
  const types = new Map<string, string>()
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line)
    if (type) types.set(type[1]!, type[2]!)
    if (line === '' || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m) throw new Error(`unparsable metrics line: ${line}`)
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!
    samples.push({ name: m[1]!, labels, value: Number(m[3]) })
  }
  return { samples, types }
}

async function scrape(nodeId: number): Promise<Scrape> {
  const r = await cluster.http(nodeId, '/metrics')
  expect(r.status).toBe(200)
  return parse(r.text)
}

/** The value of one series (labels must all match), or undefined. */
function value(s: Scrape, name: string, labels: Record<string, string> = {}): number | undefined {
  return s.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v))?.value
}

const sumOver = (scrapes: Scrape[], name: string, labels: Record<string, string> = {}): number =>
  scrapes.reduce((n, s) => n + s.samples.filter((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v)).reduce((a, x) => a + x.value, 0), 0)

const all = (): Promise<Scrape[]> => Promise.all([1, 2, 3].map(scrape))

async function leaderOf(topic: string, partition: number): Promise<number> {
  return cluster.waitFor(async () => {
    const t = (await cluster.metadata(1)).topics.find((x) => x.name === topic)
    const leader = t?.partitions.find((p) => p.partition === partition)?.leader ?? -1
    return leader > 0 ? leader : undefined
  }, { message: `a leader for ${topic}-${partition}` })
}

const TOPIC = 'metered'
const RECORDS = 50
const VALUE = 'v'.repeat(100)

test('produce and consume move the partition and topic counters of the leader; every replica reports its log end and size', async () => {
  await client.admin().createTopic({ topic: TOPIC, partitions: 2, replicationFactor: 3 })
  const leader = await leaderOf(TOPIC, 0)
  const p0 = { topic: TOPIC, partition: '0' }
  const before = await scrape(leader)
  expect(value(before, 'tributary_partition_messages_in_total', p0) ?? 0).toBe(0)

  const producer = client.producer({ acks: 'all' })
  for (let i = 0; i < RECORDS; i += 10) {
    await producer.send({ topic: TOPIC, messages: Array.from({ length: 10 }, () => ({ value: VALUE, partition: 0 })) })
  }
  await producer.close()

  const after = await scrape(leader)
  expect(value(after, 'tributary_partition_messages_in_total', p0)).toBe(RECORDS)
  const bytesIn = value(after, 'tributary_partition_bytes_in_total', p0)!
  expect(bytesIn).toBeGreaterThan(RECORDS * VALUE.length)
  expect(value(after, 'tributary_topic_messages_in_total', { topic: TOPIC })).toBe(RECORDS)
  expect(value(after, 'tributary_topic_bytes_in_total', { topic: TOPIC })).toBe(bytesIn)
  // Every replica (the followers once they have copied it) reports the same log end and size.
  await cluster.waitFor(async () => {
    const s = await all()
    return s.every((x) => value(x, 'tributary_partition_log_end_offset', p0) === RECORDS && value(x, 'tributary_partition_log_size_bytes', p0) === bytesIn)
  }, { message: `every replica of ${TOPIC}-0 at log end ${RECORDS}, ${bytesIn} bytes` })
  expect(value(after, 'tributary_partition_high_watermark', p0)).toBe(RECORDS)

  const consumer = client.consumer({ fromBeginning: true, maxWaitTimeInMs: 100 })
  let got = 0
  consumer.assign([{ topic: TOPIC, partition: 0, offset: 0 }])
  void consumer.run({ eachMessage: async () => void got++ })
  try {
    await cluster.waitFor(() => got >= RECORDS, { message: `${RECORDS} records consumed (have ${got})` })
  } finally {
    await consumer.disconnect()
  }
  const read = await scrape(leader)
  expect(value(read, 'tributary_partition_messages_out_total', p0)).toBeGreaterThanOrEqual(RECORDS)
  expect(value(read, 'tributary_partition_bytes_out_total', p0)).toBeGreaterThanOrEqual(bytesIn)
  expect(value(read, 'tributary_topic_messages_out_total', { topic: TOPIC })).toBe(value(read, 'tributary_partition_messages_out_total', p0))
})

test('leader and partition counts add up across brokers; nothing is under-replicated', async () => {
  const m = await cluster.metadata(1)
  const partitions = m.topics.reduce((n, t) => n + t.partitions.length, 0)
  const replicas = m.topics.reduce((n, t) => n + t.partitions.reduce((k, p) => k + p.replicas.length, 0), 0)
  await cluster.waitFor(async () => {
    const s = await all()
    return sumOver(s, 'tributary_leader_partitions') === partitions && sumOver(s, 'tributary_partitions') === replicas && sumOver(s, 'tributary_under_replicated_partitions') === 0
  }, { message: `${partitions} leaders and ${replicas} replicas in /metrics, none under-replicated` })
  const s = await all()
  for (const x of s) expect(value(x, 'tributary_cluster_partitions')).toBe(partitions)
  expect(sumOver(s, 'tributary_active_controller')).toBe(1)
})

test('group lag and committed offsets are reported by the group coordinator only', async () => {
  const group = 'metered-group'
  const committed = 20
  await client.admin().setOffsets({ groupId: group, topic: TOPIC, partitions: [{ partition: 0, offset: committed }] })
  const coordinator = (await cluster.request(1, ApiKey.FindCoordinator, { key: group, keyType: 0 })).body.nodeId as number
  const labels = { group, topic: TOPIC, partition: '0' }
  await cluster.waitFor(async () => value(await scrape(coordinator), 'tributary_group_lag', labels) === RECORDS - committed, { message: `lag ${RECORDS - committed} on coordinator ${coordinator}` })
  const s = await all()
  expect(value(s[coordinator - 1]!, 'tributary_group_committed_offset', labels)).toBe(committed)
  for (const id of [1, 2, 3].filter((x) => x !== coordinator)) {
    expect(value(s[id - 1]!, 'tributary_group_lag', labels)).toBeUndefined()
    expect(value(s[id - 1]!, 'tributary_group_committed_offset', labels)).toBeUndefined()
  }
})

test('a Fetch long poll is counted as wait, not as request latency', async () => {
  const leader = await leaderOf(TOPIC, 1)
  const fetchApi = { api: 'Fetch' }
  const before = await scrape(leader)
  const waitMs = 400
  const r = await cluster.request(leader, ApiKey.Fetch, {
    replicaId: -1, maxWaitMs: waitMs, minBytes: 1, maxBytes: 1024 * 1024,
    topics: [{ topic: TOPIC, partitions: [{ partition: 1, fetchOffset: 0, partitionMaxBytes: 1024 * 1024, currentLeaderEpoch: -1 }] }],
  })
  expect(r.errorCode).toBe(ErrorCode.NONE)
  const after = await scrape(leader)
  const delta = (name: string): number => (value(after, name, fetchApi) ?? 0) - (value(before, name, fetchApi) ?? 0)
  // Our long poll, and possibly a consumer's: the waits sum to at least ours...
  expect(delta('tributary_request_wait_seconds_count')).toBeGreaterThanOrEqual(1)
  expect(delta('tributary_request_wait_seconds_sum')).toBeGreaterThanOrEqual((waitMs - 50) / 1000)
  // ...while the time spent working on it is far below the wait.
  expect(delta('tributary_request_duration_seconds_sum') / delta('tributary_request_duration_seconds_count')).toBeLessThan(waitMs / 2 / 1000)
})

test('a paused follower: the leader counts an ISR shrink and the partition as under-replicated once, then an expansion', async () => {
  const leader = await leaderOf(TOPIC, 0)
  const follower = [1, 2, 3].find((id) => id !== leader)!
  const shrinksBefore = value(await scrape(leader), 'tributary_isr_shrinks_total') ?? 0
  const expandsBefore = value(await scrape(leader), 'tributary_isr_expands_total') ?? 0
  cluster.pause(follower)
  try {
    // Writes keep the leader's log moving past the paused follower.
    const producer = client.producer({ acks: 1, idempotent: false })
    await producer.send({ topic: TOPIC, messages: [{ value: 'x', partition: 0 }] })
    await cluster.waitFor(async () => (value(await scrape(leader), 'tributary_isr_shrinks_total') ?? 0) > shrinksBefore, { message: `an ISR shrink on leader ${leader}` })
    await producer.close()
    const live = [1, 2, 3].filter((id) => id !== follower)
    // Each partition with a replica on the paused node is counted once, by its leader; every node agrees on the cluster-wide count.
    await cluster.waitFor(async () => {
      const s = await Promise.all(live.map(scrape))
      const clusterWide = value(s[0]!, 'tributary_cluster_under_replicated_partitions')
      return clusterWide !== undefined && clusterWide > 0 && s.every((x) => value(x, 'tributary_cluster_under_replicated_partitions') === clusterWide) && sumOver(s, 'tributary_under_replicated_partitions') === clusterWide
    }, { message: 'under-replicated partitions summed over leaders = the cluster-wide count' })
    expect(value(await scrape(leader), 'tributary_partition_leader', { topic: TOPIC, partition: '0' })).toBe(1)
  } finally {
    cluster.resume(follower)
  }
  await cluster.waitFor(async () => (value(await scrape(leader), 'tributary_isr_expands_total') ?? 0) > expandsBefore, { message: `an ISR expansion on leader ${leader}` })
  await cluster.waitFor(async () => sumOver(await all(), 'tributary_under_replicated_partitions') === 0, { message: 'nothing under-replicated after resume' })
})

test('process metrics under the standard names, and every metric the Grafana dashboard queries exists', async () => {
  const s = await scrape(1)
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
    expect({ name, present: s.types.has(name) }).toEqual({ name, present: true })
  }
  const dashboard = JSON.parse(await readFile(path.join(REPO_ROOT, 'deploy', 'grafana', 'dashboards', 'tributary.json'), 'utf8')) as { panels: Array<{ targets?: Array<{ expr: string }> }> }
  const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr)
  expect(exprs.length).toBeGreaterThan(10)
  const exported = (name: string): boolean => s.types.has(name) || s.types.has(name.replace(/_(bucket|sum|count)$/, ''))
  const wanted = new Set(exprs.flatMap((e) => [...e.matchAll(/\b((?:tributary|process|nodejs)_\w+)/g)].map((m) => m[1]!)))
  for (const name of wanted) expect({ name, exported: exported(name) }).toEqual({ name, exported: true })
})
