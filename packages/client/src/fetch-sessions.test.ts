/**
 * The consumer's side of fetch sessions (KIP-227) against a broker that keeps
 * losing them: every incremental fetch is answered FETCH_SESSION_ID_NOT_FOUND,
 * the next fetch is full again, and no record is missed or read twice.
 * (Sessions with a real broker: e2e/src/fetch-sessions.test.ts.)
 */
import { afterEach, expect, test } from '@jest/globals'
import { ApiKey, ErrorCode } from '@tributary/protocol'
import type { ConsumedMessage } from './records.js'
import type { Tributary } from './tributary.js'
import { FakeCluster } from './testing/fake-cluster.js'
import { fakeClient, text, waitFor } from './testing/helpers.js'

let client: Tributary | undefined
afterEach(async () => {
  await client?.close()
  client = undefined
})

test('a broker that lost the session (FETCH_SESSION_ID_NOT_FOUND) gets a full fetch next, and the consumer misses nothing', async () => {
  const fake = new FakeCluster(1)
  fake.createTopic('orders', 3)
  fake.fetchSessionId = 42
  let refused = 0
  fake.intercept = (r) => {
    if (r.apiKey !== ApiKey.Fetch || !((r.body.sessionEpoch ?? -1) > 0)) return undefined
    refused++
    return ErrorCode.FETCH_SESSION_ID_NOT_FOUND
  }
  client = fakeClient(fake)
  const values = Array.from({ length: 30 }, (_, i) => `m${i}`)
  await client.producer({ lingerMs: 1 }).send({ topic: 'orders', messages: values.map((value, i) => ({ partition: i % 3, value })) })
  const consumer = client.consumer({ maxWaitTimeInMs: 20 })
  consumer.assign([0, 1, 2].map((partition) => ({ topic: 'orders', partition, offset: 0 })))
  const got: ConsumedMessage[] = []
  await consumer.run({ eachMessage: async ({ message }) => void got.push(message) })
  await waitFor(() => got.length >= values.length && refused >= 3, 'every record, and a few refused incremental fetches')
  expect(got.map((m) => text(m.value!)).sort()).toEqual([...values].sort())
  const fetches = fake.requests.filter((r) => r.apiKey === ApiKey.Fetch)
  const firstRefused = fetches.findIndex((r) => r.body.sessionEpoch > 0)
  expect(fetches[firstRefused]!.body.sessionId).toBe(42)
  // after the refusal: a full fetch that asks for a new session and names the partitions again
  const fullAgain = fetches.slice(firstRefused + 1).find((r) => r.body.sessionEpoch === 0)
  expect(fullAgain?.body.sessionId).toBe(0)
  expect(fullAgain?.body.topics[0].partitions.length).toBeGreaterThan(0)
  await consumer.disconnect()
})
