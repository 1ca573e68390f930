/**
 * Log replication (§5.3): the leader appends proposals, streams them to each peer
 * under per-peer flow control (progress.ts) with fast conflict back-off, and commits
 * by counting — only entries of its own term (§5.4.2, Figure 8). Followers accept
 * appends and heartbeats from the leader.
 */
import { fail, ok, type RaftResult } from './errors.js'
import { entriesAppended, maybeLeaveAfterRemoval } from './config-change.js'
import { becomeFollower } from './election.js'
import { makeMessage, MessageType, type RaftMessage } from './message.js'
import type { NodeState } from './node-state.js'
import { quorumMatch, type Progress } from './progress.js'
import { confirmReads, leaderRead, releaseReadsAwaitingCommit } from './reads.js'
import type { ProposeOk } from './ready.js'
import { handleSnapshot, sendSnapshot } from './snapshots.js'
import type { Entry } from './types.js'

/** Bytes counted per proposal beyond its data, against maxUncommittedBytes. */
const PROPOSAL_OVERHEAD_BYTES = 24

export function propose(s: NodeState, data: Uint8Array): RaftResult<ProposeOk> {
  if (s.role !== 'leader') return fail('NOT_LEADER', `node ${s.id} is ${s.role}`, s.leader)
  if (s.leadTransferee !== 0) return fail('TRANSFER_IN_PROGRESS', `transferring to ${s.leadTransferee}`, s.id)
  if (data.length > s.cfg.maxProposalBytes) {
    return fail('PROPOSAL_TOO_LARGE', `${data.length} bytes > maxProposalBytes ${s.cfg.maxProposalBytes}`, s.id)
  }
  const bytes = data.length + PROPOSAL_OVERHEAD_BYTES
  if (s.uncommittedBytes > 0 && s.uncommittedBytes + bytes > s.cfg.maxUncommittedBytes) {
    return fail('BACKPRESSURE', `${s.uncommittedBytes} uncommitted bytes`, s.id)
  }
  const index = appendEntry(s, 'normal', data)
  return ok({ index, term: s.term })
}

export function appendEntry(s: NodeState, type: Entry['type'], data: Uint8Array): number {
  const index = s.log.lastIndex() + 1
  const entry: Entry = { index, term: s.term, type, data }
  s.log.append([entry])
  if (type === 'config') entriesAppended(s, [entry])
  const bytes = data.length + PROPOSAL_OVERHEAD_BYTES
  s.uncommitted.push(index, bytes)
  s.uncommittedBytes += bytes
  s.progress.get(s.id)!.maybeUpdate(index)
  maybeCommit(s)
  s.broadcastPending = true
  return index
}

export function broadcastAppend(s: NodeState): void {
  for (const id of s.progress.keys()) if (id !== s.id) sendAppend(s, id)
}

export function broadcastHeartbeat(s: NodeState): void {
  const ctx = s.reads.lastCtx()
  for (const [id, pr] of s.progress) {
    if (id === s.id) continue
    const commit = Math.min(pr.match, s.log.committed)
    s.send(makeMessage(MessageType.Heartbeat, s.id, id, s.term, { commit, ...(ctx ? { ctx } : {}) }))
  }
}

/** Send what `to` lacks (or a snapshot). Returns whether a message went out. */
export function sendAppend(s: NodeState, to: number, sendIfEmpty = true): boolean {
  const pr = s.progress.get(to)!
  if (pr.isPaused()) return false
  const prevIndex = pr.next - 1
  const prevTerm = s.log.term(prevIndex)
  const entries = prevTerm === undefined ? undefined : s.log.slice(pr.next, s.log.lastIndex() + 1, s.cfg.maxAppendBytes, s.cfg.maxAppendEntries)
  if (entries === undefined) return sendSnapshot(s, to, pr)
  if (entries.length === 0 && !sendIfEmpty) return false
  s.send(makeMessage(MessageType.App, s.id, to, s.term, { index: prevIndex, logTerm: prevTerm!, entries, commit: s.log.committed }))
  if (entries.length > 0) pr.sentEntries(entries[entries.length - 1]!.index)
  else if (pr.state === 'probe') pr.probeSent = true
  return true
}

/** The leader's answers from its peers, and reads forwarded to it. */
export function stepLeader(s: NodeState, m: RaftMessage): RaftResult {
  const pr = s.progress.get(m.from)
  switch (m.type) {
    case MessageType.AppResp:
      if (pr) handleAppendResponse(s, m, pr)
      maybeLeaveAfterRemoval(s)
      return ok(undefined)
    case MessageType.HeartbeatResp:
      if (pr) handleHeartbeatResponse(s, m, pr)
      return ok(undefined)
    case MessageType.ReadIndex:
      return leaderRead(s, m.ctx, m.from)
    default:
      return ok(undefined)
  }
}

