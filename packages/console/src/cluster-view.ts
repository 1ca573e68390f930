/** Derived facts about the cluster the pages share: partition health and per-broker counts, from one Metadata answer. */
import type { MetadataResponse } from '@tributary/protocol'

export type TopicMeta = MetadataResponse['topics'][number]
export type PartitionMeta = TopicMeta['partitions'][number]

export const isOffline = (p: PartitionMeta): boolean => p.leader < 0
export const isUnderReplicated = (p: PartitionMeta): boolean => p.isr.length < p.replicas.length

export interface Health { partitions: number; underReplicated: number; offline: number }

export function health(topics: TopicMeta[]): Health {
  const all = topics.flatMap((t) => t.partitions)
  return { partitions: all.length, underReplicated: all.filter(isUnderReplicated).length, offline: all.filter(isOffline).length }
}

/** Replicas and leaders each broker holds. */
export function perBroker(topics: TopicMeta[]): Map<number, { replicas: number; leaders: number }> {
  const out = new Map<number, { replicas: number; leaders: number }>()
  const at = (id: number) => out.get(id) ?? (out.set(id, { replicas: 0, leaders: 0 }), out.get(id)!)
  for (const t of topics) {
    for (const p of t.partitions) {
      for (const r of p.replicas) at(r).replicas++
      if (p.leader >= 0) at(p.leader).leaders++
    }
  }
  return out
}
