import { describe, expect, test } from '@jest/globals'
import { ErrorCode, TributaryError, type AlterPartitionResponse, type RpcResponse } from '@tributary/protocol'
import { MemoryLogStore } from '@tributary/storage'
import { RateLimitedLog } from '../log-limit.js'
import { Invariants } from '../invariants.js'
import type { PartitionState } from '../metadata/image-types.js'
import { ManualClock } from '../testing/manual-clock.js'
import { ALTER_PARTITION_RETRY_MS_MAX, AlterPartitionBatcher, type AlterPartitionRequestBody } from './alter-partition-batcher.js'
import { IsrStats, TrafficStats } from './partition-stats.js'
import { ISR_CHANGE_RETRY_BACKOFF_MS, ISR_CHANGE_RETRY_BACKOFF_MS_MAX } from './isr-change-backoff.js'
import { Partition } from './partition.js'
import { resolveTopicSettings } from './topic-settings.js'

const LAG_MS = 1000
const BATCH_MS = 20

type Answer = (body: AlterPartitionRequestBody) => Promise<RpcResponse<AlterPartitionResponse>>

/** Node 1 leads `count` partitions of topic t (replicas 1, 2, 3); followers 2 and 3 never fetch, so every ISR shrinks after LAG_MS. */
async function world(count: number, answer: Answer) {
  const clock = new ManualClock()
  const sent: AlterPartitionRequestBody[] = []
  const lines: Array<{ obj: any; msg?: string }> = []
  const logger = { info: () => {}, warn: (obj: unknown, msg?: string) => lines.push({ obj, msg }), error: () => {} }
  const batcher = new AlterPartitionBatcher({
    clock, batchMs: BATCH_MS, brokerId: 1, brokerEpoch: () => 7,
    send: (body) => { sent.push(body); return answer(body) },
    log: new RateLimitedLog(logger, clock),
  })
  batcher.start()
  const settings = resolveTopicSettings({}, {})
  const env = { nodeId: 1, clock, replicaLagTimeMaxMs: LAG_MS, settings: () => settings, isEligible: () => true, proposeIsr: (p: Partition, isr: number[]) => batcher.propose(p, isr), topicStats: () => new TrafficStats(), isrStats: new IsrStats(), invariants: new Invariants(true, logger, clock) }
  const store = new MemoryLogStore()
  const parts: Partition[] = []
  for (let i = 0; i < count; i++) {
    const p = await Partition.open('t', 'tid', i, await store.open('tid', i), env)
    p.applyState(state(i, [1, 2, 3], 0))
    parts.push(p)
  }
  return { clock, batcher, sent, lines, parts }
}

function state(partition: number, isr: number[], partitionEpoch: number): PartitionState {
  return { topic: 't', topicId: 'tid', partition, replicas: [1, 2, 3], isr, leader: 1, leaderEpoch: 0, partitionEpoch }
}

const accept: Answer = async (body) => ({
  correlationId: 0, errorCode: ErrorCode.NONE,
  body: { topics: body.topics.map((t) => ({ topicId: t.topicId, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: ErrorCode.NONE, leader: 1, leaderEpoch: 0, partitionEpoch: p.partitionEpoch + 1, isr: p.newIsr })) })) },
})

const refuseAll = (errorCode: number): Answer => async (body) => ({
  correlationId: 0, errorCode: ErrorCode.NONE,
  body: { topics: body.topics.map((t) => ({ topicId: t.topicId, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode, leader: 1, leaderEpoch: 0, partitionEpoch: p.partitionEpoch, isr: [1, 2, 3] })) })) },
})

