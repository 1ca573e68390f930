import { afterEach, describe, expect, test } from '@jest/globals'
import { ApiKey, ErrorCode } from '@tributary/protocol'
import { Tributary } from './tributary.js'
import { FakeCluster, fakeUrl } from './testing/fake-cluster.js'
import { fakeClient, waitFor } from './testing/helpers.js'

let client: Tributary | undefined
afterEach(async () => {
  await client?.close()
  client = undefined
})

describe('connection layer', () => {
  test('bootstraps from any listed broker when the first is down', async () => {
    const fake = new FakeCluster(3)
    fake.kill(1)
    client = fakeClient(fake, { brokers: [fakeUrl(1), fakeUrl(2)] })
    fake.createTopic('t', 1, { leaders: [2] })
    expect(await client.admin().listTopics()).toEqual(['t'])
  })

  test('ApiVersions is the first request on every connection', async () => {
    const fake = new FakeCluster(3)
    fake.createTopic('t', 3)
    client = fakeClient(fake)
    await client.admin().describeTopic('t') // ListOffsets to all three leaders
    for (const node of [1, 2, 3]) {
      const mine = fake.requests.filter((r) => r.nodeId === node)
      expect(mine.length).toBeGreaterThan(0)
      expect(mine[0].apiKey).toBe(ApiKey.ApiVersions)
    }
  })

  test('requests are pipelined on one connection per broker', async () => {
    const fake = new FakeCluster(1)
    client = fakeClient(fake)
    const admin = client.admin()
    await admin.listTopics()
    await Promise.all(Array.from({ length: 20 }, () => admin.describeCluster()))
    expect(fake.connects.get(fakeUrl(1))).toBe(1)
  })

  test('an unreachable cluster fails with NETWORK_EXCEPTION naming the brokers', async () => {
    const fake = new FakeCluster(2)
    fake.kill(1)
    fake.kill(2)
    client = fakeClient(fake, { brokers: [fakeUrl(1), fakeUrl(2)], retry: { retries: 2, initialRetryTimeMs: 1, maxRetryTimeMs: 5 } })
    const err = await client.admin().listTopics().catch((e) => e)
    expect(err).toMatchObject({ code: ErrorCode.NETWORK_EXCEPTION, retriable: true })
    expect(err.message).toMatch(/cannot reach any broker of ws:\/\/node1\.fake:9092, ws:\/\/node2\.fake:9092/)
  })

  test('reconnects after the broker comes back, with backoff between refused attempts', async () => {
    const fake = new FakeCluster(1)
    client = fakeClient(fake, { retry: { retries: 30, initialRetryTimeMs: 5, maxRetryTimeMs: 20 }, reconnectBackoffMs: 10, reconnectBackoffMaxMs: 40 })
    const admin = client.admin()
    await admin.listTopics()
    fake.kill(1)
    const started = Date.now()
    const pending = admin.listTopics()
    await waitFor(() => (fake.connects.get(fakeUrl(1)) ?? 0) >= 4, 'a few reconnect attempts')
    const attempts = fake.connects.get(fakeUrl(1))!
    const elapsed = Date.now() - started
    fake.revive(1)
    await expect(pending).resolves.toEqual([])
    // 3 refused attempts after the first cannot all happen at once: backoff spaces them.
    expect(elapsed).toBeGreaterThanOrEqual(10)
    expect(attempts).toBeLessThan(50)
  })

  test('a request without an answer times out with REQUEST_TIMED_OUT (retriable)', async () => {
    const fake = new FakeCluster(1)
    client = fakeClient(fake, { requestTimeoutMs: 50, retry: { retries: 1, initialRetryTimeMs: 1, maxRetryTimeMs: 1 } })
    fake.intercept = (r) => (r.apiKey === ApiKey.DescribeQuorum ? 'drop' : undefined)
    await expect(client.admin().describeQuorum()).rejects.toMatchObject({ code: ErrorCode.REQUEST_TIMED_OUT, retriable: true })
  })

  test('bad client config is an ArgumentError', () => {
    expect(() => new Tributary({ brokers: [] })).toThrow(/brokers must be a non-empty array/)
    expect(() => new Tributary({ brokers: ['127.0.0.1:9092'] })).toThrow(/must start with ws:\/\//)
  })

  test('metadata is refreshed every metadataMaxAgeMs: a leader that moved without any error is learnt', async () => {
    const fake = new FakeCluster(3)
    fake.createTopic('t', 1, { leaders: [1] })
    client = fakeClient(fake, { metadataMaxAgeMs: 30 })
    const cluster = (client as any).cluster
    await client.admin().listTopics()
    expect(cluster.metadata.leader('t', 0)).toEqual({ nodeId: 1, leaderEpoch: 0 })
    const p = fake.topics.get('t')!.partitions[0]
    p.leader = 3 // a controlled move: nothing the client does fails, nothing tells it
    p.leaderEpoch++
    fake.metadataOffset++
    const before = fake.requests.length
    await waitFor(() => cluster.metadata.leader('t', 0)?.nodeId === 3, 'the periodic refresh to learn the new leader')
    expect(fake.requests.slice(before).every((r) => r.apiKey === ApiKey.Metadata)).toBe(true) // nothing but the timer asked
    expect(cluster.periodicRefreshArmed).toBe(true)
    await client.close()
    expect(cluster.periodicRefreshArmed).toBe(false)
  })

  test('a client that was never used opens no connection for the periodic refresh', async () => {
    const fake = new FakeCluster(1)
    client = fakeClient(fake, { metadataMaxAgeMs: 1 })
    expect((client as any).cluster.periodicRefreshArmed).toBe(false)
    expect(fake.connects.size).toBe(0)
  })

  test('metadata is refreshed after NOT_CONTROLLER and the call retried on the new controller', async () => {
    const fake = new FakeCluster(3)
    client = fakeClient(fake)
    const admin = client.admin()
    await admin.listTopics()
    fake.controllerId = 3 // the client still believes 1
    fake.metadataOffset++
    await admin.createTopic({ topic: 'x', partitions: 2 })
    const creates = fake.requests.filter((r) => r.apiKey === ApiKey.CreateTopics)
    expect(creates.map((r) => r.nodeId)).toEqual([1, 3])
  })
})
