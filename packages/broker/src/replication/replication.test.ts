/**
 * ISR replication among three in-process ReplicaManagers (docs/ARCHITECTURE.md,
 * "Replication"). Each test builds its cluster, drives metadata by hand, and waits
 * for conditions with deadlines.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import { ErrorCode } from '@tributary/protocol'
import { SIM_REPLICA_CONFIG, SimCluster, waitFor } from './sim-cluster.js'
import { batchOf, fetchFrom, produce, readAll, recordsIn } from './sim-client.js'

let cluster: SimCluster | undefined

async function threeNodes(config = SIM_REPLICA_CONFIG, topicConfigs: Record<string, string> = {}): Promise<SimCluster> {
  cluster = new SimCluster([1, 2, 3], config)
  await cluster.startAll()
  cluster.createTopic('t', [[1, 2, 3]], topicConfigs)
  await waitFor(() => [1, 2, 3].every((id) => cluster!.manager(id).partition('t', 0) !== undefined), 2000, 'replicas hosted')
  await waitFor(() => cluster!.manager(1).isLeader('t', 0), 2000, 'leader')
  return cluster
}

const leo = (c: SimCluster, id: number): number => c.manager(id).partition('t', 0)!.logEndOffset()
const hw = (c: SimCluster, id: number): number => c.manager(id).highWatermark('t', 0)

afterEach(async () => {
  await cluster?.stopAll()
  cluster = undefined
})

describe('produce and replicate', () => {
  it('acks=all answers once every ISR replica holds the batch, with offsets assigned from 0', async () => {
    const c = await threeNodes()
    const r1 = await produce(c, 1, 't', 0, batchOf(['a', 'b', 'c']))
    expect(r1).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0 })
    for (const id of [2, 3]) expect(leo(c, id)).toBeGreaterThanOrEqual(3)
    expect(hw(c, 1)).toBe(3)
    const r2 = await produce(c, 1, 't', 0, batchOf(['d']))
    expect(r2).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 3 })
    const f = await fetchFrom(c, 1, 't', 0, 0)
    expect(recordsIn(f.records).map((r) => [r.offset, r.value])).toEqual([[0, 'a'], [1, 'b'], [2, 'c'], [3, 'd']])
  })

  it('acks=all waits for the whole ISR: a follower that stops fetching holds the answer back', async () => {
    const c = await threeNodes()
    c.partition(1, 3)
    const slow = produce(c, 1, 't', 0, batchOf(['x']), { timeoutMs: 300 })
    expect(await slow).toMatchObject({ errorCode: ErrorCode.REQUEST_TIMED_OUT })
    expect(leo(c, 1)).toBe(1) // appended on the leader, never acknowledged
    expect(hw(c, 1)).toBe(0)
    c.heal()
    const r = await produce(c, 1, 't', 0, batchOf(['y']))
    expect(r).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 1 })
    expect(leo(c, 3)).toBeGreaterThanOrEqual(2)
  })

  it('high watermark = min LEO of the ISR, and followers learn it', async () => {
    const c = await threeNodes()
    await produce(c, 1, 't', 0, batchOf(['a']))
    c.partition(1, 3)
    await produce(c, 1, 't', 0, batchOf(['b', 'c']), { acks: 1 })
    await waitFor(() => leo(c, 2) === 3, 2000, 'follower 2 caught up')
    expect(leo(c, 3)).toBe(1)
    expect(hw(c, 1)).toBe(1)
    c.heal()
    await waitFor(() => hw(c, 1) === 3, 2000, 'HW advanced')
    await waitFor(() => hw(c, 2) === 3 && hw(c, 3) === 3, 2000, 'followers learned the HW')
  })

  it('followers learn a new HW with the next data, not from a response of its own (Kafka)', async () => {
    const c = await threeNodes({ ...SIM_REPLICA_CONFIG, replicaFetchWaitMaxMs: 30_000 })
    await produce(c, 1, 't', 0, batchOf(['a']))
    expect(hw(c, 1)).toBe(1)
    const leader = c.manager(1).partition('t', 0)!
    // Both followers hold 'a' and wait at the leader for data; the HW step did not answer them.
    await waitFor(() => leader.dataSignal.waiting === 2 && leo(c, 2) === 1 && leo(c, 3) === 1, 2000, 'both follower fetches parked')
    expect([hw(c, 2), hw(c, 3)]).toEqual([0, 0])
    await produce(c, 1, 't', 0, batchOf(['b']))
    await waitFor(() => hw(c, 2) >= 1 && hw(c, 3) >= 1, 2000, 'the HW riding on the next data')
  })

  it('acks=1 answers after the leader append; acks=0 gets no response', async () => {
    const c = await threeNodes()
    c.partition(1, 2)
    c.partition(1, 3)
    expect(await produce(c, 1, 't', 0, batchOf(['a']), { acks: 1 })).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0 })
    expect(await produce(c, 1, 't', 0, batchOf(['b']), { acks: 0 })).toBeUndefined()
    await waitFor(() => leo(c, 1) === 2, 1000, 'acks=0 appended')
  })

  it('a follower refuses produce with NOT_LEADER_OR_FOLLOWER and names the leader', async () => {
    const c = await threeNodes()
    const r = await produce(c, 2, 't', 0, batchOf(['a']))
    expect(r).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, baseOffset: -1, currentLeader: { leaderId: 1, leaderEpoch: 0 } })
    const unknown = await produce(c, 1, 'nope', 0, batchOf(['a']))
    expect(unknown).toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })
  })

  it('an acks=all write waiting when leadership moves answers NOT_LEADER_OR_FOLLOWER naming the new leader (KIP-951)', async () => {
    const c = await threeNodes()
    c.partition(1, 3) // the write cannot commit: it waits on the leader
    const waiting = produce(c, 1, 't', 0, batchOf(['x']), { timeoutMs: 30_000 })
    await waitFor(() => leo(c, 1) === 1, 2000, 'appended on the leader')
    c.changePartition('t', 0, { leader: 2, isr: [2, 3] })
    expect(await waiting).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, baseOffset: -1, currentLeader: { leaderId: 2, leaderEpoch: 1 } })
  })

  it('a fenced leader refuses produce', async () => {
    const c = await threeNodes()
    c.setFenced(1, true)
    expect(await produce(c, 1, 't', 0, batchOf(['a']))).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER })
    expect(leo(c, 1)).toBe(0)
  })

  it('replicas hold identical bytes below the high watermark', async () => {
    const c = await threeNodes()
    for (let i = 0; i < 20; i++) await produce(c, 1, 't', 0, batchOf([`v${i}a`, `v${i}b`]), { acks: i % 2 === 0 ? -1 : 1 })
    await waitFor(() => [1, 2, 3].every((id) => hw(c, id) === 40), 2000, 'HW everywhere')
    const logs = await Promise.all([1, 2, 3].map((id) => readAll(c, id, 't', 0)))
    expect(logs[0].length).toBeGreaterThan(0)
    expect(Buffer.from(logs[1]).equals(Buffer.from(logs[0]))).toBe(true)
    expect(Buffer.from(logs[2]).equals(Buffer.from(logs[0]))).toBe(true)
  })
})

describe('many partitions', () => {
  it('one fetcher per leader broker replicates every partition it leads', async () => {
    cluster = new SimCluster([1, 2, 3], SIM_REPLICA_CONFIG)
    const c = cluster
    await c.startAll()
    const assignments = [[1, 2, 3], [2, 3, 1], [3, 1, 2], [1, 3, 2], [2, 1, 3], [3, 2, 1]]
    c.createTopic('m', assignments)
    await waitFor(() => assignments.every((r, p) => c.manager(r[0]!).isLeader('m', p)), 2000, 'leaders')
    const results = await Promise.all(assignments.map((r, p) => produce(c, r[0]!, 'm', p, batchOf([`p${p}`]))))
    expect(results.map((r) => r!.errorCode)).toEqual([0, 0, 0, 0, 0, 0])
    await waitFor(() => [1, 2, 3].every((id) => assignments.every((_, p) => c.manager(id).highWatermark('m', p) === 1)), 2000, 'HW 1 everywhere')
    for (const id of [1, 2, 3]) {
      // each node follows the two other brokers: one fetcher each
      expect((c.manager(id) as unknown as { fetchers: Map<number, unknown> }).fetchers.size).toBe(2)
    }
  })
})

describe('min.insync.replicas', () => {
  it('refuses acks=all with NOT_ENOUGH_REPLICAS before appending when the ISR is too small', async () => {
    const c = await threeNodes(SIM_REPLICA_CONFIG, { 'min.insync.replicas': '3' })
    c.changePartition('t', 0, { isr: [1, 2] })
    await waitFor(() => c.manager(1).partition('t', 0)!.isr.length === 2, 1000, 'ISR applied')
    const r = await produce(c, 1, 't', 0, batchOf(['a']))
    expect(r).toMatchObject({ errorCode: ErrorCode.NOT_ENOUGH_REPLICAS, baseOffset: -1 })
    expect(leo(c, 1)).toBe(0)
    // acks=1 is not subject to min.insync.replicas
    expect(await produce(c, 1, 't', 0, batchOf(['b']), { acks: 1 })).toMatchObject({ errorCode: ErrorCode.NONE })
  })

  it('answers NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below it while waiting', async () => {
    const c = await threeNodes({ ...SIM_REPLICA_CONFIG, replicaLagTimeMaxMs: 200 }, { 'min.insync.replicas': '3' })
    c.partition(1, 3)
    const r = await produce(c, 1, 't', 0, batchOf(['a']), { timeoutMs: 5000 })
    expect(r).toMatchObject({ errorCode: ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND })
    expect(c.partitionState('t', 0).isr).toEqual([1, 2])
  })
})

describe('ISR membership', () => {
  it('shrinks the ISR when a follower stops fetching and expands it once it catches up', async () => {
    const c = await threeNodes({ ...SIM_REPLICA_CONFIG, replicaLagTimeMaxMs: 200 }, { 'min.insync.replicas': '2' })
    c.partition(1, 3)
    for (let i = 0; i < 5; i++) expect(await produce(c, 1, 't', 0, batchOf([`a${i}`]))).toMatchObject({ errorCode: ErrorCode.NONE })
    await waitFor(() => c.partitionState('t', 0).isr.join() === '1,2', 3000, 'ISR shrunk')
    expect(leo(c, 3)).toBe(0)
    c.heal()
    await waitFor(() => c.partitionState('t', 0).isr.join() === '1,2,3', 3000, 'ISR expanded')
    expect(leo(c, 3)).toBe(5)
    expect(await produce(c, 1, 't', 0, batchOf(['after']))).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 5 })
  })

  it('drops a fenced broker from the ISR without waiting for the lag time', async () => {
    const c = await threeNodes()
    c.partition(1, 3)
    const pending = produce(c, 1, 't', 0, batchOf(['a']), { timeoutMs: 5000 })
    c.setFenced(3, true)
    expect(await pending).toMatchObject({ errorCode: ErrorCode.NONE })
    expect(c.partitionState('t', 0).isr).toEqual([1, 2])
  })

  it('retries a refused AlterPartition', async () => {
    const c = await threeNodes({ ...SIM_REPLICA_CONFIG, replicaLagTimeMaxMs: 100 })
    c.alterPartitionError = ErrorCode.NOT_CONTROLLER
    c.partition(1, 3)
    await produce(c, 1, 't', 0, batchOf(['a']), { acks: 1 })
    await waitFor(() => c.alterPartitionCount >= 2, 3000, 'retried')
    c.alterPartitionError = null
    await waitFor(() => c.partitionState('t', 0).isr.join() === '1,2', 3000, 'ISR shrunk')
  })
})
