/**
 * The key of one topic-partition in a Map or Set: `topic\0partition`. Topic
 * names (and topic ids) never contain NUL (Kafka's legal characters are
 * [a-zA-Z0-9._-]), so the key is unambiguous and parses back.
 */
export function topicPartitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

export function parseTopicPartitionKey(key: string): { topic: string; partition: number } {
  const i = key.lastIndexOf('\u0000')
  return { topic: key.slice(0, i), partition: Number(key.slice(i + 1)) }
}
