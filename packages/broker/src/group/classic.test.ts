/**
 * The classic group protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) on
 * the group coordinator, driven through its handlers with a manual clock: the
 * join and sync barriers, generations, the leader, rebalances on arrival,
 * departure and expiry, commits by generation, and the line between classic
 * and consumer-protocol groups.
 */
import { ApiKey, encodeConsumerAssignment, encodeConsumerSubscription, ErrorCode } from '@tributary/protocol'
import { seededRandom } from '@tributary/raft'
import { createGroupCoordinator, OFFSETS_TOPIC } from './index.js'
import { ManualClock } from '../testing/manual-clock.js'
import { FakeController, FakeMetadata, FakeRegistry, FakeReplicas, MemoryOffsetsLog, silentLogger } from './testing.js'

const OFFSETS_PARTITIONS = 4
const SESSION_MS = 1000
const REBALANCE_MS = 2000
const INITIAL_DELAY_MS = 300

async function world() {
  const clock = new ManualClock()
  const metadata = new FakeMetadata(1)
  metadata.setTopic(OFFSETS_TOPIC, OFFSETS_PARTITIONS, { internal: true })
  metadata.setTopic('orders', 4)
  const replicas = new FakeReplicas(new MemoryOffsetsLog())
  const registry = new FakeRegistry()
  const coordinator = createGroupCoordinator({
    nodeId: 1, clock, metadata, replicas, controller: new FakeController(), logger: silentLogger, random: seededRandom(3),
    config: { offsetsTopicPartitions: OFFSETS_PARTITIONS, offsetsTopicReplicationFactor: 1, sessionTimeoutMsMin: 10, classicInitialRebalanceDelayMs: INITIAL_DELAY_MS },
  })
  coordinator.register(registry)
  await coordinator.start()
  for (let p = 0; p < OFFSETS_PARTITIONS; p++) replicas.setLeader(p, true)
  await clock.advance(0)
  return { clock, registry, replicas, coordinator }
}
type World = Awaited<ReturnType<typeof world>>

const subscription = (topics = ['orders']) => encodeConsumerSubscription({ topics })
const assignment = (partitions: number[]) => encodeConsumerAssignment({ assignedPartitions: [{ topic: 'orders', partitions }] })

/** A classic member: joins in two steps (JoinGroup v4+), then holds what SyncGroup gave it. */
class Member {
  memberId = ''
  generation = -1
  leader = ''
  members: Array<{ memberId: string; metadata: Uint8Array }> = []
  assignment: Uint8Array | null = null
  /** A static member's group.instance.id (KIP-345); null: dynamic. */
  instanceId: string | null = null
  constructor(private readonly w: World, readonly groupId = 'g', readonly protocols = [{ name: 'range', metadata: subscription() }]) {}

  static withInstance(w: World, instanceId: string): Member {
    const m = new Member(w)
    m.instanceId = instanceId
    return m
  }

  /** Starts a JoinGroup; resolves with its answer once the join barrier completes. */
  async join(): Promise<{ errorCode: number; body: any }> {
    const body = () => ({ groupId: this.groupId, memberId: this.memberId, sessionTimeoutMs: SESSION_MS, rebalanceTimeoutMs: REBALANCE_MS, protocolType: 'consumer', protocols: this.protocols, clientId: 'c', requireKnownMemberId: true, groupInstanceId: this.instanceId })
    if (this.memberId === '' && this.instanceId === null) {
      const first = await this.w.registry.call(ApiKey.JoinGroup, body())
      expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED)
      this.memberId = (first.body as any).memberId
    }
    const r = await this.w.registry.call(ApiKey.JoinGroup, body())
    if (r.errorCode === ErrorCode.NONE) {
      const b = r.body as any
      ;[this.memberId, this.generation, this.leader, this.members] = [b.memberId, b.generationId, b.leader, b.members]
    }
    return r
  }

  async sync(assignments: Array<{ memberId: string; assignment: Uint8Array }> = []) {
    const r = await this.w.registry.call(ApiKey.SyncGroup, { groupId: this.groupId, memberId: this.memberId, generationId: this.generation, groupInstanceId: this.instanceId, assignments })
    if (r.errorCode === ErrorCode.NONE) this.assignment = (r.body as any).assignment
    return r
  }

  heartbeat() {
    return this.w.registry.call(ApiKey.Heartbeat, { groupId: this.groupId, memberId: this.memberId, generationId: this.generation, groupInstanceId: this.instanceId })
  }

  leave() {
    return this.w.registry.call(ApiKey.LeaveGroup, { groupId: this.groupId, members: [{ memberId: this.memberId, groupInstanceId: this.instanceId }] })
  }

  commit(partition: number, offset: number, generation = this.generation) {
    return this.w.registry.call(ApiKey.OffsetCommit, { groupId: this.groupId, memberId: this.memberId, memberEpoch: generation, topics: [{ topic: 'orders', partitions: [{ partition, offset }] }] })
  }
}

