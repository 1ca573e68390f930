/**
 * Snapshots (§7): the app compacts its log below an applied index; a leader sends its
 * snapshot to a peer that needs entries it no longer holds; a follower installs one
 * unless it already holds the snapshot's last entry.
 */
import { snapshotRestored } from './config-change.js'
import { fail, ok, type RaftResult } from './errors.js'
import { makeMessage, MessageType, type RaftMessage } from './message.js'
import type { NodeState } from './node-state.js'
import type { Progress } from './progress.js'
import type { Snapshot } from './types.js'

/**
 * A snapshot of the app's state at `index` (<= applied) for the app to persist; it
 * then drops the entries it covers from storage.
 */
export function compact(s: NodeState, index: number, data: Uint8Array): RaftResult<Snapshot> {
  if (index > s.log.applied) return fail('OUT_OF_RANGE', `index ${index} > applied ${s.log.applied}`, s.leader)
  const term = s.log.term(index)
  if (index < s.log.firstIndex() || term === undefined) {
    return fail('OUT_OF_RANGE', `index ${index} is already compacted (first ${s.log.firstIndex()})`, s.leader)
  }
  // The snapshot records the configuration in force at its index; config entries
  // after it stay in the log.
  s.membership.compactTo(Math.min(index, s.log.firstIndex() - 1))
  return ok({ index, term, voters: [...s.membership.votersAt(index)], observers: [...s.observers], data })
}

/** Leader: `to` needs entries below our log start; send the snapshot instead. */
export function sendSnapshot(s: NodeState, to: number, pr: Progress): boolean {
  const snap = s.log.unstableSnapshot ?? s.log.storage.snapshot()
  if (snap.index === 0) return false
  s.send(makeMessage(MessageType.Snap, s.id, to, s.term, { index: snap.index, logTerm: snap.term, snapshot: snap }))
  pr.becomeSnapshot(snap.index, s.ticks)
  return true
}

export function handleSnapshot(s: NodeState, m: RaftMessage): void {
  const snap = m.snapshot!
  if (snap.index > s.log.committed) {
    if (s.log.matchTerm(snap.index, snap.term)) {
      // We already hold the snapshot's last entry: just catch the commit index up.
      s.log.commitTo(snap.index)
    } else {
      s.log.restore(snap)
      snapshotRestored(s, snap)
      for (const o of snap.observers) s.addKnownObserver(o)
    }
  }
  s.send(makeMessage(MessageType.AppResp, s.id, m.from, s.term, { index: s.log.committed }))
}