function handleAppendResponse(s: NodeState, m: RaftMessage, pr: Progress): void {
  pr.recentActive = true
  pr.lastContactTick = s.ticks
  if (m.reject === 1) {
    // Fast back-off: skip every entry of a term the follower cannot have.
    const probe = m.logTerm > 0 ? s.log.findConflictByTerm(m.hint, m.logTerm)[0] : m.hint
    if (pr.maybeDecrTo(m.index, probe)) {
      if (pr.state === 'replicate') pr.becomeProbe()
      sendAppend(s, m.from)
    }
    return
  }
  const wasPaused = pr.isPaused()
  if (pr.maybeUpdate(m.index)) {
    if (pr.state === 'probe') pr.becomeReplicate()
    else if (pr.state === 'snapshot' && pr.match + 1 >= s.log.firstIndex()) {
      pr.becomeProbe()
      pr.becomeReplicate()
    } else if (pr.state === 'replicate') pr.freeInflightsTo(m.index)
    if (maybeCommit(s)) s.broadcastPending = true
    else if (wasPaused) sendAppend(s, m.from)
    while (sendAppend(s, m.from, false)) {
      // keep the pipe full up to maxInflightAppends
    }
    if (m.from === s.leadTransferee && pr.match === s.log.lastIndex()) {
      s.send(makeMessage(MessageType.TimeoutNow, s.id, m.from, s.term))
    }
  }
  if (pr.match >= s.log.lastIndex()) pr.lastCaughtUpTick = s.ticks
}

function handleHeartbeatResponse(s: NodeState, m: RaftMessage, pr: Progress): void {
  if (m.reject === 1) s.cannotVote.add(m.from)
  pr.recentActive = true
  pr.lastContactTick = s.ticks
  pr.probeSent = false
  if (pr.state === 'replicate' && pr.isPaused()) pr.freeFirstInflight()
  if (pr.state === 'snapshot' && s.ticks - pr.snapshotSentTick >= s.cfg.electionTimeoutTicks) pr.becomeProbe()
  if (pr.match < s.log.lastIndex() || pr.state === 'probe') sendAppend(s, m.from)
  else pr.lastCaughtUpTick = s.ticks
  if (m.ctx.length > 0 && pr.isVoter) confirmReads(s, m.ctx, m.from)
}

/** §5.3/§5.4.2: commit the largest index a quorum holds — only if it is of the current term (Figure 8). */
function maybeCommit(s: NodeState): boolean {
  const matches: number[] = []
  for (const v of s.voters) matches.push(s.progress.get(v)!.match)
  const index = quorumMatch(matches)
  if (index <= s.log.committed || s.log.term(index) !== s.term) return false
  const firstOfTerm = s.log.term(s.log.committed) !== s.term
  s.log.commitTo(index)
  let k = 0
  while (k < s.uncommitted.length && s.uncommitted[k]! <= index) {
    s.uncommittedBytes -= s.uncommitted[k + 1]!
    k += 2
  }
  if (k > 0) s.uncommitted.splice(0, k)
  if (firstOfTerm) releaseReadsAwaitingCommit(s)
  return true
}

/** An append, heartbeat or snapshot from the leader of our term. */
export function handleFromLeader(s: NodeState, m: RaftMessage): RaftResult {
  if (s.role === 'leader') return fail('INVALID_ARGUMENT', `two leaders in term ${s.term}?`, s.leader)
  // Anyone's appends are heard (step.ts), but a term has one leader: once we follow
  // one, nobody else speaks for the term.
  if (s.leader !== 0 && s.leader !== m.from) return fail('NOT_PERMITTED', `${m.from} sent ${m.type} in term ${m.term}, whose leader is ${s.leader}`, s.leader)
  if (s.role === 'candidate' || s.role === 'precandidate') becomeFollower(s, s.term, m.from)
  s.electionElapsed = 0
  s.leader = m.from
  if (m.type === MessageType.App) handleAppend(s, m)
  else if (m.type === MessageType.Heartbeat) handleHeartbeat(s, m)
  else handleSnapshot(s, m)
  return ok(undefined)
}

function handleAppend(s: NodeState, m: RaftMessage): void {
  const reply = (fields: Partial<RaftMessage>): void => s.send(makeMessage(MessageType.AppResp, s.id, m.from, s.term, fields))
  if (m.index < s.log.committed) {
    reply({ index: s.log.committed })
    return
  }
  if (s.log.matchTerm(m.index, m.logTerm)) {
    const lastNew = m.index + m.entries.length
    const conflict = s.log.findConflict(m.entries)
    if (conflict !== 0) {
      const fresh = m.entries.slice(conflict - (m.index + 1))
      s.log.append(fresh)
      entriesAppended(s, fresh)
    }
    s.log.commitTo(Math.min(m.commit, lastNew))
    reply({ index: lastNew })
    return
  }
  // §5.3 with fast back-off: point the leader at the last index that can match.
  const [hint, hintTerm] = s.log.findConflictByTerm(Math.min(m.index, s.log.lastIndex()), m.logTerm)
  reply({ index: m.index, reject: 1, hint, logTerm: hintTerm })
}

function handleHeartbeat(s: NodeState, m: RaftMessage): void {
  s.log.commitTo(m.commit)
  s.send(makeMessage(MessageType.HeartbeatResp, s.id, m.from, s.term, { ctx: m.ctx, reject: s.cfg.canVote ? 0 : 1 }))
}
