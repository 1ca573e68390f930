/**
 * The data plane's fault and housekeeping paths with real broker processes (issue
 * #5): live retention (retention.ms, retention.bytes) and compaction (newest value
 * per key, tombstones kept delete.retention.ms) on every replica, seeded random and
 * corrupted Produce bodies refused without moving any log, and a former leader's
 * unreplicated tail truncated when it returns as a follower. One 3-node cluster for
 * the file with every broker-to-broker link through a proxy (so a follower's fetch
 * connection can be cut) and a 200 ms log cleaner; tests leave all nodes up.
 *
 * Topic admin, producing and consuming go through the SDK; raw requests (debug reads
 * of one replica, fetches that must show an error code, fuzz bodies) use the
 * protocol's RpcConnection, the layer the SDK's BrokerConnection wraps.
 */
import { Tributary, text, type ConsumedMessage } from '@tributary/client'
import {
  ApiKey,
  ATTR_DELETE_HORIZON,
  decodeRecordBatch,
  encodeRecordBatch,
  ErrorCode,
  splitBatches,
  type BatchHeader,
  type FetchPartitionResponse,
} from '@tributary/protocol'
import { rpc, startCluster, type TestCluster } from './cluster.js'
import { createFaultNetwork, type FaultNetwork } from './faults/network.js'
import { createPrng, parseSeed } from './faults/prng.js'
import { fuzzCase, produceCodes } from './produce-fuzz.js'

const CLEANER_INTERVAL_MS = 200
/** replicaId of a debugging reader: any replica, up to that replica's own HW. */
const DEBUG_READER = -2
const CONSUMER = -1
const FETCH_BYTES_MAX = 8 << 20
const HOUR_MS = 3_600_000

let cluster: TestCluster
let network: FaultNetwork
let client: Tributary

beforeAll(async () => {
  network = createFaultNetwork()
  cluster = await startCluster({
    nodes: 3,
    logLevel: 'warn',
    beforeStart: (nodes) => network.start(nodes),
    votersFor: (id, nodes) => network.votersFor(id, nodes),
    brokerArgs: ['--log-cleaner-interval-ms', String(CLEANER_INTERVAL_MS)],
  })
  client = new Tributary({ brokers: cluster.bootstrap, clientId: 'e2e-data-plane-faults' })
}, 60_000)

afterAll(async () => {
  await client?.close()
  await cluster?.stop()
  await network?.close()
}, 30_000)

// ------------------------------------------------------------ raw reads of one node

async function fetchAt(nodeId: number, topic: string, offset: number, replicaId: number): Promise<FetchPartitionResponse> {
  // As a broker: replica (debug) reads are cluster-internal.
  const c = await cluster.brokerRpc(nodeId)
  const r = await c.request(ApiKey.Fetch, {
    replicaId, maxWaitMs: 0, minBytes: 0, maxBytes: FETCH_BYTES_MAX,
    topics: [{ topic, partitions: [{ partition: 0, fetchOffset: offset, currentLeaderEpoch: -1, partitionMaxBytes: FETCH_BYTES_MAX }] }],
  }).finally(() => c.close())
  if (r.errorCode !== ErrorCode.NONE) throw new Error(`Fetch from node ${nodeId}: error ${r.errorCode}`)
  return r.body.topics[0].partitions[0]
}

interface Entry { offset: number; key: string | null; value: string | null }
interface ReplicaView {
  logStart: number
  hw: number
  leo: number
  /** the stored batches from the log start up to this replica's HW */
  bytes: Buffer
  batches: BatchHeader[]
  entries: Entry[]
}

function decodeAll(bytes: Uint8Array): { batches: BatchHeader[]; entries: Entry[] } {
  const split = splitBatches(bytes)
  if (!split.ok) throw new Error(split.message)
  const batches: BatchHeader[] = []
  const entries: Entry[] = []
  for (const s of split.value) {
    const d = decodeRecordBatch(s.bytes)
    if (!d.ok) throw new Error(d.message)
    batches.push(d.value.header)
    for (const r of d.value.records) entries.push({ offset: r.offset, key: text(r.key), value: text(r.value) })
  }
  return { batches, entries }
}

