import { describe, expect, test } from '@jest/globals'
import { parseTopicPartitionKey, topicPartitionKey } from './topic-partition.js'

describe('topic-partition keys', () => {
  test('parse back to the topic and partition, even when names hold digits, dots and dashes', () => {
    for (const [topic, partition] of [['orders', 0], ['a.b-1_2', 17], ['x'.repeat(249), 9999]] as const) {
      expect(parseTopicPartitionKey(topicPartitionKey(topic, partition))).toEqual({ topic, partition })
    }
  })

  test('differ whenever the pair differs (no separator a topic name may contain)', () => {
    expect(topicPartitionKey('a1', 1)).not.toBe(topicPartitionKey('a', 11))
    expect(topicPartitionKey('a-1', 1)).not.toBe(topicPartitionKey('a', 11))
    expect(new Set([topicPartitionKey('t', 1), topicPartitionKey('t', 1)]).size).toBe(1)
  })
})
