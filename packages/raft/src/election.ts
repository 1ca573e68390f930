/**
 * Roles, elections and leadership: the role transitions, (pre-)vote campaigns and
 * polling (§5.2, thesis §9.6 pre-vote), answering vote requests (§5.2 one vote per
 * term, §5.4.1 election restriction), the tick-driven timers (election timeout,
 * observer hello, heartbeat and §6.2 check-quorum), and leadership transfer (thesis §3.10).
 */
import { assert, fail, ok, type RaftResult } from './errors.js'
import { makeMessage, MessageType, type RaftMessage } from './message.js'
import type { NodeState } from './node-state.js'
import { Progress } from './progress.js'
import { appendEntry, broadcastHeartbeat, sendAppend } from './replication.js'

export function reset(s: NodeState, term: number): void {
  if (term !== s.term) {
    s.term = term
    s.vote = 0
  }
  s.leader = 0
  s.electionElapsed = 0
  s.heartbeatElapsed = 0
  s.randomizedElectionTimeout = s.newElectionTimeout()
  s.leadTransferee = 0
  s.votes.clear()
  s.progress.clear()
  s.reads.reset()
  s.readsAwaitingCommit = []
  s.uncommitted = []
  s.uncommittedBytes = 0
  s.broadcastPending = false
}

export function becomeFollower(s: NodeState, term: number, leader: number): void {
  reset(s, term)
  s.leader = leader
  s.role = s.isObserver ? 'observer' : 'follower'
}

function becomePreCandidate(s: NodeState): void {
  assert(s.role !== 'leader' && !s.isObserver, 'only a follower or candidate campaigns')
  s.votes.clear()
  s.leader = 0
  s.role = 'precandidate'
  s.randomizedElectionTimeout = s.newElectionTimeout()
}

function becomeCandidate(s: NodeState): void {
  assert(s.role !== 'leader' && !s.isObserver, 'only a follower or candidate campaigns')
  reset(s, s.term + 1)
  s.vote = s.id
  s.role = 'candidate'
}

function becomeLeader(s: NodeState): void {
  assert(s.role === 'candidate', 'only a candidate becomes leader')
  reset(s, s.term)
  s.leader = s.id
  s.role = 'leader'
  s.leaderSinceTick = s.ticks
  const next = s.log.lastIndex() + 1
  for (const v of s.voters) s.progress.set(v, new Progress(next, true, s.cfg.maxInflightAppends))
  for (const o of s.observers) s.progress.set(o, new Progress(next, false, s.cfg.maxInflightAppends))
  const self = s.progress.get(s.id)!
  self.match = next - 1
  self.becomeReplicate()
  self.recentActive = true
  // §5.4.2 / §8: a no-op of the new term lets the leader commit (and learn the
  // commit index) without waiting for a client proposal.
  appendEntry(s, 'noop', new Uint8Array(0))
}

export function campaign(s: NodeState, kind: 'pre' | 'real', transfer: boolean): void {
  let voteTerm: number
  let type: MessageType
  if (kind === 'pre') {
    becomePreCandidate(s)
    voteTerm = s.term + 1
    type = MessageType.PreVote
  } else {
    becomeCandidate(s)
    voteTerm = s.term
    type = MessageType.Vote
  }
  if (poll(s, s.id, true) === 'won') {
    if (kind === 'pre') campaign(s, 'real', transfer)
    else becomeLeader(s)
    return
  }
  const index = s.log.lastIndex()
  const logTerm = s.log.lastTerm()
  for (const v of s.voters) {
    if (v === s.id) continue
    s.send(makeMessage(type, s.id, v, voteTerm, { index, logTerm, transfer: transfer ? 1 : 0 }))
  }
}

function poll(s: NodeState, from: number, granted: boolean): 'won' | 'lost' | 'pending' {
  if (!s.votes.has(from)) s.votes.set(from, granted)
  let yes = 0
  let no = 0
  for (const g of s.votes.values()) {
    if (g) yes++
    else no++
  }
  if (yes >= s.quorum) return 'won'
  if (no > s.voters.length - s.quorum) return 'lost'
  return 'pending'
}

/**
 * Answered by observers too (thesis §4.1): a node whose log does not yet hold the
 * configuration that made it a voter must still vote, or that configuration may elect
 * no one. A candidate counts only the answers of its own configuration's voters.
 */
export function handleVoteRequest(s: NodeState, m: RaftMessage): void {
  if (!s.cfg.canVote) return
  const pre = m.type === MessageType.PreVote
  const respType = pre ? MessageType.PreVoteResp : MessageType.VoteResp
  // §5.2 one vote per term (a pre-vote for a future term binds nothing).
  const canVote = s.vote === m.from || (s.vote === 0 && s.leader === 0) || (pre && m.term > s.term)
  // §5.4.1 election restriction.
  if (canVote && s.log.isUpToDate(m.index, m.logTerm)) {
    s.send(makeMessage(respType, s.id, m.from, m.term))
    if (!pre) {
      s.electionElapsed = 0
      s.vote = m.from
    }
  } else {
    s.send(makeMessage(respType, s.id, m.from, s.term, { reject: 1 }))
    if (!pre) yieldToBetterCandidate(s, m)
  }
}

