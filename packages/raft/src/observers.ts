/**
 * Non-voting observers: learned from their ObserverHello (or added by hand), tracked
 * by the leader's progress and replicated to, never counted (README: Observers).
 */
import { fail, ok, type RaftResult } from './errors.js'
import { makeMessage, MessageType, type RaftMessage } from './message.js'
import type { NodeState } from './node-state.js'
import { Progress } from './progress.js'
import { sendAppend } from './replication.js'

/**
 * An observer says hello (m.hint = 0), or a node passes on the hello of observer
 * m.hint to its leader. The observer's configuration may be older than ours, so it
 * may not know the leader: a node that is not the leader hands the hello on to the
 * leader it follows, vouching for it (only a known peer's hand-on is taken).
 */
export function handleHello(s: NodeState, m: RaftMessage): RaftResult {
  const forwarded = m.hint !== 0
  if (forwarded && !s.isKnownPeer(m.from)) return fail('UNKNOWN_PEER', `${m.from} passed on a hello but is not a known peer`, s.leader)
  const id = forwarded ? m.hint : m.from
  if (s.isVoter(id) || id === s.id) return fail('INVALID_ARGUMENT', `${id} is a voter`, s.leader)
  if (m.reject === 1) s.cannotVote.add(id)
  if (s.role !== 'leader') {
    if (!forwarded && s.leader !== 0 && s.leader !== s.id) s.send(makeMessage(MessageType.ObserverHello, s.id, s.leader, s.term, { hint: id, index: m.index, reject: m.reject }))
    if (s.isObserver) return ok(undefined)
  }
  if (!s.addKnownObserver(id)) return fail('UNKNOWN_PEER', `at most ${s.cfg.maxObservers} observers`, s.leader)
  if (s.role !== 'leader') return ok(undefined)
  let pr = s.progress.get(id)
  if (!pr) {
    pr = new Progress(s.log.lastIndex() + 1, false, s.cfg.maxInflightAppends)
    s.progress.set(id, pr)
  }
  pr.lastContactTick = s.ticks
  if (pr.state === 'probe') pr.probeSent = false
  else pr.becomeProbe()
  sendAppend(s, id)
  return ok(undefined)
}

export function addObserver(s: NodeState, id: number): RaftResult {
  if (!Number.isSafeInteger(id) || id <= 0 || id === s.id || s.isVoter(id)) {
    return fail('INVALID_ARGUMENT', `cannot add ${id} as an observer`, s.leader)
  }
  if (!s.addKnownObserver(id)) return fail('BACKPRESSURE', `at most ${s.cfg.maxObservers} observers`, s.leader)
  if (s.role === 'leader' && !s.progress.has(id)) {
    s.progress.set(id, new Progress(s.log.lastIndex() + 1, false, s.cfg.maxInflightAppends))
    sendAppend(s, id)
  }
  return ok(undefined)
}