/** Settles a promise's state without waiting for it. */
function track<T>(p: Promise<T>): { done: () => boolean; value: () => T } {
  let done = false
  let value: T
  void p.then((v) => { done = true; value = v })
  return { done: () => done, value: () => value! }
}

/** Everyone joins (in parallel), the leader syncs the given split, everyone syncs. */
async function rebalance(w: World, members: Member[], split: (m: Member, i: number) => number[]): Promise<void> {
  const joins = members.map((m) => track(m.join()))
  await w.clock.advanceUntil(() => joins.every((j) => j.done()), REBALANCE_MS + INITIAL_DELAY_MS)
  for (const j of joins) expect(j.value().errorCode).toBe(ErrorCode.NONE)
  const leader = members.find((m) => m.memberId === m.leader)!
  const syncs = members.filter((m) => m !== leader).map((m) => track(m.sync()))
  const lead = await leader.sync(members.map((m, i) => ({ memberId: m.memberId, assignment: assignment(split(m, i)) })))
  expect(lead.errorCode).toBe(ErrorCode.NONE)
  await w.clock.advance(0)
  for (const s of syncs) expect(s.value().errorCode).toBe(ErrorCode.NONE)
}

describe('classic groups', () => {
  test('members that join together share one generation after the initial delay; only the leader sees the members', async () => {
    const w = await world()
    const [a, b] = [new Member(w), new Member(w)]
    const ja = track(a.join())
    const jb = track(b.join())
    await w.clock.advance(INITIAL_DELAY_MS - 1)
    expect([ja.done(), jb.done()]).toEqual([false, false]) // the barrier holds
    await w.clock.advance(1)
    expect([ja.value().errorCode, jb.value().errorCode]).toEqual([ErrorCode.NONE, ErrorCode.NONE])
    expect([a.generation, b.generation]).toEqual([1, 1])
    expect(a.leader).toBe(b.leader)
    const [leader, follower] = a.memberId === a.leader ? [a, b] : [b, a]
    expect(leader.members.map((m) => m.memberId).sort()).toEqual([a.memberId, b.memberId].sort())
    expect(Buffer.from(leader.members[0]!.metadata)).toEqual(Buffer.from(subscription()))
    expect(follower.members).toEqual([])
    expect((ja.value().body as any).protocolName).toBe('range')
  })

  test('SyncGroup: followers wait for the leader, then each receives its own assignment', async () => {
    const w = await world()
    const [a, b] = [new Member(w), new Member(w)]
    await Promise.all([a.join(), b.join(), w.clock.advance(INITIAL_DELAY_MS)])
    const [leader, follower] = a.memberId === a.leader ? [a, b] : [b, a]
    const waiting = track(follower.sync())
    await w.clock.advance(0)
    expect(waiting.done()).toBe(false)
    expect((await leader.heartbeat()).errorCode).toBe(ErrorCode.NONE) // between the barriers, heartbeats are fine
    await leader.sync([{ memberId: leader.memberId, assignment: assignment([0, 1]) }, { memberId: follower.memberId, assignment: assignment([2, 3]) }])
    await w.clock.advance(0)
    expect(waiting.value().errorCode).toBe(ErrorCode.NONE)
    expect(Buffer.from(leader.assignment!)).toEqual(Buffer.from(assignment([0, 1])))
    expect(Buffer.from(follower.assignment!)).toEqual(Buffer.from(assignment([2, 3])))
    // A late SyncGroup in a stable generation gets the same answer again.
    expect(Buffer.from(((await follower.sync()).body as any).assignment)).toEqual(Buffer.from(assignment([2, 3])))
  })

  test('a new member starts a rebalance: heartbeats say REBALANCE_IN_PROGRESS; a member that never rejoins is removed at the rebalance timeout', async () => {
    const w = await world()
    const [a, b] = [new Member(w), new Member(w)]
    await rebalance(w, [a, b], (_m, i) => (i === 0 ? [0, 1] : [2, 3]))
    const c = new Member(w)
    const jc = track(c.join())
    await w.clock.advance(0)
    expect((await a.heartbeat()).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS)
    const ja = track(a.join()) // a rejoins; b goes on heartbeating without rejoining
    for (let t = 0; t < REBALANCE_MS && !ja.done(); t += 200) {
      await b.heartbeat()
      await w.clock.advance(200)
    }
    await w.clock.advanceUntil(() => ja.done() && jc.done(), REBALANCE_MS)
    expect([ja.value().errorCode, jc.value().errorCode]).toEqual([ErrorCode.NONE, ErrorCode.NONE])
    expect(a.generation).toBe(2)
    expect((await b.heartbeat()).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID) // removed: it did not rejoin
    const leader = [a, c].find((m) => m.memberId === m.leader)!
    expect(leader.members.map((m) => m.memberId).sort()).toEqual([a.memberId, c.memberId].sort())
  })

  test('a member whose session expires is removed and the others rebalance without it', async () => {
    const w = await world()
    const [a, b] = [new Member(w), new Member(w)]
    await rebalance(w, [a, b], (_m, i) => [i])
    for (let t = 0; t < SESSION_MS; t += 200) {
      expect((await a.heartbeat()).errorCode).toBe(ErrorCode.NONE)
      await w.clock.advance(200)
    }
    expect((await a.heartbeat()).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS)
    const ja = await Promise.all([a.join(), w.clock.advance(0)])
    expect(ja[0].errorCode).toBe(ErrorCode.NONE)
    expect([a.generation, a.leader, a.members.length]).toEqual([2, a.memberId, 1])
  })

  test('leaving: the others rebalance at once; the last to leave empties the group, and its commits stay', async () => {
    const w = await world()
    const [a, b] = [new Member(w), new Member(w)]
    await rebalance(w, [a, b], (_m, i) => [i])
    expect((await a.commit(0, 7)).errorCode).toBe(ErrorCode.NONE)
    expect(((await b.leave()).body as any).members).toEqual([{ memberId: b.memberId, groupInstanceId: null, errorCode: ErrorCode.NONE }])
    expect((await a.heartbeat()).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS)
    await Promise.all([a.join(), w.clock.advance(0)])
    expect(a.generation).toBe(2)
    await a.leave()
    const d = await w.registry.call(ApiKey.DescribeGroups, { groupIds: ['g'] })
    expect((d.body as any).groups[0]).toMatchObject({ state: 'empty', members: [] })
    const f = await w.registry.call(ApiKey.OffsetFetch, { groupId: 'g', topics: [{ topic: 'orders', partitions: [0] }] })
    expect((f.body as any).topics[0].partitions[0].offset).toBe(7)
  })

  test('commits: the current generation (even backwards), not a stale one, not an unknown member, not between the barriers', async () => {
    const w = await world()
    const [a, b] = [new Member(w), new Member(w)]
    await Promise.all([a.join(), b.join(), w.clock.advance(INITIAL_DELAY_MS)])
    expect((await a.commit(0, 5)).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS) // joined, not yet synced
    const leader = a.memberId === a.leader ? a : b
    const other = leader === a ? b : a
    await Promise.all([leader.sync([]), other.sync()])
    expect((await a.commit(0, 5)).errorCode).toBe(ErrorCode.NONE)
    expect((await a.commit(0, 3)).errorCode).toBe(ErrorCode.NONE) // a classic member may seek back and commit
    expect((await a.commit(0, 9, 0)).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION)
    const stranger = new Member(w)
    stranger.memberId = 'nobody'
    expect((await stranger.commit(0, 9, 1)).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
    // An admin commit (no member, generation -1) is refused while the group has members.
    expect((await w.registry.call(ApiKey.OffsetCommit, { groupId: 'g', memberId: '', memberEpoch: -1, topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: 0 }] }] })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
    const f = await w.registry.call(ApiKey.OffsetFetch, { groupId: 'g', topics: [{ topic: 'orders', partitions: [0] }] })
    expect((f.body as any).topics[0].partitions[0].offset).toBe(3)
  })

  test('a group id with members of one protocol refuses the other (INCONSISTENT_GROUP_PROTOCOL)', async () => {
    const w = await world()
    const a = new Member(w, 'classic')
    await rebalance(w, [a], () => [0])
    const kip848 = await w.registry.call(ApiKey.ConsumerGroupHeartbeat, { groupId: 'classic', memberId: '', memberEpoch: 0, subscribedTopicNames: ['orders'] })
    expect(kip848.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    const joined = await w.registry.call(ApiKey.ConsumerGroupHeartbeat, { groupId: 'modern', memberId: '', memberEpoch: 0, subscribedTopicNames: ['orders'] })
    expect(joined.errorCode).toBe(ErrorCode.NONE)
    const classicJoin = await w.registry.call(ApiKey.JoinGroup, { groupId: 'modern', memberId: '', sessionTimeoutMs: SESSION_MS, protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription() }] })
    expect(classicJoin.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
  })

  test('members must share a protocol; the group runs the one most members prefer', async () => {
    const w = await world()
    const meta = subscription()
    const a = new Member(w, 'g', [{ name: 'roundrobin', metadata: meta }, { name: 'range', metadata: meta }])
    const b = new Member(w, 'g', [{ name: 'range', metadata: meta }, { name: 'roundrobin', metadata: meta }])
    const c = new Member(w, 'g', [{ name: 'range', metadata: meta }])
    const [ja, jb, jc] = await Promise.all([a.join(), b.join(), c.join(), w.clock.advance(INITIAL_DELAY_MS)])
    expect([ja, jb, jc].map((j) => [j.errorCode, j.body.protocolName])).toEqual([[0, 'range'], [0, 'range'], [0, 'range']])
    const odd = new Member(w, 'g', [{ name: 'sticky', metadata: meta }])
    const r = await w.registry.call(ApiKey.JoinGroup, { groupId: 'g', memberId: '', sessionTimeoutMs: SESSION_MS, protocolType: 'consumer', protocols: odd.protocols })
    expect(r.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    const timeout = await w.registry.call(ApiKey.JoinGroup, { groupId: 'g', memberId: '', sessionTimeoutMs: 10 * 60_000, protocolType: 'consumer', protocols: odd.protocols })
    expect(timeout.errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT)
  })

  test('describe and list show a classic group with its members, subscriptions and assignments; delete refuses it while it has members', async () => {
    const w = await world()
    const [a, b] = [new Member(w), new Member(w)]
    await rebalance(w, [a, b], (m) => (m === a ? [0, 2] : [1, 3]))
    const d = (await w.registry.call(ApiKey.DescribeGroups, { groupIds: ['g'] })).body as any
    const g = d.groups[0]
    expect([g.state, g.groupEpoch, g.classic.state, g.classic.protocolName]).toEqual(['stable', 1, 'Stable', 'range'])
    const byId = new Map(g.members.map((m: any) => [m.memberId, m]))
    expect((byId.get(a.memberId) as any).assignment).toEqual([{ topic: 'orders', topicId: expect.any(String), partitions: [0, 2] }])
    expect((byId.get(b.memberId) as any).subscribedTopicNames).toEqual(['orders'])
    expect((byId.get(b.memberId) as any).classic.clientHost).toBe('test')
    const l = (await w.registry.call(ApiKey.ListGroups, {})).body as any
    expect(l.groups).toEqual([{ groupId: 'g', state: 'stable', protocolType: 'consumer', classicState: 'Stable' }])
    expect(((await w.registry.call(ApiKey.ListGroups, { statesFilter: ['PreparingRebalance'] })).body as any).groups).toEqual([])
    const del = (await w.registry.call(ApiKey.DeleteGroups, { groupIds: ['g'] })).body as any
    expect(del.results).toEqual([{ groupId: 'g', errorCode: ErrorCode.NON_EMPTY_GROUP }])
  })

  test('OffsetDelete refuses a topic the live group subscribes to, deletes another, and everything once the group is empty', async () => {
    const w = await world()
    const offsetDelete = (topic: string, partitions: number[]) => w.registry.call(ApiKey.OffsetDelete, { groupId: 'g', topics: [{ topic, partitions }] })
    const fetched = async () => ((await w.registry.call(ApiKey.OffsetFetch, { groupId: 'g', topics: null })).body as any).topics.flatMap((t: any) => t.partitions.map((p: any) => `${t.topic}-${p.partition}@${p.offset}`))
    expect((await offsetDelete('orders', [0])).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND)
    const a = new Member(w)
    const b = new Member(w, 'g', [{ name: 'range', metadata: subscription(['audit']) }])
    await rebalance(w, [a, b], (m) => (m === a ? [0, 1] : []))
    expect((await a.commit(0, 7)).errorCode).toBe(ErrorCode.NONE)
    expect((await a.commit(1, 8)).errorCode).toBe(ErrorCode.NONE)
    const refused = await offsetDelete('orders', [0, 1])
    expect(refused.body).toEqual({ topics: [{ topic: 'orders', partitions: [{ partition: 0, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC }, { partition: 1, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC }] }] })
    expect(await fetched()).toEqual(['orders-0@7', 'orders-1@8'])
    // Once a leaves, only b remains, subscribed to audit: orders' offsets may go while the group lives.
    await a.leave()
    await Promise.all([b.join(), w.clock.advance(REBALANCE_MS)])
    expect((await offsetDelete('orders', [1])).body).toEqual({ topics: [{ topic: 'orders', partitions: [{ partition: 1, errorCode: ErrorCode.NONE }] }] })
    expect(await fetched()).toEqual(['orders-0@7'])
    await b.leave()
    expect((await offsetDelete('orders', [0, 3])).errorCode).toBe(ErrorCode.NONE)
    expect(await fetched()).toEqual([])
  })

  test('an id handed out with MEMBER_ID_REQUIRED lapses after a session; an unknown id is UNKNOWN_MEMBER_ID', async () => {
    const w = await world()
    const first = await w.registry.call(ApiKey.JoinGroup, { groupId: 'g', memberId: '', sessionTimeoutMs: SESSION_MS, protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription() }], requireKnownMemberId: true })
    const memberId = (first.body as any).memberId
    expect([first.errorCode, memberId]).toEqual([ErrorCode.MEMBER_ID_REQUIRED, expect.stringMatching(/.+/)])
    await w.clock.advance(SESSION_MS)
    const late = await w.registry.call(ApiKey.JoinGroup, { groupId: 'g', memberId, sessionTimeoutMs: SESSION_MS, protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription() }] })
    expect(late.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
  })

  test('losing the coordinator answers parked joins NOT_COORDINATOR', async () => {
    const w = await world()
    const a = new Member(w)
    const ja = track(a.join())
    await w.clock.advance(0)
    for (let p = 0; p < OFFSETS_PARTITIONS; p++) w.replicas.setLeader(p, false)
    await w.clock.advance(0)
    expect(ja.value().errorCode).toBe(ErrorCode.NOT_COORDINATOR)
  })

  describe('static membership (group.instance.id)', () => {
    /** A static member restarted: same instance id, no member id. */
    const restarted = (w: World, old: Member): Member => Member.withInstance(w, old.instanceId!)

    test('a follower rejoining with its instance id takes over its place and assignment without a rebalance; the old id is fenced', async () => {
      const w = await world()
      const [a, b] = [Member.withInstance(w, 'host-a'), Member.withInstance(w, 'host-b')]
      await rebalance(w, [a, b], (_m, i) => (i === 0 ? [0, 1] : [2, 3]))
      const [leader, follower] = a.memberId === a.leader ? [a, b] : [b, a]
      const generation = leader.generation
      const again = restarted(w, follower)
      const joined = await again.join() // answered at once: no barrier
      expect(joined.errorCode).toBe(ErrorCode.NONE)
      expect(again.memberId).not.toBe(follower.memberId)
      expect(again.generation).toBe(generation)
      expect(Buffer.from(((await again.sync()).body as any).assignment)).toEqual(Buffer.from(follower.assignment!))
      // No rebalance: the leader's heartbeat is clean and the generation unchanged.
      expect((await leader.heartbeat()).errorCode).toBe(ErrorCode.NONE)
      // The old incarnation is a zombie: every request it makes is fenced.
      expect((await follower.heartbeat()).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID)
      expect((await follower.sync()).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID)
      expect((await follower.join()).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID)
      expect((await follower.leave()).body).toEqual({ members: [{ memberId: follower.memberId, groupInstanceId: follower.instanceId, errorCode: ErrorCode.FENCED_INSTANCE_ID }] })
      expect((await again.heartbeat()).errorCode).toBe(ErrorCode.NONE)
    })

    test('a follower rejoining with other subscriptions starts a rebalance (its old assignment would be wrong)', async () => {
      const w = await world()
      const [a, b] = [Member.withInstance(w, 'host-a'), Member.withInstance(w, 'host-b')]
      await rebalance(w, [a, b], (_m, i) => (i === 0 ? [0, 1] : [2, 3]))
      const [leader, follower] = a.memberId === a.leader ? [a, b] : [b, a]
      const again = new Member(w, 'g', [{ name: 'range', metadata: subscription(['orders', 'payments']) }])
      again.instanceId = follower.instanceId
      const joining = track(again.join())
      await w.clock.advance(0)
      expect(joining.done()).toBe(false)
      expect((await leader.heartbeat()).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS)
      await Promise.all([leader.join(), w.clock.advanceUntil(() => joining.done(), REBALANCE_MS)])
      expect([joining.value().errorCode, again.generation]).toEqual([ErrorCode.NONE, leader.generation])
    })

    test('the leader rejoining with its instance id starts a rebalance, in which it leads again', async () => {
      const w = await world()
      const [a, b] = [Member.withInstance(w, 'host-a'), Member.withInstance(w, 'host-b')]
      await rebalance(w, [a, b], (_m, i) => (i === 0 ? [0, 1] : [2, 3]))
      const [leader, follower] = a.memberId === a.leader ? [a, b] : [b, a]
      const again = restarted(w, leader)
      const joining = track(again.join())
      await w.clock.advance(0)
      expect(joining.done()).toBe(false) // the barrier: the follower must rejoin
      expect((await follower.heartbeat()).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS)
      await Promise.all([follower.join(), w.clock.advanceUntil(() => joining.done(), REBALANCE_MS)])
      expect(joining.value().errorCode).toBe(ErrorCode.NONE)
      expect(again.leader).toBe(again.memberId)
      expect(again.members.map((m) => m.memberId).sort()).toEqual([again.memberId, follower.memberId].sort())
      expect(again.generation).toBe(leader.generation + 1)
    })

    test('LeaveGroup v3+ by instance id (member id empty) removes the static member; an unknown instance is UNKNOWN_MEMBER_ID', async () => {
      const w = await world()
      const [a, b] = [Member.withInstance(w, 'host-a'), Member.withInstance(w, 'host-b')]
      await rebalance(w, [a, b], (_m, i) => (i === 0 ? [0, 1] : [2, 3]))
      const r = await w.registry.call(ApiKey.LeaveGroup, { groupId: 'g', members: [{ memberId: '', groupInstanceId: 'host-a' }, { memberId: '', groupInstanceId: 'nobody' }] })
      expect((r.body as any).members.map((m: any) => [m.groupInstanceId, m.errorCode])).toEqual([['host-a', ErrorCode.NONE], ['nobody', ErrorCode.UNKNOWN_MEMBER_ID]])
      expect((await b.heartbeat()).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS)
      // host-a may come back later as a new static member (its instance id is free again).
      const back = restarted(w, a)
      const joins = [track(back.join()), track(b.join())]
      await w.clock.advanceUntil(() => joins.every((j) => j.done()), REBALANCE_MS + INITIAL_DELAY_MS)
      expect(joins.map((j) => j.value().errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE])
      expect(back.generation).toBe(b.generation)
    })

    test('a static member whose session expires is removed like a dynamic one, freeing its instance id', async () => {
      const w = await world()
      const [a, b] = [Member.withInstance(w, 'host-a'), new Member(w)]
      await rebalance(w, [a, b], (_m, i) => (i === 0 ? [0, 1] : [2, 3]))
      // b keeps its session alive; a stays silent.
      let bSees: number = ErrorCode.NONE
      for (let elapsed = 0; elapsed <= SESSION_MS && bSees === ErrorCode.NONE; elapsed += 200) {
        await w.clock.advance(200)
        bSees = (await b.heartbeat()).errorCode as number
      }
      expect(bSees).toBe(ErrorCode.REBALANCE_IN_PROGRESS)
      expect((await a.heartbeat()).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
      const back = restarted(w, a)
      const joins = [track(back.join()), track(b.join())]
      await w.clock.advanceUntil(() => joins.every((j) => j.done()), REBALANCE_MS + INITIAL_DELAY_MS)
      expect(joins.map((j) => j.value().errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE])
      expect(back.memberId).not.toBe(a.memberId)
    })
  })
})
