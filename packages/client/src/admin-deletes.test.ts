/**
 * The admin's deleteRecords against the fake cluster: each partition's request
 * goes to its leader, a moved leader is found again and the request retried,
 * a refusal that cannot change (OFFSET_OUT_OF_RANGE) is thrown at once, and bad
 * arguments are refused before anything is sent.
 */
import { afterEach, expect, test } from '@jest/globals'
import { ApiKey, ErrorCode } from '@tributary/protocol'
import { ArgumentError } from './errors.js'
import { Tributary } from './tributary.js'
import { FakeCluster } from './testing/fake-cluster.js'
import { fakeClient } from './testing/helpers.js'

let client: Tributary | undefined
afterEach(async () => {
  await client?.close()
  client = undefined
})

async function setup(): Promise<{ fake: FakeCluster; client: Tributary }> {
  const fake = new FakeCluster(3)
  client = fakeClient(fake)
  fake.createTopic('orders', 2, { leaders: [1, 2] })
  await client.producer().send({ topic: 'orders', messages: [0, 0, 0, 1, 1].map((partition, i) => ({ partition, value: `v${i}` })) })
  return { fake, client }
}
const sentTo = (fake: FakeCluster) => fake.requests.filter((r) => r.apiKey === ApiKey.DeleteRecords).map((r) => [r.nodeId, r.body.topics[0].partitions.map((p: any) => p.partition)])

test('each partition goes to its leader; the answer is each new log start, -1 meaning the high watermark', async () => {
  const { fake, client } = await setup()
  expect(await client.admin().deleteRecords({ topic: 'orders', partitions: [{ partition: 0, offset: 2 }, { partition: 1, offset: -1 }] })).toEqual([
    { partition: 0, lowWatermark: 2 }, { partition: 1, lowWatermark: 2 },
  ])
  expect(sentTo(fake).sort()).toEqual([[1, [0]], [2, [1]]])
  expect((await client.admin().fetchTopicOffsets('orders')).map((o) => [o.partition, o.low, o.high])).toEqual([[0, 2, 3], [1, 2, 2]])
})

test('a leader that moved answers NOT_LEADER_OR_FOLLOWER: the client refreshes its metadata and asks the new leader', async () => {
  const { fake, client } = await setup()
  fake.moveLeadership(1)
  expect(await client.admin().deleteRecords({ topic: 'orders', partitions: [{ partition: 0, offset: 1 }] })).toEqual([{ partition: 0, lowWatermark: 1 }])
  const sent = sentTo(fake)
  expect(sent[0]).toEqual([1, [0]])
  expect(sent[sent.length - 1]![0]).not.toBe(1)
})

test('past the high watermark is OFFSET_OUT_OF_RANGE, thrown without a retry; bad arguments are refused before anything is sent', async () => {
  const { fake, client } = await setup()
  await expect(client.admin().deleteRecords({ topic: 'orders', partitions: [{ partition: 0, offset: 4 }] })).rejects.toMatchObject({ code: ErrorCode.OFFSET_OUT_OF_RANGE })
  expect(sentTo(fake)).toHaveLength(1)
  for (const bad of [{ topic: '', partitions: [{ partition: 0, offset: 1 }] }, { topic: 'orders', partitions: [] }, { topic: 'orders', partitions: [{ partition: 0, offset: -2 }] }]) {
    await expect(client.admin().deleteRecords(bad)).rejects.toBeInstanceOf(ArgumentError)
  }
  expect(sentTo(fake)).toHaveLength(1)
})
