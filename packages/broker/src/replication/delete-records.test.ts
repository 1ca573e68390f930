/**
 * DeleteRecords on the leader (the log start moves forward, never past the
 * high watermark nor backwards, only on the leader), consumer reads below the
 * new log start, and followers following the leader's log start through their
 * fetches, also across a leader change.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import { ApiKey, EARLIEST_TIMESTAMP, ErrorCode } from '@tributary/protocol'
import { SimCluster, startThreeNodes, waitFor } from './sim-cluster.js'
import { batchOf, fetchFrom, produce, recordsIn } from './sim-client.js'

let cluster: SimCluster | undefined

afterEach(async () => {
  await cluster?.stopAll()
  cluster = undefined
})

const threeNodes = (): Promise<SimCluster> => startThreeNodes((c) => { cluster = c })

async function deleteRecords(c: SimCluster, nodeId: number, partitions: Array<{ partition: number; offset: number }>, topic = 't') {
  const r = await c.node(nodeId).call(ApiKey.DeleteRecords, { topics: [{ topic, partitions }] })
  return r!
}
const partitionsOf = (r: { body: unknown }) => (r.body as any).topics[0].partitions as Array<{ partition: number; lowWatermark: number; errorCode: number }>

/** Six records in three batches of two: offsets 0-1, 2-3, 4-5, all committed. */
async function sixRecords(c: SimCluster): Promise<void> {
  for (const pair of [['a', 'b'], ['c', 'd'], ['e', 'f']]) await produce(c, 1, 't', 0, batchOf(pair))
  await waitFor(() => [1, 2, 3].every((n) => c.manager(n).partition('t', 0)!.highWatermark() === 6), 5000, 'HW 6 everywhere')
}

describe('DeleteRecords on the leader', () => {
  it('moves the log start to the offset and answers it; reads below it are OFFSET_OUT_OF_RANGE, reads from it see the rest', async () => {
    const c = await threeNodes()
    await sixRecords(c)
    const r = await deleteRecords(c, 1, [{ partition: 0, offset: 3 }])
    expect(r.errorCode).toBe(ErrorCode.NONE)
    expect(partitionsOf(r)).toEqual([{ partition: 0, lowWatermark: 3, errorCode: ErrorCode.NONE }])
    expect(c.manager(1).partition('t', 0)!.logStartOffset()).toBe(3)
    expect(await fetchFrom(c, 1, 't', 0, 1)).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, logStartOffset: 3 })
    const from3 = await fetchFrom(c, 1, 't', 0, 3)
    expect(recordsIn(from3.records).filter((x) => x.offset >= 3).map((x) => x.value)).toEqual(['d', 'e', 'f'])
    const earliest = await c.node(1).call(ApiKey.ListOffsets, { replicaId: -1, topics: [{ topic: 't', partitions: [{ partition: 0, timestamp: EARLIEST_TIMESTAMP }] }] })
    expect((earliest!.body as any).topics[0].partitions[0].offset).toBe(3)
  })

  it('-1 deletes up to the high watermark; past the high watermark is OFFSET_OUT_OF_RANGE; an earlier offset changes nothing', async () => {
    const c = await threeNodes()
    await sixRecords(c)
    c.partition(1, 2)
    c.partition(1, 3)
    await produce(c, 1, 't', 0, batchOf(['uncommitted']), { acks: 1 }) // LEO 7, HW stays 6
    expect(partitionsOf(await deleteRecords(c, 1, [{ partition: 0, offset: 7 }]))[0]).toMatchObject({ lowWatermark: -1, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE })
    expect(partitionsOf(await deleteRecords(c, 1, [{ partition: 0, offset: -2 }]))[0]).toMatchObject({ lowWatermark: -1, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE })
    expect(c.manager(1).partition('t', 0)!.logStartOffset()).toBe(0)
    expect(partitionsOf(await deleteRecords(c, 1, [{ partition: 0, offset: -1 }]))[0]).toEqual({ partition: 0, lowWatermark: 6, errorCode: ErrorCode.NONE })
    expect(partitionsOf(await deleteRecords(c, 1, [{ partition: 0, offset: 2 }]))[0]).toEqual({ partition: 0, lowWatermark: 6, errorCode: ErrorCode.NONE })
  })

  it('a follower answers NOT_LEADER_OR_FOLLOWER, an unknown partition UNKNOWN_TOPIC_OR_PARTITION, a bad body INVALID_REQUEST', async () => {
    const c = await threeNodes()
    await sixRecords(c)
    expect(partitionsOf(await deleteRecords(c, 2, [{ partition: 0, offset: 2 }]))[0]).toMatchObject({ lowWatermark: -1, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER })
    expect(partitionsOf(await deleteRecords(c, 1, [{ partition: 9, offset: 2 }]))[0]).toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })
    expect(c.manager(2).partition('t', 0)!.logStartOffset()).toBe(0)
    for (const body of [null, { topics: 'x' }, { topics: [{ topic: 't', partitions: [{ partition: 0, offset: 1.5 }] }] }, { topics: [{ topic: 't', partitions: [{ partition: -1, offset: 1 }] }] }]) {
      expect((await c.node(1).call(ApiKey.DeleteRecords, body))!.errorCode).toBe(ErrorCode.INVALID_REQUEST)
    }
  })
})

