/**
 * The data plane with real broker processes (issue #5): RF 3 acks=all, identical
 * replicas, kill -9 of a leader under idempotent writes, a paused follower leaving
 * and rejoining the ISR, and min.insync.replicas with a broker down. One 3-node
 * cluster for the file; tests run in order and leave all three nodes up.
 */
import { ApiKey, ErrorCode, RpcConnection, decodeRecordBatch, encodeRecordBatch, splitBatches, type FetchPartitionResponse, type MetadataResponse } from '@tributary/protocol'
import { startCluster, type TestCluster } from './cluster.js'

let cluster: TestCluster
const conns = new Map<number, RpcConnection>()

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3, logLevel: 'warn' })
}, 60_000)

afterAll(async () => {
  for (const c of conns.values()) c.close()
  await cluster?.stop()
})

/** A live connection to a node, reopened after it closed (kill -9, restart). */
async function conn(nodeId: number): Promise<RpcConnection> {
  const c = conns.get(nodeId)
  if (c && !c.closed) return c
  // As a broker: some reads here are replica (debug) reads, which only brokers may make.
  const fresh = await cluster.brokerRpc(nodeId, { requestTimeoutMs: 15_000 })
  conns.set(nodeId, fresh)
  return fresh
}

const liveIds = (): number[] => cluster.nodes.filter((n) => n.process).map((n) => n.nodeId)

async function createTopic(name: string, configs: Record<string, string> = {}): Promise<void> {
  const r = await cluster.request(liveIds()[0]!, ApiKey.CreateTopics, { topics: [{ name, numPartitions: 1, replicationFactor: 3, configs }], timeoutMs: 10_000 })
  expect(r.body.topics[0].errorCode).toBe(ErrorCode.NONE)
  await cluster.waitFor(async () => {
    const leader = (await partitionMeta(name)).leader
    if (leader <= 0) return false
    // the leader has applied the topic (metadata answers may come from a node ahead of it)
    const r = await (await conn(leader)).request(ApiKey.ListOffsets, { replicaId: -1, topics: [{ topic: name, partitions: [{ partition: 0, timestamp: -1 }] }] })
    return r.body.topics[0].partitions[0].errorCode === ErrorCode.NONE
  }, { message: `${name} has a serving leader` })
}

async function partitionMeta(topic: string, via = liveIds()[0]!): Promise<MetadataResponse['topics'][number]['partitions'][number]> {
  const m = await cluster.metadata(via)
  const t = m.topics.find((x) => x.name === topic)
  if (!t) throw new Error(`no topic ${topic} yet`)
  return t.partitions[0]!
}

async function produceTo(nodeId: number, topic: string, records: Uint8Array, acks: -1 | 1 = -1, timeoutMs = 10_000) {
  const c = await conn(nodeId)
  const r = await c.request(ApiKey.Produce, { acks, timeoutMs, topics: [{ topic, partitions: [{ partition: 0, records }] }] })
  if (r.errorCode !== 0) return { errorCode: r.errorCode, baseOffset: -1 }
  return r.body.topics[0].partitions[0] as { errorCode: number; baseOffset: number }
}

async function fetchFrom(nodeId: number, topic: string, offset: number, replicaId = -1): Promise<FetchPartitionResponse> {
  const c = await conn(nodeId)
  const r = await c.request(ApiKey.Fetch, {
    replicaId, maxWaitMs: 0, minBytes: 0, maxBytes: 8 << 20,
    topics: [{ topic, partitions: [{ partition: 0, fetchOffset: offset, currentLeaderEpoch: -1, partitionMaxBytes: 8 << 20 }] }],
  })
  expect(r.errorCode).toBe(0)
  return r.body.topics[0].partitions[0]
}

/** A replica's bytes from its log start up to its own HW (debug reads, replicaId -2). */
async function replicaBytes(nodeId: number, topic: string): Promise<{ bytes: Buffer; hw: number }> {
  const first = await fetchFrom(nodeId, topic, 0, -2)
  expect(first.errorCode).toBe(0)
  const chunks: Buffer[] = []
  let offset = first.logStartOffset
  let hw: number
  for (;;) {
    const r = await fetchFrom(nodeId, topic, offset, -2)
    expect(r.errorCode).toBe(0)
    hw = r.highWatermark
    const split = splitBatches(r.records)
    if (!split.ok || split.value.length === 0) break
    chunks.push(Buffer.from(r.records))
    const last = split.value[split.value.length - 1]!.header
    offset = last.baseOffset + last.lastOffsetDelta + 1
  }
  return { bytes: Buffer.concat(chunks), hw }
}

