/**
 * Membership changes, one voter at a time (thesis §4.1; KIP-853's AddRaftVoter /
 * RemoveRaftVoter). Adding or removing a single voter keeps every majority of the old
 * set overlapping every majority of the new one, so a configuration can take effect
 * on each node as soon as its entry is appended to that node's log, without joint
 * consensus. The rules that make that safe:
 *
 *  - the leader allows one uncommitted configuration at a time, and only once it has
 *    committed an entry of its own term (otherwise an uncommitted change from an
 *    older leader plus a new one could yield two disjoint majorities: Ongaro's
 *    single-server bug, raft-dev 2015);
 *  - a voter is added only once it has caught up with the leader's whole log within
 *    the last election timeout, so the new majority is not stalled by it;
 *  - a leader that removes itself keeps leading, without counting itself, until the
 *    removal commits, then hands leadership to the most up-to-date voter and becomes
 *    an observer;
 *  - a removed voter stays a known observer, so it keeps receiving the log (it
 *    learns of its removal from it; the broker on that node still needs the log);
 *    and until it learns, its answers may raise our term (NodeState.outsideVoters):
 *    it may have campaigned beyond our term, and would refuse our appends forever.
 */
import { fail, ok, type RaftResult } from './errors.js'
import { becomeFollower } from './election.js'
import { encodeVoters, MAX_VOTERS } from './membership.js'
import { makeMessage, MessageType } from './message.js'
import type { NodeState } from './node-state.js'
import { Progress } from './progress.js'
import type { ProposeOk } from './ready.js'
import { appendEntry } from './replication.js'
import type { Entry, Snapshot } from './types.js'

export type VoterChange = { type: 'add' | 'remove'; id: number }

/** Leader: append a configuration that adds or removes one voter. */
export function proposeVoterChange(s: NodeState, change: VoterChange): RaftResult<ProposeOk> {
  if (s.role !== 'leader') return fail('NOT_LEADER', `node ${s.id} is ${s.role}`, s.leader)
  const { id, type } = change
  if (!Number.isSafeInteger(id) || id <= 0) return fail('INVALID_ARGUMENT', `voter id ${id} must be a positive integer`, s.id)
  if (s.leadTransferee !== 0) return fail('TRANSFER_IN_PROGRESS', `transferring to ${s.leadTransferee}`, s.id)
  if (s.log.term(s.log.committed) !== s.term) {
    return fail('CONFIG_CHANGE_IN_PROGRESS', `leader ${s.id} has not yet committed an entry of its term ${s.term}`, s.id)
  }
  if (s.membership.index > s.log.committed) {
    return fail('CONFIG_CHANGE_IN_PROGRESS', `the configuration at ${s.membership.index} is not committed yet`, s.id)
  }
  const voters = [...s.voters]
  if (type === 'add') {
    if (s.isVoter(id)) return fail('INVALID_ARGUMENT', `${id} is already a voter`, s.id)
    if (voters.length >= MAX_VOTERS) return fail('INVALID_ARGUMENT', `at most ${MAX_VOTERS} voters`, s.id)
    const pr = s.progress.get(id)
    if (!pr) return fail('UNKNOWN_PEER', `${id} is not an observer this leader replicates to`, s.id)
    if (s.cannotVote.has(id)) return fail('INVALID_ARGUMENT', `${id} never votes (a broker-only node)`, s.id)
    if (pr.lastCaughtUpTick < s.ticks - s.cfg.electionTimeoutTicks) {
      return fail('NOT_CAUGHT_UP', `observer ${id} matches ${pr.match} of ${s.log.lastIndex()} (caught up last at tick ${pr.lastCaughtUpTick}, now ${s.ticks})`, s.id)
    }
    voters.push(id)
  } else {
    if (!s.isVoter(id)) return fail('INVALID_ARGUMENT', `${id} is not a voter`, s.id)
    if (voters.length === 1) return fail('INVALID_ARGUMENT', `cannot remove the last voter ${id}`, s.id)
    voters.splice(voters.indexOf(id), 1)
  }
  const index = appendEntry(s, 'config', encodeVoters(voters))
  return ok({ index, term: s.term })
}

/** Entries were written to the log (by the leader, or from the leader's append): a config among them, or cut, takes effect now. */
export function entriesAppended(s: NodeState, entries: readonly Entry[]): void {
  const before = s.voters
  if (s.membership.appended(entries)) configChanged(s, before)
}

/** The log was replaced by the leader's snapshot: its configuration is in force now. */
export function snapshotRestored(s: NodeState, snap: Snapshot): void {
  const before = s.voters
  if (snap.voters.length > 0 && s.membership.restore(snap.index, snap.voters)) configChanged(s, before)
}

function configChanged(s: NodeState, before: readonly number[]): void {
  for (const v of s.voters) {
    s.observers.delete(v)
    s.outsideVoters.delete(v)
  }
  for (const v of before) {
    if (s.isVoter(v) || v === s.id) continue
    s.outsideVoters.add(v)
    s.addKnownObserver(v)
  }
  if (s.role === 'leader') {
    for (const v of s.voters) {
      const pr = s.progress.get(v)
      if (pr) pr.isVoter = true
      else s.progress.set(v, new Progress(s.log.lastIndex() + 1, true, s.cfg.maxInflightAppends))
    }
    for (const [id, pr] of s.progress) if (!s.isVoter(id)) pr.isVoter = false
    if (s.leadTransferee !== 0 && !s.isVoter(s.leadTransferee)) s.leadTransferee = 0
  } else if (s.isObserver && s.role !== 'observer') {
    // Removed: never campaign or vote again (unless added back).
    if (s.role === 'follower') s.role = 'observer'
    else becomeFollower(s, s.term, 0)
  } else if (!s.isObserver && s.role === 'observer') {
    // Added: from now on this node votes, and campaigns if the leader goes quiet.
    s.role = 'follower'
    s.electionElapsed = 0
    s.randomizedElectionTimeout = s.newElectionTimeout()
  }
}

/**
 * A leader that removed itself steps down once the removal has committed, handing
 * leadership to an up-to-date voter so the cluster need not wait out an election
 * timeout. Call when nothing else is iterating the leader's progress.
 */
export function maybeLeaveAfterRemoval(s: NodeState): void {
  if (s.role !== 'leader' || !s.isObserver || s.log.committed < s.membership.index) return
  let best = 0
  let bestMatch = -1
  for (const [id, pr] of s.progress) {
    if (pr.isVoter && pr.match > bestMatch) [best, bestMatch] = [id, pr.match]
  }
  if (best !== 0 && bestMatch === s.log.lastIndex()) s.send(makeMessage(MessageType.TimeoutNow, s.id, best, s.term))
  becomeFollower(s, s.term, 0)
}
