/**
 * An invariant of the data plane, checked after every event on what each live
 * node's replicas hold: a leader's high watermark never passes the log end of a
 * live replica that its applied ISR still counts.
 *
 * Everything below the HW is acknowledged to acks=all producers and readable by
 * consumers, and the controller may elect any member of the committed ISR: a
 * member without it would lose acknowledged writes on the next election. A leader
 * that acts on an ISR change the controller has not committed yet (a shrink
 * leaving out a lagging follower) breaks this at once, long before a crash at the
 * wrong moment could show it as a lost write. A crashed member is not looked at.
 *
 * A machine that lost power (or whose disk failed: what its logs accepted in memory
 * and could not write dies with the process) comes back without that tail while the ISR it
 * was in may still count it (until the controller sees the new incarnation): as
 * in Kafka, whose ISR acknowledges from memory. Such a member is exempt on a
 * partition while the HW stays within what any replica held at the loss
 * (`PowerLossExemptions`); past that the rule holds for it as for any other.
 */
import type { HostedReplica } from '@tributary/broker'

/** What the check reads of one node: null when it is down or booting. */
export interface NodeReplicas {
  nodeId: number
  replicas: readonly HostedReplica[] | null
}

/** The first violation, or undefined. Runs after every event: a few dozen comparisons, no allocation. */
export function checkHighWatermarks(nodes: readonly NodeReplicas[], exempt?: PowerLossExemptions): string | undefined {
  for (const n of nodes) {
    for (const r of n.replicas ?? []) {
      if (r.role !== 'leader') continue
      for (const member of r.isr) {
        if (member === n.nodeId) continue
        const leo = logEndOf(nodes, member, r)
        if (leo === undefined || exempt?.exempt(member, r, leo)) continue
        if (leo < r.highWatermark) {
          return `n${n.nodeId} leads ${r.topic}-${r.partition} (epoch ${r.leaderEpoch}) at HW ${r.highWatermark}, past the log end ${leo} of ISR member ${member} (ISR [${r.isr}])`
        }
      }
    }
  }
  return undefined
}

/** The log end of `nodeId`'s replica of the partition, undefined when it is down or does not host it. */
function logEndOf(nodes: readonly NodeReplicas[], nodeId: number, of: HostedReplica): number | undefined {
  for (const n of nodes) {
    if (n.nodeId !== nodeId) continue
    for (const r of n.replicas ?? []) if (r.partition === of.partition && r.topic === of.topic) return r.logEndOffset
  }
  return undefined
}

/**
 * Members that lost writes their leaders had counted (a power loss, a failed disk).
 * The leader may go on counting such a member at the log end its old process
 * reported, until it hears from the new one or the controller drops it from the
 * ISR, so its HW may still rise, but never past the longest log any replica had
 * when the writes were lost (the old process never reported more). Below that
 * bound the member is exempt on the partition; above it the rule holds again.
 */
export class PowerLossExemptions {
  /** `node/topic/partition` → the HW up to which the node is exempt there. */
  private readonly bound = new Map<string, number>()

  /** `nodeId` lost writes now; `nodes` is every live node's replicas at that moment. */
  powerLoss(nodeId: number, nodes: readonly NodeReplicas[]): void {
    for (const n of nodes) {
      for (const r of n.replicas ?? []) {
        const key = `${nodeId}/${r.topic}/${r.partition}`
        this.bound.set(key, Math.max(this.bound.get(key) ?? 0, r.logEndOffset))
      }
    }
  }

  /** Whether `nodeId`'s log end below the leader's HW on `of` may be the loss's doing. */
  exempt(nodeId: number, of: HostedReplica, leo: number): boolean {
    if (this.bound.size === 0 || leo >= of.highWatermark) return false
    const bound = this.bound.get(`${nodeId}/${of.topic}/${of.partition}`)
    return bound !== undefined && of.highWatermark <= bound
  }
}
