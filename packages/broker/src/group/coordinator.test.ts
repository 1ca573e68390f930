import { ApiKey, ErrorCode, type TopicPartitions } from '@tributary/protocol'
import { seededRandom } from '@tributary/raft'
import { createGroupCoordinator, OFFSETS_TOPIC, type GroupCoordinator } from './index.js'
import { ManualClock } from '../testing/manual-clock.js'
import { FakeController, FakeMetadata, FakeRegistry, FakeReplicas, MemoryOffsetsLog, silentLogger } from './testing.js'

const OFFSETS_PARTITIONS = 4
const SESSION_MS = 1000

/** The world a coordinator lives in; the log outlives coordinators, so a second one over it is a failover. */
function makeWorld() {
  const clock = new ManualClock()
  const metadata = new FakeMetadata(1)
  metadata.setTopic(OFFSETS_TOPIC, OFFSETS_PARTITIONS, { internal: true })
  metadata.setTopic('orders', 6)
  return { clock, metadata, log: new MemoryOffsetsLog(), controller: new FakeController() }
}
type World = ReturnType<typeof makeWorld>

interface Node {
  replicas: FakeReplicas
  registry: FakeRegistry
  coordinator: GroupCoordinator
}

async function startNode(w: World, opts: { lead?: boolean; replicationFactor?: number; expectedBrokers?: number } = {}): Promise<Node> {
  const replicas = new FakeReplicas(w.log)
  const registry = new FakeRegistry()
  const coordinator = createGroupCoordinator({
    nodeId: 1,
    clock: w.clock,
    metadata: w.metadata,
    replicas,
    controller: w.controller,
    config: { offsetsTopicPartitions: OFFSETS_PARTITIONS, offsetsTopicReplicationFactor: opts.replicationFactor ?? 1, sessionTimeoutMsMin: 10, rebalanceTimeoutMsDefault: 5000 },
    logger: silentLogger,
    random: seededRandom(7),
    expectedBrokers: opts.expectedBrokers,
  })
  coordinator.register(registry)
  await coordinator.start()
  if (opts.lead !== false) for (let p = 0; p < OFFSETS_PARTITIONS; p++) replicas.setLeader(p, true)
  await w.clock.advance(0)
  return { replicas, registry, coordinator }
}

const key = (t: string, p: number) => `${t}-${p}`
function keysOf(tps: TopicPartitions[]): Set<string> {
  return new Set(tps.flatMap((tp) => tp.partitions.map((p) => key(tp.topic, p))))
}
function wireOf(keys: Set<string>): TopicPartitions[] {
  const by = new Map<string, number[]>()
  for (const k of keys) {
    const i = k.lastIndexOf('-')
    const t = k.slice(0, i)
    by.set(t, [...(by.get(t) ?? []), Number(k.slice(i + 1))])
  }
  return [...by].map(([topic, partitions]) => ({ topic, partitions }))
}

/** A consumer as the coordinator sees it: it holds exactly what the last assignment said. */
class Member {
  memberId = ''
  epoch = 0
  owned = new Set<string>()
  constructor(
    private node: Node,
    readonly groupId: string,
    private subscription: { names?: string[]; regex?: string } = { names: ['orders'] },
  ) {}

  async heartbeat(extra: Record<string, unknown> = {}) {
    const r = await this.node.registry.call(ApiKey.ConsumerGroupHeartbeat, {
      groupId: this.groupId,
      memberId: this.memberId,
      memberEpoch: this.epoch,
      sessionTimeoutMs: SESSION_MS,
      subscribedTopicNames: this.epoch === 0 ? this.subscription.names ?? null : null,
      subscribedTopicRegex: this.epoch === 0 ? this.subscription.regex ?? null : null,
      ownedPartitions: wireOf(this.owned),
      ...extra,
    })
    if (r.errorCode === ErrorCode.NONE) {
      const body = r.body as any
      this.memberId = body.memberId
      this.epoch = body.memberEpoch
      if (body.assignment) this.owned = keysOf(body.assignment.topics)
    }
    return r
  }

  on(node: Node): this {
    this.node = node
    return this
  }
}

function assertNoSharedPartitions(members: Member[]): void {
  const owner = new Map<string, string>()
  for (const m of members) {
    for (const k of m.owned) {
      expect(`${k} owned by ${owner.get(k) ?? 'nobody'}`).toBe(`${k} owned by nobody`)
      owner.set(k, m.memberId)
    }
  }
}

