import { afterEach, describe, expect, test } from '@jest/globals'
import { ApiKey, ErrorCode, TributaryError } from '@tributary/protocol'
import { ClosedError } from './errors.js'
import { Tributary } from './tributary.js'
import { FakeCluster } from './testing/fake-cluster.js'
import { fakeClient, waitFor } from './testing/helpers.js'

let client: Tributary | undefined
afterEach(async () => {
  await client?.close()
  client = undefined
})

function setup(): { fake: FakeCluster; client: Tributary } {
  const fake = new FakeCluster(1)
  fake.createTopic('orders', 1)
  client = fakeClient(fake)
  return { fake, client }
}

/** What a caller writes around the SDK: retry while the error says `retriable`, up to a bound this test should never reach. */
async function retryWhileRetriable(op: () => Promise<unknown>, attemptsMax = 50): Promise<{ attempts: number; error: TributaryError }> {
  for (let attempts = 1; ; attempts++) {
    try {
      await op()
      throw new Error('the operation succeeded on a closed object')
    } catch (err) {
      if (!(err instanceof TributaryError)) throw err
      if (!err.retriable || attempts === attemptsMax) return { attempts, error: err }
    }
  }
}

const closed = (what: string): Record<string, unknown> => ({ code: ErrorCode.CLIENT_CLOSED, type: 'CLIENT_CLOSED', retriable: false, message: `CLIENT_CLOSED: ${what} is closed` })

describe('a closed producer, consumer or client fails with CLIENT_CLOSED, which is not retriable', () => {
  test('send on a closed producer: one attempt, then a caller retrying on `retriable` stops', async () => {
    const { client } = setup()
    const producer = client.producer({ lingerMs: 0 })
    await producer.send({ topic: 'orders', messages: [{ value: 'before' }] })
    await producer.close()
    const { attempts, error } = await retryWhileRetriable(() => producer.send({ topic: 'orders', messages: [{ value: 'after' }] }))
    expect(attempts).toBe(1)
    expect(error).toBeInstanceOf(ClosedError)
    expect(error).toMatchObject(closed('producer'))
  })

  test('a producer, admin and consumer of a closed client', async () => {
    const { client } = setup()
    const producer = client.producer({ lingerMs: 0 })
    const admin = client.admin()
    const consumer = client.consumer({ groupId: 'g' })
    await client.close()
    // close() closed the producer (delivering what it had accepted) and the consumer first
    expect((await retryWhileRetriable(() => producer.send({ topic: 'orders', messages: [{ value: 'x' }] }))).error).toMatchObject(closed('producer'))
    expect((await retryWhileRetriable(() => admin.listTopics())).error).toMatchObject(closed('client'))
    expect((await retryWhileRetriable(() => consumer.subscribe({ topics: ['orders'] }))).error).toMatchObject(closed('consumer')) // disconnected by close() too
  })

  test('a disconnected consumer', async () => {
    const { client } = setup()
    const consumer = client.consumer({ groupId: 'g' })
    await consumer.disconnect()
    const { attempts, error } = await retryWhileRetriable(() => consumer.subscribe({ topics: ['orders'] }))
    expect(attempts).toBe(1)
    expect(error).toMatchObject(closed('consumer'))
  })

  test('an admin request in flight when the client closes ends with CLIENT_CLOSED, not the network error it caused', async () => {
    const { fake, client } = setup()
    await client.admin().listTopics() // connected: metadata known
    fake.intercept = (r) => (r.apiKey === ApiKey.CreateTopics ? 'hold' : undefined)
    let outcome: unknown
    const call = client.admin().createTopic({ topic: 'late', partitions: 1 }).then(
      () => (outcome = 'created'),
      (e: unknown) => (outcome = e),
    )
    await waitFor(() => fake.heldCount === 1, 'the request to reach the broker')
    await client.close()
    await call
    expect(outcome).toMatchObject({ code: ErrorCode.CLIENT_CLOSED, retriable: false, message: 'CLIENT_CLOSED: client is closed' })
    expect((outcome as Error).cause).toMatchObject({ retriable: true }) // what the closed connection said
  })
})
