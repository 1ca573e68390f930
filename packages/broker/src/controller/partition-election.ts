/**
 * Leader election and ISR changes, as pure functions of the image: which
 * PartitionChange records a broker leaving (fenced, re-registered, shutting down)
 * or returning (unfenced) produces.
 *
 * Rules (Kafka without ELR):
 * - A new leader comes from the ISR, in replica order, and must be live.
 * - An out-of-ISR replica may lead only with unclean.leader.election.enable=true;
 *   the ISR then restarts as just that replica.
 * - A departing broker leaves the ISR, unless it is the last member: the ISR keeps
 *   it (it holds every committed record) and the leader becomes -1 until it returns.
 * - Every change bumps partitionEpoch; a change of leader bumps leaderEpoch.
 */
import type { MetadataImage, PartitionState, TopicState } from '../metadata/image-types.js'
import type { PartitionChangeRecord } from '../metadata/records.js'
import { topicConfigValue } from '../topic-config.js'

export const NO_LEADER = -1

/** A broker that may lead or join an ISR: registered, unfenced, not shutting down. */
export function isLive(image: MetadataImage, nodeId: number): boolean {
  const b = image.brokers.get(nodeId)
  return !!b && !b.fenced && !b.inControlledShutdown
}

export function uncleanAllowed(topic: TopicState): boolean {
  return topicConfigValue(topic.configs, 'unclean.leader.election.enable') === 'true'
}

const sameIds = (a: number[], b: number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i])

/** What a change sets beyond leader and ISR: a new replica list and the reassignment sets (KIP-455). */
export interface ReplicaSetChange { replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }

/** The record turning `p` into { leader, isr } (and `set`, when given), or null when nothing changes. */
export function partitionChange(p: PartitionState, leader: number, isr: number[], set?: ReplicaSetChange): PartitionChangeRecord | null {
  const leaderChanged = leader !== p.leader
  const setChanged = set !== undefined && (!sameIds(set.replicas, p.replicas)
    || !sameIds(set.addingReplicas, p.addingReplicas ?? []) || !sameIds(set.removingReplicas, p.removingReplicas ?? []))
  if (!leaderChanged && !setChanged && sameIds(isr, p.isr)) return null
  const r: PartitionChangeRecord = {
    type: 'PartitionChange',
    version: 0,
    topicId: p.topicId,
    partition: p.partition,
    leaderEpoch: leaderChanged ? p.leaderEpoch + 1 : p.leaderEpoch,
    partitionEpoch: p.partitionEpoch + 1,
  }
  if (leaderChanged) r.leader = leader
  if (!sameIds(isr, p.isr)) r.isr = [...isr]
  if (setChanged) {
    r.version = 1
    r.replicas = [...set.replicas]
    r.addingReplicas = [...set.addingReplicas]
    r.removingReplicas = [...set.removingReplicas]
  }
  return r
}

/** Choose a leader for `p` given a liveness predicate; returns the leader and the ISR it implies. */
export function electLeader(p: PartitionState, isr: number[], live: (id: number) => boolean, unclean: boolean): { leader: number; isr: number[] } {
  const fromIsr = p.replicas.find((r) => isr.includes(r) && live(r))
  if (fromIsr !== undefined) return { leader: fromIsr, isr }
  if (unclean) {
    const any = p.replicas.find(live)
    if (any !== undefined) return { leader: any, isr: [any] }
  }
  return { leader: NO_LEADER, isr }
}

/**
 * Changes when broker `nodeId` stops serving (fence, new incarnation, controlled
 * shutdown): it leaves every ISR it can leave, and each partition it led gets a
 * new leader. `live` must already treat `nodeId` as not live.
 */
export function changesForBrokerLeaving(image: MetadataImage, nodeId: number, live: (id: number) => boolean): PartitionChangeRecord[] {
  const out: PartitionChangeRecord[] = []
  for (const t of image.topicsById.values()) {
    for (const p of t.partitions) {
      if (!p.isr.includes(nodeId) && p.leader !== nodeId) continue
      const shrunk = p.isr.filter((r) => r !== nodeId)
      const isr = shrunk.length > 0 ? shrunk : p.isr
      const needsLeader = p.leader === nodeId || p.leader === NO_LEADER
      const next = needsLeader ? electLeader(p, isr, live, uncleanAllowed(t)) : { leader: p.leader, isr }
      const r = partitionChange(p, next.leader, next.isr)
      if (r) out.push(r)
    }
  }
  return out
}

/** Changes that bring leaderless partitions back once some replica is live again. */
export function changesForOfflinePartitions(image: MetadataImage, live: (id: number) => boolean): PartitionChangeRecord[] {
  const out: PartitionChangeRecord[] = []
  for (const t of image.topicsById.values()) {
    for (const p of t.partitions) {
      if (p.leader !== NO_LEADER) continue
      const next = electLeader(p, p.isr, live, uncleanAllowed(t))
      if (next.leader === NO_LEADER) continue
      const r = partitionChange(p, next.leader, next.isr)
      if (r) out.push(r)
    }
  }
  return out
}

/** Partitions `nodeId` leads now. */
export function partitionsLedBy(image: MetadataImage, nodeId: number): PartitionState[] {
  const out: PartitionState[] = []
  for (const t of image.topicsById.values()) for (const p of t.partitions) if (p.leader === nodeId) out.push(p)
  return out
}
