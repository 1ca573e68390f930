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
    // shift moves every n partitions of the topic (each block of n then puts exactly
    // rf replicas on every broker) and with the seed, so topics differ.
    const shift = (Math.floor(seed / n) + Math.floor(p / n)) % Math.max(1, n - 1)
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

/**
 * Kafka's rack-aware assignment: the brokers are arranged so racks alternate
 * (r1-b1, r2-b4, r3-b7, r1-b2, ...), leaders go round-robin over that list, and
 * each follower is the next broker (at Kafka's shifting offsets) on a rack that
 * holds no replica of the partition yet — until every rack has one, then any
 * broker without one. Replicas spread over racks first, brokers second.
 */
export function placeReplicasRackAware(brokers: ReadonlyArray<{ id: number; rack: string }>, count: number, replicationFactor: number, seed: number): number[][] {
  const n = brokers.length
  if (replicationFactor < 1 || replicationFactor > n) throw new Error(`replication factor ${replicationFactor} does not fit ${n} brokers`)
  const arranged = rackAlternated(brokers)
  const rackOf = new Map(brokers.map((b) => [b.id, b.rack]))
  const rackCount = new Set(rackOf.values()).size
  const out: number[][] = []
  for (let p = 0; p < count; p++) {
    const first = (seed + p) % n
    const shift = (Math.floor(seed / n) + Math.floor(p / n)) * rackCount
    const replicas = [arranged[first]!]
    const racks = new Set([rackOf.get(arranged[first]!)])
    for (let k = 0; replicas.length < replicationFactor; k++) {
      const b = arranged[(first + 1 + ((shift + k) % Math.max(1, n - 1))) % n]!
      const rackFree = !racks.has(rackOf.get(b)) || racks.size === rackCount
      if (rackFree && !replicas.includes(b)) {
        replicas.push(b)
        racks.add(rackOf.get(b))
      }
      if (k > n * n) throw new Error('rack-aware placement found no broker') // bounded: every broker is reachable within n-1 steps per round
    }
    out.push(replicas)
  }
  return out
}

/** Brokers ordered so consecutive ones sit on different racks (racks and brokers by ascending name and id). */
function rackAlternated(brokers: ReadonlyArray<{ id: number; rack: string }>): number[] {
  const byRack = new Map<string, number[]>()
  for (const b of [...brokers].sort((x, y) => x.id - y.id)) {
    const ids = byRack.get(b.rack) ?? []
    ids.push(b.id)
    byRack.set(b.rack, ids)
  }
  const racks = [...byRack.keys()].sort()
  const out: number[] = []
  for (let i = 0; out.length < brokers.length; i++) {
    for (const r of racks) {
      const id = byRack.get(r)![i]
      if (id !== undefined) out.push(id)
    }
  }
  return out
}

/** Placement over the live brokers: rack-aware when every one of them has a --rack, else round-robin by id. */
export function placeOnLiveBrokers(image: MetadataImage, live: number[], count: number, replicationFactor: number, seed: number): number[][] {
  const racks = live.map((id) => ({ id, rack: image.brokers.get(id)?.rack ?? null }))
  if (racks.length > 0 && racks.every((b) => b.rack !== null)) return placeReplicasRackAware(racks as Array<{ id: number; rack: string }>, count, replicationFactor, seed)
  return placeReplicas(live, count, replicationFactor, seed)
}
