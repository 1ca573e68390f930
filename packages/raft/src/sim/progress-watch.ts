import type { RaftNode } from '../raft-node.js'

/** What the watch reads of a simulated node. */
export interface WatchedNode {
  id: number
  /** Index the node's state machine has applied. */
  appIndex: number
  /** null while the node is down. */
  raft: RaftNode | null
}

/**
 * Progress after healing is replication or application: a new leader may need to
 * stream a long backlog before an entry of its term commits (§5.4.2), one bounded
 * append at a time. It is measured per node, as a node's applied or last index
 * passing the highest it had since healing, not as a sum over nodes: a new leader
 * legitimately cuts the uncommitted tail of an old one's log, and a sum that fell by
 * that tail (560 entries at seed 172370, 5 voters) hid an observer catching up one
 * entry per append for longer than the simulator's stall bound.
 */
export class ProgressWatch {
  private readonly highest = new Map<number, { applied: number; last: number }>()

  /** Did any node pass its highest applied or last index since the last call? */
  moved(nodes: Iterable<WatchedNode>): boolean {
    let moved = false
    for (const n of nodes) {
      const now = { applied: n.appIndex, last: n.raft?.lastLogIndex ?? 0 }
      const h = this.highest.get(n.id)
      if (h && now.applied <= h.applied && now.last <= h.last) continue
      this.highest.set(n.id, { applied: Math.max(now.applied, h?.applied ?? 0), last: Math.max(now.last, h?.last ?? 0) })
      moved = true
    }
    return moved
  }
}