describe('AlterPartition batched per broker', () => {
  test('many partitions shrinking together send one request naming each once', async () => {
    const w = await world(200, accept)
    await w.clock.advance(LAG_MS + 1)
    for (const p of w.parts) p.maybeShrinkIsr()
    await w.clock.advance(BATCH_MS)
    expect(w.sent).toHaveLength(1)
    const named = w.sent[0]!.topics.flatMap((t) => t.partitions)
    expect(named.map((x) => x.partition).sort((a, b) => a - b)).toEqual(w.parts.map((p) => p.partition))
    expect(named.every((x) => x.newIsr.length === 1 && x.newIsr[0] === 1 && x.partitionEpoch === 0 && x.leaderEpoch === 0)).toBe(true)
    expect(w.sent[0]!.brokerEpoch).toBe(7)
  })

  test('a proposal superseded by a newer partition state before it is sent is dropped', async () => {
    const w = await world(3, accept)
    await w.clock.advance(LAG_MS + 1)
    for (const p of w.parts) p.maybeShrinkIsr()
    // the controller moved partition 1 on its own (say, a broker was fenced) before our batch left
    w.parts[1]!.applyState(state(1, [1, 2], 1))
    await w.clock.advance(BATCH_MS)
    expect(w.sent).toHaveLength(1)
    expect(w.sent[0]!.topics[0]!.partitions.map((x) => x.partition)).toEqual([0, 2])
  })

  test('a newer proposal for a partition replaces its unsent one', async () => {
    const w = await world(1, accept)
    const p = w.parts[0]!
    w.batcher.propose(p, [1, 2])
    p.leaderState!.propose([1], w.clock.now())
    w.batcher.propose(p, p.leaderState!.pending!.isr)
    await w.clock.advance(BATCH_MS)
    expect(w.sent.flatMap((b) => b.topics[0]!.partitions.map((x) => x.newIsr))).toEqual([[1]])
  })

  test('a refusal backs the partition off; a stale-state refusal waits for metadata or the longest backoff', async () => {
    const w = await world(2, refuseAll(ErrorCode.INELIGIBLE_REPLICA))
    await w.clock.advance(LAG_MS + 1)
    let t0 = w.clock.now()
    for (const p of w.parts) p.maybeShrinkIsr()
    await w.clock.advance(BATCH_MS)
    expect(w.sent).toHaveLength(1)
    expect(w.parts[0]!.leaderState!.pending).toBeNull()
    expect(w.parts[0]!.isrRetryAt).toBe(t0 + BATCH_MS + ISR_CHANGE_RETRY_BACKOFF_MS)
    // refused again: the backoff doubles
    t0 = w.clock.now()
    await w.clock.advance(ISR_CHANGE_RETRY_BACKOFF_MS)
    for (const p of w.parts) p.maybeShrinkIsr()
    await w.clock.advance(BATCH_MS)
    expect(w.sent).toHaveLength(2)
    expect(w.parts[0]!.isrRetryAt).toBe(t0 + ISR_CHANGE_RETRY_BACKOFF_MS + BATCH_MS + 2 * ISR_CHANGE_RETRY_BACKOFF_MS)
    // the refusal is one line per cause, naming how many partitions it covered
    expect(w.lines).toHaveLength(1)
    expect(w.lines[0]).toMatchObject({ msg: 'AlterPartition refused', obj: { errorCode: ErrorCode.INELIGIBLE_REPLICA, partitions: 2 } })

    const stale = await world(1, refuseAll(ErrorCode.INVALID_UPDATE_VERSION))
    await stale.clock.advance(LAG_MS + 1)
    const p = stale.parts[0]!
    p.maybeShrinkIsr()
    await stale.clock.advance(BATCH_MS)
    expect(p.isrRetryAt - stale.clock.now()).toBe(ISR_CHANGE_RETRY_BACKOFF_MS_MAX)
    // the metadata that made us stale arrives: propose again at once, from the new state
    p.applyState(state(0, [1, 2, 3], 1))
    expect(p.isrRetryAt).toBe(0)
    p.maybeShrinkIsr()
    await stale.clock.advance(BATCH_MS)
    expect(stale.sent.map((b) => b.topics[0]!.partitions[0]!.partitionEpoch)).toEqual([0, 1])
  })

  test('an unreachable controller is retried with a capped, doubling backoff: never a storm', async () => {
    const w = await world(500, async () => { throw new TributaryError(ErrorCode.REQUEST_TIMED_OUT, 'controller unreachable') })
    await w.clock.advance(LAG_MS + 1)
    const runMs = 60_000
    const end = w.clock.now() + runMs
    while (w.clock.now() < end) {
      for (const p of w.parts) p.maybeShrinkIsr() // the shrink check runs every LAG_MS / 2 in the broker; here far more often
      await w.clock.advance(50)
    }
    // 100, 200, 400, ... 5000 ms apart: about a dozen requests a minute, each naming every partition
    expect(w.sent.length).toBeLessThanOrEqual(Math.ceil(runMs / ALTER_PARTITION_RETRY_MS_MAX) + 7)
    expect(w.sent.length).toBeGreaterThan(5)
    expect(w.sent.every((b) => b.topics[0]!.partitions.length === 500)).toBe(true)
    // one line per cause per interval, not one per partition or per request
    expect(w.lines.length).toBeLessThanOrEqual(Math.ceil(runMs / 10_000) + 1)
    expect(w.lines[0]!.obj).toMatchObject({ errorCode: ErrorCode.REQUEST_TIMED_OUT, partitions: 500 })
    expect(JSON.stringify(w.lines)).not.toContain('    at ')
  })
})