/** What one replica holds (debug reads): log start, HW, LEO and every batch below its HW. */
async function replica(nodeId: number, topic: string): Promise<ReplicaView> {
  const head = await fetchAt(nodeId, topic, 0, DEBUG_READER) // below the log start this is OFFSET_OUT_OF_RANGE, which still names it
  if (head.errorCode !== ErrorCode.NONE && head.errorCode !== ErrorCode.OFFSET_OUT_OF_RANGE) throw new Error(`node ${nodeId}: error ${head.errorCode}`)
  const chunks: Uint8Array[] = []
  for (let offset = head.logStartOffset; ;) {
    const r = await fetchAt(nodeId, topic, offset, DEBUG_READER)
    if (r.errorCode !== ErrorCode.NONE) throw new Error(`node ${nodeId} at ${offset}: error ${r.errorCode}`)
    const split = splitBatches(r.records)
    if (!split.ok) throw new Error(split.message)
    if (split.value.length === 0) {
      const bytes = Buffer.concat(chunks)
      // The log start the read began at: retention may move it while we page, and the entries are from here.
      return { logStart: head.logStartOffset, hw: r.highWatermark, leo: r.logEndOffset ?? -1, bytes, ...decodeAll(bytes) }
    }
    chunks.push(r.records)
    const h = split.value[split.value.length - 1]!.header
    offset = h.baseOffset + h.lastOffsetDelta + 1
  }
}

/** Wait until every replica satisfies `cond`; returns the views of nodes 1..3. */
function everyReplica(topic: string, cond: (r: ReplicaView) => boolean, message: string, timeoutMs = 20_000): Promise<ReplicaView[]> {
  return cluster.waitFor(async () => {
    const all = await Promise.all(cluster.nodes.map((n) => replica(n.nodeId, topic)))
    return all.every(cond) ? all : undefined
  }, { timeoutMs, message })
}

const entriesOf = (r: ReplicaView): Array<[number, string | null, string | null]> => r.entries.map((e) => [e.offset, e.key, e.value])
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b)

// ------------------------------------------------------------ SDK helpers

/** Read a topic's only partition from `offset` with a group-less SDK consumer until `count` messages arrived. */
async function consume(topic: string, offset: number, count: number): Promise<ConsumedMessage[]> {
  const got: ConsumedMessage[] = []
  const consumer = client.consumer({ fromBeginning: true, maxWaitTimeInMs: 100 })
  consumer.assign([{ topic, partition: 0, offset }])
  await consumer.run({ eachMessage: async ({ message }) => void got.push(message) })
  try {
    await cluster.waitFor(() => got.length >= count, { timeoutMs: 20_000, message: `${count} messages of ${topic} (have ${got.length})` })
  } finally {
    await consumer.disconnect()
  }
  return got
}

const consumed = (ms: ConsumedMessage[]): Array<[number, string | null, string | null]> => ms.map((m) => [m.offset, text(m.key), text(m.value)])

async function createTopic(topic: string, config: Record<string, string> = {}): Promise<void> {
  await client.admin().createTopic({ topic, partitions: 1, replicationFactor: 3, config })
}

const setTopicConfig = (topic: string, name: string, value: string): Promise<void> =>
  client.admin().alterConfigs({ resources: [{ type: 'topic', name: topic, configs: [{ name, value }] }] })

const leaderOf = async (topic: string): Promise<number> => (await client.admin().describeTopic(topic)).partitions[0]!.leader

// ------------------------------------------------------------ tests

test('retention live: retention.ms, then retention.bytes, move the log start on every replica; reads below it get OFFSET_OUT_OF_RANGE with log start and end', async () => {
  const topic = 'retained'
  await createTopic(topic)
  const producer = client.producer({ lingerMs: 0 })
  const hourAgo = Date.now() - HOUR_MS
  for (let i = 0; i < 3; i++) await producer.send({ topic, messages: [{ value: `old-${i}`, timestamp: hourAgo + i }] })
  for (let i = 0; i < 2; i++) await producer.send({ topic, messages: [{ value: `new-${i}` }] })
  const initial = await everyReplica(topic, (r) => r.hw === 5, 'HW 5 on every replica')
  for (const r of initial) expect(r.logStart).toBe(0) // the default retention.ms is 7 days

  await setTopicConfig(topic, 'retention.ms', '60000') // live: no restart, the next cleaner pass applies it
  const afterMs = await everyReplica(topic, (r) => r.logStart === 3, 'log start 3 on every replica')
  for (const r of afterMs) expect(entriesOf(r)).toEqual([[3, null, 'new-0'], [4, null, 'new-1']])
  const leader = await leaderOf(topic)
  expect(await fetchAt(leader, topic, 0, CONSUMER)).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, logStartOffset: 3, logEndOffset: 5 })
  expect(await client.admin().fetchTopicOffsets(topic)).toEqual([{ partition: 0, offset: 5, high: 5, low: 3 }])
  expect(consumed(await consume(topic, 0, 2))).toEqual([[3, null, 'new-0'], [4, null, 'new-1']]) // reset to the new earliest

  for (let i = 2; i < 6; i++) await producer.send({ topic, messages: [{ value: `new-${i}` }] })
  const full = await everyReplica(topic, (r) => r.hw === 9, 'HW 9 on every replica')
  const sizes = splitBatchSizes(full[0]!.bytes)
  expect(new Set(sizes).size).toBe(1) // one record of the same length per batch: every batch is the same size
  await setTopicConfig(topic, 'retention.bytes', String(2 * sizes[0]!)) // the newest two batches fit
  const afterBytes = await everyReplica(topic, (r) => r.logStart === 7, 'log start 7 on every replica')
  for (const r of afterBytes) expect(entriesOf(r)).toEqual([[7, null, 'new-4'], [8, null, 'new-5']])
  expect(await fetchAt(leader, topic, 5, CONSUMER)).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, logStartOffset: 7, logEndOffset: 9 })
  expect((await producer.send({ topic, messages: [{ value: 'after' }] }))[0]!.offset).toBe(9)
  await producer.close()
}, 60_000)

