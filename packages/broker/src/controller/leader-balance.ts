/**
 * Preferred leaders, as Kafka: a partition's first replica is its preferred
 * leader, and placement spreads first replicas evenly, so leadership is balanced
 * when every partition is led by its preferred replica. After a broker restarts,
 * its partitions are led by others until an election moves them back: explicit
 * (ElectLeaders) or automatic (auto.leader.rebalance.enable), when a broker's
 * imbalance — the share of the partitions it prefers that others lead — passes
 * leader.imbalance.per.broker.percentage.
 *
 * Pure functions of the image; the controller decides who is eligible.
 */
import { ElectionType, ErrorCode, type ElectLeadersRequest, type ElectLeadersResponse } from '@tributary/protocol'
import type { MetadataImage, PartitionState } from '../metadata/image-types.js'
import type { PartitionChangeRecord } from '../metadata/records.js'
import { electLeader, NO_LEADER, partitionChange } from './partition-election.js'
import { isReassigning } from './reassignment.js'

export function preferredLeader(p: PartitionState): number {
  return p.replicas[0] ?? NO_LEADER
}

/** broker → the share (0..1) of the partitions it is preferred leader of that another broker leads. */
export function leaderImbalance(image: MetadataImage): Map<number, number> {
  const preferred = new Map<number, number>()
  const notLed = new Map<number, number>()
  for (const t of image.topicsById.values()) {
    for (const p of t.partitions) {
      const b = preferredLeader(p)
      preferred.set(b, (preferred.get(b) ?? 0) + 1)
      if (p.leader !== b) notLed.set(b, (notLed.get(b) ?? 0) + 1)
    }
  }
  const out = new Map<number, number>()
  for (const [b, n] of preferred) out.set(b, (notLed.get(b) ?? 0) / n)
  return out
}

export type ElectionOutcome = { errorCode: typeof ErrorCode.NONE; record: PartitionChangeRecord } | { errorCode: number; message: string }

/**
 * One partition's election. Preferred: its first replica, when that replica is
 * in the ISR and `eligible` (live). Unclean: only for a partition without a
 * leader, any live replica (the ISR restarts as that replica), as Kafka's.
 */
export function elect(p: PartitionState, type: number, eligible: (id: number) => boolean): ElectionOutcome {
  if (type === ElectionType.UNCLEAN) {
    if (p.leader !== NO_LEADER) return { errorCode: ErrorCode.ELECTION_NOT_NEEDED, message: `partition ${p.partition} of '${p.topic}' has leader ${p.leader}` }
    // An explicit unclean election is the operator's choice: it overrides the topic's unclean.leader.election.enable, as Kafka's.
    const next = electLeader(p, p.isr, eligible, true)
    if (next.leader === NO_LEADER) {
      return { errorCode: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, message: `no live replica of partition ${p.partition} of '${p.topic}'` }
    }
    return { errorCode: ErrorCode.NONE, record: partitionChange(p, next.leader, next.isr)! }
  }
  const preferred = preferredLeader(p)
  if (p.leader === preferred) return { errorCode: ErrorCode.ELECTION_NOT_NEEDED, message: `broker ${preferred} already leads partition ${p.partition} of '${p.topic}'` }
  if (!p.isr.includes(preferred) || !eligible(preferred)) {
    return { errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, message: `preferred leader ${preferred} of partition ${p.partition} of '${p.topic}' is not a live in-sync replica` }
  }
  return { errorCode: ErrorCode.NONE, record: partitionChange(p, preferred, p.isr)! }
}

/**
 * The automatic rebalance: for every broker whose imbalance is above
 * `imbalanceRatioMax`, move back the leadership of each partition it prefers,
 * when it is `eligible` (the controller demands it has been live for a whole check
 * interval, so a flapping broker does not pull leadership back and forth) and in
 * the ISR. Partitions being reassigned are left to the reassignment.
 */
export function rebalanceChanges(image: MetadataImage, imbalanceRatioMax: number, eligible: (id: number) => boolean): PartitionChangeRecord[] {
  const over = new Set<number>()
  for (const [b, ratio] of leaderImbalance(image)) if (ratio > imbalanceRatioMax && eligible(b)) over.add(b)
  if (over.size === 0) return []
  const out: PartitionChangeRecord[] = []
  for (const t of image.topicsById.values()) {
    for (const p of t.partitions) {
      if (!over.has(preferredLeader(p)) || isReassigning(p)) continue
      const r = elect(p, ElectionType.PREFERRED, eligible)
      if (r.errorCode === ErrorCode.NONE && 'record' in r) out.push(r.record)
    }
  }
  return out
}

type PartitionResult = { partitionId: number; errorCode: number; errorMessage: string | null }

/**
 * ElectLeaders: the records to commit and Kafka's per-partition answers. With
 * topicPartitions null every partition is tried and the ones needing no
 * election are left out of the answer, as Kafka's admin tool shows them.
 */
export function planElectLeaders(image: MetadataImage, req: ElectLeadersRequest, eligible: (id: number) => boolean): { records: PartitionChangeRecord[]; response: ElectLeadersResponse } {
  const type = req.electionType
  const all = req.topicPartitions === null
  const wanted = req.topicPartitions === null
    ? [...image.topicsByName.values()].map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => p.partition) }))
    : req.topicPartitions.map((tp) => ({ topic: tp.topic, partitions: [...new Set(tp.partitions)] }))
  const records: PartitionChangeRecord[] = []
  const results: Array<{ topic: string; partitionResult: PartitionResult[] }> = []
  for (const { topic, partitions } of wanted) {
    const t = image.topicsByName.get(topic)
    const partitionResult: PartitionResult[] = []
    for (const n of partitions) {
      const p = t?.partitions[n]
      if (!p) { partitionResult.push({ partitionId: n, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `unknown partition ${n} of '${topic}'` }); continue }
      const r = elect(p, type, eligible)
      if ('record' in r) records.push(r.record)
      if (all && r.errorCode === ErrorCode.ELECTION_NOT_NEEDED) continue
      partitionResult.push({ partitionId: n, errorCode: r.errorCode, errorMessage: 'message' in r ? r.message : null })
    }
    if (partitionResult.length > 0) results.push({ topic, partitionResult })
  }
  return { records, response: { replicaElectionResults: results } }
}
