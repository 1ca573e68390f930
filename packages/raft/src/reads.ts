/**
 * Linearizable reads by ReadIndex (thesis §6.4; README: why not a lease). The leader
 * records its commit index for a read and confirms its leadership with a heartbeat
 * round acknowledged by a quorum; followers forward reads to the leader.
 */
import { fail, ok, type RaftResult } from './errors.js'
import { makeMessage, MessageType } from './message.js'
import type { NodeState } from './node-state.js'
import { broadcastHeartbeat } from './replication.js'

export function readIndex(s: NodeState, ctx: Uint8Array): RaftResult {
  if (s.role !== 'leader') {
    if (s.leader === 0) return fail('NO_LEADER', 'no known leader', 0)
    s.send(makeMessage(MessageType.ReadIndex, s.id, s.leader, s.term, { ctx }))
    return ok(undefined)
  }
  return leaderRead(s, ctx, s.id)
}

/** A read asked of the leader, by itself or forwarded by `from`. */
export function leaderRead(s: NodeState, ctx: Uint8Array, from: number): RaftResult {
  if (s.isObserver) return fail('NOT_LEADER', `leader ${s.id} is leaving the voter set`, 0)
  if (s.reads.has(ctx) || s.readsAwaitingCommit.some((r) => sameBytes(r.ctx, ctx))) {
    return fail('INVALID_ARGUMENT', 'a read with this ctx is already pending', s.id)
  }
  if (s.reads.size + s.readsAwaitingCommit.length >= s.cfg.maxPendingReads) {
    return fail('BACKPRESSURE', `${s.cfg.maxPendingReads} reads pending`, s.id)
  }
  if (s.log.term(s.log.committed) !== s.term) {
    // Our commit index may lag the true one until an entry of our term commits (§8).
    s.readsAwaitingCommit.push({ ctx, from })
    return ok(undefined)
  }
  startRead(s, ctx, from)
  return ok(undefined)
}

function startRead(s: NodeState, ctx: Uint8Array, from: number): void {
  if (s.quorum === 1) {
    deliverRead(s, s.log.committed, ctx, from)
    return
  }
  s.reads.add(ctx, s.log.committed, from, s.id)
  broadcastHeartbeat(s)
}

/** The first entry of our term committed: the reads that waited for it can start. */
export function releaseReadsAwaitingCommit(s: NodeState): void {
  const waiting = s.readsAwaitingCommit
  s.readsAwaitingCommit = []
  for (const r of waiting) startRead(s, r.ctx, r.from)
}

/** Voter `from` acknowledged a heartbeat carrying `ctx`: answer every read a quorum has now confirmed. */
export function confirmReads(s: NodeState, ctx: Uint8Array, from: number): void {
  if (s.reads.ack(ctx, from) < s.quorum) return
  for (const r of s.reads.confirm(ctx)) deliverRead(s, r.index, r.ctx, r.from)
}

function deliverRead(s: NodeState, index: number, ctx: Uint8Array, from: number): void {
  if (from === s.id) s.readStates.push({ index, ctx })
  else s.send(makeMessage(MessageType.ReadIndexResp, s.id, from, s.term, { index, ctx }))
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
