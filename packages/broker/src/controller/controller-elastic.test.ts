/**
 * The controller's elastic-cluster decisions over an instant quorum: preferred
 * leader elections (explicit and automatic, without ping-pong while a broker
 * flaps) and partition reassignment (KIP-455) from start to completion or cancel.
 */
import { ApiKey, ElectionType, ErrorCode } from '@tributary/protocol'
import { controllerHarness, type HarnessConfig } from '../testing/controller-harness.js'

type H = ReturnType<typeof controllerHarness>
const CHECK_MS = 1000
const SESSION_MS = 2000

async function call(h: H, apiKey: number, body: unknown) {
  const r = await h.controller.handle(apiKey, body)
  if (!r) throw new Error('no response')
  return r as { errorCode: number; body: any }
}

function world(config: HarnessConfig = { leaderImbalanceCheckIntervalMs: CHECK_MS }) {
  const h = controllerHarness({ sessionMs: SESSION_MS, config })
  const epochs = new Map<number, number>()
  const heartbeat = (id: number) => call(h, ApiKey.BrokerHeartbeat, {
    nodeId: id, brokerEpoch: epochs.get(id), currentMetadataOffset: h.metadata.image().offset, wantFence: false, wantShutdown: false,
  })
  const register = async (id: number, incarnation = 'a') => {
    const r = await call(h, ApiKey.BrokerRegistration, { nodeId: id, endpoint: `ws://h${id}:9092`, incarnationId: `${incarnation}-${id}` })
    expect(r.errorCode).toBe(ErrorCode.NONE)
    epochs.set(id, r.body.brokerEpoch)
    expect((await heartbeat(id)).body.isFenced).toBe(false)
  }
  const fence = (id: number) => call(h, ApiKey.BrokerHeartbeat, {
    nodeId: id, brokerEpoch: epochs.get(id), currentMetadataOffset: h.metadata.image().offset, wantFence: true, wantShutdown: false,
  })
  const partition = (topic: string, n: number) => h.metadata.image().topicsByName.get(topic)!.partitions[n]!
  /** The leader asks for a new ISR, as its AlterPartition batcher would. */
  const alterIsr = async (topic: string, n: number, newIsr: number[]) => {
    const p = partition(topic, n)
    const r = await call(h, ApiKey.AlterPartition, {
      brokerId: p.leader, brokerEpoch: epochs.get(p.leader),
      topics: [{ topicId: p.topicId, partitions: [{ partition: n, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, newIsr }] }],
    })
    expect(r.errorCode).toBe(ErrorCode.NONE)
    return r.body.topics[0].partitions[0]
  }
  const reassign = (topic: string, partitions: Array<{ partitionIndex: number; replicas: number[] | null }>) =>
    call(h, ApiKey.AlterPartitionReassignments, { timeoutMs: 1000, topics: [{ name: topic, partitions }] })
  /** Let `ms` pass in 100 ms steps, the named brokers heartbeating all along. */
  const passTime = async (ms: number, ids: number[]) => {
    for (let t = 0; t < ms; t += 100) {
      for (const id of ids) await heartbeat(id)
      await h.clock.advance(100)
    }
  }
  return { h, epochs, heartbeat, register, fence, partition, alterIsr, reassign, passTime }
}

async function createTopic(h: H, name: string, assignments: number[][]) {
  const r = await call(h, ApiKey.CreateTopics, { topics: [{ name, numPartitions: -1, replicationFactor: -1, assignments }], timeoutMs: 1000 })
  expect(r.body.topics[0].errorCode).toBe(ErrorCode.NONE)
}

let w: ReturnType<typeof world>
afterEach(() => w?.h.controller.deactivate())

