/**
 * Leader changes: followers truncate divergent tails found with
 * OffsetForLeaderEpoch (and Fetch's divergingEpoch), and idempotent producer
 * state survives failover.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import { ApiKey, ErrorCode } from '@tributary/protocol'
import { SimCluster, startThreeNodes, waitFor } from './sim-cluster.js'
import { batchOf, fetchFrom, produce, readAll, recordsIn } from './sim-client.js'
import { ProducerStateTable } from './producer-state.js'

let cluster: SimCluster | undefined

afterEach(async () => {
  await cluster?.stopAll()
  cluster = undefined
})

const threeNodes = (topicConfigs: Record<string, string> = {}): Promise<SimCluster> =>
  startThreeNodes((c) => { cluster = c }, topicConfigs)

const leo = (c: SimCluster, id: number): number => c.manager(id).partition('t', 0)!.logEndOffset()
const hw = (c: SimCluster, id: number): number => c.manager(id).highWatermark('t', 0)

describe('leader epochs and truncation', () => {
  it('a former leader truncates its unreplicated tail, and those records never reach a consumer', async () => {
    const c = await threeNodes()
    await produce(c, 1, 't', 0, batchOf(['a', 'b']))
    c.partition(1, 2)
    c.partition(1, 3)
    // acks=1 writes only the old leader holds
    expect(await produce(c, 1, 't', 0, batchOf(['lost1', 'lost2']), { acks: 1 })).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 2 })
    expect(leo(c, 1)).toBe(4)
    expect(hw(c, 1)).toBe(2)
    // the controller moves leadership to 2 (epoch 1); 1 is cut off and does not hear yet
    c.changePartition('t', 0, { leader: 2, isr: [2, 3] })
    await waitFor(() => c.manager(2).isLeader('t', 0), 1000, 'new leader')
    expect(await produce(c, 2, 't', 0, batchOf(['c', 'd', 'e']))).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 2 })
    c.heal()
    await waitFor(() => c.manager(1).partition('t', 0)!.role === 'follower', 1000, 'old leader follows')
    await waitFor(() => [1, 2, 3].every((id) => leo(c, id) === 5 && hw(c, id) === 5), 3000, 'every replica caught up')
    const values = recordsIn(await readAll(c, 1, 't', 0)).map((r) => r.value)
    expect(values).toEqual(['a', 'b', 'c', 'd', 'e'])
    const logs = await Promise.all([1, 2, 3].map((id) => readAll(c, id, 't', 0)))
    expect(Buffer.from(logs[0]).equals(Buffer.from(logs[1]))).toBe(true)
    expect(Buffer.from(logs[2]).equals(Buffer.from(logs[1]))).toBe(true)
    // epoch cache: 0 from offset 0, 1 from offset 2 on every replica
    for (const id of [1, 2, 3]) expect(c.manager(id).partition('t', 0)!.log.epochEntries()).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 1, startOffset: 2 }])
  })

  it('a former leader with a longer divergent tail than the new leader\'s log truncates too', async () => {
    const c = await threeNodes()
    await produce(c, 1, 't', 0, batchOf(['a']))
    c.partition(1, 2)
    c.partition(1, 3)
    for (let i = 0; i < 5; i++) await produce(c, 1, 't', 0, batchOf([`lost${i}`]), { acks: 1 })
    c.changePartition('t', 0, { leader: 2, isr: [2, 3] })
    await waitFor(() => c.manager(2).isLeader('t', 0), 1000, 'new leader')
    expect(await produce(c, 2, 't', 0, batchOf(['b']))).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 1 })
    c.heal()
    await waitFor(() => leo(c, 1) === 2 && hw(c, 1) === 2, 3000, 'old leader truncated and caught up')
    expect(recordsIn(await readAll(c, 1, 't', 0)).map((r) => r.value)).toEqual(['a', 'b'])
  })

  it('OffsetForLeaderEpoch answers the end of the largest epoch <= asked, and checks the caller\'s epoch', async () => {
    const c = await threeNodes()
    await produce(c, 1, 't', 0, batchOf(['a', 'b']))
    c.changePartition('t', 0, { leader: 2 })
    await waitFor(() => c.manager(2).isLeader('t', 0), 1000, 'new leader')
    await produce(c, 2, 't', 0, batchOf(['c']))
    const ask = async (currentLeaderEpoch: number, leaderEpoch: number) =>
      ((await c.node(2).call(ApiKey.OffsetForLeaderEpoch, { replicaId: 3, topics: [{ topic: 't', partitions: [{ partition: 0, currentLeaderEpoch, leaderEpoch }] }] }))!.body as any).topics[0].partitions[0]
    expect(await ask(1, 0)).toMatchObject({ errorCode: 0, leaderEpoch: 0, endOffset: 2 })
    expect(await ask(1, 1)).toMatchObject({ errorCode: 0, leaderEpoch: 1, endOffset: 3 })
    expect(await ask(0, 1)).toMatchObject({ errorCode: ErrorCode.FENCED_LEADER_EPOCH })
    expect(await ask(2, 1)).toMatchObject({ errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH })
  })

  it('a consumer fetch with a stale leader epoch gets FENCED_LEADER_EPOCH', async () => {
    const c = await threeNodes()
    c.changePartition('t', 0, { leader: 2 })
    await waitFor(() => c.manager(2).isLeader('t', 0), 1000, 'new leader')
    expect(await fetchFrom(c, 2, 't', 0, 0, { currentLeaderEpoch: 0 })).toMatchObject({ errorCode: ErrorCode.FENCED_LEADER_EPOCH })
    expect(await fetchFrom(c, 1, 't', 0, 0, { currentLeaderEpoch: 1 })).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentLeader: { leaderId: 2, leaderEpoch: 1 } })
  })

  it('leadership listeners hear both sides of a leader change', async () => {
    const c = await threeNodes()
    const heard: string[] = []
    for (const id of [1, 2]) c.manager(id).onLeadershipChange((e) => heard.push(`${id}:${e.isLeader}:${e.leaderEpoch}`))
    c.changePartition('t', 0, { leader: 2 })
    await waitFor(() => heard.length === 2, 1000, 'both heard')
    expect(heard.sort()).toEqual(['1:false:1', '2:true:1'])
  })
})

describe('idempotent producers', () => {
  const idem = (values: string[], baseSequence: number, producerEpoch = 0) => batchOf(values, { producerId: 7, producerEpoch, baseSequence })

  it('a retried batch gets its original offset and is not appended again', async () => {
    const c = await threeNodes()
    expect(await produce(c, 1, 't', 0, idem(['a', 'b'], 0))).toMatchObject({ errorCode: 0, baseOffset: 0 })
    expect(await produce(c, 1, 't', 0, idem(['c'], 2))).toMatchObject({ errorCode: 0, baseOffset: 2 })
    expect(await produce(c, 1, 't', 0, idem(['a', 'b'], 0))).toMatchObject({ errorCode: 0, baseOffset: 0 })
    expect(await produce(c, 1, 't', 0, idem(['c'], 2))).toMatchObject({ errorCode: 0, baseOffset: 2 })
    expect(leo(c, 1)).toBe(3)
  })

  it('a sequence gap is OUT_OF_ORDER_SEQUENCE_NUMBER and an old epoch INVALID_PRODUCER_EPOCH, with nothing appended', async () => {
    const c = await threeNodes()
    await produce(c, 1, 't', 0, idem(['a'], 0, 1))
    expect(await produce(c, 1, 't', 0, idem(['b'], 5, 1))).toMatchObject({ errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER })
    expect(await produce(c, 1, 't', 0, idem(['b'], 1, 0))).toMatchObject({ errorCode: ErrorCode.INVALID_PRODUCER_EPOCH })
    expect(await produce(c, 1, 't', 0, idem(['b'], 3, 2))).toMatchObject({ errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER })
    expect(leo(c, 1)).toBe(1)
    expect(await produce(c, 1, 't', 0, idem(['b'], 0, 2))).toMatchObject({ errorCode: 0, baseOffset: 1 })
  })

  it('producer state survives leader failover: the new leader recognises a retry', async () => {
    const c = await threeNodes()
    for (let seq = 0; seq < 4; seq++) await produce(c, 1, 't', 0, idem([`v${seq}`], seq))
    c.changePartition('t', 0, { leader: 2 })
    await waitFor(() => c.manager(2).isLeader('t', 0), 1000, 'new leader')
    expect(await produce(c, 2, 't', 0, idem(['v3'], 3))).toMatchObject({ errorCode: 0, baseOffset: 3 })
    expect(await produce(c, 2, 't', 0, idem(['v5'], 5))).toMatchObject({ errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER })
    expect(await produce(c, 2, 't', 0, idem(['v4'], 4))).toMatchObject({ errorCode: 0, baseOffset: 4 })
  })

  it('producer state survives a restart (checkpoint plus log tail replay)', async () => {
    const c = await threeNodes()
    await produce(c, 1, 't', 0, idem(['a'], 0))
    await c.manager(1).partition('t', 0)!.checkpointProducerState()
    await produce(c, 1, 't', 0, idem(['b'], 1)) // after the checkpoint: found by replaying the tail
    await c.stop(1)
    await c.start(1)
    await waitFor(() => c.manager(1).isLeader('t', 0), 1000, 'leader again')
    expect(await produce(c, 1, 't', 0, idem(['b'], 1))).toMatchObject({ errorCode: 0, baseOffset: 1 })
    expect(await produce(c, 1, 't', 0, idem(['a'], 0))).toMatchObject({ errorCode: 0, baseOffset: 0 })
    expect(await produce(c, 1, 't', 0, idem(['c'], 2))).toMatchObject({ errorCode: 0, baseOffset: 2 })
  })

  it('the producer checkpoint follows the log end without idempotent producers, so a restart replays only the tail', async () => {
    const c = await threeNodes()
    const p = c.manager(1).partition('t', 0)!
    await p.checkpointProducerState()
    for (let i = 0; i < 3; i++) await produce(c, 1, 't', 0, batchOf([`plain${i}`]))
    await p.checkpointProducerState()
    const table = new ProducerStateTable()
    expect(table.decode(p.log.producerState()!)).toBe(3) // replay on open starts at 3, not at 0
  })

  it('concurrent in-flight batches of one producer are appended in order within one group', async () => {
    const c = await threeNodes()
    const results = await Promise.all([0, 1, 2, 3, 4].map((seq) => produce(c, 1, 't', 0, idem([`v${seq}`], seq))))
    expect(results.map((r) => r!.baseOffset)).toEqual([0, 1, 2, 3, 4])
    expect(recordsIn((await fetchFrom(c, 1, 't', 0, 0)).records).map((r) => r.value)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4'])
  })
})
