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
 * partition until its log end first reaches the leader's HW there again
 * (`PowerLossExemptions`); from then on the rule holds for it as for any other.
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

/** Members that lost their unsynced tail to a power loss, per partition until they catch up. */
export class PowerLossExemptions {
  private readonly lostTail = new Set<number>()
  /** `node/topic/partition` caught up since its power loss. */
  private readonly caughtUp = new Set<string>()

  powerLoss(nodeId: number): void {
    this.lostTail.add(nodeId)
    for (const k of [...this.caughtUp]) if (k.startsWith(`${nodeId}/`)) this.caughtUp.delete(k)
  }

  /** Whether `nodeId`'s log end `leo` below the leader's HW on `of` is the power loss's doing. */
  exempt(nodeId: number, of: HostedReplica, leo: number): boolean {
    if (!this.lostTail.has(nodeId)) return false
    const key = `${nodeId}/${of.topic}/${of.partition}`
    if (this.caughtUp.has(key)) return false
    if (leo >= of.highWatermark) {
      this.caughtUp.add(key)
      return false
    }
    return true
  }
}