describe('preferred leader election', () => {
  async function leaderMovedOff(config?: HarnessConfig) {
    w = world(config)
    w.h.controller.activate()
    for (const id of [1, 2, 3]) await w.register(id)
    await createTopic(w.h, 'orders', [[1, 2, 3], [2, 3, 1], [3, 1, 2]])
    await w.fence(1) // partition 0 moves to 2; 1 leaves every ISR
    expect(w.partition('orders', 0).leader).toBe(2)
    return w
  }

  test('ElectLeaders moves leadership to the preferred replica only once it is back in the ISR', async () => {
    await leaderMovedOff({ autoLeaderRebalance: false })
    await w.heartbeat(1) // unfenced, but not in the ISR yet
    const early = await call(w.h, ApiKey.ElectLeaders, { electionType: ElectionType.PREFERRED, topicPartitions: [{ topic: 'orders', partitions: [0, 1] }], timeoutMs: 1000 })
    expect(early.body.replicaElectionResults[0].partitionResult).toEqual([
      { partitionId: 0, errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, errorMessage: expect.any(String) },
      { partitionId: 1, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: expect.any(String) },
    ])
    expect(w.partition('orders', 0).leader).toBe(2)
    await w.alterIsr('orders', 0, [1, 2, 3])
    const epoch = w.partition('orders', 0).leaderEpoch
    const r = await call(w.h, ApiKey.ElectLeaders, { electionType: ElectionType.PREFERRED, topicPartitions: null, timeoutMs: 1000 })
    // all partitions: only the ones an election was tried on are answered
    expect(r.body.replicaElectionResults).toEqual([{ topic: 'orders', partitionResult: [{ partitionId: 0, errorCode: ErrorCode.NONE, errorMessage: null }] }])
    expect(w.partition('orders', 0)).toMatchObject({ leader: 1, leaderEpoch: epoch + 1 })
  })

  test('an unknown partition and a malformed election type are refused', async () => {
    await leaderMovedOff({ autoLeaderRebalance: false })
    const r = await call(w.h, ApiKey.ElectLeaders, { electionType: 0, topicPartitions: [{ topic: 'nope', partitions: [0] }], timeoutMs: 1000 })
    expect(r.body.replicaElectionResults[0].partitionResult[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    expect((await call(w.h, ApiKey.ElectLeaders, { electionType: 7, topicPartitions: null })).errorCode).toBe(ErrorCode.INVALID_REQUEST)
    expect((await call(w.h, ApiKey.ElectLeaders, { electionType: 0, topicPartitions: [{ topic: 'orders', partitions: ['x'] }] })).errorCode).toBe(ErrorCode.INVALID_REQUEST)
  })

  test('the automatic rebalance returns leadership within two check intervals of the broker being back in sync', async () => {
    await leaderMovedOff()
    await w.heartbeat(1)
    await w.alterIsr('orders', 0, [1, 2, 3])
    for (const id of [2, 3]) await w.heartbeat(id)
    // keep every session alive while time passes
    const waited = await w.h.clock.advanceUntil(() => {
      for (const id of [1, 2, 3]) void w.heartbeat(id)
      return w.partition('orders', 0).leader === 1
    }, 2 * CHECK_MS + 100, 100)
    expect(w.partition('orders', 0).leader).toBe(1)
    expect(waited).toBeLessThanOrEqual(2 * CHECK_MS + 100)
  })

  test('no rebalance while the imbalance is within leader.imbalance.per.broker.percentage', async () => {
    w = world({ leaderImbalanceCheckIntervalMs: CHECK_MS, leaderImbalancePerBrokerPercentage: 50 })
    w.h.controller.activate()
    for (const id of [1, 2]) await w.register(id)
    await createTopic(w.h, 't', [[1, 2], [1, 2], [1, 2], [2, 1]])
    await w.fence(1)
    await w.heartbeat(1)
    for (const n of [0, 1, 2]) await w.alterIsr('t', n, [1, 2])
    // leadership of partitions 0 and 1 back by hand: 1 of broker 1's 3 preferred partitions led elsewhere = 33% <= 50%
    await call(w.h, ApiKey.ElectLeaders, { electionType: 0, topicPartitions: [{ topic: 't', partitions: [0, 1] }], timeoutMs: 1000 })
    expect(w.partition('t', 2).leader).toBe(2)
    await w.passTime(3 * CHECK_MS, [1, 2])
    expect(w.partition('t', 2).leader).toBe(2)
  })

  test('a flapping broker does not pull leadership back and forth', async () => {
    await leaderMovedOff()
    let moves = 0
    const before = w.h.quorum.committed.length
    // flap: back and in sync, then fenced again, every 600 ms (less than a check interval)
    for (let i = 0; i < 6; i++) {
      await w.heartbeat(1)
      await w.alterIsr('orders', 0, [...new Set([...w.partition('orders', 0).isr, 1])])
      await w.passTime(300, [1, 2, 3])
      await w.fence(1)
      await w.passTime(300, [2, 3])
    }
    for (const c of w.h.quorum.committed.slice(before)) {
      for (const r of c.records) if (r.type === 'PartitionChange' && r.leader === 1) moves++
    }
    expect(moves).toBe(0)
  })

  test('an unclean election gives a leaderless partition any live replica, and only a leaderless one', async () => {
    w = world({ autoLeaderRebalance: false })
    w.h.controller.activate()
    for (const id of [1, 2]) await w.register(id)
    await createTopic(w.h, 't', [[1, 2], [2, 1]])
    await w.fence(2)
    await w.fence(1) // the last ISR member stays in the ISR: partition 0 has no leader
    expect(w.partition('t', 0)).toMatchObject({ leader: -1, isr: [1] })
    await w.heartbeat(2) // back, but out of sync: a clean election cannot use it
    expect(w.partition('t', 0).leader).toBe(-1)
    const elect = (type: number) => call(w.h, ApiKey.ElectLeaders, { electionType: type, topicPartitions: [{ topic: 't', partitions: [0] }], timeoutMs: 1000 })
    expect((await elect(ElectionType.PREFERRED)).body.replicaElectionResults[0].partitionResult[0].errorCode).toBe(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE)
    expect((await elect(ElectionType.UNCLEAN)).body.replicaElectionResults[0].partitionResult[0].errorCode).toBe(ErrorCode.NONE)
    expect(w.partition('t', 0)).toMatchObject({ leader: 2, isr: [2] })
    expect((await elect(ElectionType.UNCLEAN)).body.replicaElectionResults[0].partitionResult[0].errorCode).toBe(ErrorCode.ELECTION_NOT_NEEDED)
  })

  test('auto.leader.rebalance.enable=false never moves leadership on its own', async () => {
    await leaderMovedOff({ autoLeaderRebalance: false, leaderImbalanceCheckIntervalMs: CHECK_MS })
    await w.heartbeat(1)
    await w.alterIsr('orders', 0, [1, 2, 3])
    await w.passTime(4 * CHECK_MS, [1, 2, 3])
    expect(w.partition('orders', 0).leader).toBe(2)
  })
})

describe('partition reassignment', () => {
  async function fourBrokers() {
    w = world({ autoLeaderRebalance: false })
    w.h.controller.activate()
    for (const id of [1, 2, 3, 4]) await w.register(id)
    await createTopic(w.h, 'orders', [[1, 2, 3], [2, 3, 1]])
  }

  test('adding replicas join, then the ISR change that brings the last one in completes the move and drops the removed replica', async () => {
    await fourBrokers()
    expect((await w.reassign('orders', [{ partitionIndex: 0, replicas: [4, 2, 3] }])).body.responses[0].partitions[0].errorCode).toBe(ErrorCode.NONE)
    expect(w.partition('orders', 0)).toMatchObject({ replicas: [4, 2, 3, 1], addingReplicas: [4], removingReplicas: [1], isr: [1, 2, 3], leader: 1 })
    const listed = await call(w.h, ApiKey.ListPartitionReassignments, { timeoutMs: 1000, topics: null })
    expect(listed.body.topics).toEqual([{ name: 'orders', partitions: [{ partitionIndex: 0, replicas: [4, 2, 3, 1], addingReplicas: [4], removingReplicas: [1] }] }])
    // broker 4 caught up: the leader (1, being removed) adds it to the ISR; leadership moves to the new preferred replica
    const answer = await w.alterIsr('orders', 0, [1, 2, 3, 4])
    const p = w.partition('orders', 0)
    expect(p).toMatchObject({ replicas: [4, 2, 3], isr: [4, 2, 3], leader: 4 })
    expect(p.addingReplicas).toBeUndefined()
    expect(p.removingReplicas).toBeUndefined()
    expect(answer).toMatchObject({ leader: 4, isr: [4, 2, 3] })
    expect((await call(w.h, ApiKey.ListPartitionReassignments, { timeoutMs: 1000, topics: null })).body.topics).toEqual([])
  })

  test('ListPartitionReassignments: all, by topic, by partition; unknown names are left out', async () => {
    await fourBrokers()
    await w.reassign('orders', [{ partitionIndex: 0, replicas: [4, 2, 3] }, { partitionIndex: 1, replicas: [4, 3, 1] }])
    const list = async (topics: unknown) => (await call(w.h, ApiKey.ListPartitionReassignments, { timeoutMs: 1000, topics })).body.topics
    const indexes = (topics: any[]) => topics.flatMap((t: any) => t.partitions.map((p: any) => `${t.name}-${p.partitionIndex}`))
    expect(indexes(await list(null))).toEqual(['orders-0', 'orders-1'])
    expect(indexes(await list([{ name: 'orders', partitionIndexes: [] }]))).toEqual(['orders-0', 'orders-1'])
    expect(indexes(await list([{ name: 'orders', partitionIndexes: [1, 5] }, { name: 'nope', partitionIndexes: [0] }]))).toEqual(['orders-1'])
  })

  test('an ISR change that still lacks a target replica leaves the reassignment in progress', async () => {
    await fourBrokers()
    await w.reassign('orders', [{ partitionIndex: 1, replicas: [4, 1, 2] }])
    await w.alterIsr('orders', 1, [2, 1]) // 3 falls behind: still in progress
    expect(w.partition('orders', 1)).toMatchObject({ replicas: [4, 1, 2, 3], isr: [1, 2], addingReplicas: [4], removingReplicas: [3], leader: 2 })
  })

  test('a reorder or a pure removal completes at once', async () => {
    await fourBrokers()
    await w.reassign('orders', [{ partitionIndex: 0, replicas: [3, 2, 1] }, { partitionIndex: 1, replicas: [2, 3] }])
    expect(w.partition('orders', 0)).toMatchObject({ replicas: [3, 2, 1], leader: 1 })
    expect(w.partition('orders', 1)).toMatchObject({ replicas: [2, 3], isr: [2, 3], leader: 2 })
    expect(w.partition('orders', 1).removingReplicas).toBeUndefined()
  })

  test('cancel restores the original replica set and drops the partial copies', async () => {
    await fourBrokers()
    await w.reassign('orders', [{ partitionIndex: 0, replicas: [4, 2, 3] }])
    const r = await w.reassign('orders', [{ partitionIndex: 0, replicas: null }, { partitionIndex: 1, replicas: null }])
    expect(r.body.responses[0].partitions.map((p: any) => p.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS])
    const p = w.partition('orders', 0)
    // Kafka's revert: the kept replicas first, then the ones that were being removed (the leader stays)
    expect(p).toMatchObject({ replicas: [2, 3, 1], isr: [1, 2, 3], leader: 1 })
    expect(p.addingReplicas).toBeUndefined()
  })

  test('a new target replaces the one in progress, measured from the original replicas', async () => {
    await fourBrokers()
    await w.reassign('orders', [{ partitionIndex: 0, replicas: [4, 2, 3] }])
    await w.reassign('orders', [{ partitionIndex: 0, replicas: [1, 4, 3] }])
    expect(w.partition('orders', 0)).toMatchObject({ replicas: [1, 4, 3, 2], addingReplicas: [4], removingReplicas: [2] })
  })

  test('bad targets are refused per partition and change nothing', async () => {
    await fourBrokers()
    const before = w.partition('orders', 0)
    const r = await w.reassign('orders', [
      { partitionIndex: 0, replicas: [1, 1, 2] }, { partitionIndex: 0, replicas: [9] }, { partitionIndex: 7, replicas: [1] },
    ])
    expect(r.body.responses[0].partitions.map((p: any) => p.errorCode)).toEqual([ErrorCode.INVALID_REPLICA_ASSIGNMENT, ErrorCode.INVALID_REQUEST, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION])
    expect(w.partition('orders', 0)).toBe(before)
    expect((await call(w.h, ApiKey.AlterPartitionReassignments, { topics: 'x' })).errorCode).toBe(ErrorCode.INVALID_REQUEST)
  })

  test('a new controller continues a reassignment from the log alone', async () => {
    await fourBrokers()
    await w.reassign('orders', [{ partitionIndex: 0, replicas: [4, 2, 3] }])
    w.h.controller.deactivate()
    w.h.controller.activate()
    await w.alterIsr('orders', 0, [1, 2, 3, 4])
    expect(w.partition('orders', 0)).toMatchObject({ replicas: [4, 2, 3], leader: 4 })
  })

  test('the leader fenced mid-reassignment: a target replica in the ISR takes over and the move still completes', async () => {
    await fourBrokers()
    await w.reassign('orders', [{ partitionIndex: 0, replicas: [4, 2, 3] }])
    await w.fence(1)
    expect(w.partition('orders', 0)).toMatchObject({ leader: 2, isr: [2, 3], addingReplicas: [4], removingReplicas: [1] })
    await w.alterIsr('orders', 0, [2, 3, 4])
    expect(w.partition('orders', 0)).toMatchObject({ replicas: [4, 2, 3], isr: [4, 2, 3], leader: 2 })
  })
})
