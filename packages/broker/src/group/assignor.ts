/**
 * The server-side assignor: pure, deterministic, balanced per topic and sticky.
 *
 * Each topic is spread over the members subscribed to it: every one gets
 * floor(n/k) partitions and n%k of them one more. Stickiness: a member keeps
 * as many of the partitions it had (in `previous`) as its new quota allows, so
 * when a member joins only the partitions it takes move. The "+1" slots go to
 * the members with the fewest partitions so far across the topics already
 * placed (so many small topics do not pile on one member, and with equal
 * subscriptions the totals differ by at most one), and among equals first to
 * those that already hold more than floor(n/k) of the topic (they keep them).
 * Given its own output as `previous`, it returns the same assignment.
 */
import { parseTopicPartitionKey, topicPartitionKey } from '@tributary/protocol'
import type { PartitionSet, ReadonlyPartitionSet } from './topic-partitions.js'

export interface AssignorMember {
  memberId: string
  /** The topics it subscribes to, already resolved (names and regex) against the image. */
  topics: ReadonlySet<string>
}

export interface AssignorInput {
  members: readonly AssignorMember[]
  /** Partition count of every topic that exists (topics absent here are not assigned). */
  partitionCounts: ReadonlyMap<string, number>
  /** The previous assignment, for stickiness; may name members or partitions that are gone. */
  previous: ReadonlyMap<string, ReadonlyPartitionSet>
}

export function assignPartitions(input: AssignorInput): Map<string, PartitionSet> {
  const members = [...input.members].sort((a, b) => cmp(a.memberId, b.memberId))
  const result = new Map<string, PartitionSet>(members.map((m) => [m.memberId, new Set<string>()]))
  const load = new Map<string, number>(members.map((m) => [m.memberId, 0]))
  const previousByTopic = groupPreviousByTopic(input.previous, result)

  const topics = new Set<string>()
  for (const m of members) for (const t of m.topics) if (input.partitionCounts.has(t)) topics.add(t)

  for (const topic of [...topics].sort()) {
    const subscribers = members.filter((m) => m.topics.has(topic)).map((m) => m.memberId)
    const count = input.partitionCounts.get(topic)!
    const held = previousByTopic.get(topic) ?? new Map<string, number[]>()
    const placed = assignTopic(count, subscribers, held, load)
    for (const [memberId, partitions] of placed) {
      const set = result.get(memberId)!
      for (const p of partitions) set.add(topicPartitionKey(topic, p))
      load.set(memberId, load.get(memberId)! + partitions.length)
    }
  }
  return result
}

/** topic → member → partitions it held, keeping only current members and the first holder of each partition. */
function groupPreviousByTopic(
  previous: ReadonlyMap<string, ReadonlyPartitionSet>,
  current: ReadonlyMap<string, unknown>,
): Map<string, Map<string, number[]>> {
  const out = new Map<string, Map<string, number[]>>()
  const seen = new Set<string>()
  for (const memberId of [...previous.keys()].sort(cmp)) {
    if (!current.has(memberId)) continue
    for (const key of previous.get(memberId)!) {
      if (seen.has(key)) continue
      seen.add(key)
      const { topic, partition } = parseTopicPartitionKey(key)
      let byMember = out.get(topic)
      if (!byMember) out.set(topic, (byMember = new Map()))
      let list = byMember.get(memberId)
      if (!list) byMember.set(memberId, (list = []))
      list.push(partition)
    }
  }
  return out
}

function assignTopic(
  count: number,
  subscribers: readonly string[],
  held: ReadonlyMap<string, number[]>,
  load: ReadonlyMap<string, number>,
): Map<string, number[]> {
  const out = new Map<string, number[]>()
  if (subscribers.length === 0 || count <= 0) return out
  const base = Math.floor(count / subscribers.length)
  const extra = count % subscribers.length
  const keep = (m: string) => (held.get(m) ?? []).filter((p) => p < count).sort((a, b) => a - b)

  const byExtraPriority = [...subscribers].sort((a, b) => {
    const aboveA = keep(a).length > base ? 0 : 1
    const aboveB = keep(b).length > base ? 0 : 1
    return load.get(a)! - load.get(b)! || aboveA - aboveB || cmp(a, b)
  })
  const quota = new Map<string, number>(byExtraPriority.map((m, i) => [m, base + (i < extra ? 1 : 0)]))

  const taken = new Set<number>()
  for (const m of subscribers) {
    const kept = keep(m).slice(0, quota.get(m))
    for (const p of kept) taken.add(p)
    out.set(m, kept)
  }
  let next = 0
  for (const m of subscribers) {
    const list = out.get(m)!
    while (list.length < quota.get(m)!) {
      while (taken.has(next)) next++
      taken.add(next)
      list.push(next)
    }
  }
  return out
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