describe('a compacted topic', () => {
  it('refuses DeleteRecords with POLICY_VIOLATION unless its cleanup.policy includes delete', async () => {
    const c = await startThreeNodes((x) => { cluster = x }, { 'cleanup.policy': 'compact' })
    await produce(c, 1, 't', 0, batchOf(['a', 'b'], { key: 'k' }))
    expect(partitionsOf(await deleteRecords(c, 1, [{ partition: 0, offset: 1 }]))[0]).toMatchObject({ lowWatermark: -1, errorCode: ErrorCode.POLICY_VIOLATION })
    expect(c.manager(1).partition('t', 0)!.logStartOffset()).toBe(0)
    c.setTopicConfig('t', { 'cleanup.policy': 'compact,delete' })
    await waitFor(() => c.manager(1).partition('t', 0)!.settings.cleanupDelete, 2000, 'the new policy applied')
    expect(partitionsOf(await deleteRecords(c, 1, [{ partition: 0, offset: 1 }]))[0]).toEqual({ partition: 0, lowWatermark: 1, errorCode: ErrorCode.NONE })
  })
})

describe('followers follow the leader\'s log start', () => {
  it('through their fetches, and a new leader keeps it: what was deleted stays deleted', async () => {
    const c = await threeNodes()
    await sixRecords(c)
    await deleteRecords(c, 1, [{ partition: 0, offset: 4 }])
    // No new data: the followers' next fetch answer carries the new log start all the same.
    await waitFor(() => [2, 3].every((n) => c.manager(n).partition('t', 0)!.logStartOffset() === 4), 5000, 'followers at log start 4')
    expect(await fetchFrom(c, 2, 't', 0, 0, { replicaId: -2 })).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, logStartOffset: 4 })
    await produce(c, 1, 't', 0, batchOf(['g']))
    const leo = c.manager(2).partition('t', 0)!.logEndOffset()
    expect(leo).toBe(7)
    c.changePartition('t', 0, { leader: 2 })
    await waitFor(() => c.manager(2).isLeader('t', 0), 2000, 'node 2 leads')
    expect(await fetchFrom(c, 2, 't', 0, 2)).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, logStartOffset: 4 })
    await waitFor(() => c.manager(2).partition('t', 0)!.highWatermark() === 7, 5000, 'the new leader commits offset 6')
    const rest = await fetchFrom(c, 2, 't', 0, 4)
    expect(recordsIn(rest.records).map((x) => x.value)).toEqual(['e', 'f', 'g'])
  })
})
