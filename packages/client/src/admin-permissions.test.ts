import { afterEach, expect, test } from '@jest/globals'
import { ApiKey, ErrorCode } from '@tributary/protocol'
import { Tributary } from './tributary.js'
import { FakeCluster } from './testing/fake-cluster.js'
import { fakeClient } from './testing/helpers.js'

let client: Tributary | undefined
afterEach(async () => {
  await client?.close()
  client = undefined
})

const PROBES: number[] = [ApiKey.Fetch, ApiKey.Produce, ApiKey.DeleteTopics, ApiKey.CreatePartitions, ApiKey.AlterConfigs]

test('topicPermissions: an authorization refusal (of the topic or the cluster) means no; any other answer means the broker let it through', async () => {
  const fake = new FakeCluster(3)
  client = fakeClient(fake)
  const admin = client.admin()
  await admin.createTopic({ topic: 'orders', partitions: 2, replicationFactor: 3 })
  // Only the probes are answered here: refused (29, 31) or failing for another reason (which is past the authorizer).
  fake.intercept = (req) => {
    if (req.apiKey === ApiKey.Produce || req.apiKey === ApiKey.DeleteTopics) return ErrorCode.TOPIC_AUTHORIZATION_FAILED
    if (req.apiKey === ApiKey.AlterConfigs) return ErrorCode.CLUSTER_AUTHORIZATION_FAILED
    if (req.apiKey === ApiKey.Fetch || req.apiKey === ApiKey.CreatePartitions) return ErrorCode.INVALID_REQUEST
    return undefined
  }
  expect(await admin.topicPermissions('orders')).toEqual({ read: true, write: false, delete: false, alter: true, alterConfigs: false })

  // Every probe is one that changes nothing: validateOnly, or partition -1 with no records.
  const probes = fake.requests.filter((r) => PROBES.includes(r.apiKey))
  expect(new Set(probes.map((r) => r.apiKey))).toEqual(new Set(PROBES))
  for (const r of probes) {
    if (r.apiKey === ApiKey.Produce || r.apiKey === ApiKey.Fetch) {
      expect(r.body.topics).toEqual([{ topic: 'orders', partitions: [expect.objectContaining({ partition: -1 })] }])
      if (r.apiKey === ApiKey.Produce) expect(r.body.topics[0].partitions[0].records).toHaveLength(0)
    } else {
      expect(r.body.validateOnly).toBe(true)
    }
  }
})

test('topicPermissions: with nothing refused everything is allowed; a bad topic name is an argument error', async () => {
  const fake = new FakeCluster(1)
  client = fakeClient(fake)
  const admin = client.admin()
  await admin.createTopic({ topic: 't' })
  fake.intercept = (req) => (PROBES.includes(req.apiKey) && req.apiKey !== ApiKey.Produce && req.apiKey !== ApiKey.Fetch ? ErrorCode.INVALID_REQUEST : undefined)
  expect(await admin.topicPermissions('t')).toEqual({ read: true, write: true, delete: true, alter: true, alterConfigs: true })
  await expect(admin.topicPermissions('')).rejects.toThrow(/topic must be a non-empty string/)
})
