import { afterEach, describe, expect, test } from '@jest/globals'
import { ApiKey, ErrorCode } from '@tributary/protocol'
import { Tributary } from './tributary.js'
import { FakeCluster } from './testing/fake-cluster.js'
import { fakeClient, waitFor } from './testing/helpers.js'

let client: Tributary | undefined
afterEach(async () => {
  await client?.close()
  client = undefined
})

function setup(): FakeCluster {
  const fake = new FakeCluster(3)
  client = fakeClient(fake)
  return fake
}

describe('admin', () => {
  test('createTopic, listTopics, describeTopic, deleteTopic', async () => {
    const fake = setup()
    const admin = client!.admin()
    const created = await admin.createTopic({ topic: 'orders', partitions: 6, replicationFactor: 3, config: { 'retention.ms': '86400000' } })
    expect(created).toEqual({ topic: 'orders', topicId: 'id-orders', created: true })
    expect(fake.requests.find((r) => r.apiKey === ApiKey.CreateTopics)!.body.topics[0]).toMatchObject({ name: 'orders', numPartitions: 6, replicationFactor: 3, configs: { 'retention.ms': '86400000' } })
    expect(await admin.listTopics()).toEqual(['orders'])
    await client!.producer().send({ topic: 'orders', messages: [{ value: 'x', partition: 2 }, { value: 'y', partition: 2 }] })
    const d = await admin.describeTopic('orders')
    expect(d.partitions).toHaveLength(6)
    expect(d.partitions[2]).toMatchObject({ partition: 2, leader: 3, leaderEpoch: 0, replicas: [1, 2, 3], isr: [1, 2, 3], logStartOffset: 0, highWatermark: 2 })
    expect(await admin.fetchTopicOffsets('orders')).toContainEqual({ partition: 2, offset: 2, high: 2, low: 0 })
    await admin.deleteTopic('orders')
    expect(await admin.listTopics()).toEqual([])
  })

  test('per-topic errors come back as TributaryErrors with the broker message', async () => {
    setup()
    const admin = client!.admin()
    await admin.createTopic({ topic: 'dup' })
    await expect(admin.createTopic({ topic: 'dup' })).rejects.toMatchObject({ code: ErrorCode.TOPIC_ALREADY_EXISTS, retriable: false, message: expect.stringMatching(/dup: topic dup already exists/) })
    await expect(admin.createTopic({ topic: 'rf', replicationFactor: 5 })).rejects.toMatchObject({ code: ErrorCode.INVALID_REPLICATION_FACTOR })
    await expect(admin.describeTopic('missing')).rejects.toMatchObject({ code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })
  })

  test('a topic answered NOT_CONTROLLER (the controller lost leadership mid-commit) is asked for again; if it now exists it is not an error', async () => {
    const fake = setup()
    const f = fake as unknown as { createFromRequest(t: { name: string }, validateOnly: boolean): { name: string; errorCode: number } }
    const create = f.createFromRequest.bind(fake)
    const asked = new Map<string, number>()
    f.createFromRequest = (t, validateOnly) => {
      const n = (asked.get(t.name) ?? 0) + 1
      asked.set(t.name, n)
      if (n > 1 || t.name === 'plain') return create(t, validateOnly)
      // 'kept' was committed before the answer was lost; 'dropped' was not.
      if (t.name === 'kept') create(t, validateOnly)
      return { name: t.name, errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: 'node 1 lost leadership' } as never
    }
    const created = await client!.admin().createTopics({ topics: [{ topic: 'kept' }, { topic: 'dropped' }, { topic: 'plain' }] })
    expect(created).toEqual([
      { topic: 'kept', topicId: 'id-kept', created: false },
      { topic: 'dropped', topicId: 'id-dropped', created: true },
      { topic: 'plain', topicId: 'id-plain', created: true },
    ])
    expect(Object.fromEntries(asked)).toEqual({ kept: 2, dropped: 2, plain: 1 })
    // Somebody else's topic is still an error without ifNotExists.
    await expect(client!.admin().createTopic({ topic: 'plain' })).rejects.toMatchObject({ code: ErrorCode.TOPIC_ALREADY_EXISTS })
  })

  test('createTopic with ifNotExists answers created: false for a topic that exists, and keeps its id', async () => {
    setup()
    const admin = client!.admin()
    expect(await admin.createTopic({ topic: 'once', partitions: 2, ifNotExists: true })).toEqual({ topic: 'once', topicId: 'id-once', created: true })
    expect(await admin.createTopic({ topic: 'once', partitions: 2, ifNotExists: true })).toEqual({ topic: 'once', topicId: 'id-once', created: false })
    // other errors still throw
    await expect(admin.createTopic({ topic: 'rf', replicationFactor: 5, ifNotExists: true })).rejects.toMatchObject({ code: ErrorCode.INVALID_REPLICATION_FACTOR })
    const both = await admin.createTopics({ topics: [{ topic: 'once' }, { topic: 'twice' }], ifNotExists: true })
    expect(both.map((t) => [t.topic, t.created])).toEqual([['once', false], ['twice', true]])
  })

  test('createTopic with validateOnly sends validateOnly, creates nothing and answers created: false', async () => {
    const fake = setup()
    const admin = client!.admin()
    expect(await admin.createTopic({ topic: 'dry', partitions: 3, validateOnly: true })).toEqual({ topic: 'dry', topicId: null, created: false })
    expect(fake.requests.find((r) => r.apiKey === ApiKey.CreateTopics)!.body.validateOnly).toBe(true)
    expect(await admin.listTopics()).toEqual([])
  })

  test('bad arguments are ArgumentErrors', async () => {
    setup()
    const admin = client!.admin()
    await expect(admin.createTopic({ topic: '' })).rejects.toThrow(/topic must be a non-empty string/)
    await expect(admin.createTopic({ topic: 't', partitions: 0 })).rejects.toThrow(/partitions must be a positive integer/)
    await expect(admin.createTopic({ topic: 't', config: { a: 1 as any } })).rejects.toThrow(/config\["a"\] must be a string/)
    await expect(admin.resetOffsets({ groupId: 'g', topic: 't', to: 'middle' as any })).rejects.toMatchObject({ name: 'ArgumentError', message: expect.stringMatching(/to must be 'earliest'/) })
  })

  test('configs: alter incrementally and describe', async () => {
    setup()
    const admin = client!.admin()
    await admin.createTopic({ topic: 'c', config: { 'cleanup.policy': 'delete' } })
    await admin.alterConfigs({ resources: [{ type: 'topic', name: 'c', configs: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'retention.ms', value: '1000' }] }] })
    await admin.alterConfigs({ resources: [{ type: 'topic', name: 'c', configs: [{ name: 'retention.ms', value: null }] }] })
    const [r] = await admin.describeConfigs({ resources: [{ type: 'topic', name: 'c' }] })
    expect(r.configs.map((x) => [x.name, x.value])).toEqual([['cleanup.policy', 'compact']])
  })

  test('createPartitions grows a topic and the producer sees the new count', async () => {
    setup()
    const admin = client!.admin()
    await admin.createTopic({ topic: 'grow', partitions: 2 })
    await admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 4 }] })
    expect((await admin.describeTopic('grow')).partitions).toHaveLength(4)
    const [m] = await client!.producer().send({ topic: 'grow', messages: [{ value: 'v', partition: 3 }] })
    expect(m.partition).toBe(3)
  })

  test('groups: list (fan-out), describe with lag, reset offsets, delete', async () => {
    const fake = setup()
    const admin = client!.admin()
    await admin.createTopic({ topic: 'g', partitions: 2 })
    await client!.producer().send({ topic: 'g', messages: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}`, partition: i % 2 })) })
    const c = client!.consumer({ groupId: 'billing', fromBeginning: true, maxWaitTimeInMs: 20, autoCommitIntervalMs: 20 })
    await c.subscribe({ topics: ['g'] })
    let n = 0
    await c.run({ eachMessage: async () => void n++ })
    await waitFor(() => n === 10, 'ten messages')
    await waitFor(async () => {
      const offsets = (await admin.describeGroup('billing')).offsets
      return offsets.length === 2 && offsets.every((o) => o.lag === 0 && o.offset === 5)
    }, 'commits')
    const d = await admin.describeGroup('billing')
    expect(d.members).toHaveLength(1)
    expect(d.state).toBe('stable')
    const listed = await admin.listGroups()
    expect(listed).toEqual([{ groupId: 'billing', state: 'stable', protocolType: 'consumer' }])
    expect(new Set(fake.requests.filter((r) => r.apiKey === ApiKey.ListGroups).map((r) => r.nodeId))).toEqual(new Set([1, 2, 3]))
    // reset needs an empty group
    await expect(admin.resetOffsets({ groupId: 'billing', topic: 'g', to: 'earliest' })).rejects.toMatchObject({ code: ErrorCode.NON_EMPTY_GROUP, retriable: false })
    expect((await admin.fetchOffsets({ groupId: 'billing' })).map((o) => o.offset)).toEqual([5, 5])
    await c.disconnect()
    expect(await admin.resetOffsets({ groupId: 'billing', topic: 'g', to: 'earliest' })).toEqual([{ partition: 0, offset: 0 }, { partition: 1, offset: 0 }])
    expect((await admin.describeGroup('billing')).offsets.map((o) => o.lag)).toEqual([5, 5])
    await admin.resetOffsets({ groupId: 'billing', topic: 'g', to: { offset: 3 }, partitions: [1] })
    expect((await admin.fetchOffsets({ groupId: 'billing' })).map((o) => o.offset)).toEqual([0, 3])
    await admin.resetOffsets({ groupId: 'billing', topic: 'g', to: 'latest' })
    expect((await admin.fetchOffsets({ groupId: 'billing' })).map((o) => o.offset)).toEqual([5, 5])
    await admin.deleteGroup('billing')
    await expect(admin.describeGroup('billing')).rejects.toMatchObject({ code: ErrorCode.GROUP_ID_NOT_FOUND })
  })

  test('quorum, cluster and metadata-log wrappers reach the Tributary APIs', async () => {
    const fake = setup()
    const admin = client!.admin()
    expect((await admin.describeQuorum()).leaderId).toBe(1)
    expect((await admin.describeCluster()).clusterId).toBe('fake')
    const log = await admin.metadataLog({ nodeId: 2, fromIndex: 0, maxRecords: 10 })
    expect(log.entries[0].record).toEqual({ nodeId: 2 })
    expect(fake.requests.find((r) => r.apiKey === ApiKey.MetadataLog)!.body).toEqual({ fromIndex: 0, maxRecords: 10 })
  })
})
