/**
 * One message from the network: the checks that reject bad input before anything
 * changes (shape, recipient, sender, term, indexes), the term rules of §5.1 with the
 * leader lease against disruptive candidates (§6.2, thesis §9.6), and dispatch to the
 * concept that handles the message.
 */
import { fail, ok, type RaftResult } from './errors.js'
import { becomeFollower, campaign, handleVoteRequest, stepCandidate } from './election.js'
import { makeMessage, malformedReason, malformedSnapshot, MessageType, type RaftMessage } from './message.js'
import type { NodeState } from './node-state.js'
import { addObserver, handleHello } from './observers.js'
import { handleFromLeader, stepLeader } from './replication.js'

/** What a non-voter sends (ObserverHello is handled before any sender check). */
const OBSERVER_MAY_SEND = new Set<MessageType>([MessageType.AppResp, MessageType.HeartbeatResp, MessageType.ReadIndex])
/**
 * A leader's appends and a candidate's vote requests, from whoever sends them (thesis
 * §4.1: a server processes them without consulting its configuration). A node whose
 * log is behind may not yet list the current leader or a candidate as a voter, nor
 * know it at all, nor know that it is itself a voter now: refusing either would leave
 * it behind for good, or keep a configuration that needs its vote from electing
 * anyone. Only the leader of a term appends (election safety); a candidate counts
 * only the votes of its own configuration's voters; the term rules, the election
 * restriction and the leader lease apply as to anyone.
 */
const LEADER_APPENDS = new Set<MessageType>([MessageType.App, MessageType.Heartbeat, MessageType.Snap])
const ANY_SENDER = new Set<MessageType>([...LEADER_APPENDS, MessageType.Vote, MessageType.PreVote])
/** What only the leader we follow sends us in its term. */
const FROM_OUR_LEADER = new Set<MessageType>([...LEADER_APPENDS, MessageType.TimeoutNow, MessageType.ReadIndexResp])

export function step(s: NodeState, m: RaftMessage): RaftResult {
  const reason = malformedReason(m, s.cfg.maxAppendEntries * 4)
  if (reason) return fail('MALFORMED', reason, s.leader)
  if (m.to !== s.id) return fail('WRONG_RECIPIENT', `message for ${m.to} reached ${s.id}`, s.leader)
  if (m.type === MessageType.ObserverHello) return handleHello(s, m)
  if (m.from === s.id || (!s.isKnownPeer(m.from) && !ANY_SENDER.has(m.type))) return fail('UNKNOWN_PEER', `node ${m.from} is neither a voter nor a known observer`, s.leader)
  const denied = deniedSender(s, m)
  if (denied) return denied
  if ((m.type === MessageType.Vote || m.type === MessageType.PreVote) && !s.isVoter(m.from)) noteOutsideVoter(s, m.from)
  if (m.term < s.term) return staleTerm(s, m)
  const semantic = semanticError(s, m)
  if (semantic) return semantic
  if (m.type === MessageType.TimeoutNow && (m.term !== s.term || m.from !== s.leader)) {
    // Only the leader we follow may hand us leadership: anyone else would just be
    // starting an election in our name.
    return fail('NOT_PERMITTED', `TimeoutNow from ${m.from} in term ${m.term}, but our leader is ${s.leader} in term ${s.term}`, s.leader)
  }
  if (m.term > s.term && !adoptTerm(s, m)) return ok(undefined)

  switch (m.type) {
    case MessageType.PreVote:
    case MessageType.Vote:
      handleVoteRequest(s, m)
      return ok(undefined)
    case MessageType.App:
    case MessageType.Heartbeat:
    case MessageType.Snap:
      return handleFromLeader(s, m)
    default:
      break
  }
  if (s.role === 'leader') return stepLeader(s, m)
  if (s.role === 'candidate' || s.role === 'precandidate') return stepCandidate(s, m)
  return stepFollower(s, m)
}

/**
 * A non-voter (in our configuration) campaigns: it believes itself a voter, so it
 * says no hello. Track it as an observer, so that we (or, once elected, whoever we
 * vote for) replicate to it and it learns the configuration it is missing.
 */
function noteOutsideVoter(s: NodeState, id: number): void {
  if (!s.addKnownObserver(id)) return
  s.outsideVoters.add(id)
  if (s.role === 'leader' && !s.progress.has(id)) addObserver(s, id)
}

function staleTerm(s: NodeState, m: RaftMessage): RaftResult {
  const fromLeader = m.type === MessageType.App || m.type === MessageType.Heartbeat
  if (fromLeader && (s.cfg.checkQuorum || s.cfg.preVote || !s.isVoter(m.from))) {
    // Tell a stale leader our term so it steps down: it may otherwise never hear it,
    // since pre-vote keeps us from campaigning it out, or since it is no voter in our
    // (evidently older) configuration, so our vote requests never reach it. Its step
    // down lets a leader of a later term bring our configuration up to date (seed
    // 150598 with 3 voters: a voter of the first configuration, back after four voter
    // changes, campaigned among the removed voters for a hundred ticks).
    s.send(makeMessage(MessageType.AppResp, s.id, m.from, s.term))
  } else if (m.type === MessageType.PreVote || m.type === MessageType.Vote) {
    // §5.1: the rejection carries our term, so a candidate that campaigned in a stale
    // term (it ignored the newer one under a leader's lease) learns it now instead of
    // waiting out an election timeout that no answer will end.
    const resp = m.type === MessageType.Vote ? MessageType.VoteResp : MessageType.PreVoteResp
    s.send(makeMessage(resp, s.id, m.from, s.term, { reject: 1 }))
  }
  return fail('STALE_TERM', `term ${m.term} < ${s.term}`, s.leader)
}

