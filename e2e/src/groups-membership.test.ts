/**
 * Consumer-group membership with real broker processes (issue #6): ownership
 * is exclusive at every moment while members join one by one, a 4th member
 * moves only the partitions it takes while the others keep flowing, a member
 * killed with kill -9 (its own process) hands its partitions over after its
 * session timeout with redelivery bounded by its uncommitted window, bad
 * OffsetCommits get their error codes and change nothing, and resetOffsets by
 * timestamp works on an empty group only. One 3-node cluster for the file;
 * the first two tests share a group and build on each other.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { ApiKey, ErrorCode } from '@tributary/protocol'
import { Tributary, type Consumer, type TributaryError } from '@tributary/client'
import { REPO_ROOT, type TestCluster } from './cluster.js'
import { startClusterAndClient, stopClusterAndClient } from './cluster-client.js'
import { coordinatorOf } from './coordinator.js'
import type { ChildEvent } from './group-member-child.js'

const PARTITIONS = 6
/** Producer pause between rounds of one record per partition (a rate bound, not synchronisation). */
const WRITE_GAP_MS = 20
const CHILD_SCRIPT = path.join(REPO_ROOT, 'e2e', 'dist', 'group-member-child.js')
const timings = (msg: string): void => {
  if (process.env.TRIBUTARY_E2E_TIMINGS === '1') console.log(msg)
}

let cluster: TestCluster
let client: Tributary
const consumers: Consumer[] = []
const children = new Set<ChildProcess>()

beforeAll(async () => {
  ;({ cluster, client } = await startClusterAndClient({ nodes: 3, logLevel: 'warn' }, 'e2e-groups-membership'))
}, 60_000)

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL')
  await Promise.all(consumers.map((c) => c.disconnect().catch(() => {})))
  await stopClusterAndClient(client, cluster)
}, 30_000)

/** Writes one record to every partition per round until stopped; remembers every acknowledged offset. */
class Writer {
  readonly acked = new Map<number, number[]>()
  private running = true
  private readonly done: Promise<void>

  constructor(private readonly topic: string) {
    this.done = this.loop()
  }

  async stop(): Promise<void> {
    this.running = false
    await this.done
  }

  private async loop(): Promise<void> {
    const producer = client.producer({ acks: 'all', lingerMs: 2 })
    for (let round = 0; this.running; round++) {
      const sent = await producer.send({ topic: this.topic, messages: Array.from({ length: PARTITIONS }, (_, p) => ({ partition: p, value: `${round}` })) })
      for (const m of sent) this.acked.set(m.partition, [...(this.acked.get(m.partition) ?? []), Number(m.offset)])
      await new Promise((r) => setTimeout(r, WRITE_GAP_MS))
    }
    await producer.disconnect()
  }
}

interface Delivery { member: string; partition: number; offset: number; at: number }

/**
 * Who owns each partition, from the members' assigned / revoked / lost
 * events, and every delivery. A member consumes a partition only between its
 * 'assigned' and its 'revoked' (fetching starts just before the first and
 * ends before the second), so two members holding one partition at once, or
 * a delivery outside its member's ownership, is a violation.
 */
class Ownership {
  readonly owner = new Map<number, string>()
  readonly violations: string[] = []
  readonly deliveries: Delivery[] = []
  readonly events: Array<{ member: string; ev: string; partitions: number[]; at: number }> = []

  event(member: string, ev: 'assigned' | 'revoked' | 'lost', partitions: number[]): void {
    this.events.push({ member, ev, partitions, at: Date.now() })
    for (const p of partitions) {
      const holder = this.owner.get(p)
      if (ev === 'assigned') {
        if (holder !== undefined && holder !== member) this.violations.push(`${member} got partition ${p} while ${holder} held it`)
        this.owner.set(p, member)
      } else if (holder === member) {
        this.owner.delete(p)
      } else {
        this.violations.push(`${member} gave up partition ${p} held by ${holder ?? 'nobody'}`)
      }
    }
  }

  /** A killed process consumes nothing from the moment it is dead. */
  died(member: string): void {
    for (const [p, m] of this.owner) if (m === member) this.owner.delete(p)
  }

