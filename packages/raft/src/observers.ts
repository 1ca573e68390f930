/**
 * Non-voting observers: learned from their ObserverHello (or added by hand), tracked
 * by the leader's progress and replicated to, never counted (README: Observers).
 */
import { fail, ok, type RaftResult } from './errors.js'
import type { RaftMessage } from './message.js'
import type { NodeState } from './node-state.js'
import { Progress } from './progress.js'
import { sendAppend } from './replication.js'

export function handleHello(s: NodeState, m: RaftMessage): RaftResult {
  if (s.isVoter(m.from) || m.from === s.id) return fail('INVALID_ARGUMENT', `${m.from} is a voter`, s.leader)
  if (s.isObserver) return fail('NOT_LEADER', 'observers do not track observers', s.leader)
  if (!s.addKnownObserver(m.from)) return fail('UNKNOWN_PEER', `at most ${s.cfg.maxObservers} observers`, s.leader)
  if (s.role !== 'leader') return ok(undefined)
  let pr = s.progress.get(m.from)
  if (!pr) {
    pr = new Progress(s.log.lastIndex() + 1, false, s.cfg.maxInflightAppends)
    s.progress.set(m.from, pr)
  }
  pr.lastContactTick = s.ticks
  if (pr.state === 'probe') pr.probeSent = false
  else pr.becomeProbe()
  sendAppend(s, m.from)
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