/** §5.1: a higher term makes us a follower of it. Returns false if the message is to be ignored. */
function adoptTerm(s: NodeState, m: RaftMessage): boolean {
  if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
    // A node that heard from a leader within the election timeout ignores vote
    // requests, so a partitioned node that rejoins cannot disrupt a stable leader:
    // always for pre-votes (thesis §9.6), for real votes with check-quorum (§6.2).
    const heardLeader = s.leader !== 0 && s.electionElapsed < s.cfg.electionTimeoutTicks
    const inLease = heardLeader && (m.type === MessageType.PreVote || s.cfg.checkQuorum)
    if (inLease && m.transfer !== 1) return false
  }
  if (m.type === MessageType.PreVote || (m.type === MessageType.PreVoteResp && m.reject === 0)) {
    // A pre-vote never changes anyone's term.
  } else if (m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap) {
    becomeFollower(s, m.term, m.from)
  } else if (m.type === MessageType.Vote) {
    followKeepingTimer(s, m.term)
  } else {
    becomeFollower(s, m.term, 0)
  }
  return true
}

/**
 * Adopt a candidate's term without restarting our election timer: Figure 2 restarts
 * it only on hearing from the current leader or on granting a vote (handleVoteRequest
 * does that). Were the term alone to restart it, candidates whose logs are too old to
 * win would hold back every up-to-date voter's timeout, each campaign of theirs
 * restarting the race, and without pre-vote such a cluster can go many terms without
 * a leader.
 */
function followKeepingTimer(s: NodeState, term: number): void {
  const elapsed = s.electionElapsed
  const timeout = s.randomizedElectionTimeout
  becomeFollower(s, term, 0)
  s.electionElapsed = elapsed
  s.randomizedElectionTimeout = timeout
}

/**
 * A non-voter is only ever a follower: it may answer the leader's appends,
 * heartbeats and snapshots and ask for reads, never lead, campaign or vote. Since
 * anyone can become an observer by saying hello, it also may not raise our term
 * (a voter tells a stale leader the new term soon enough).
 */
function deniedSender(s: NodeState, m: RaftMessage): RaftResult | undefined {
  if (s.isVoter(m.from) || ANY_SENDER.has(m.type)) return undefined
  // The leader we follow in this term stays our leader when our log no longer lists it
  // as a voter: it removed itself and leads until that removal commits, then hands over.
  if (m.from === s.leader && m.term === s.term && FROM_OUR_LEADER.has(m.type)) return undefined
  if (!OBSERVER_MAY_SEND.has(m.type)) return fail('NOT_PERMITTED', `observer ${m.from} may not send ${m.type}`, s.leader)
  // ... except a node that may believe itself a voter (NodeState.outsideVoters), or one
  // a leader replicates to answering its appends: a voter removed while away may have
  // campaigned past our term before it learns of its removal, and would refuse our
  // appends forever. (A leader may have learned of it only as an observer, from a
  // snapshot, after a restart.)
  const answersOurAppends = s.role === 'leader' && s.progress.has(m.from) && m.type !== MessageType.ReadIndex
  if (m.term > s.term && (answersOurAppends || (s.outsideVoters.has(m.from) && m.type !== MessageType.ReadIndex))) return undefined
  if (m.term > s.term) return fail('NOT_PERMITTED', `observer ${m.from} may not raise our term ${s.term} to ${m.term}`, s.leader)
  return undefined
}

/** Checks that need our state but must run before anything changes. */
function semanticError(s: NodeState, m: RaftMessage): RaftResult | undefined {
  const bad = (msg: string): RaftResult => fail('OUT_OF_RANGE', msg, s.leader)
  if (m.type === MessageType.App) {
    for (let k = 0; k < m.entries.length; k++) {
      const e = m.entries[k]!
      if (e.index !== m.index + 1 + k) return bad('entries are not contiguous after index')
      if (e.term > m.term || e.term < (k === 0 ? m.logTerm : m.entries[k - 1]!.term)) return bad('entry terms out of order')
    }
    if (m.logTerm > m.term) return bad('logTerm beyond message term')
  }
  if (m.type === MessageType.Snap) {
    const snap = m.snapshot!
    const reason = malformedSnapshot(snap)
    if (reason || snap.index === 0 || snap.term === 0 || snap.term > m.term) return fail('BAD_SNAPSHOT', reason ?? 'snapshot index/term out of range', s.leader)
    // Its voters may differ from ours: the configuration may have changed since our log ends.
    if (snap.voters.length === 0 || new Set(snap.voters).size !== snap.voters.length) return fail('BAD_SNAPSHOT', 'snapshot voters must be a non-empty set', s.leader)
  }
  if (m.term >= s.term && m.type === MessageType.Heartbeat && m.commit > s.log.lastIndex()) {
    // A leader sends min(its commit, our acknowledged match): beyond our log is a lie.
    return bad(`heartbeat commit ${m.commit} beyond our last index ${s.log.lastIndex()}`)
  }
  if (m.term === s.term && m.type === MessageType.AppResp && m.reject === 0 && s.role === 'leader' && m.index > s.log.lastIndex()) {
    return bad(`ack ${m.index} beyond our last index ${s.log.lastIndex()}`)
  }
  return undefined
}

function stepFollower(s: NodeState, m: RaftMessage): RaftResult {
  switch (m.type) {
    case MessageType.TimeoutNow:
      if (!s.isObserver) campaign(s, 'real', true)
      return ok(undefined)
    case MessageType.ReadIndexResp:
      if (m.from === s.leader) s.readStates.push({ index: m.index, ctx: m.ctx })
      return ok(undefined)
    default:
      return ok(undefined)
  }
}
