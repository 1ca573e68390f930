/**
 * Consumer-facing reads: Fetch long-poll, the high watermark as the visibility
 * bound, OFFSET_OUT_OF_RANGE, ListOffsets, byte limits, and topic removal.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import { ApiKey, EARLIEST_TIMESTAMP, ErrorCode, LATEST_TIMESTAMP } from '@tributary/protocol'
import { SimCluster, startThreeNodes, waitFor } from './sim-cluster.js'
import { batchOf, fetchFrom, produce, recordsIn } from './sim-client.js'

let cluster: SimCluster | undefined

afterEach(async () => {
  await cluster?.stopAll()
  cluster = undefined
})

const threeNodes = (topicConfigs: Record<string, string> = {}): Promise<SimCluster> =>
  startThreeNodes((c) => { cluster = c }, topicConfigs)

async function listOffsets(c: SimCluster, nodeId: number, timestamp: number, replicaId = -1) {
  const r = await c.node(nodeId).call(ApiKey.ListOffsets, { replicaId, topics: [{ topic: 't', partitions: [{ partition: 0, timestamp }] }] })
  return (r!.body as any).topics[0].partitions[0]
}

describe('fetch', () => {
  it('a long poll parks and wakes as soon as a write is committed, not on a timer', async () => {
    const c = await threeNodes()
    const started = Date.now()
    const parked = fetchFrom(c, 1, 't', 0, 0, { maxWaitMs: 10_000, minBytes: 1 })
    let answered = false
    void parked.then(() => (answered = true))
    await waitFor(() => c.manager(1).partition('t', 0)!.hwSignal.waiting > 0, 1000, 'fetch parked')
    expect(answered).toBe(false)
    await produce(c, 1, 't', 0, batchOf(['hello']))
    const r = await parked
    expect(Date.now() - started).toBeLessThan(2000)
    expect(recordsIn(r.records).map((x) => x.value)).toEqual(['hello'])
    expect(r.highWatermark).toBe(1)
  })

  it('a long poll returns empty at maxWaitMs, and at once when the connection closes', async () => {
    const c = await threeNodes()
    const t0 = Date.now()
    const r = await fetchFrom(c, 1, 't', 0, 0, { maxWaitMs: 100, minBytes: 1 })
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90)
    expect(r).toMatchObject({ errorCode: 0, highWatermark: 0 })
    expect(r.records.length).toBe(0)
    const abort = new AbortController()
    const parked = fetchFrom(c, 1, 't', 0, 0, { maxWaitMs: 30_000, minBytes: 1, signal: abort.signal })
    await waitFor(() => c.manager(1).partition('t', 0)!.hwSignal.waiting > 0, 1000, 'fetch parked')
    abort.abort()
    expect((await parked).records.length).toBe(0)
  })

  it('consumers read strictly below the high watermark; followers up to the LEO', async () => {
    const c = await threeNodes()
    await produce(c, 1, 't', 0, batchOf(['a']))
    c.partition(1, 2)
    c.partition(1, 3)
    await produce(c, 1, 't', 0, batchOf(['uncommitted']), { acks: 1 })
    const consumer = await fetchFrom(c, 1, 't', 0, 0)
    expect(recordsIn(consumer.records).map((x) => x.value)).toEqual(['a'])
    expect(consumer).toMatchObject({ highWatermark: 1, logEndOffset: 2 })
    expect((await fetchFrom(c, 1, 't', 0, 1)).records.length).toBe(0) // between HW and LEO: empty, not an error
    const follower = await fetchFrom(c, 1, 't', 0, 1, { replicaId: 2 })
    expect(recordsIn(follower.records).map((x) => x.value)).toEqual(['uncommitted'])
  })

  it('OFFSET_OUT_OF_RANGE past the log end, with the log start and end', async () => {
    const c = await threeNodes()
    await produce(c, 1, 't', 0, batchOf(['a', 'b']))
    expect(await fetchFrom(c, 1, 't', 0, 3)).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, logStartOffset: 0, logEndOffset: 2 })
    expect(await fetchFrom(c, 1, 't', 0, 2)).toMatchObject({ errorCode: ErrorCode.NONE })
  })

  it('returns whole batches, the first even if larger than maxBytes, and respects maxBytes after it', async () => {
    const c = await threeNodes()
    const big = 'x'.repeat(2000)
    for (let i = 0; i < 5; i++) await produce(c, 1, 't', 0, batchOf([`${i}${big}`]))
    const r = await fetchFrom(c, 1, 't', 0, 0, { maxBytes: 100 })
    expect(recordsIn(r.records).map((x) => x.offset)).toEqual([0])
    const r2 = await fetchFrom(c, 1, 't', 0, 0, { maxBytes: 4500 })
    expect(recordsIn(r2.records).map((x) => x.offset)).toEqual([0, 1])
  })

  it('debug reads (replicaId -2) serve a follower up to its own HW', async () => {
    const c = await threeNodes()
    await produce(c, 1, 't', 0, batchOf(['a', 'b']))
    await waitFor(() => c.manager(3).highWatermark('t', 0) === 2, 1000, 'follower HW')
    const r = await fetchFrom(c, 3, 't', 0, 0, { replicaId: -2 })
    expect(recordsIn(r.records).map((x) => x.value)).toEqual(['a', 'b'])
    expect((await fetchFrom(c, 3, 't', 0, 0)).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER)
  })
})

describe('ListOffsets', () => {
  it('earliest, latest (= HW) and by timestamp', async () => {
    const c = await threeNodes()
    await produce(c, 1, 't', 0, batchOf(['a', 'b'], { timestamp: 1000 }))
    await produce(c, 1, 't', 0, batchOf(['c'], { timestamp: 2000 }))
    await produce(c, 1, 't', 0, batchOf(['d'], { timestamp: 3000 }))
    c.partition(1, 2)
    await produce(c, 1, 't', 0, batchOf(['e'], { timestamp: 4000 }), { acks: 1 })
    expect(await listOffsets(c, 1, EARLIEST_TIMESTAMP)).toMatchObject({ errorCode: 0, offset: 0 })
    expect(await listOffsets(c, 1, LATEST_TIMESTAMP)).toMatchObject({ errorCode: 0, offset: 4, leaderEpoch: 0 })
    expect(await listOffsets(c, 1, 1500)).toMatchObject({ errorCode: 0, offset: 2, timestamp: 2000 })
    expect(await listOffsets(c, 1, 500)).toMatchObject({ errorCode: 0, offset: 0, timestamp: 1000 })
    expect(await listOffsets(c, 1, 3500)).toMatchObject({ errorCode: 0, offset: -1 }) // only above the HW
    expect(await listOffsets(c, 2, LATEST_TIMESTAMP)).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER })
  })
})

describe('produce limits', () => {
  it('refuses a batch over max.message.bytes with MESSAGE_TOO_LARGE', async () => {
    const c = await threeNodes({ 'max.message.bytes': '1000' })
    expect(await produce(c, 1, 't', 0, batchOf(['y'.repeat(2000)]))).toMatchObject({ errorCode: ErrorCode.MESSAGE_TOO_LARGE })
    expect(await produce(c, 1, 't', 0, batchOf(['small']))).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0 })
  })

  it('a corrupted batch is CORRUPT_MESSAGE and nothing of the request is appended', async () => {
    const c = await threeNodes()
    const good = batchOf(['a'])
    const bad = batchOf(['b'])
    bad[bad.length - 1] ^= 0xff
    const both = new Uint8Array(good.length + bad.length)
    both.set(good)
    both.set(bad, good.length)
    expect(await produce(c, 1, 't', 0, both)).toMatchObject({ errorCode: ErrorCode.CORRUPT_MESSAGE })
    expect(c.manager(1).partition('t', 0)!.logEndOffset()).toBe(0)
  })

  it('times out acks=all with REQUEST_TIMED_OUT when the HW does not pass in timeoutMs', async () => {
    const c = await threeNodes()
    c.partition(1, 2)
    expect(await produce(c, 1, 't', 0, batchOf(['a']), { timeoutMs: 50 })).toMatchObject({ errorCode: ErrorCode.REQUEST_TIMED_OUT })
  })
})

describe('topic removal', () => {
  it('deletes every replica\'s local data', async () => {
    const c = await threeNodes()
    await produce(c, 1, 't', 0, batchOf(['a']))
    c.removeTopic('t')
    await waitFor(() => [1, 2, 3].every((id) => c.manager(id).partition('t', 0) === undefined), 1000, 'unhosted')
    for (const id of [1, 2, 3]) await waitFor(async () => (await c.node(id).logStore.list()).length === 0, 1000, 'data deleted')
    expect(await produce(c, 1, 't', 0, batchOf(['a']))).toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })
  })

  it('a replica that was down (or killed mid-deletion) deletes what the image no longer places on it when it starts', async () => {
    const c = await threeNodes()
    const kept = c.createTopic('kept', [[1, 2, 3]])
    const moved = c.createTopic('moved', [[1, 2, 3]])
    for (const topic of ['t', 'kept', 'moved']) {
      await waitFor(() => c.manager(1).isLeader(topic, 0), 1000, `${topic} leader`)
      await produce(c, 1, topic, 0, batchOf(['a']))
    }
    await waitFor(() => ['t', 'kept', 'moved'].every((topic) => c.manager(3).partition(topic, 0)?.logEndOffset() === 1), 1000, 'node 3 replicated')
    const removedId = c.partitionState('t', 0).topicId
    await c.stop(3)
    c.removeTopic('t')
    // The replica moves off node 3 while it is down.
    const ps = c.partitionState('moved', 0)
    moved.partitions[0] = { ...ps, replicas: [1, 2], isr: [1, 2], partitionEpoch: ps.partitionEpoch + 1 }
    const stored = async () => (await c.node(3).logStore.list()).map((p) => p.topicId).sort()
    expect(await stored()).toEqual([removedId, kept.topicId, moved.topicId].sort())

    await c.start(3)
    expect(await stored()).toEqual([kept.topicId])
    expect(c.manager(3).partition('kept', 0)!.logEndOffset()).toBe(1)
  })
})
