import { ApiKey, ErrorCode } from '@tributary/protocol'
import { controllerHarness } from '../testing/controller-harness.js'

type H = ReturnType<typeof controllerHarness>
const epochs = new Map<number, number>()

async function call(h: H, apiKey: number, body: unknown) {
  const r = await h.controller.handle(apiKey, body)
  if (!r) throw new Error('no response')
  return r as { errorCode: number; body: any }
}

async function heartbeat(h: H, nodeId: number, extra: Record<string, unknown> = {}) {
  return call(h, ApiKey.BrokerHeartbeat, {
    nodeId, brokerEpoch: epochs.get(nodeId), currentMetadataOffset: h.metadata.image().offset, wantFence: false, wantShutdown: false, ...extra,
  })
}

async function registerBrokers(h: H, ids: number[]): Promise<void> {
  for (const id of ids) {
    const r = await call(h, ApiKey.BrokerRegistration, { nodeId: id, endpoint: `ws://h${id}:9092`, incarnationId: `inc-${id}` })
    expect(r.errorCode).toBe(0)
    epochs.set(id, r.body.brokerEpoch)
  }
  for (const id of ids) expect((await heartbeat(h, id)).body.isFenced).toBe(false)
}

async function createTopic(h: H, topic: Record<string, unknown>) {
  const r = await call(h, ApiKey.CreateTopics, { topics: [{ numPartitions: 1, replicationFactor: 1, ...topic }], timeoutMs: 1000 })
  return r.body.topics[0]
}

const partitions = (h: H, name: string) => h.metadata.image().topicsByName.get(name)!.partitions

let h: H
beforeEach(() => {
  epochs.clear()
  h = controllerHarness()
  h.controller.activate()
})
afterEach(() => h.controller.deactivate())