async function rounds(members: Member[], n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    for (const m of members) {
      const r = await m.heartbeat()
      expect(r.errorCode).toBe(ErrorCode.NONE)
      assertNoSharedPartitions(members)
    }
  }
}

async function commit(node: Node, groupId: string, memberId: string, memberEpoch: number, partitions: Array<[string, number, number]>) {
  const byTopic = new Map<string, Array<{ partition: number; offset: number }>>()
  for (const [t, partition, offset] of partitions) byTopic.set(t, [...(byTopic.get(t) ?? []), { partition, offset }])
  return node.registry.call(ApiKey.OffsetCommit, {
    groupId,
    memberId,
    memberEpoch,
    topics: [...byTopic].map(([topic, ps]) => ({ topic, partitions: ps })),
  })
}

async function committed(node: Node, groupId: string): Promise<Map<string, number>> {
  const r = await node.registry.call(ApiKey.OffsetFetch, { groupId, topics: null })
  expect(r.errorCode).toBe(ErrorCode.NONE)
  const out = new Map<string, number>()
  for (const t of (r.body as any).topics) for (const p of t.partitions) out.set(key(t.topic, p.partition), p.offset)
  return out
}

describe('group coordinator', () => {
  let w: World
  let nodes: Node[]
  beforeEach(() => {
    w = makeWorld()
    nodes = []
  })
  afterEach(async () => {
    for (const n of nodes) await n.coordinator.stop()
  })
  const start = async (opts?: { lead?: boolean }) => {
    const n = await startNode(w, opts)
    nodes.push(n)
    return n
  }

  test('three members of a 6-partition topic settle at 2/2/2, never sharing a partition; a 4th takes one, only it moves', async () => {
    const node = await start()
    const ms = ['a', 'b', 'c'].map(() => new Member(node, 'g1'))
    await rounds(ms, 4)
    expect(ms.map((m) => m.owned.size)).toEqual([2, 2, 2])
    const before = ms.map((m) => new Set(m.owned))

    const d = new Member(node, 'g1')
    await rounds([...ms, d], 4)
    expect([...ms, d].map((m) => m.owned.size).sort()).toEqual([1, 1, 2, 2])
    expect(d.owned.size).toBe(1)
    const lost = ms.map((m, i) => [...before[i]].filter((k) => !m.owned.has(k)).length)
    expect(lost.reduce((a, b) => a + b)).toBe(1)
    const describe = await node.registry.call(ApiKey.DescribeGroups, { groupIds: ['g1'] })
    expect((describe.body as any).groups[0].state).toBe('stable')
  })

  test('a member that stops heartbeating is removed after its session timeout; its partitions move to the others', async () => {
    const node = await start()
    const ms = ['a', 'b', 'c'].map(() => new Member(node, 'g1'))
    await rounds(ms, 4)
    const [alive1, alive2, silent] = ms
    for (let t = 0; t < 3; t++) {
      await w.clock.advance(SESSION_MS / 2)
      await alive1.heartbeat()
      await alive2.heartbeat()
    }
    const r = await silent.heartbeat()
    expect(r.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
    await rounds([alive1, alive2], 3)
    expect([alive1.owned.size, alive2.owned.size]).toEqual([3, 3])
    assertNoSharedPartitions([alive1, alive2])
  })

  test('the heartbeat interval a member is told leaves at least three heartbeats per session', async () => {
    const node = await start()
    const short = await new Member(node, 'hb').heartbeat({ sessionTimeoutMs: 300 })
    const long = await new Member(node, 'hb').heartbeat({ sessionTimeoutMs: 45_000 })
    expect((short.body as any).heartbeatIntervalMs).toBe(100)
    expect((long.body as any).heartbeatIntervalMs).toBe(500) // the configured interval
  })

  test('leaving (epoch -1) frees the partitions at once', async () => {
    const node = await start()
    const [a, b] = ['a', 'b'].map(() => new Member(node, 'g1'))
    await rounds([a, b], 3)
    const left = await a.heartbeat({ memberEpoch: -1 })
    expect((left.body as any).memberEpoch).toBe(-1)
    a.owned.clear()
    await rounds([b], 2)
    expect(b.owned.size).toBe(6)
  })

  test('committed offsets and membership survive a failover: a new coordinator rebuilds them from the log', async () => {
    const first = await start()
    const ms = ['a', 'b', 'c'].map(() => new Member(first, 'g1'))
    await rounds(ms, 4)
    for (const m of ms) {
      const parts = [...m.owned].map((k) => Number(k.split('-')[1]))
      const r = await commit(first, 'g1', m.memberId, m.epoch, parts.map((p) => ['orders', p, 100 + p]))
      expect(r.errorCode).toBe(ErrorCode.NONE)
    }
    const owned = ms.map((m) => new Set(m.owned))
    for (let p = 0; p < OFFSETS_PARTITIONS; p++) first.replicas.setLeader(p, false)
    expect((await first.registry.call(ApiKey.OffsetFetch, { groupId: 'g1', topics: null })).errorCode).toBe(ErrorCode.NOT_COORDINATOR)

    const second = await start()
    expect(await committed(second, 'g1')).toEqual(new Map([0, 1, 2, 3, 4, 5].map((p) => [key('orders', p), 100 + p])))
    // Members carry on with the epochs they had: no rejoin, no movement.
    for (const m of ms) m.on(second)
    await rounds(ms, 2)
    expect(ms.map((m) => m.owned)).toEqual(owned)
  })

  test('commits for unknown partitions, from stale epochs or unknown members get the right error and change nothing', async () => {
    const node = await start()
    const m = new Member(node, 'g1')
    await rounds([m], 2)
    expect((await commit(node, 'g1', m.memberId, m.epoch, [['orders', 0, 5]])).errorCode).toBe(ErrorCode.NONE)
    const before = await committed(node, 'g1')
    const appends = node.replicas.appends

    const unknownPartition = await commit(node, 'g1', m.memberId, m.epoch, [['orders', 6, 9], ['nope', 0, 9]])
    expect((unknownPartition.body as any).topics.map((t: any) => t.partitions[0].errorCode)).toEqual([
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    ])
    expect((await commit(node, 'g1', m.memberId, m.epoch - 1, [['orders', 0, 9]])).errorCode).toBe(ErrorCode.STALE_MEMBER_EPOCH)
    expect((await commit(node, 'g1', m.memberId, m.epoch + 1, [['orders', 0, 9]])).errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH)
    expect((await commit(node, 'g1', 'stranger', 1, [['orders', 0, 9]])).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
    expect((await commit(node, 'g2', 'stranger', 1, [['orders', 0, 9]])).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
    expect((await commit(node, 'g1', m.memberId, m.epoch, [['orders', 0, -3]])).body).toMatchObject({
      topics: [{ partitions: [{ errorCode: ErrorCode.INVALID_REQUEST }] }],
    })

    expect(await committed(node, 'g1')).toEqual(before)
    expect(node.replicas.appends).toBe(appends)
  })

  test('a commit that raced an epoch bump is accepted for partitions the member still holds', async () => {
    const node = await start()
    const a = new Member(node, 'g1')
    await rounds([a], 2)
    const oldEpoch = a.epoch
    const b = new Member(node, 'g1')
    await rounds([a, b], 3)
    expect(a.epoch).toBeGreaterThan(oldEpoch)
    const kept = Number([...a.owned][0].split('-')[1])
    const given = Number([...b.owned][0].split('-')[1])
    const r = await commit(node, 'g1', a.memberId, oldEpoch, [['orders', kept, 3], ['orders', given, 3]])
    expect((r.body as any).topics[0].partitions.map((p: any) => p.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.STALE_MEMBER_EPOCH])
    expect((await committed(node, 'g1')).get(key('orders', kept))).toBe(3)
  })

  test('offsets of a deleted topic are dropped, and stay dropped after a failover', async () => {
    const first = await start()
    w.metadata.setTopic('gone', 1)
    await first.registry.call(ApiKey.OffsetCommit, {
      groupId: 'g1', memberId: '', memberEpoch: -1,
      topics: [{ topic: 'gone', partitions: [{ partition: 0, offset: 4 }] }, { topic: 'orders', partitions: [{ partition: 0, offset: 5 }] }],
    })
    w.metadata.removeTopic('gone')
    await w.clock.advance(0)
    expect(await committed(first, 'g1')).toEqual(new Map([[key('orders', 0), 5]]))
    for (let p = 0; p < OFFSETS_PARTITIONS; p++) first.replicas.setLeader(p, false)
    const second = await start()
    expect(await committed(second, 'g1')).toEqual(new Map([[key('orders', 0), 5]]))
  })

  test('a member commit below the committed offset is ignored (answered NONE); an admin commit may reset, but only in an empty group', async () => {
    const node = await start()
    const m = new Member(node, 'g1')
    await rounds([m], 2)
    await commit(node, 'g1', m.memberId, m.epoch, [['orders', 1, 50]])
    expect((await commit(node, 'g1', m.memberId, m.epoch, [['orders', 1, 40]])).errorCode).toBe(ErrorCode.NONE)
    expect((await committed(node, 'g1')).get(key('orders', 1))).toBe(50)

    expect((await commit(node, 'g1', '', -1, [['orders', 1, 0]])).errorCode).toBe(ErrorCode.NON_EMPTY_GROUP)
    await m.heartbeat({ memberEpoch: -1 })
    expect((await commit(node, 'g1', '', -1, [['orders', 1, 0]])).errorCode).toBe(ErrorCode.NONE)
    expect((await committed(node, 'g1')).get(key('orders', 1))).toBe(0)
  })

  test('new partitions and newly matching topics are assigned without members asking', async () => {
    const node = await start()
    const byName = new Member(node, 'g1')
    const byRegex = new Member(node, 'g2', { regex: 'ev-.*' })
    await rounds([byName, byRegex], 2)
    expect(byName.owned.size).toBe(6)
    expect(byRegex.owned.size).toBe(0)

    w.metadata.setTopic('orders', 8)
    w.metadata.setTopic('ev-clicks', 2)
    w.metadata.setTopic('other', 2)
    await rounds([byName, byRegex], 2)
    expect(byName.owned.size).toBe(8)
    expect([...byRegex.owned].sort()).toEqual(['ev-clicks-0', 'ev-clicks-1'])
  })

  test('a subscription is replaced whole: switching from names to a regex revokes the old topics', async () => {
    const node = await start()
    w.metadata.setTopic('ev-a', 2)
    const m = new Member(node, 'g1')
    await rounds([m], 2)
    expect(m.owned.size).toBe(6)
    await m.heartbeat({ subscribedTopicNames: null, subscribedTopicRegex: 'ev-.*' })
    await rounds([m], 2)
    expect([...m.owned].sort()).toEqual(['ev-a-0', 'ev-a-1'])
    await m.heartbeat({ subscribedTopicNames: ['orders'], subscribedTopicRegex: null })
    await rounds([m], 2)
    expect(m.owned.size).toBe(6)
  })

  test('a partition moves only after its old owner acknowledges the revocation', async () => {
    const node = await start()
    const a = new Member(node, 'g1')
    await rounds([a], 2)
    expect(a.owned.size).toBe(6)
    const b = new Member(node, 'g1')
    await b.heartbeat()
    expect(b.owned.size).toBe(0) // everything is still a's
    // a is told to give 3 up but keeps reporting them (still committing): b gets nothing yet.
    const held = new Set(a.owned)
    await a.heartbeat()
    expect(a.owned.size).toBe(3)
    await a.heartbeat({ ownedPartitions: wireOf(held) })
    await b.heartbeat()
    expect(b.owned.size).toBe(0)
    await a.heartbeat() // now it reports only its 3
    await b.heartbeat()
    expect(b.owned.size).toBe(3)
    assertNoSharedPartitions([a, b])
  })

  test('a member that does not release revoked partitions within its rebalance timeout is removed', async () => {
    const node = await start()
    const a = new Member(node, 'g1')
    await rounds([a], 2)
    const held = new Set(a.owned)
    const b = new Member(node, 'g1')
    await b.heartbeat()
    for (let i = 0; i < 12; i++) {
      await w.clock.advance(500)
      await a.heartbeat({ ownedPartitions: wireOf(held) })
      await b.heartbeat()
    }
    expect((await a.heartbeat({ ownedPartitions: wireOf(held) })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
    expect(b.owned.size).toBe(6)
  })

  test('heartbeats with a wrong epoch are fenced; the member rejoins with epoch 0', async () => {
    const node = await start()
    const a = new Member(node, 'g1')
    await rounds([a], 2)
    expect((await a.heartbeat({ memberEpoch: a.epoch + 5 })).errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH)
    expect((await a.heartbeat({ memberId: 'ghost', memberEpoch: 3 })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
    a.epoch = 0
    a.owned.clear()
    await rounds([a], 2)
    expect(a.owned.size).toBe(6)
  })

  test('NOT_COORDINATOR where another node leads; COORDINATOR_LOAD_IN_PROGRESS while loading', async () => {
    const node = await start({ lead: false })
    const hb = { groupId: 'g1', memberId: '', memberEpoch: 0, subscribedTopicNames: ['orders'] }
    expect((await node.registry.call(ApiKey.ConsumerGroupHeartbeat, hb)).errorCode).toBe(ErrorCode.NOT_COORDINATOR)
    const described = await node.registry.call(ApiKey.DescribeGroups, { groupIds: ['g1'] })
    expect([described.errorCode, (described.body as any).groups[0].errorCode]).toEqual([ErrorCode.NOT_COORDINATOR, ErrorCode.NOT_COORDINATOR])
    let open!: () => void
    node.replicas.readGate = new Promise((resolve) => (open = resolve))
    for (let p = 0; p < OFFSETS_PARTITIONS; p++) node.replicas.setLeader(p, true)
    await w.clock.advance(0)
    expect((await node.registry.call(ApiKey.ConsumerGroupHeartbeat, hb)).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
    node.replicas.readGate = null
    open()
    await w.clock.advance(0)
    expect((await node.registry.call(ApiKey.ConsumerGroupHeartbeat, hb)).errorCode).toBe(ErrorCode.NONE)
  })

  test('DeleteGroups refuses a group with members, deletes an empty one for good', async () => {
    const first = await start()
    const m = new Member(first, 'g1')
    await rounds([m], 2)
    await commit(first, 'g1', m.memberId, m.epoch, [['orders', 0, 7]])
    const del = () => first.registry.call(ApiKey.DeleteGroups, { groupIds: ['g1', 'missing'] })
    expect((await del()).body).toEqual({
      results: [
        { groupId: 'g1', errorCode: ErrorCode.NON_EMPTY_GROUP },
        { groupId: 'missing', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
      ],
    })
    await m.heartbeat({ memberEpoch: -1 })
    expect(((await del()).body as any).results[0].errorCode).toBe(ErrorCode.NONE)
    expect((await first.registry.call(ApiKey.ListGroups, {})).body).toEqual({ groups: [] })
    for (let p = 0; p < OFFSETS_PARTITIONS; p++) first.replicas.setLeader(p, false)
    const second = await start()
    expect(await committed(second, 'g1')).toEqual(new Map())
    expect((await second.registry.call(ApiKey.ListGroups, {})).body).toEqual({ groups: [] })
  })

  test('OffsetDelete: a topic a member subscribes to is refused, another topic\'s offsets are tombstoned for good; an unknown group is GROUP_ID_NOT_FOUND', async () => {
    w.metadata.setTopic('audit', 2)
    const first = await start()
    const admin = (partitions: Array<[string, number, number]>) => commit(first, 'g1', '', -1, partitions)
    expect((await admin([['orders', 0, 5], ['audit', 0, 3], ['audit', 1, 4]])).errorCode).toBe(ErrorCode.NONE)
    const m = new Member(first, 'g1')
    await rounds([m], 2)
    const del = (groupId: string, topics: Array<{ topic: string; partitions: number[] }>) => first.registry.call(ApiKey.OffsetDelete, { groupId, topics })
    const r = await del('g1', [{ topic: 'orders', partitions: [0] }, { topic: 'audit', partitions: [0] }])
    expect(r).toEqual({ errorCode: ErrorCode.NONE, body: { topics: [
      { topic: 'orders', partitions: [{ partition: 0, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC }] },
      { topic: 'audit', partitions: [{ partition: 0, errorCode: ErrorCode.NONE }] },
    ] } })
    expect(await committed(first, 'g1')).toEqual(new Map([[key('orders', 0), 5], [key('audit', 1), 4]]))
    const unknown = await del('g1', [{ topic: 'nope', partitions: [0] }, { topic: 'audit', partitions: [2] }])
    expect((unknown.body as any).topics.map((t: any) => t.partitions[0].errorCode)).toEqual([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION])
    expect((await del('missing', [{ topic: 'orders', partitions: [0] }])).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND)
    expect((await first.registry.call(ApiKey.OffsetDelete, { groupId: 'g1', topics: [{ topic: 'orders', partitions: [-1] }] })).errorCode).toBe(ErrorCode.INVALID_REQUEST)
    await m.heartbeat({ memberEpoch: -1 }) // the group is empty: nothing is subscribed
    expect(((await del('g1', [{ topic: 'orders', partitions: [0] }])).body as any).topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE)
    for (let p = 0; p < OFFSETS_PARTITIONS; p++) first.replicas.setLeader(p, false)
    const second = await start()
    expect(await committed(second, 'g1')).toEqual(new Map([[key('audit', 1), 4]]))
  })

  test('a failed write is answered with an error and the partition is reloaded from the log', async () => {
    const node = await start()
    const m = new Member(node, 'g1')
    await rounds([m], 2)
    await commit(node, 'g1', m.memberId, m.epoch, [['orders', 0, 10]])
    node.replicas.failAppendsWith = ErrorCode.NOT_ENOUGH_REPLICAS
    const failed = await commit(node, 'g1', m.memberId, m.epoch, [['orders', 0, 20]])
    expect(failed.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    node.replicas.failAppendsWith = null
    await w.clock.advance(200) // the reload retries its load marker after loadRetryBackoffMs
    expect(await committed(node, 'g1')).toEqual(new Map([[key('orders', 0), 10]]))
    await rounds([m], 1) // the member's state came back from the log too
    expect(m.owned.size).toBe(6)
  })

  test('FindCoordinator creates __consumer_offsets on first need, then names the leader of hash(group) mod N', async () => {
    const metadata = new FakeMetadata(1, [1, 2])
    const w2 = { ...makeWorld(), metadata }
    const node = await startNode(w2, { replicationFactor: 3 })
    nodes.push(node)
    const missing = await node.registry.call(ApiKey.FindCoordinator, { key: 'g1', keyType: 0 })
    expect(missing.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    expect(w2.controller.requests[0]).toMatchObject({
      apiKey: ApiKey.CreateTopics,
      body: { topics: [{ name: OFFSETS_TOPIC, numPartitions: 4, replicationFactor: 2, internal: true, configs: { 'cleanup.policy': 'compact' } }] },
    })
    metadata.setTopic(OFFSETS_TOPIC, 4, { internal: true, leader: 2 })
    const found = await node.registry.call(ApiKey.FindCoordinator, { key: 'g1', keyType: 0 })
    expect(found).toEqual({ errorCode: ErrorCode.NONE, body: { nodeId: 2, endpoint: 'ws://127.0.0.1:9093' } })
  })

  test('__consumer_offsets gets the full replication factor: no creation until that many brokers of the cluster are unfenced', async () => {
    // A 3-voter cluster where only this node has registered so far (the others are still starting).
    const metadata = new FakeMetadata(1, [1])
    const w2 = { ...makeWorld(), metadata }
    const node = await startNode(w2, { replicationFactor: 3, expectedBrokers: 3 })
    nodes.push(node)
    const find = () => node.registry.call(ApiKey.FindCoordinator, { key: 'g1', keyType: 0 })
    const early = await find()
    expect(early.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    expect((early.body as any).errorMessage).toMatch(/needs 3 available brokers, 1 are/)
    // The others registered but are fenced (down): still no topic, and a group request is refused retriably too.
    metadata.setBroker(2, { fenced: true })
    metadata.setBroker(3, { fenced: false })
    expect((await find()).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    const hb = await node.registry.call(ApiKey.ConsumerGroupHeartbeat, { groupId: 'g1', memberId: '', memberEpoch: 0, subscribedTopicNames: ['orders'] })
    expect(hb.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    expect(w2.controller.requests).toEqual([])
    metadata.setBroker(2, { fenced: false })
    expect((await find()).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    expect(w2.controller.requests).toHaveLength(1)
    expect(w2.controller.requests[0]!.body.topics[0]).toMatchObject({ name: OFFSETS_TOPIC, replicationFactor: 3 })
  })

  test('a 1-node cluster creates __consumer_offsets with replication factor 1 though 3 is configured', async () => {
    const w2 = { ...makeWorld(), metadata: new FakeMetadata(1, [1]) }
    const node = await startNode(w2, { replicationFactor: 3, expectedBrokers: 1 })
    nodes.push(node)
    expect((await node.registry.call(ApiKey.FindCoordinator, { key: 'g1', keyType: 0 })).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    expect(w2.controller.requests[0]!.body.topics[0]).toMatchObject({ name: OFFSETS_TOPIC, replicationFactor: 1 })
  })

  test('malformed requests are answered with an error code, never thrown', async () => {
    const node = await start()
    const bad: Array<[number, unknown, number]> = [
      [ApiKey.ConsumerGroupHeartbeat, null, ErrorCode.INVALID_REQUEST],
      [ApiKey.ConsumerGroupHeartbeat, { groupId: '', memberEpoch: 0 }, ErrorCode.INVALID_GROUP_ID],
      [ApiKey.ConsumerGroupHeartbeat, { groupId: 'g', memberEpoch: 'x' }, ErrorCode.INVALID_REQUEST],
      [ApiKey.ConsumerGroupHeartbeat, { groupId: 'g', memberEpoch: 0 }, ErrorCode.INVALID_REQUEST],
      [ApiKey.ConsumerGroupHeartbeat, { groupId: 'g', memberEpoch: 0, subscribedTopicRegex: '(' }, ErrorCode.INVALID_REQUEST],
      // would backtrack exponentially against a long topic name in the broker's thread
      [ApiKey.ConsumerGroupHeartbeat, { groupId: 'g', memberEpoch: 0, subscribedTopicRegex: '(a+)+b' }, ErrorCode.INVALID_REQUEST],
      [ApiKey.ConsumerGroupHeartbeat, { groupId: 'g', memberEpoch: 0, subscribedTopicNames: ['t'], ownedPartitions: [{ topic: 't', partitions: [-1] }] }, ErrorCode.INVALID_REQUEST],
      [ApiKey.OffsetCommit, { groupId: 'g', memberId: '', memberEpoch: -1, topics: 'x' }, ErrorCode.INVALID_REQUEST],
      [ApiKey.OffsetCommit, { groupId: 'g', memberId: 3, memberEpoch: -1, topics: [] }, ErrorCode.INVALID_REQUEST],
      [ApiKey.OffsetFetch, { groupId: 'g', topics: [{ topic: 't', partitions: ['0'] }] }, ErrorCode.INVALID_REQUEST],
      [ApiKey.FindCoordinator, { key: 5 }, ErrorCode.INVALID_REQUEST],
      [ApiKey.DescribeGroups, { groupIds: 'g' }, ErrorCode.INVALID_REQUEST],
      [ApiKey.DeleteGroups, {}, ErrorCode.INVALID_REQUEST],
      [ApiKey.ListGroups, { statesFilter: 3 }, ErrorCode.INVALID_REQUEST],
    ]
    for (const [apiKey, body, code] of bad) {
      const r = await node.registry.call(apiKey, body)
      expect([apiKey, r.errorCode]).toEqual([apiKey, code])
    }
  })

  test('ListGroups and DescribeGroups report states, members, assignment and target', async () => {
    const node = await start()
    const [a, b] = ['a', 'b'].map(() => new Member(node, 'g1'))
    await a.heartbeat()
    await b.heartbeat()
    const listed = await node.registry.call(ApiKey.ListGroups, { statesFilter: ['Reconciling'] })
    expect(listed.body).toEqual({ groups: [{ groupId: 'g1', state: 'reconciling', protocolType: 'consumer' }] })
    await rounds([a, b], 3)
    const d = (await node.registry.call(ApiKey.DescribeGroups, { groupIds: ['g1', 'nope'] })).body as any
    expect(d.groups[0]).toMatchObject({ groupId: 'g1', errorCode: 0, state: 'stable' })
    expect(d.groups[0].members).toHaveLength(2)
    for (const m of d.groups[0].members) {
      expect(m.assignment).toEqual(m.targetAssignment)
      expect(m.assignment[0]).toMatchObject({ topic: 'orders', topicId: expect.any(String) })
    }
    expect(d.groups[1]).toMatchObject({ groupId: 'nope', errorCode: ErrorCode.GROUP_ID_NOT_FOUND, state: 'dead' })
  })
})