  deliver(member: string, partition: number, offset: number): void {
    const holder = this.owner.get(partition)
    if (holder !== member) this.violations.push(`${member} was handed ${partition}/${offset} while ${holder ?? 'nobody'} held it`)
    this.deliveries.push({ member, partition, offset, at: Date.now() })
  }

  partitionsOf(member: string): number[] {
    return [...this.owner].filter(([, m]) => m === member).map(([p]) => p).sort((a, b) => a - b)
  }

  duplicates(): string[] {
    const seen = new Set<string>()
    const dup: string[] = []
    for (const d of this.deliveries) {
      const k = `${d.partition}/${d.offset}`
      if (seen.has(k)) dup.push(k)
      seen.add(k)
    }
    return dup
  }

  /** Acknowledged records never delivered to anyone. */
  missing(writer: Writer): string[] {
    const got = new Set(this.deliveries.map((d) => `${d.partition}/${d.offset}`))
    return [...writer.acked].flatMap(([p, offsets]) => offsets.filter((o) => !got.has(`${p}/${o}`)).map((o) => `${p}/${o}`))
  }

  deliveredAll(writer: Writer): boolean {
    return this.missing(writer).length === 0
  }
}

const partitionsOf = (topic: string, x: { partitions: Array<{ topic: string; partition: number }> }): number[] =>
  x.partitions.filter((tp) => tp.topic === topic).map((tp) => tp.partition)

/** An in-process member whose events and deliveries go to `own`. */
async function member(name: string, groupId: string, topic: string, own: Ownership, opts: { autoCommitIntervalMs?: number } = {}): Promise<Consumer> {
  const c = client.consumer({ groupId, fromBeginning: true, sessionTimeoutMs: 6000, autoCommitIntervalMs: opts.autoCommitIntervalMs ?? 200, maxWaitTimeInMs: 100 })
  consumers.push(c)
  for (const ev of ['assigned', 'revoked', 'lost'] as const) c.on(ev, (x) => own.event(name, ev, partitionsOf(topic, x)))
  await c.subscribe({ topics: [topic] })
  await c.run({ eachMessage: async ({ partition, message }) => own.deliver(name, partition, message.offset) })
  return c
}

async function createTopic(topic: string): Promise<void> {
  await client.admin().createTopic({ topic, partitions: PARTITIONS, replicationFactor: 3 })
}