describe('registration and liveness', () => {
  test('a broker starts fenced and is unfenced once its metadata reaches its registration', async () => {
    const r = await call(h, ApiKey.BrokerRegistration, { nodeId: 7, endpoint: 'ws://x:1', incarnationId: 'a' })
    const epoch = r.body.brokerEpoch
    expect(h.metadata.image().brokers.get(7)!.fenced).toBe(true)
    const behind = await call(h, ApiKey.BrokerHeartbeat, { nodeId: 7, brokerEpoch: epoch, currentMetadataOffset: epoch - 1, wantFence: false, wantShutdown: false })
    expect(behind.body).toEqual({ isCaughtUp: false, isFenced: true, shouldShutdown: false })
    const caughtUp = await call(h, ApiKey.BrokerHeartbeat, { nodeId: 7, brokerEpoch: epoch, currentMetadataOffset: epoch, wantFence: false, wantShutdown: false })
    expect(caughtUp.body).toEqual({ isCaughtUp: true, isFenced: false, shouldShutdown: false })
  })

  test('heartbeat ages are in milliseconds since the last heartbeat, null for an unknown broker', async () => {
    await registerBrokers(h, [1])
    await h.clock.advance(700)
    expect(h.controller.heartbeatAgeMs(1)).toBe(700)
    await heartbeat(h, 1)
    expect(h.controller.heartbeatAgeMs(1)).toBe(0)
    expect(h.controller.heartbeatAgeMs(9)).toBeNull()
  })

  test('a retried registration keeps its epoch; a new incarnation gets a new one', async () => {
    const a = await call(h, ApiKey.BrokerRegistration, { nodeId: 7, endpoint: 'ws://x:1', incarnationId: 'a' })
    const again = await call(h, ApiKey.BrokerRegistration, { nodeId: 7, endpoint: 'ws://x:1', incarnationId: 'a' })
    const b = await call(h, ApiKey.BrokerRegistration, { nodeId: 7, endpoint: 'ws://x:1', incarnationId: 'b' })
    expect(again.body.brokerEpoch).toBe(a.body.brokerEpoch)
    expect(b.body.brokerEpoch).toBeGreaterThan(a.body.brokerEpoch)
    const stale = await call(h, ApiKey.BrokerHeartbeat, { nodeId: 7, brokerEpoch: a.body.brokerEpoch, currentMetadataOffset: 99, wantFence: false, wantShutdown: false })
    expect(stale.errorCode).toBe(ErrorCode.STALE_BROKER_EPOCH)
  })

  test('a registration stores its named listeners in the image; a malformed endpoints map is refused', async () => {
    const endpoints = { external: 'ws://localhost:9092' }
    const r = await call(h, ApiKey.BrokerRegistration, { nodeId: 7, endpoint: 'ws://node7:9092', endpoints, incarnationId: 'a' })
    expect(r.errorCode).toBe(ErrorCode.NONE)
    expect(h.metadata.image().brokers.get(7)).toMatchObject({ endpoint: 'ws://node7:9092', endpoints })
    for (const bad of [['ws://x:1'], { external: 7 }, 'ws://x:1', Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`l${i}`, 'ws://x:1']))]) {
      const refused = await call(h, ApiKey.BrokerRegistration, { nodeId: 8, endpoint: 'ws://x:1', endpoints: bad, incarnationId: 'b' })
      expect(refused.errorCode).toBe(ErrorCode.INVALID_REQUEST)
    }
    expect(h.metadata.image().brokers.has(8)).toBe(false)
  })

  test('a broker silent past the session timeout is fenced and its partitions move within the ISR', async () => {
    await registerBrokers(h, [1, 2, 3])
    await createTopic(h, { name: 't', numPartitions: 6, replicationFactor: 3 })
    const before = partitions(h, 't')
    // Brokers 1 and 3 keep heartbeating; 2 goes silent.
    for (let ms = 0; ms < 2600; ms += 250) {
      await heartbeat(h, 1)
      await heartbeat(h, 3)
      await h.clock.advance(250)
    }
    expect(h.metadata.image().brokers.get(2)!.fenced).toBe(true)
    const after = partitions(h, 't')
    for (const p of before) {
      const now = after[p.partition]!
      expect(now.isr).not.toContain(2)
      if (p.leader === 2) {
        expect(now.leader).not.toBe(2)
        expect(p.isr).toContain(now.leader)
        expect(now.leaderEpoch).toBe(p.leaderEpoch + 1)
      } else {
        expect(now.leader).toBe(p.leader)
        expect(now.leaderEpoch).toBe(p.leaderEpoch)
      }
      expect(now.partitionEpoch).toBe(p.partitionEpoch + 1)
    }
  })

  test('a silent broker is fenced as soon as its session expires, not at the next periodic check', async () => {
    await registerBrokers(h, [1, 2, 3])
    await h.clock.advance(120) // out of step with the periodic check
    await heartbeat(h, 2)
    const silentFrom = h.clock.now()
    let fencedAfter = -1
    for (let ms = 10; ms <= 2_300 && fencedAfter < 0; ms += 10) {
      if (ms % 250 === 0) {
        await heartbeat(h, 1)
        await heartbeat(h, 3)
      }
      await h.clock.advance(10)
      if (h.metadata.image().brokers.get(2)!.fenced) fencedAfter = h.clock.now() - silentFrom
    }
    expect(fencedAfter).toBeGreaterThan(2_000)
    expect(fencedAfter).toBeLessThanOrEqual(2_020)
  })

  test('a session that looks expired after a stall of the controller is fenced only if no heartbeat is read in the next event-loop turn', async () => {
    let reprieves = 0
    h.controller.deactivate()
    h = controllerHarness({ timings: { heartbeat: () => {}, sessionReprieved: () => void reprieves++ } })
    h.controller.activate()
    await registerBrokers(h, [1, 2, 3])
    // The controller stalls: nobody's heartbeat is read until the session check has run. Brokers 1 and 3
    // had sent theirs (they wait in the sockets and are read in the next turn); broker 2 had not.
    const silentFrom = h.clock.now()
    const check = h.controller.checkSessions.bind(h.controller)
    let stalled = true
    h.controller.checkSessions = () => {
      check()
      if (!stalled || h.clock.now() - silentFrom <= 2_000) return
      stalled = false
      setImmediate(() => void heartbeat(h, 1).then(() => heartbeat(h, 3)))
    }
    await h.clock.advance(2_300)
    expect([1, 2, 3].map((id) => h.metadata.image().brokers.get(id)!.fenced)).toEqual([false, true, false])
    expect(reprieves).toBe(2)
  })

  test('a new controller counts the previous controller\'s silence (its lost election) against that broker\'s session', async () => {
    await registerBrokers(h, [1, 2, 3])
    h.controller.deactivate()
    h.controller.activate({ nodeId: 2, silentMs: 500 }) // 2 led the quorum and went quiet
    const activatedAt = h.clock.now()
    const fenced = new Map<number, number>()
    for (let ms = 10; ms <= 2_300 && fenced.size < 2; ms += 10) {
      await h.clock.advance(10)
      for (const id of [2, 3]) if (!fenced.has(id) && h.metadata.image().brokers.get(id)!.fenced) fenced.set(id, h.clock.now() - activatedAt)
      if (ms % 250 === 0) await heartbeat(h, 1)
    }
    expect(fenced.get(2)).toBeGreaterThan(1_500)
    expect(fenced.get(2)).toBeLessThanOrEqual(1_520)
    expect(fenced.get(3)).toBeGreaterThan(2_000) // any other broker gets a full session
  })

  test('the last ISR member keeps its place with no leader, and leads again when it returns', async () => {
    await registerBrokers(h, [1, 2])
    await createTopic(h, { name: 't', numPartitions: 1, replicationFactor: 1, assignments: [[2]] })
    await call(h, ApiKey.BrokerHeartbeat, { nodeId: 2, brokerEpoch: epochs.get(2), currentMetadataOffset: 0, wantFence: true, wantShutdown: false })
    expect(partitions(h, 't')[0]).toMatchObject({ leader: -1, isr: [2], leaderEpoch: 1 })
    const back = await heartbeat(h, 2)
    expect(back.body.isFenced).toBe(false)
    expect(partitions(h, 't')[0]).toMatchObject({ leader: 2, isr: [2], leaderEpoch: 2 })
  })

  test('an out-of-ISR replica leads only with unclean.leader.election.enable', async () => {
    await registerBrokers(h, [1, 2, 3])
    for (const [name, unclean] of [['clean', 'false'], ['unclean', 'true']] as const) {
      await createTopic(h, { name, replicationFactor: 2, assignments: [[2, 3]], configs: { 'unclean.leader.election.enable': unclean } })
      const p = partitions(h, name)[0]!
      await call(h, ApiKey.AlterPartition, { brokerId: 2, brokerEpoch: epochs.get(2), topics: [{ topicId: p.topicId, partitions: [{ partition: 0, leaderEpoch: 0, partitionEpoch: 0, newIsr: [2] }] }] })
    }
    await call(h, ApiKey.BrokerHeartbeat, { nodeId: 2, brokerEpoch: epochs.get(2), currentMetadataOffset: 0, wantFence: true, wantShutdown: false })
    expect(partitions(h, 'clean')[0]).toMatchObject({ leader: -1, isr: [2] })
    expect(partitions(h, 'unclean')[0]).toMatchObject({ leader: 3, isr: [3], leaderEpoch: 1 })
  })

  test('controlled shutdown moves leadership away before the broker is told to stop', async () => {
    await registerBrokers(h, [1, 2, 3])
    await createTopic(h, { name: 't', numPartitions: 3, replicationFactor: 2 })
    const r = await heartbeat(h, 2, { wantShutdown: true })
    expect(r.body).toMatchObject({ isFenced: true, shouldShutdown: true })
    for (const p of partitions(h, 't')) {
      expect(p.leader).not.toBe(2)
      expect(p.leader).not.toBe(-1)
    }
    expect(h.metadata.image().brokers.get(2)).toMatchObject({ fenced: true, inControlledShutdown: true })
  })
})