/**
 * We refused a candidate of our own term only because we had voted for ourselves,
 * yet its log is at least as up to date as ours: it can win where we may not (a
 * voter whose log is newer than ours refuses us), so we hold back our next campaign
 * for a longer timeout and let its next one, in a term above ours, come first and
 * collect our vote. Without this, a voter with an old log that campaigns a little
 * earlier than the up-to-date one in every round (it hears its refusals sooner) keeps
 * taking each new term first, and without pre-vote the cluster can go many terms
 * without a leader (simulator seeds 105289, 112112, 117025, 117825 with 3 voters).
 */
function yieldToBetterCandidate(s: NodeState, m: RaftMessage): void {
  if (m.term !== s.term || s.vote !== s.id || s.leader !== 0) return
  if (!s.log.isUpToDate(m.index, m.logTerm)) return
  s.electionElapsed = 0
  s.randomizedElectionTimeout = s.cfg.electionTimeoutTicks + s.newElectionTimeout()
}

/** A (pre)candidate counts the answers to its campaign. */
export function stepCandidate(s: NodeState, m: RaftMessage): RaftResult {
  const want = s.role === 'precandidate' ? MessageType.PreVoteResp : MessageType.VoteResp
  if (m.type !== want) return ok(undefined) // answers from non-voters never get here (step's deniedSender)
  // A pre-vote grant carries the term we would campaign in; anything else is from an old round.
  if (want === MessageType.PreVoteResp && m.reject === 0 && m.term !== s.term + 1) return ok(undefined)
  const result = poll(s, m.from, m.reject === 0)
  if (result === 'won') {
    if (s.role === 'precandidate') campaign(s, 'real', false)
    else becomeLeader(s)
  } else if (result === 'lost') {
    becomeFollower(s, s.term, 0)
  }
  return ok(undefined)
}

/**
 * Hand leadership to voter `to`: it is brought up to date, then told to campaign at
 * once (its vote requests override the leader lease).
 */
export function transferLeadership(s: NodeState, to: number): RaftResult {
  if (s.role !== 'leader') return fail('NOT_LEADER', `node ${s.id} is ${s.role}`, s.leader)
  if (!s.isVoter(to)) return fail('INVALID_ARGUMENT', `${to} is not a voter`, s.id)
  if (to === s.id || to === s.leadTransferee) return ok(undefined)
  s.leadTransferee = to
  s.electionElapsed = 0
  const pr = s.progress.get(to)!
  if (pr.match === s.log.lastIndex()) s.send(makeMessage(MessageType.TimeoutNow, s.id, to, s.term))
  else sendAppend(s, to)
  return ok(undefined)
}

export function tick(s: NodeState): void {
  s.ticks++
  if (s.role === 'leader') tickLeader(s)
  else if (s.isObserver) tickObserver(s)
  else tickElection(s)
}

function tickElection(s: NodeState): void {
  s.electionElapsed++
  // A sole voter has no leader to hear from and no one to split a vote with: waiting
  // out an election timeout would only delay its start (by 0.5-1 s with the broker's ticks).
  if (s.electionElapsed >= s.randomizedElectionTimeout || soleVoter(s)) {
    s.electionElapsed = 0
    campaign(s, s.cfg.preVote ? 'pre' : 'real', false)
  }
}

const soleVoter = (s: NodeState): boolean => s.voters.length === 1 && s.voters[0] === s.id

function tickObserver(s: NodeState): void {
  s.electionElapsed++
  if (s.electionElapsed >= s.cfg.electionTimeoutTicks) {
    // No word from a leader for an election timeout: tell every voter we exist, so
    // whichever leads adds us to its progress and replicates to us. And forget that
    // leader: an observer answers vote requests (it may be a voter its log does not
    // list yet), and a leader it no longer hears from must not hold its vote in a lease.
    s.electionElapsed = 0
    s.leader = 0
    const reject = s.cfg.canVote ? 0 : 1
    for (const v of s.voters) s.send(makeMessage(MessageType.ObserverHello, s.id, v, s.term, { index: s.log.lastIndex(), reject }))
  }
}

function tickLeader(s: NodeState): void {
  s.heartbeatElapsed++
  s.electionElapsed++
  if (s.cfg.checkQuorum && !quorumActive(s)) {
    // §6.2 check-quorum: a leader that heard from no quorum within the last election
    // timeout steps down, so clients stop talking to it and its lease ends.
    becomeFollower(s, s.term, 0)
    return
  }
  if (s.electionElapsed >= s.cfg.electionTimeoutTicks) {
    s.electionElapsed = 0
    s.leadTransferee = 0
  }
  if (s.heartbeatElapsed >= s.cfg.heartbeatTicks) {
    s.heartbeatElapsed = 0
    broadcastHeartbeat(s)
  }
}

/** Did a quorum of voters (counting us) talk to us within the last election timeout? */
function quorumActive(s: NodeState): boolean {
  // A new leader gives every peer a full election timeout to answer.
  const since = s.ticks - s.cfg.electionTimeoutTicks
  let active = 0
  for (const [id, pr] of s.progress) {
    pr.recentActive = id === s.id || Math.max(pr.lastContactTick, s.leaderSinceTick) >= since
    if (pr.isVoter && pr.recentActive) active++
  }
  return active >= s.quorum
}