function splitBatchSizes(bytes: Uint8Array): number[] {
  const split = splitBatches(bytes)
  if (!split.ok) throw new Error(split.message)
  return split.value.map((s) => s.bytes.length)
}

test('compaction live: every replica keeps only the newest value per key at its offset; a tombstone (even one with an old timestamp) stays delete.retention.ms, then goes', async () => {
  const topic = 'compacted'
  const deleteRetentionMs = 3000 // the window in which a consumer must read the tombstone below
  await createTopic(topic, { 'cleanup.policy': 'compact', 'delete.retention.ms': String(deleteRetentionMs) })
  const producer = client.producer({ lingerMs: 0 })
  await producer.send({ topic, messages: [{ key: 'k1', value: 'v1' }, { key: 'k2', value: 'v2' }] }) // 0-1
  await producer.send({ topic, messages: [{ key: 'k1', value: 'v3' }, { key: 'k3', value: 'v4' }] }) // 2-3
  const tombstoneAckedAt = Date.now()
  await producer.send({ topic, messages: [{ key: 'k2', value: null, timestamp: Date.now() - HOUR_MS }] }) // 4

  const withTombstone = [[2, 'k1', 'v3'], [3, 'k3', 'v4'], [4, 'k2', null]]
  const compacted = await everyReplica(topic, (r) => r.hw === 5 && same(entriesOf(r), withTombstone), 'compacted, tombstone kept, on every replica')
  // The cleaner kept the hour-old tombstone and stamped its batch with a delete horizon (KIP-534).
  const horizons = compacted.map((r) => {
    const h = r.batches[r.batches.length - 1]!
    expect(h.attributes & ATTR_DELETE_HORIZON).toBe(ATTR_DELETE_HORIZON)
    expect(h.baseTimestamp).toBeGreaterThanOrEqual(tombstoneAckedAt + deleteRetentionMs)
    return h.baseTimestamp
  })
  expect(consumed(await consume(topic, 0, 3))).toEqual(withTombstone) // a consumer sees the tombstone meanwhile

  const gone = await everyReplica(topic, (r) => r.entries.length === 2, 'tombstone dropped on every replica', 20_000)
  expect(Date.now()).toBeGreaterThanOrEqual(Math.min(...horizons))
  for (const r of gone) expect([entriesOf(r), r.leo]).toEqual([[[2, 'k1', 'v3'], [3, 'k3', 'v4']], 5])
  expect((await producer.send({ topic, messages: [{ key: 'k1', value: 'v5' }] }))[0]!.offset).toBe(5) // offsets never move
  await producer.close()
}, 60_000)

