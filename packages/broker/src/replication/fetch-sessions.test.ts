/**
 * Followers over many partitions replicate through incremental fetch sessions
 * (KIP-227): after the first full fetch, requests name only the partitions that
 * moved and answers carry only the partitions with news; a leader that loses the
 * sessions answers FETCH_SESSION_ID_NOT_FOUND and the followers go back to a
 * full fetch without losing a record.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import { ApiKey, ErrorCode } from '@tributary/protocol'
import type { HandlerResult } from '../seams.js'
import { ManualClock } from '../testing/manual-clock.js'
import { SIM_REPLICA_CONFIG, SimCluster, waitFor } from './sim-cluster.js'
import { batchOf, produce } from './sim-client.js'

let cluster: SimCluster | undefined
afterEach(async () => {
  await cluster?.stopAll()
  cluster = undefined
})

interface Seen {
  replicaId: number
  sessionEpoch: number
  named: number
  errorCode: number
  answered: number
}

const count = (topics: unknown): number => (Array.isArray(topics) ? topics.reduce((n: number, t: any) => n + (t.partitions?.length ?? 0), 0) : 0)

/** Record every follower Fetch node `id` serves: what it named and what it answered. */
function spyFetches(c: SimCluster, id: number): Seen[] {
  const seen: Seen[] = []
  const node = c.node(id)
  const call = node.call.bind(node)
  node.call = async (apiKey: number, body: any, signal?: AbortSignal): Promise<HandlerResult> => {
    const r = await call(apiKey, body, signal)
    if (apiKey === ApiKey.Fetch && body.replicaId >= 0) {
      seen.push({ replicaId: body.replicaId, sessionEpoch: body.sessionEpoch ?? -1, named: count(body.topics), errorCode: r?.errorCode ?? -1, answered: count((r?.body as any)?.topics) })
    }
    return r
  }
  return seen
}

const PARTITIONS = 150
const ASSIGNMENTS = Array.from({ length: PARTITIONS }, (_, p) => [[1, 2, 3], [2, 3, 1], [3, 1, 2]][p % 3]!)
const LED_BY_1 = ASSIGNMENTS.filter((r) => r[0] === 1).length

async function produceRound(c: SimCluster, round: number, expected: number[]): Promise<void> {
  // a few partitions of each leader per round: most of the 150 stay idle
  const targets = Array.from({ length: 12 }, (_, i) => (round * 12 + i) % PARTITIONS)
  const results = await Promise.all(targets.map((p) => produce(c, ASSIGNMENTS[p]![0]!, 'many', p, batchOf([`r${round}p${p}`]))))
  expect(results.map((r) => r?.errorCode)).toEqual(targets.map(() => ErrorCode.NONE))
  for (const p of targets) expected[p]!++
}

const allReplicated = (c: SimCluster, expected: number[]): boolean =>
  [1, 2, 3].every((id) => expected.every((n, p) => c.manager(id).partition('many', p)?.logEndOffset() === n && c.manager(id).highWatermark('many', p) === n))

