/**
 * Replica placement for new partitions and Kafka's topic-name rules.
 *
 * Placement is round-robin over the live brokers sorted by id, starting at an
 * offset that moves with the number of partitions already in the cluster, so
 * leaders (replica 0) spread across brokers within a topic and across topics,
 * and every broker carries about the same number of replicas.
 */
import type { MetadataImage } from '../metadata/image-types.js'

export const TOPIC_NAME_LENGTH_MAX = 249
const LEGAL = /^[a-zA-Z0-9._-]+$/

/** undefined = legal; else why not (Kafka's InvalidTopicException rules). */
export function topicNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'topic name must be a non-empty string'
  if (name === '.' || name === '..') return `topic name cannot be '${name}'`
  if (name.length > TOPIC_NAME_LENGTH_MAX) return `topic name is longer than ${TOPIC_NAME_LENGTH_MAX} characters`
  if (!LEGAL.test(name)) return `topic name '${name}' has characters outside [a-zA-Z0-9._-]`
  return undefined
}

/** '.' and '_' collide in metric names, so Kafka refuses topics that differ only there. */
export function collidingTopic(image: MetadataImage, name: string): string | undefined {
  const key = name.replace(/\./g, '_')
  for (const existing of image.topicsByName.keys()) if (existing !== name && existing.replace(/\./g, '_') === key) return existing
  return undefined
}

export function isInternalTopicName(name: string): boolean {
  return name.startsWith('__')
}

/**
 * `count` new partitions with `replicationFactor` replicas each over `brokers`
 * (sorted ascending, live). `seed` shifts the starting broker.
 */
export function placeReplicas(brokers: number[], count: number, replicationFactor: number, seed: number): number[][] {
  const n = brokers.length
  if (replicationFactor < 1 || replicationFactor > n) throw new Error(`replication factor ${replicationFactor} does not fit ${n} brokers`)
  const out: number[][] = []
  for (let p = 0; p < count; p++) {
    const first = (seed + p) % n
    // Kafka's scheme: followers sit at distinct offsets 1..n-1 from the leader; the
    // shift moves every n partitions so followers spread as evenly as leaders.
    const shift = Math.floor((seed + p) / n) % Math.max(1, n - 1)
    const replicas = [brokers[first]!]
    for (let i = 1; i < replicationFactor; i++) replicas.push(brokers[(first + 1 + ((shift + i - 1) % (n - 1))) % n]!)
    out.push(replicas)
  }
  return out
}

/** Partitions in the whole cluster: the placement seed for the next topic. */
export function partitionCount(image: MetadataImage): number {
  let n = 0
  for (const t of image.topicsById.values()) n += t.partitions.length
  return n
}