describe('group membership', () => {
  const GROUP = 'membership'
  const TOPIC = 'membership-orders'
  const own = new Ownership()
  let writer: Writer

  test('three members joining one by one: every partition has exactly one owner at every moment, then 2/2/2', async () => {
    await createTopic(TOPIC)
    writer = new Writer(TOPIC)
    for (const name of ['a', 'b', 'c']) {
      await member(name, GROUP, TOPIC, own)
      // each join moves partitions away from the earlier members: wait for it to land before the next
      await cluster.waitFor(() => own.partitionsOf(name).length > 0, { message: `${name} to get partitions`, timeoutMs: 20_000 })
    }
    await cluster.waitFor(() => ['a', 'b', 'c'].every((m) => own.partitionsOf(m).length === 2), { message: 'a 2/2/2 split', timeoutMs: 20_000 })
    const group = await client.admin().describeGroup(GROUP)
    expect(group.members.map((m) => m.assignment.flatMap((t) => t.partitions).length).sort()).toEqual([2, 2, 2])
    expect(new Set(['a', 'b', 'c'].flatMap((m) => own.partitionsOf(m))).size).toBe(PARTITIONS)
    const upTo = new Map([...writer.acked].map(([p, offsets]) => [p, offsets.length]))
    await cluster.waitFor(() => [...upTo].every(([p, n]) => own.deliveries.filter((d) => d.partition === p).length >= n), { message: 'what was written so far consumed', timeoutMs: 20_000 })
    expect(own.violations).toEqual([])
    expect(own.duplicates()).toEqual([])
  }, 60_000)

  test('a 4th member joins: only the partitions it takes are revoked, the others keep flowing, nothing is delivered twice', async () => {
    const joinedAt = Date.now()
    const eventsBefore = own.events.length
    await member('d', GROUP, TOPIC, own)
    await cluster.waitFor(async () => {
      const sizes = ['a', 'b', 'c', 'd'].map((m) => own.partitionsOf(m).length)
      return sizes.reduce((x, y) => x + y) === PARTITIONS && Math.max(...sizes) - Math.min(...sizes) <= 1 && (await client.admin().describeGroup(GROUP)).state === 'stable'
    }, { message: 'a balanced, stable 4-member group', timeoutMs: 20_000 })
    const settledAt = Date.now()
    // Keep watching for a second after the group settled.
    await cluster.waitFor(() => [...Array(PARTITIONS).keys()].every((p) => own.deliveries.some((d) => d.partition === p && d.at > settledAt + 1000)), { message: 'deliveries a second after settling on every partition', timeoutMs: 20_000 })
    const watchedUntil = Date.now()
    await writer.stop()
    await cluster.waitFor(() => own.deliveredAll(writer), { message: 'every acknowledged record delivered', timeoutMs: 20_000 })

    const since = own.events.slice(eventsBefore)
    const revoked = new Set(since.filter((e) => e.ev !== 'assigned').flatMap((e) => e.partitions))
    const gained = new Set(since.filter((e) => e.member === 'd' && e.ev === 'assigned').flatMap((e) => e.partitions))
    expect(since.filter((e) => e.ev === 'lost')).toEqual([])
    expect(since.filter((e) => e.ev === 'assigned' && e.member !== 'd')).toEqual([])
    expect(gained.size).toBeGreaterThan(0)
    expect([...revoked].sort()).toEqual([...gained].sort())

    // The partitions that did not move: no pause in deliveries while d joined and the group settled.
    const stayed = [...Array(PARTITIONS).keys()].filter((p) => !revoked.has(p))
    expect(stayed.length).toBe(PARTITIONS - revoked.size)
    for (const p of stayed) {
      const times = [joinedAt, ...own.deliveries.filter((d) => d.partition === p && d.at >= joinedAt && d.at <= watchedUntil).map((d) => d.at), watchedUntil]
      const longest = Math.max(...times.slice(1).map((t, i) => t - times[i]!))
      timings(`partition ${p} stayed put: longest delivery gap ${longest} ms while d joined`)
      expect({ partition: p, longestGapMs: longest, under1s: longest < 1000 }).toMatchObject({ partition: p, under1s: true })
    }
    expect(own.violations).toEqual([])
    expect(own.duplicates()).toEqual([])
    expect(own.missing(writer)).toEqual([])
  }, 60_000)
})

