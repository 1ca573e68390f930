/**
 * The metadata cache answers repeated questions about one topic from a memo (a producer
 * asks on every send): every applied answer must replace what the memo returns.
 */
import { describe, expect, test } from '@jest/globals'
import { ErrorCode, type MetadataResponse, type TopicMetadata } from '@tributary/protocol'
import { MetadataCache } from './metadata-cache.js'

const topic = (name: string, partitions: number): TopicMetadata => ({
  name,
  topicId: `id-${name}`,
  errorCode: ErrorCode.NONE,
  internal: false,
  partitions: Array.from({ length: partitions }, (_, partition) => ({ partition, errorCode: 0, leader: 1, leaderEpoch: 0, replicas: [1], isr: [1] })),
})

let offset = 0
const answer = (topics: TopicMetadata[]): MetadataResponse => ({ clusterId: 'c', controllerId: 1, brokers: [{ nodeId: 1, endpoint: 'ws://x', fenced: false }], topics, metadataOffset: ++offset })

describe('MetadataCache.topic', () => {
  test('asked again after an answer changed the topic, it returns the new metadata', () => {
    const cache = new MetadataCache()
    cache.apply(answer([topic('orders', 1)]), null, 1)
    expect(cache.topic('orders')?.partitions.length).toBe(1)
    expect(cache.topic('orders')?.partitions.length).toBe(1)
    cache.apply(answer([topic('orders', 3)]), ['orders'], 2)
    expect(cache.topic('orders')?.partitions.length).toBe(3)
  })

  test('a topic an answer dropped is gone, and one it added is found', () => {
    const cache = new MetadataCache()
    expect(cache.topic('orders')).toBeUndefined()
    cache.apply(answer([topic('orders', 2)]), ['orders'], 1)
    expect(cache.topic('orders')?.name).toBe('orders')
    cache.apply(answer([]), ['orders'], 2)
    expect(cache.topic('orders')).toBeUndefined()
    expect(cache.topicErrors.get('orders')).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  })

  test('switching between topics answers each with its own metadata', () => {
    const cache = new MetadataCache()
    cache.apply(answer([topic('a', 1), topic('b', 4)]), null, 1)
    for (let i = 0; i < 3; i++) {
      expect(cache.topic('a')?.partitions.length).toBe(1)
      expect(cache.topic('b')?.partitions.length).toBe(4)
    }
  })
})