function valuesIn(bytes: Uint8Array): string[] {
  const out: string[] = []
  const split = splitBatches(bytes)
  if (!split.ok) throw new Error(split.message)
  const dec = new TextDecoder()
  for (const s of split.value) {
    const d = decodeRecordBatch(s.bytes)
    if (!d.ok) throw new Error(d.message)
    for (const r of d.value.records) out.push(dec.decode(r.value!))
  }
  return out
}

const batchOf = (values: string[], opts: { producerId?: number; producerEpoch?: number; baseSequence?: number } = {}): Uint8Array =>
  encodeRecordBatch(values.map((v) => ({ value: v })), opts)

test('RF 3, acks=all: 100,000 records in big batches; every replica holds identical bytes below the HW', async () => {
  await createTopic('bulk', { 'min.insync.replicas': '2' })
  const leader = (await partitionMeta('bulk')).leader
  const recordsPerBatch = 1000
  const batches = 100
  const payload = 'p'.repeat(90)
  const encoded = Array.from({ length: batches }, (_, b) => batchOf(Array.from({ length: recordsPerBatch }, (_, i) => `${b * recordsPerBatch + i}:${payload}`)))
  const bytes = encoded.reduce((n, b) => n + b.length, 0)
  const inFlight = 8
  const started = performance.now()
  let next = 0
  const offsets: number[] = []
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < batches) {
      const i = next++
      const r = await produceTo(leader, 'bulk', encoded[i]!)
      expect(r.errorCode).toBe(ErrorCode.NONE)
      offsets[i] = r.baseOffset
    }
  }))
  const seconds = (performance.now() - started) / 1000
  console.log(`acks=all RF3: ${batches * recordsPerBatch} records, ${(bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(2)} s = ${Math.round((batches * recordsPerBatch) / seconds)} records/s, ${(bytes / 1e6 / seconds).toFixed(1)} MB/s (${inFlight} batches of ${recordsPerBatch} in flight)`)
  expect(new Set(offsets).size).toBe(batches)

  const total = batches * recordsPerBatch
  const replicas = await cluster.waitFor(async () => {
    const all = await Promise.all([1, 2, 3].map((id) => replicaBytes(id, 'bulk')))
    return all.every((r) => r.hw === total) ? all : undefined
  }, { timeoutMs: 20_000, message: 'every replica to reach HW 100000' })
  expect(replicas[0]!.bytes.length).toBe(bytes)
  expect(replicas[1]!.bytes.equals(replicas[0]!.bytes)).toBe(true)
  expect(replicas[2]!.bytes.equals(replicas[0]!.bytes)).toBe(true)
  const values = valuesIn(replicas[0]!.bytes)
  expect(values).toHaveLength(total)
  expect(values.every((v, i) => v.startsWith(`${i}:`))).toBe(true)
}, 120_000)

test('kill -9 the leader under acks=all idempotent writes: every acknowledged record is present exactly once, in order', async () => {
  await createTopic('idem', { 'min.insync.replicas': '2' })
  const pid = await cluster.waitFor(async () => {
    for (const id of liveIds()) {
      const r = await cluster.request(id, ApiKey.InitProducerId, {})
      if (r.errorCode === 0) return r.body as { producerId: number; producerEpoch: number }
    }
    return undefined
  }, { message: 'a producer id' })
  const acked: string[] = []
  let seq = 0
  let killedAt = 0
  let recoveredAt = 0
  let victim = -1
  const batchesTotal = 300
  for (let b = 0; b < batchesTotal; b++) {
    const values = Array.from({ length: 10 }, (_, i) => `b${b}-r${i}`)
    const batch = batchOf(values, { producerId: pid.producerId, producerEpoch: pid.producerEpoch, baseSequence: seq })
    if (b === 100) {
      victim = (await partitionMeta('idem')).leader
      killedAt = Date.now()
      await cluster.kill(victim, 'SIGKILL')
    }
    // retry the same batch (same sequence) until some leader acknowledges it
    await cluster.waitFor(async () => {
      const ids = liveIds()
      const leader = (await partitionMeta('idem', ids[0])).leader
      if (!ids.includes(leader)) return false
      const r = await produceTo(leader, 'idem', batch.slice(), -1, 5000)
      if (r.errorCode === ErrorCode.NONE) return true
      if (![ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.REQUEST_TIMED_OUT, ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION].includes(r.errorCode as never)) {
        throw new Error(`unexpected produce error ${r.errorCode}`)
      }
      return false
    }, { timeoutMs: 20_000, intervalMs: 20, message: `batch ${b} acknowledged` })
    if (killedAt > 0 && recoveredAt === 0) recoveredAt = Date.now()
    acked.push(...values)
    seq += values.length
  }
  console.log(`leader ${victim} killed: acks=all writes accepted again after ${recoveredAt - killedAt} ms`)
  const leader = (await partitionMeta('idem')).leader
  const log = await cluster.waitFor(async () => {
    const r = await replicaBytes(leader, 'idem')
    return r.hw === acked.length ? r : undefined
  }, { message: 'HW to cover every acknowledged record' })
  expect(valuesIn(log.bytes)).toEqual(acked)
  await cluster.restart(victim)
  await cluster.waitFor(async () => (await partitionMeta('idem')).isr.length === 3, { timeoutMs: 20_000, message: `node ${victim} back in the ISR` })
  // the killed leader truncated whatever it held beyond the new leader's log: all three agree
  const all = await cluster.waitFor(async () => {
    const r = await Promise.all([1, 2, 3].map((id) => replicaBytes(id, 'idem')))
    return r.every((x) => x.hw === acked.length) ? r : undefined
  }, { message: 'every replica at the final HW' })
  for (const r of all) expect(r.bytes.equals(log.bytes)).toBe(true)
}, 120_000)

