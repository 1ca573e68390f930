import { afterEach, describe, expect, test } from '@jest/globals'
import type { TributaryError } from '@tributary/protocol'
import { ConsumerEmitter, type ConsumerEvents } from './consumer-events.js'
import type { TopicPartition } from './group-member.js'
import type { TopicPartitionOffset } from './offset-tracker.js'
import { Tributary } from './tributary.js'
import { FakeCluster } from './testing/fake-cluster.js'
import { fakeClient, waitFor } from './testing/helpers.js'

const clients: Tributary[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
})

describe('consumer events are typed', () => {
  // Jest only transpiles: the @ts-expect-error lines are checked by `npm run lint`
  // (tsconfig.test.json), where each must be a type error or the check fails.
  test('the compiler knows each payload and refuses unknown events and wrong payloads', () => {
    const e = new ConsumerEmitter()
    const seen: string[] = []
    e.on('commit', ({ offsets }) => seen.push(offsets.map((o) => `${o.topic}-${o.partition}@${o.offset}`).join()))
    e.on('crash', ({ error }) => seen.push(`${error.code} ${error.retriable}`))
    e.on('lost', ({ partitions }) => seen.push(partitions.map((p) => `${p.topic}-${p.partition}`).join()))
    // @ts-expect-error not an event of the consumer
    e.on('message', () => {})
    // @ts-expect-error a commit carries offsets, not partitions
    e.on('commit', ({ partitions }) => void partitions)
    // @ts-expect-error an assignment's payload is not an error
    e.emit('assigned', { error: new Error('x') })
    e.emit('commit', { offsets: [{ topic: 't', partition: 1, offset: 5 }] })
    e.emit('crash', { error: { code: 42, retriable: false } as TributaryError })
    e.emit('lost', { partitions: [{ topic: 't', partition: 2 }] })
    expect(seen).toEqual(['t-1@5', '42 false', 't-2'])
  })

  test('listeners of one event do not hear another; unsubscribing works; a throwing listener does not stop the rest', () => {
    const e = new ConsumerEmitter()
    const heard: Array<keyof ConsumerEvents> = []
    const off = e.on('revoked', () => heard.push('revoked'))
    e.on('assigned', () => {
      throw new Error('a buggy listener')
    })
    e.on('assigned', () => heard.push('assigned'))
    e.emit('assigned', { partitions: [] })
    e.emit('revoked', { partitions: [] })
    off()
    e.emit('revoked', { partitions: [] })
    expect(heard).toEqual(['assigned', 'revoked'])
  })

  test('a group member emits assigned, then commit with the offsets the coordinator accepted, then revoked on disconnect', async () => {
    const fake = new FakeCluster(1)
    fake.createTopic('orders', 2)
    const client = fakeClient(fake)
    clients.push(client)
    await client.producer({ lingerMs: 0 }).send({ topic: 'orders', messages: [{ value: 'a', partition: 0 }, { value: 'b', partition: 1 }, { value: 'c', partition: 1 }] })
    const c = client.consumer({ groupId: 'typed', fromBeginning: true, maxWaitTimeInMs: 20, autoCommit: false })
    const assigned: TopicPartition[][] = []
    const commits: TopicPartitionOffset[][] = []
    const revoked: TopicPartition[][] = []
    c.on('assigned', ({ partitions }) => assigned.push(partitions))
    c.on('commit', ({ offsets }) => commits.push(offsets))
    c.on('revoked', ({ partitions }) => revoked.push(partitions))
    await c.subscribe({ topics: ['orders'] })
    let consumed = 0
    await c.run({ eachMessage: async () => void consumed++ })
    await waitFor(() => consumed === 3, 'the three messages')
    await c.commit()
    await c.disconnect()
    const sorted = (tps: TopicPartition[]): TopicPartition[] => [...tps].sort((a, b) => a.partition - b.partition)
    expect(assigned.map(sorted)).toEqual([[{ topic: 'orders', partition: 0 }, { topic: 'orders', partition: 1 }]])
    expect(commits.map((o) => [...o].sort((a, b) => a.partition - b.partition))).toEqual([[{ topic: 'orders', partition: 0, offset: 1 }, { topic: 'orders', partition: 1, offset: 2 }]])
    expect(revoked.map(sorted)).toEqual([[{ topic: 'orders', partition: 0 }, { topic: 'orders', partition: 1 }]])
  })
})