test('produce fuzz against a real leader: seeded random and corrupted bodies all get errors; no replica moves; the broker keeps serving', async () => {
  const topic = 'fuzzed'
  const maxMessageBytes = 4096
  await createTopic(topic, { 'max.message.bytes': String(maxMessageBytes) })
  const producer = client.producer({ lingerMs: 0 })
  expect((await producer.send({ topic, messages: [{ value: 'first' }] }))[0]!.offset).toBe(0)
  const before = await everyReplica(topic, (r) => r.hw === 1, 'HW 1 on every replica')
  const leader = await leaderOf(topic)
  const seed = parseSeed(process.env.TRIBUTARY_FUZZ_SEED, 5_005)
  const prng = createPrng(seed)
  const seen = new Map<string, number>()
  const conn = await rpc(cluster.node(leader).url)
  try {
    for (let i = 0; i < 400; i++) {
      const c = fuzzCase(prng, topic, maxMessageBytes)
      const codes = produceCodes(await conn.request(ApiKey.Produce, c.body))
      const ok = codes.length > 0 && codes.every((code) => (c.expect === null ? code !== ErrorCode.NONE : code === c.expect))
      if (!ok) throw new Error(`seed ${seed} case ${i} (${c.kind}): got codes [${codes}], want ${c.expect ?? 'non-zero'}`)
      seen.set(c.kind, (seen.get(c.kind) ?? 0) + 1)
    }
  } finally {
    conn.close()
  }
  console.log(`produce fuzz, seed ${seed}: ${[...seen].map(([k, n]) => `${k} ${n}`).join(', ')}`)
  const after = await Promise.all(cluster.nodes.map((n) => replica(n.nodeId, topic)))
  for (const [i, r] of after.entries()) expect([r.leo, r.hw, r.bytes.equals(before[i]!.bytes)]).toEqual([1, 1, true])
  for (const n of cluster.nodes) {
    expect(n.process).not.toBeNull()
    expect((await cluster.http(n.nodeId, '/healthz')).status).toBe(200)
  }
  expect((await producer.send({ topic, messages: [{ value: 'next' }] }))[0]!.offset).toBe(1)
  await producer.close()
}, 60_000)

test('a former leader with an unreplicated tail restarts as a follower and truncates it; the divergent records never reach a consumer', async () => {
  const topic = 'diverged'
  await createTopic(topic)
  const first = (await client.admin().describeTopic(topic)).partitions[0]!
  const old = first.leader
  const followers = first.replicas.filter((r) => r !== old)
  const producer = client.producer({ lingerMs: 0 })
  expect((await producer.send({ topic, messages: [{ value: 'a' }, { value: 'b' }] })).map((m) => m.offset)).toEqual([0, 1])
  await cluster.waitFor(async () => (await Promise.all(followers.map((f) => replica(f, topic)))).every((r) => r.hw === 2), { message: 'both followers at HW 2' })

  try {
    // Stopped followers leave no quorum, so the ISR cannot shrink and the HW stays 2;
    // cutting their links to the leader drops any fetch parked there, so nothing
    // written from now on can reach them.
    for (const f of followers) cluster.pause(f)
    for (const f of followers) network.link(f, old).set('cut')
    const tail = await cluster.request(old, ApiKey.Produce, { acks: 1, timeoutMs: 5000, topics: [{ topic, partitions: [{ partition: 0, records: encodeRecordBatch([{ value: 'lost1' }, { value: 'lost2' }]) }] }] })
    expect(tail.body.topics[0].partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 2 })
    const held = await replica(old, topic)
    expect([held.hw, held.leo]).toEqual([2, 4])
    const visible = await fetchAt(old, topic, 0, CONSUMER)
    expect(decodeAll(visible.records).entries.map((e) => e.value)).toEqual(['a', 'b']) // consumers read below the HW only
    await cluster.kill(old)
  } finally {
    network.heal()
    for (const f of followers) cluster.resume(f)
  }

  const next = await cluster.waitFor(async () => {
    const p = (await cluster.metadata(followers[0]!)).topics.find((t) => t.name === topic)?.partitions[0]
    return p && followers.includes(p.leader) && p.leaderEpoch > first.leaderEpoch ? p : undefined
  }, { timeoutMs: 30_000, message: 'a follower elected leader' })
  expect((await producer.send({ topic, messages: [{ value: 'c' }, { value: 'd' }, { value: 'e' }] })).map((m) => m.offset)).toEqual([2, 3, 4])

  await cluster.restart(old)
  await cluster.waitFor(async () => (await cluster.metadata(next.leader)).topics.find((t) => t.name === topic)?.partitions[0]?.isr.length === 3, { timeoutMs: 30_000, message: `node ${old} back in the ISR` })
  const all = await everyReplica(topic, (r) => r.hw === 5 && r.leo === 5, 'every replica at HW = LEO = 5')
  for (const r of all) expect(r.bytes.equals(all[0]!.bytes)).toBe(true)
  expect(all[0]!.entries.map((e) => e.value)).toEqual(['a', 'b', 'c', 'd', 'e'])
  expect(consumed(await consume(topic, 0, 5)).map(([, , v]) => v)).toEqual(['a', 'b', 'c', 'd', 'e'])
  await producer.close()
}, 90_000)