test('SIGSTOP a follower: it leaves the ISR, writes continue with min.insync.replicas=2; SIGCONT: it catches up and rejoins', async () => {
  await createTopic('pause', { 'min.insync.replicas': '2' })
  const meta = await partitionMeta('pause')
  const follower = meta.replicas.find((r) => r !== meta.leader)!
  expect(await produceTo(meta.leader, 'pause', batchOf(['before']))).toMatchObject({ errorCode: ErrorCode.NONE })
  cluster.pause(follower)
  try {
    const pausedAt = Date.now()
    const r = await produceTo(meta.leader, 'pause', batchOf(['during-0']), -1, 15_000)
    expect(r.errorCode).toBe(ErrorCode.NONE)
    console.log(`follower ${follower} paused: acks=all write answered after ${Date.now() - pausedAt} ms`)
    const shrunk = await partitionMeta('pause', meta.leader)
    expect(shrunk.isr).not.toContain(follower)
    for (let i = 1; i < 50; i++) expect(await produceTo(meta.leader, 'pause', batchOf([`during-${i}`]))).toMatchObject({ errorCode: ErrorCode.NONE })
  } finally {
    cluster.resume(follower)
  }
  await cluster.waitFor(async () => (await partitionMeta('pause', meta.leader)).isr.includes(follower), { timeoutMs: 20_000, message: `node ${follower} rejoins the ISR` })
  const [a, b] = await cluster.waitFor(async () => {
    const both = await Promise.all([replicaBytes(meta.leader, 'pause'), replicaBytes(follower, 'pause')])
    return both[0].hw === 51 && both[1].hw === 51 ? both : undefined
  }, { message: 'follower caught up' })
  expect(b.bytes.equals(a.bytes)).toBe(true)
}, 60_000)

test('min.insync.replicas=3 with one broker down: acks=all gets NOT_ENOUGH_REPLICAS, acks=1 still works', async () => {
  await createTopic('strict', { 'min.insync.replicas': '3' })
  const meta = await partitionMeta('strict')
  expect(await produceTo(meta.leader, 'strict', batchOf(['all-three']))).toMatchObject({ errorCode: ErrorCode.NONE })
  const victim = meta.replicas.find((r) => r !== meta.leader)!
  await cluster.kill(victim, 'SIGKILL')
  await cluster.waitFor(async () => !(await partitionMeta('strict', meta.leader)).isr.includes(victim), { timeoutMs: 15_000, message: `node ${victim} out of the ISR` })
  const r = await cluster.waitFor(async () => {
    const x = await produceTo(meta.leader, 'strict', batchOf(['refused']))
    return x.errorCode === ErrorCode.NOT_ENOUGH_REPLICAS ? x : undefined
  }, { message: 'NOT_ENOUGH_REPLICAS' })
  expect(r.baseOffset).toBe(-1)
  expect(await produceTo(meta.leader, 'strict', batchOf(['one']), 1)).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 1 })
  await cluster.restart(victim)
  await cluster.waitFor(async () => (await partitionMeta('strict')).isr.length === 3, { timeoutMs: 20_000, message: 'ISR back to 3' })
  expect(await produceTo((await partitionMeta('strict')).leader, 'strict', batchOf(['again']))).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 2 })
}, 60_000)