/** A member in its own process (e2e/dist/group-member-child.js); its report lines go to `onEvent`. */
function spawnMember(env: Record<string, string>, onEvent: (e: ChildEvent) => void): ChildProcess {
  const child = spawn(process.execPath, [CHILD_SCRIPT], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
  children.add(child)
  child.once('exit', () => children.delete(child))
  createInterface({ input: child.stdout! }).on('line', (line) => onEvent(JSON.parse(line) as ChildEvent))
  let stderr = ''
  child.stderr!.on('data', (d) => (stderr += d))
  child.once('exit', (code, signal) => {
    if (signal !== 'SIGKILL' && stderr) process.stderr.write(`member process exited ${code}: ${stderr}\n`)
  })
  return child
}

test('a member process killed with kill -9: after its session timeout the survivors take its partitions from the committed offsets; only its uncommitted window is redelivered, nothing is lost', async () => {
  const GROUP = 'crash'
  const TOPIC = 'crash-orders'
  const SESSION_MS = 2000
  await createTopic(TOPIC)
  const own = new Ownership()
  const writer = new Writer(TOPIC)
  /** The dead member's acknowledged commits, as it reported them (next offset to read). */
  const childCommitted = new Map<number, number>()
  const child = spawnMember(
    { TRIBUTARY_BOOTSTRAP: cluster.bootstrap.join(','), GROUP, TOPIC, SESSION_TIMEOUT_MS: String(SESSION_MS), AUTO_COMMIT_INTERVAL_MS: '300' },
    (e) => {
      if (e.ev === 'msg') own.deliver('child', e.partition, e.offset)
      else if (e.ev === 'commit') for (const o of e.offsets) childCommitted.set(o.partition, Math.max(childCommitted.get(o.partition) ?? 0, o.offset))
      else own.event('child', e.ev, e.partitions)
    },
  )
  try {
    await cluster.waitFor(() => own.partitionsOf('child').length === PARTITIONS, { message: 'the child member to own every partition', timeoutMs: 30_000 })
    // Survivors never auto-commit during the test: what they start from is what the dead member left.
    for (const name of ['s1', 's2']) await member(name, GROUP, TOPIC, own, { autoCommitIntervalMs: 600_000 })
    await cluster.waitFor(() => ['child', 's1', 's2'].every((m) => own.partitionsOf(m).length === 2), { message: 'a 2/2/2 split', timeoutMs: 20_000 })
    const doomed = own.partitionsOf('child')
    // Kill it mid-stream: it has committed on its partitions since the split and processed more after that commit.
    await cluster.waitFor(() => doomed.every((p) => {
      const c = childCommitted.get(p)
      return c !== undefined && own.deliveries.some((d) => d.member === 'child' && d.partition === p && d.offset > c + 3)
    }), { message: 'commits and fresh records on the child partitions', timeoutMs: 20_000 })
    const killedAt = Date.now()
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    own.died('child')
    const lastAcked = new Map(doomed.map((p) => [p, childCommitted.get(p)!]))
    const childMax = new Map(doomed.map((p) => [p, Math.max(...own.deliveries.filter((d) => d.member === 'child' && d.partition === p).map((d) => d.offset))]))

    await cluster.waitFor(() => doomed.every((p) => own.owner.has(p)), { message: 'the dead member partitions to move', timeoutMs: SESSION_MS + 15_000 })
    const movedAfterMs = Date.now() - killedAt
    // The coordinator's session clock started at the dead member's last heartbeat, at most one heartbeat interval (500 ms) before the kill.
    expect(movedAfterMs).toBeGreaterThanOrEqual(SESSION_MS - 600)
    const committed = new Map((await client.admin().fetchOffsets({ groupId: GROUP, topics: [TOPIC] })).map((o) => [o.partition, o.offset]))
    await writer.stop()
    await cluster.waitFor(() => own.deliveredAll(writer), { message: 'every acknowledged record delivered', timeoutMs: 20_000 })

    for (const p of doomed) {
      const survivors = own.deliveries.filter((d) => d.member !== 'child' && d.partition === p).map((d) => d.offset)
      const byChild = new Set(own.deliveries.filter((d) => d.member === 'child' && d.partition === p).map((d) => d.offset))
      const redelivered = survivors.filter((o) => byChild.has(o))
      const window = [...byChild].filter((o) => o >= committed.get(p)!).sort((a, b) => a - b)
      timings(`partition ${p}: moved ${movedAfterMs} ms after kill -9; acked commit ${lastAcked.get(p)}, committed ${committed.get(p)}, child saw up to ${childMax.get(p)}, redelivered ${redelivered.length}`)
      expect({
        partition: p,
        newOwnerStartsAt: survivors[0],
        committedNeverBehindAckedCommit: committed.get(p)! >= lastAcked.get(p)!,
        committedWithinWhatChildSaw: committed.get(p)! <= childMax.get(p)! + 1,
        redeliveredOnlyUncommittedWindow: redelivered.every((o) => o >= lastAcked.get(p)!),
        redelivered,
        survivorsContiguous: survivors.every((o, i) => i === 0 || o === survivors[i - 1]! + 1),
      }).toEqual({
        partition: p,
        newOwnerStartsAt: committed.get(p),
        committedNeverBehindAckedCommit: true,
        committedWithinWhatChildSaw: true,
        redeliveredOnlyUncommittedWindow: true,
        redelivered: window,
        survivorsContiguous: true,
      })
    }
    // The partitions handed over in order (revoked, committed) earlier were never delivered twice, and nothing acknowledged was lost.
    expect(own.duplicates().filter((k) => !doomed.includes(Number(k.split('/')[0])))).toEqual([])
    expect(own.violations).toEqual([])
    expect(own.missing(writer)).toEqual([])
  } finally {
    child.kill('SIGKILL')
    await writer.stop().catch(() => {})
  }
}, 90_000)

/** A member speaking the heartbeat protocol by hand, so a test controls its epochs exactly. */
class RawMember {
  memberId = ''
  epoch = 0
  owned: Array<{ topic: string; partitions: number[] }> = []

  constructor(private readonly node: number, private readonly groupId: string) {}

  /** One heartbeat; adopts the assignment it returns as what it owns. */
  async heartbeat(extra: { subscribedTopicNames?: string[]; memberEpoch?: number } = {}): Promise<void> {
    const r = await cluster.request(this.node, ApiKey.ConsumerGroupHeartbeat, {
      groupId: this.groupId, memberId: this.memberId, memberEpoch: this.epoch, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000,
      subscribedTopicNames: null, subscribedTopicRegex: null, ownedPartitions: this.owned, ...extra,
    })
    expect(r).toMatchObject({ errorCode: ErrorCode.NONE })
    this.memberId = r.body.memberId
    this.epoch = r.body.memberEpoch
    if (r.body.assignment) this.owned = r.body.assignment.topics.map((t: { topic: string; partitions: number[] }) => ({ topic: t.topic, partitions: t.partitions }))
  }

  /** Heartbeats until the coordinator has nothing new to say (owned = assigned, epoch settled). */
  async settle(): Promise<void> {
    for (let i = 0; i < 5; i++) {
      const before = JSON.stringify([this.epoch, this.owned])
      await this.heartbeat()
      if (JSON.stringify([this.epoch, this.owned]) === before) return
    }
    throw new Error(`member ${this.memberId} did not settle`)
  }
}

test('bad OffsetCommits (unknown topic or partition, stale, fenced or unknown member, negative offset, admin commit to a live group) get their error and change nothing', async () => {
  const GROUP = 'strict'
  const TOPIC = 'strict-orders'
  const OTHER = 'strict-other'
  await createTopic(TOPIC)
  await client.admin().createTopic({ topic: OTHER, partitions: 1, replicationFactor: 3 })
  const node = await coordinatorOf(cluster, GROUP)
  const m = new RawMember(node, GROUP)
  await m.heartbeat({ subscribedTopicNames: [TOPIC], memberEpoch: 0 })
  await m.settle()
  const firstEpoch = m.epoch
  // Two subscription changes move the member two epochs on: firstEpoch is then stale, not merely the previous one.
  await m.heartbeat({ subscribedTopicNames: [TOPIC, OTHER] })
  await m.settle()
  await m.heartbeat({ subscribedTopicNames: [TOPIC] })
  await m.settle()
  expect(m.epoch).toBeGreaterThanOrEqual(firstEpoch + 2)

  const commit = (body: { memberId?: string; memberEpoch?: number; topic?: string; partition?: number; offset?: number }) =>
    cluster.request(node, ApiKey.OffsetCommit, {
      groupId: GROUP, memberId: body.memberId ?? m.memberId, memberEpoch: body.memberEpoch ?? m.epoch,
      topics: [{ topic: body.topic ?? TOPIC, partitions: [{ partition: body.partition ?? 0, offset: body.offset ?? 9, metadata: null }] }],
    })
  expect(await commit({ offset: 5 })).toMatchObject({ errorCode: ErrorCode.NONE, body: { topics: [{ partitions: [{ partition: 0, errorCode: ErrorCode.NONE }] }] } })

  const state = async () => {
    const offsets = await cluster.request(node, ApiKey.OffsetFetch, { groupId: GROUP, topics: null })
    const described = await cluster.request(node, ApiKey.DescribeGroups, { groupIds: [GROUP] })
    const member = described.body.groups[0].members.find((x: { memberId: string }) => x.memberId === m.memberId)
    return { offsets: offsets.body.topics, memberEpoch: member?.memberEpoch, assignment: member?.assignment }
  }
  const before = await state()
  expect(before.offsets).toMatchObject([{ topic: TOPIC, partitions: [{ partition: 0, offset: 5 }] }])
  expect(before.memberEpoch).toBe(m.epoch)

  const cases: Array<[string, Parameters<typeof commit>[0], number, number]> = [
    // [what, request, envelope errorCode, the partition's errorCode]
    ['unknown topic', { topic: 'no-such-topic' }, ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ['unknown partition', { partition: 99 }, ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ['stale member epoch', { memberEpoch: firstEpoch }, ErrorCode.STALE_MEMBER_EPOCH, ErrorCode.STALE_MEMBER_EPOCH],
    ['member epoch from the future', { memberEpoch: m.epoch + 5 }, ErrorCode.FENCED_MEMBER_EPOCH, ErrorCode.FENCED_MEMBER_EPOCH],
    ['unknown member id', { memberId: 'no-such-member' }, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.UNKNOWN_MEMBER_ID],
    ['negative offset', { offset: -3 }, ErrorCode.NONE, ErrorCode.INVALID_REQUEST],
    ['admin commit to a group with members', { memberId: '', memberEpoch: -1, offset: 0 }, ErrorCode.NON_EMPTY_GROUP, ErrorCode.NON_EMPTY_GROUP],
  ]
  const got = []
  for (const [what, body] of cases) {
    const r = await commit(body)
    got.push([what, body, r.errorCode, r.body.topics[0].partitions[0].errorCode])
  }
  expect(got).toEqual(cases)
  expect(await state()).toEqual(before)
  // The member itself was not disturbed: its next heartbeat at the same epoch is answered normally.
  const epoch = m.epoch
  await m.heartbeat()
  expect(m.epoch).toBe(epoch)
  await cluster.request(node, ApiKey.ConsumerGroupHeartbeat, { groupId: GROUP, memberId: m.memberId, memberEpoch: -1 })
}, 60_000)

test('resetOffsets to a timestamp: refused (NON_EMPTY_GROUP) while the group has members, applied once it is empty', async () => {
  const GROUP = 'rewind'
  const TOPIC = 'rewind-orders'
  await client.admin().createTopic({ topic: TOPIC, partitions: 2, replicationFactor: 3 })
  const now = Date.now()
  const OLD = now - 60_000
  const NEW = now - 30_000
  const producer = client.producer({ acks: 'all' })
  for (const timestamp of [OLD, NEW]) {
    await producer.send({ topic: TOPIC, messages: Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, value: `${timestamp}-${i}`, timestamp })) })
  }
  await producer.disconnect()
  const read = async (count: number): Promise<{ consumer: Consumer; got: string[] }> => {
    const got: string[] = []
    const consumer = client.consumer({ groupId: GROUP, fromBeginning: true, autoCommitIntervalMs: 100, maxWaitTimeInMs: 100 })
    await consumer.subscribe({ topics: [TOPIC] })
    await consumer.run({ eachMessage: async ({ partition, message }) => void got.push(`${partition}/${message.offset}`) })
    await cluster.waitFor(() => got.length >= count, { message: `${count} records`, timeoutMs: 20_000 })
    return { consumer, got }
  }
  const committed = async () => (await client.admin().fetchOffsets({ groupId: GROUP })).map((o) => [o.partition, o.offset])

  const live = await read(20)
  await cluster.waitFor(async () => JSON.stringify(await committed()) === JSON.stringify([[0, 10], [1, 10]]), { message: 'everything committed', timeoutMs: 20_000 })
  const refused = await client.admin().resetOffsets({ groupId: GROUP, topic: TOPIC, to: { timestamp: now - 45_000 } }).catch((e: TributaryError) => e)
  expect(refused).toMatchObject({ code: ErrorCode.NON_EMPTY_GROUP, retriable: false })
  expect(await committed()).toEqual([[0, 10], [1, 10]])
  await live.consumer.disconnect()

  // Empty now: the first record at or after the timestamp is offset 5 in each partition (the NEW ones).
  expect(await client.admin().resetOffsets({ groupId: GROUP, topic: TOPIC, to: { timestamp: now - 45_000 } })).toEqual([{ partition: 0, offset: 5 }, { partition: 1, offset: 5 }])
  expect(await committed()).toEqual([[0, 5], [1, 5]])
  const again = await read(10)
  await again.consumer.disconnect()
  expect(again.got.sort()).toEqual(['0/5', '0/6', '0/7', '0/8', '0/9', '1/5', '1/6', '1/7', '1/8', '1/9'])
}, 60_000)
