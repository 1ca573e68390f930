/**
 * Reconciliation: what one member may own now, given its target (KIP-848).
 *
 * A partition moves only after its old owner lets go: the old owner is told a
 * smaller assignment, the partition stays "pending revocation" (still counted
 * as held by it) until a heartbeat's ownedPartitions leaves it out, and only
 * then may the new owner receive it. So at any moment each partition is held by
 * at most one member — the safety property of the whole design.
 *
 * The member epoch moves to the target's epoch once the member has nothing
 * left to revoke; partitions that others still hold ("unreleased") are handed
 * over on later heartbeats without a further epoch bump, as in Kafka.
 */
import { difference, intersection, type PartitionSet, type ReadonlyPartitionSet } from './topic-partitions.js'

export interface MemberAssignment {
  memberEpoch: number
  /** The epoch before the last bump: a heartbeat whose response was lost still carries it. */
  previousMemberEpoch: number
  /** What the member was told it may own. */
  assigned: ReadonlyPartitionSet
  /** Taken away from it, but not yet acknowledged as released. */
  pendingRevocation: ReadonlyPartitionSet
}

export interface ReconcileInput {
  current: MemberAssignment
  target: ReadonlyPartitionSet
  targetEpoch: number
  /** From the heartbeat; null when it carried none (nothing is learned). */
  owned: ReadonlyPartitionSet | null
  /** Whether another member still holds the partition (assigned or pending revocation). */
  heldByOther: (key: string) => boolean
}

export function reconcile(input: ReconcileInput): MemberAssignment {
  const { current, target, targetEpoch, owned } = input
  // Revoke first, then apply the ack: a member that reports it does not hold a
  // partition can be released in the same heartbeat that takes it away.
  let pending: PartitionSet = new Set(current.pendingRevocation)
  for (const k of difference(current.assigned, target)) pending.add(k)
  if (owned !== null) pending = intersection(pending, owned)
  const assigned = intersection(current.assigned, target)

  if (pending.size > 0) {
    return { ...current, assigned, pendingRevocation: pending }
  }
  for (const k of target) if (!assigned.has(k) && !input.heldByOther(k)) assigned.add(k)
  const bumped = current.memberEpoch !== targetEpoch
  return {
    memberEpoch: targetEpoch,
    previousMemberEpoch: bumped ? current.memberEpoch : current.previousMemberEpoch,
    assigned,
    pendingRevocation: pending,
  }
}

/** Reconciled: at the target epoch, holding exactly the target, nothing pending. */
export function isReconciled(m: MemberAssignment, target: ReadonlyPartitionSet, targetEpoch: number): boolean {
  if (m.memberEpoch !== targetEpoch || m.pendingRevocation.size > 0 || m.assigned.size !== target.size) return false
  for (const k of target) if (!m.assigned.has(k)) return false
  return true
}
