/**
 * Invariants of the cluster's metadata, checked after every event on what each
 * live node has applied (its published image):
 *
 * - one leader per partition per leader epoch, across every node and all time
 *   (the images come from one Raft log, and the controller never reuses an
 *   epoch for another leader);
 * - a partition's leader is in its ISR, and its ISR is within its replicas;
 * - on one node (one process lifetime), the applied offset never goes back, and
 *   neither does any partition's leader epoch or partition epoch.
 *
 * Only changed images are looked at (an image is a value: same object, same state).
 */
import type { MetadataImage } from '@tributary/broker'

/** What the check reads of one node. */
export interface NodeImage {
  nodeId: number
  /** Which process lifetime (a restart replays its log from the start). */
  incarnation: number
  image: MetadataImage | null
}

interface Seen {
  incarnation: number
  image: MetadataImage
  epochs: Map<string, { leaderEpoch: number; partitionEpoch: number }>
}

export class MetadataInvariants {
  /** `topicId/partition/leaderEpoch` → the leader every image gave it. */
  private readonly leaders = new Map<string, number>()
  private readonly seen = new Map<number, Seen>()
  /** Images looked at (for the report: the check ran). */
  checked = 0

  /** The first violation, or undefined. */
  check(nodes: readonly NodeImage[]): string | undefined {
    for (const n of nodes) {
      if (n.image === null) continue
      const before = this.seen.get(n.nodeId)
      if (before?.image === n.image) continue
      this.checked++
      const sameLife = before !== undefined && before.incarnation === n.incarnation
      if (sameLife && n.image.offset < before.image.offset) return `n${n.nodeId}: applied offset went back from ${before.image.offset} to ${n.image.offset}`
      const epochs = new Map<string, { leaderEpoch: number; partitionEpoch: number }>()
      for (const t of n.image.topicsById.values()) {
        for (const p of t.partitions) {
          const key = `${t.topicId}/${p.partition}`
          const where = `n${n.nodeId} ${t.name}-${p.partition} at offset ${n.image.offset}`
          if (p.leader >= 0 && !p.isr.includes(p.leader)) return `${where}: leader ${p.leader} is not in the ISR [${p.isr}]`
          const outside = p.isr.filter((id) => !p.replicas.includes(id))
          if (outside.length > 0) return `${where}: ISR [${p.isr}] holds non-replicas [${outside}]`
          if (p.leader >= 0) {
            const epochKey = `${key}/${p.leaderEpoch}`
            const leader = this.leaders.get(epochKey)
            if (leader === undefined) this.leaders.set(epochKey, p.leader)
            else if (leader !== p.leader) return `${where}: leader epoch ${p.leaderEpoch} has two leaders, ${leader} and ${p.leader}`
          }
          const prev = sameLife ? before.epochs.get(key) : undefined
          if (prev && (p.leaderEpoch < prev.leaderEpoch || p.partitionEpoch < prev.partitionEpoch)) {
            return `${where}: epochs went back from leader ${prev.leaderEpoch} / partition ${prev.partitionEpoch} to ${p.leaderEpoch} / ${p.partitionEpoch}`
          }
          epochs.set(key, { leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch })
        }
      }
      this.seen.set(n.nodeId, { incarnation: n.incarnation, image: n.image, epochs })
    }
    return undefined
  }
}
