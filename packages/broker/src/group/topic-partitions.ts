/**
 * A set of topic-partitions as the coordinator handles them internally: a
 * Set of string keys (`topicPartitionKey` from @tributary/protocol), so set
 * algebra stays trivial. Converted to the wire's
 * TopicPartitions[] (grouped, sorted) only at the protocol edge.
 */
import { parseTopicPartitionKey, topicPartitionKey, type TopicPartitions } from '@tributary/protocol'

export type PartitionSet = Set<string>
export type ReadonlyPartitionSet = ReadonlySet<string>

export function topicOf(key: string): string {
  return key.slice(0, key.lastIndexOf('\u0000'))
}

export function setEquals(a: ReadonlyPartitionSet, b: ReadonlyPartitionSet): boolean {
  if (a.size !== b.size) return false
  for (const k of a) if (!b.has(k)) return false
  return true
}

export function difference(a: ReadonlyPartitionSet, b: ReadonlyPartitionSet): PartitionSet {
  const out = new Set<string>()
  for (const k of a) if (!b.has(k)) out.add(k)
  return out
}

export function intersection(a: ReadonlyPartitionSet, b: ReadonlyPartitionSet): PartitionSet {
  const out = new Set<string>()
  for (const k of a) if (b.has(k)) out.add(k)
  return out
}

/** Grouped by topic, topics and partitions ascending. topicIds: optional name → id. */
export function toWire(set: ReadonlyPartitionSet, topicIds?: (topic: string) => string | undefined): TopicPartitions[] {
  const byTopic = new Map<string, number[]>()
  for (const key of set) {
    const { topic, partition } = parseTopicPartitionKey(key)
    let list = byTopic.get(topic)
    if (!list) byTopic.set(topic, (list = []))
    list.push(partition)
  }
  return [...byTopic.keys()].sort().map((topic) => {
    const partitions = byTopic.get(topic)!.sort((x, y) => x - y)
    const topicId = topicIds?.(topic)
    return topicId === undefined ? { topic, partitions } : { topic, topicId, partitions }
  })
}

/** Untrusted wire input → a set; undefined when malformed. Bounded by partitionsMax. */
export function fromWire(value: unknown, partitionsMax: number): PartitionSet | undefined {
  if (!Array.isArray(value)) return undefined
  const out = new Set<string>()
  for (const entry of value) {
    if (entry === null || typeof entry !== 'object') return undefined
    const { topic, partitions } = entry as { topic?: unknown; partitions?: unknown }
    if (typeof topic !== 'string' || !Array.isArray(partitions)) return undefined
    for (const p of partitions) {
      if (!Number.isInteger(p) || p < 0) return undefined
      out.add(topicPartitionKey(topic, p))
      if (out.size > partitionsMax) return undefined
    }
  }
  return out
}