describe('CreateTopics', () => {
  beforeEach(() => registerBrokers(h, [1, 2, 3]))

  test.each([
    ['.', ErrorCode.INVALID_TOPIC_EXCEPTION],
    ['..', ErrorCode.INVALID_TOPIC_EXCEPTION],
    ['a/b', ErrorCode.INVALID_TOPIC_EXCEPTION],
    ['x'.repeat(250), ErrorCode.INVALID_TOPIC_EXCEPTION],
    ['__private', ErrorCode.INVALID_TOPIC_EXCEPTION],
  ])('refuses the name %j', async (name, code) => {
    expect((await createTopic(h, { name })).errorCode).toBe(code)
  })

  test('names may use the legal characters up to 249 long', async () => {
    expect((await createTopic(h, { name: 'Ab9._-' })).errorCode).toBe(0)
    expect((await createTopic(h, { name: 'y'.repeat(249) })).errorCode).toBe(0)
  })

  test('validates partitions, replication factor and configs', async () => {
    expect((await createTopic(h, { name: 'a', numPartitions: 0 })).errorCode).toBe(ErrorCode.INVALID_PARTITIONS)
    expect((await createTopic(h, { name: 'a', replicationFactor: 4 })).errorCode).toBe(ErrorCode.INVALID_REPLICATION_FACTOR)
    expect((await createTopic(h, { name: 'a', replicationFactor: 0 })).errorCode).toBe(ErrorCode.INVALID_REPLICATION_FACTOR)
    expect((await createTopic(h, { name: 'a', configs: { 'no.such': '1' } })).errorCode).toBe(ErrorCode.INVALID_CONFIG)
    expect((await createTopic(h, { name: 'a', configs: { 'retention.ms': 'soon' } })).errorCode).toBe(ErrorCode.INVALID_CONFIG)
    expect((await createTopic(h, { name: 'a', configs: { 'cleanup.policy': 'compact,delete' } })).errorCode).toBe(0)
    expect(h.metadata.image().topicsByName.get('a')!.configs).toEqual({ 'cleanup.policy': 'compact,delete' })
  })

  test('a second create of the same name, even concurrent, gets TOPIC_ALREADY_EXISTS', async () => {
    const [a, b] = await Promise.all([createTopic(h, { name: 'dup' }), createTopic(h, { name: 'dup' })])
    expect([a.errorCode, b.errorCode].sort((x: number, y: number) => x - y)).toEqual([0, ErrorCode.TOPIC_ALREADY_EXISTS])
  })

  test('names that differ only in . and _ collide', async () => {
    await createTopic(h, { name: 'a.b' })
    expect((await createTopic(h, { name: 'a_b' })).errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION)
  })

  test('internal topics are created by brokers with internal: true', async () => {
    const t = await createTopic(h, { name: '__consumer_offsets', numPartitions: 4, replicationFactor: 3, internal: true, configs: { 'cleanup.policy': 'compact' } })
    expect(t.errorCode).toBe(0)
    expect(h.metadata.image().topicsByName.get('__consumer_offsets')!.internal).toBe(true)
    expect((await call(h, ApiKey.DeleteTopics, { topics: ['__consumer_offsets'], timeoutMs: 1 })).body.topics[0].errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION)
  })

  test('a controller that steps down mid-request commits nothing more: the rest is refused NOT_CONTROLLER', async () => {
    const commit = h.quorum.commit.bind(h.quorum)
    h.quorum.commit = async (records) => {
      const index = await commit(records)
      h.controller.deactivate() // leadership lost between this request's two entries
      return index
    }
    const before = h.quorum.index
    const r = await call(h, ApiKey.CreateTopics, { topics: [{ name: 'first', numPartitions: 1, replicationFactor: 1 }, { name: 'second', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 1000 })
    expect(r.body.topics.map((t: { errorCode: number }) => t.errorCode)).toEqual([0, ErrorCode.NOT_CONTROLLER])
    expect(h.quorum.index).toBe(before + 1)
    expect(h.metadata.image().topicsByName.has('second')).toBe(false)
  })

  test('validateOnly commits nothing', async () => {
    const before = h.quorum.index
    const r = await call(h, ApiKey.CreateTopics, { topics: [{ name: 'v', numPartitions: 3, replicationFactor: 3 }], timeoutMs: 1, validateOnly: true })
    expect(r.body.topics[0]).toMatchObject({ errorCode: 0, numPartitions: 3, replicationFactor: 3 })
    expect(h.quorum.index).toBe(before)
    expect(h.metadata.image().topicsByName.has('v')).toBe(false)
  })

  test('placement balances leaders and replicas across brokers', async () => {
    await createTopic(h, { name: 'p', numPartitions: 12, replicationFactor: 2 })
    const ps = partitions(h, 'p')
    const leaders = [1, 2, 3].map((id) => ps.filter((p) => p.leader === id).length)
    const replicas = [1, 2, 3].map((id) => ps.filter((p) => p.replicas.includes(id)).length)
    expect(leaders).toEqual([4, 4, 4])
    expect(replicas).toEqual([8, 8, 8])
    for (const p of ps) expect(p.isr).toEqual(p.replicas)
  })
})

describe('topic admin', () => {
  beforeEach(() => registerBrokers(h, [1, 2, 3]))

  test('DeleteTopics removes a topic; unknown names get UNKNOWN_TOPIC_OR_PARTITION', async () => {
    await createTopic(h, { name: 'gone' })
    const r = await call(h, ApiKey.DeleteTopics, { topics: ['gone', 'never'], timeoutMs: 1 })
    expect(r.body.topics.map((t: any) => t.errorCode)).toEqual([0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION])
    expect(h.metadata.image().topicsByName.has('gone')).toBe(false)
  })

  test('DeleteTopics with validateOnly answers as a deletion would and deletes nothing', async () => {
    await createTopic(h, { name: 'kept' })
    const r = await call(h, ApiKey.DeleteTopics, { topics: ['kept', 'never'], timeoutMs: 1, validateOnly: true })
    expect(r.body.topics.map((t: any) => t.errorCode)).toEqual([0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION])
    expect(h.metadata.image().topicsByName.has('kept')).toBe(true)
  })

  test('CreatePartitions only grows a topic', async () => {
    await createTopic(h, { name: 'g', numPartitions: 2, replicationFactor: 2 })
    const shrink = await call(h, ApiKey.CreatePartitions, { topics: [{ name: 'g', count: 1 }], timeoutMs: 1 })
    expect(shrink.body.topics[0].errorCode).toBe(ErrorCode.INVALID_PARTITIONS)
    const grow = await call(h, ApiKey.CreatePartitions, { topics: [{ name: 'g', count: 5 }], timeoutMs: 1 })
    expect(grow.body.topics[0].errorCode).toBe(0)
    expect(partitions(h, 'g').map((p) => p.replicas.length)).toEqual([2, 2, 2, 2, 2])
  })

  test('AlterConfigs sets and deletes known configs and refuses the rest', async () => {
    await createTopic(h, { name: 'c' })
    const set = await call(h, ApiKey.AlterConfigs, { resources: [{ type: 'topic', name: 'c', configs: [{ name: 'retention.ms', op: 'set', value: '1000' }] }] })
    expect(set.body.resources[0].errorCode).toBe(0)
    expect(h.metadata.image().topicsByName.get('c')!.configs).toEqual({ 'retention.ms': '1000' })
    const bad = await call(h, ApiKey.AlterConfigs, { resources: [{ type: 'topic', name: 'c', configs: [{ name: 'min.insync.replicas', op: 'set', value: '0' }] }] })
    expect(bad.body.resources[0].errorCode).toBe(ErrorCode.INVALID_CONFIG)
    await call(h, ApiKey.AlterConfigs, { resources: [{ type: 'topic', name: 'c', configs: [{ name: 'retention.ms', op: 'delete' }] }] })
    expect(h.metadata.image().topicsByName.get('c')!.configs).toEqual({})
  })
})

describe('AlterPartition', () => {
  beforeEach(() => registerBrokers(h, [1, 2, 3]))

  const alter = (brokerId: number, p: { topicId: string; leaderEpoch: number; partitionEpoch: number }, newIsr: number[]) =>
    call(h, ApiKey.AlterPartition, {
      brokerId, brokerEpoch: epochs.get(brokerId),
      topics: [{ topicId: p.topicId, partitions: [{ partition: 0, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, newIsr }] }],
    }).then((r) => r.body.topics[0].partitions[0])

  test('the leader shrinks and expands the ISR, naming the current partition epoch', async () => {
    await createTopic(h, { name: 'i', replicationFactor: 3 })
    const p = partitions(h, 'i')[0]!
    const shrunk = await alter(p.leader, p, [p.leader])
    expect(shrunk).toMatchObject({ errorCode: 0, isr: [p.leader], partitionEpoch: 1, leaderEpoch: 0 })
    expect(await alter(p.leader, p, p.replicas)).toMatchObject({ errorCode: ErrorCode.INVALID_UPDATE_VERSION })
    const now = partitions(h, 'i')[0]!
    expect(await alter(p.leader, now, p.replicas)).toMatchObject({ errorCode: 0, isr: p.replicas, partitionEpoch: 2 })
  })

  test('only the current leader, at its epoch, with live replicas', async () => {
    await createTopic(h, { name: 'i', replicationFactor: 3 })
    const p = partitions(h, 'i')[0]!
    const follower = p.replicas.find((r) => r !== p.leader)!
    expect(await alter(follower, p, p.replicas)).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER })
    expect(await alter(p.leader, { ...p, leaderEpoch: -1 }, p.replicas)).toMatchObject({ errorCode: ErrorCode.FENCED_LEADER_EPOCH })
    expect(await alter(p.leader, p, [p.leader, 99])).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST })
    await alter(p.leader, p, [p.leader])
    await call(h, ApiKey.BrokerHeartbeat, { nodeId: follower, brokerEpoch: epochs.get(follower), currentMetadataOffset: 0, wantFence: true, wantShutdown: false })
    const now = partitions(h, 'i')[0]!
    expect(await alter(p.leader, now, [p.leader, follower])).toMatchObject({ errorCode: ErrorCode.INELIGIBLE_REPLICA })
  })

  test('a batch for many partitions commits as one entry; a partition named twice is refused, not changed twice', async () => {
    await createTopic(h, { name: 'many', numPartitions: 12, replicationFactor: 3 })
    const ps = partitions(h, 'many')
    const leader = ps[0]!.leader
    const led = ps.filter((p) => p.leader === leader)
    expect(led.length).toBeGreaterThan(1)
    const entriesBefore = h.quorum.committed.length
    const r = await call(h, ApiKey.AlterPartition, {
      brokerId: leader, brokerEpoch: epochs.get(leader),
      topics: [{
        topicId: ps[0]!.topicId,
        partitions: [
          ...led.map((p) => ({ partition: p.partition, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, newIsr: [leader] })),
          { partition: led[0]!.partition, leaderEpoch: led[0]!.leaderEpoch, partitionEpoch: led[0]!.partitionEpoch, newIsr: led[0]!.replicas },
        ],
      }],
    })
    const answers = r.body.topics[0].partitions
    expect(answers.slice(0, led.length).every((a: any) => a.errorCode === 0)).toBe(true)
    expect(answers[led.length].errorCode).toBe(ErrorCode.INVALID_REQUEST)
    expect(h.quorum.committed.length).toBe(entriesBefore + 1)
    expect(h.quorum.committed.at(-1)!.records).toHaveLength(led.length)
    for (const p of led) expect(partitions(h, 'many')[p.partition]!.isr).toEqual([leader])
  })
})

test('InitProducerId hands out unique ids from committed blocks', async () => {
  const ids = new Set<number>()
  for (let i = 0; i < 1500; i++) ids.add((await call(h, ApiKey.InitProducerId, {})).body.producerId)
  expect(ids.size).toBe(1500)
  const blocks = h.quorum.committed.filter((c) => c.records[0]!.type === 'ProducerIds')
  expect(blocks).toHaveLength(2)
  expect(h.metadata.image().nextProducerId).toBeGreaterThan(Math.max(...ids))
})

test('an inactive controller answers NOT_CONTROLLER', async () => {
  h.controller.deactivate()
  expect((await call(h, ApiKey.CreateTopics, { topics: [], timeoutMs: 1 })).errorCode).toBe(ErrorCode.NOT_CONTROLLER)
})