describe('fetch sessions between brokers', () => {
  it('followers of many partitions send incremental fetches naming only what moved, and keep replicating', async () => {
    cluster = new SimCluster([1, 2, 3], SIM_REPLICA_CONFIG)
    const c = cluster
    const seen = spyFetches(c, 1)
    await c.startAll()
    c.createTopic('many', ASSIGNMENTS)
    await waitFor(() => ASSIGNMENTS.every((r, p) => c.manager(r[0]!).isLeader('many', p)), 5000, 'leaders')
    // one session per follower on leader 1, holding every partition it follows there (they join as metadata arrives)
    await waitFor(() => c.manager(1).fetchSessions.size === 2 && c.manager(1).fetchSessions.cachedPartitions === 2 * LED_BY_1, 5000, 'sessions hold every partition')
    expect(seen.filter((s) => s.sessionEpoch === 0).length).toBeGreaterThanOrEqual(2)
    const mark = seen.length
    const expected = new Array<number>(PARTITIONS).fill(0)
    for (let round = 0; round < 4; round++) await produceRound(c, round, expected)
    await waitFor(() => allReplicated(c, expected), 10_000, 'every record on every replica')

    expect(c.manager(1).fetchSessions.size).toBe(2)
    const after = seen.slice(mark)
    expect(after.every((s) => s.sessionEpoch > 0)).toBe(true) // no full fetch was needed again
    const incremental = after.filter((s) => s.errorCode === ErrorCode.NONE)
    expect(incremental.length).toBeGreaterThan(0)
    // incremental requests name a handful of moved partitions, answers carry only the ones with news
    expect(Math.max(...incremental.map((s) => s.named))).toBeLessThan(LED_BY_1)
    expect(incremental.some((s) => s.answered < LED_BY_1)).toBe(true)
  })

  it('a leader that lost the sessions answers FETCH_SESSION_ID_NOT_FOUND; followers fall back to a full fetch and lose nothing', async () => {
    cluster = new SimCluster([1, 2, 3], SIM_REPLICA_CONFIG)
    const c = cluster
    const seen = spyFetches(c, 1)
    await c.startAll()
    c.createTopic('many', ASSIGNMENTS)
    await waitFor(() => ASSIGNMENTS.every((r, p) => c.manager(r[0]!).isLeader('many', p)), 5000, 'leaders')
    const expected = new Array<number>(PARTITIONS).fill(0)
    await produceRound(c, 0, expected)
    await waitFor(() => allReplicated(c, expected) && c.manager(1).fetchSessions.size === 2, 10_000, 'replicated, with sessions')

    c.manager(1).fetchSessions.evictIdle(Number.MAX_SAFE_INTEGER) // the cache forgets every session
    expect(c.manager(1).fetchSessions.size).toBe(0)
    const mark = seen.length
    for (let round = 1; round < 4; round++) await produceRound(c, round, expected)
    await waitFor(() => allReplicated(c, expected), 10_000, 'every record on every replica after the fallback')
    await waitFor(() => c.manager(1).fetchSessions.size === 2, 5000, 'sessions made again')

    const after = seen.slice(mark)
    const refusedAt = after.findIndex((s) => s.errorCode === ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
    expect(refusedAt).toBeGreaterThanOrEqual(0)
    const fullAgain = after.slice(refusedAt).find((s) => s.replicaId === after[refusedAt]!.replicaId && s.sessionEpoch === 0)
    expect(fullAgain?.named).toBe(LED_BY_1)
  })

  it('partitions an incremental fetch does not name still count as fetched: idle followers stay in the ISR', async () => {
    // simulated time: a lag limit of 4 fetch waits, and no stall of this machine can shrink the ISR
    const clock = new ManualClock()
    cluster = new SimCluster([1, 2, 3], { ...SIM_REPLICA_CONFIG, replicaLagTimeMaxMs: 400, replicaFetchWaitMaxMs: 100 }, clock)
    const c = cluster
    const seen = spyFetches(c, 1)
    await c.startAll()
    c.createTopic('many', ASSIGNMENTS)
    await clock.advanceUntil(() => ASSIGNMENTS.every((r, p) => c.manager(r[0]!).isLeader('many', p)), 10_000)
    const expected = new Array<number>(PARTITIONS).fill(0)
    let produced = false
    void produceRound(c, 0, expected).then(() => (produced = true))
    await clock.advanceUntil(() => produced && allReplicated(c, expected), 10_000)
    const mark = seen.length
    const alterPartitions = c.alterPartitionCount
    await clock.advance(10 * 400) // ten lag limits with every partition idle
    expect(seen.slice(mark).filter((s) => s.sessionEpoch > 0 && s.named === 0).length).toBeGreaterThanOrEqual(20)
    expect(c.alterPartitionCount).toBe(alterPartitions)
    expect(ASSIGNMENTS.every((r, p) => c.partitionState('many', p).isr.length === r.length)).toBe(true)
  })

  it('with sessions turned off on the followers, fetches are full and sessionless as before', async () => {
    cluster = new SimCluster([1, 2, 3], { ...SIM_REPLICA_CONFIG, replicaFetchSessions: false })
    const c = cluster
    const seen = spyFetches(c, 1)
    await c.startAll()
    c.createTopic('many', ASSIGNMENTS)
    await waitFor(() => ASSIGNMENTS.every((r, p) => c.manager(r[0]!).isLeader('many', p)), 5000, 'leaders')
    const expected = new Array<number>(PARTITIONS).fill(0)
    await produceRound(c, 0, expected)
    await waitFor(() => allReplicated(c, expected), 10_000, 'replicated')
    expect(seen.length).toBeGreaterThan(0)
    expect(seen.every((s) => s.sessionEpoch === -1)).toBe(true)
    expect(c.manager(1).fetchSessions.size).toBe(0)
  })
})
