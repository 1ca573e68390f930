import { afterEach, expect, test } from '@jest/globals'
import { AclOperationTypes as Op, ApiKey, ErrorCode, operationsBitfield } from '@tributary/protocol'
import { Tributary } from './tributary.js'
import { FakeCluster } from './testing/fake-cluster.js'
import { fakeClient } from './testing/helpers.js'

let client: Tributary | undefined
afterEach(async () => {
  await client?.close()
  client = undefined
})

test('topicPermissions: one Metadata request asking for the topic\'s authorized operations; each bit maps to its permission', async () => {
  const fake = new FakeCluster(3)
  client = fakeClient(fake)
  const admin = client.admin()
  await admin.createTopic({ topic: 'orders', partitions: 2, replicationFactor: 3 })
  fake.topicOperations.set('orders', operationsBitfield([Op.READ, Op.DESCRIBE, Op.ALTER]))
  const before = fake.requests.length
  expect(await admin.topicPermissions('orders')).toEqual({ read: true, write: false, delete: false, alter: true, alterConfigs: false })
  const asked = fake.requests.slice(before).filter((r) => r.apiKey !== ApiKey.ApiVersions)
  expect(asked.map((r) => r.apiKey)).toEqual([ApiKey.Metadata])
  expect(asked[0]!.body).toMatchObject({ topics: ['orders'], includeTopicAuthorizedOperations: true })

  fake.topicOperations.set('orders', operationsBitfield([Op.WRITE, Op.DELETE, Op.ALTER_CONFIGS]))
  expect(await admin.topicPermissions('orders')).toEqual({ read: false, write: true, delete: true, alter: false, alterConfigs: true })
})

test('topicPermissions: a topic the principal may not describe allows nothing; an unknown topic and a bad name are errors', async () => {
  const fake = new FakeCluster(1)
  client = fakeClient(fake)
  const admin = client.admin()
  await admin.createTopic({ topic: 't' })
  expect(await admin.topicPermissions('t')).toEqual({ read: true, write: true, delete: true, alter: true, alterConfigs: true })
  fake.refusedTopics.add('t')
  expect(await admin.topicPermissions('t')).toEqual({ read: false, write: false, delete: false, alter: false, alterConfigs: false })
  await expect(admin.topicPermissions('missing')).rejects.toMatchObject({ code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })
  await expect(admin.topicPermissions('')).rejects.toThrow(/topic must be a non-empty string/)
})
