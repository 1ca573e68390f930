import { assert, fail, ok, type RaftResult } from './errors.js'
import { RaftLog } from './log.js'
import { makeMessage, malformedReason, malformedSnapshot, MessageType, type RaftMessage } from './message.js'
import { Progress, quorumMatch } from './progress.js'
import { ReadIndexQueue, type ReadState } from './read-index.js'
import { resolveConfig, type RaftConfig, type ResolvedConfig } from './config.js'
import type { PeerStatus, ProposeOk, RaftStatus, Ready, Role } from './ready.js'
import type { Entry, HardState, Random, Snapshot } from './types.js'

export type { RaftConfig } from './config.js'
export type { PeerStatus, ProposeOk, RaftStatus, Ready, Role } from './ready.js'

export class RaftNode {
  readonly id: number
  readonly voters: readonly number[]
  private readonly observers = new Set<number>()
  private readonly log: RaftLog
  private readonly random: Random
  private readonly cfg: ResolvedConfig
  private readonly quorum: number
  private readonly isObserver: boolean

  private term = 0
  private vote = 0
  private leader = 0
  private state: Role = 'follower'
  private electionElapsed = 0
  private heartbeatElapsed = 0
  private randomizedElectionTimeout = 0
  private ticks = 0
  private leaderSinceTick = 0
  private votes = new Map<number, boolean>()
  private progress = new Map<number, Progress>()
  private leadTransferee = 0
  private readonly reads: ReadIndexQueue
  /** Reads asked before this leader committed an entry of its own term: answered once it has. */
  private readsAwaitingCommit: { ctx: Uint8Array; from: number }[] = []
  private readStates: ReadState[] = []
  private msgs: RaftMessage[] = []
  private dropped = 0
  /** Appends deferred to the next ready(), so proposals between two Readys travel in one message. */
  private broadcastPending = false
  /** Leader: [index, bytes] of its uncommitted proposals, for maxUncommittedBytes. */
  private uncommitted: number[] = []
  private uncommittedBytes = 0
  private prevHardState: HardState
  private outstanding: Ready | undefined

  constructor(config: RaftConfig) {
    const { id, voters, storage } = config
    assert(Number.isSafeInteger(id) && id > 0, 'node id must be a positive integer')
    assert(voters.length > 0 && new Set(voters).size === voters.length, 'voters must be non-empty and distinct')
    assert(voters.every((v) => Number.isSafeInteger(v) && v > 0), 'voter ids must be positive integers')
    this.id = id
    this.voters = [...voters]
    this.isObserver = !voters.includes(id)
    this.quorum = Math.floor(voters.length / 2) + 1
    this.random = config.random
    this.cfg = resolveConfig(config)
    assert(this.cfg.heartbeatTicks >= 1 && this.cfg.heartbeatTicks < this.cfg.electionTimeoutTicks, 'need 1 <= heartbeatTicks < electionTimeoutTicks')
    const init = storage.initialState()
    if (init.voters.length > 0) {
      const same = init.voters.length === voters.length && init.voters.every((v) => voters.includes(v))
      assert(same, `configured voters [${voters}] differ from the snapshot's [${init.voters}]`)
    }
    for (const o of [...(config.observers ?? []), ...init.observers]) this.addKnownObserver(o)
    this.reads = new ReadIndexQueue(this.cfg.maxPendingReads)
    const hs = init.hardState
    const snapIndex = storage.firstIndex() - 1
    this.log = new RaftLog(storage, hs.commit, config.applied ?? snapIndex)
    this.term = hs.term
    this.vote = hs.vote
    this.prevHardState = { term: hs.term, vote: hs.vote, commit: this.log.committed }
    this.becomeFollower(this.term, 0)
  }

  // ---------------------------------------------------------------- public API

  /** Feed one message from the network. Bad input returns an error and changes nothing. */
  step(m: RaftMessage): RaftResult {
    const reason = malformedReason(m, this.cfg.maxAppendEntries * 4)
    if (reason) return fail('MALFORMED', reason, this.leader)
    if (m.to !== this.id) return fail('WRONG_RECIPIENT', `message for ${m.to} reached ${this.id}`, this.leader)
    if (m.type === MessageType.ObserverHello) return this.handleHello(m)
    if (!this.isKnownPeer(m.from)) return fail('UNKNOWN_PEER', `node ${m.from} is neither a voter nor a known observer`, this.leader)
    const denied = this.deniedSender(m)
    if (denied) return denied
    if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === MessageType.App || m.type === MessageType.Heartbeat)) {
        // Tell a stale leader our term so it steps down (it may otherwise never hear it,
        // since pre-vote keeps us from campaigning it out).
        this.send(makeMessage(MessageType.AppResp, this.id, m.from, this.term))
      } else if (m.type === MessageType.PreVote) {
        this.send(makeMessage(MessageType.PreVoteResp, this.id, m.from, this.term, { reject: 1 }))
      }
      return fail('STALE_TERM', `term ${m.term} < ${this.term}`, this.leader)
    }
    const semantic = this.semanticError(m)
    if (semantic) return semantic
    if (m.type === MessageType.TimeoutNow && (m.term !== this.term || m.from !== this.leader)) {
      // Only the leader we follow may hand us leadership: anyone else would just be
      // starting an election in our name.
      return fail('NOT_PERMITTED', `TimeoutNow from ${m.from} in term ${m.term}, but our leader is ${this.leader} in term ${this.term}`, this.leader)
    }

    if (m.term > this.term) {
      if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
        // A node that heard from a leader within the election timeout ignores vote
        // requests, so a partitioned node that rejoins cannot disrupt a stable leader:
        // always for pre-votes (thesis §9.6), for real votes with check-quorum (§6.2).
        const heardLeader = this.leader !== 0 && this.electionElapsed < this.cfg.electionTimeoutTicks
        const inLease = heardLeader && (m.type === MessageType.PreVote || this.cfg.checkQuorum)
        if (inLease && m.transfer !== 1) return ok(undefined)
      }
      if (m.type === MessageType.PreVote || (m.type === MessageType.PreVoteResp && m.reject === 0)) {
        // A pre-vote never changes anyone's term.
      } else if (m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap) {
        this.becomeFollower(m.term, m.from)
      } else {
        this.becomeFollower(m.term, 0)
      }
    }

    switch (m.type) {
      case MessageType.PreVote:
      case MessageType.Vote:
        this.handleVoteRequest(m)
        return ok(undefined)
      case MessageType.App:
      case MessageType.Heartbeat:
      case MessageType.Snap:
        return this.handleFromLeader(m)
      default:
        break
    }
    if (this.state === 'leader') return this.stepLeader(m)
    if (this.state === 'candidate' || this.state === 'precandidate') return this.stepCandidate(m)
    return this.stepFollower(m)
  }

  tick(): void {
    this.ticks++
    if (this.state === 'leader') this.tickLeader()
    else if (this.isObserver) this.tickObserver()
    else this.tickElection()
  }

  /**
   * Append data to the log. Never throws for a role problem: a non-leader gets
   * `{ ok: false, code: 'NOT_LEADER', leaderId }` at once. On success the entry's
   * index and term identify it in Ready.committed later (if a different entry shows
   * up at that index, the proposal was lost to a leader change).
   */
  propose(data: Uint8Array): RaftResult<ProposeOk> {
    if (this.state !== 'leader') return fail('NOT_LEADER', `node ${this.id} is ${this.state}`, this.leader)
    if (this.leadTransferee !== 0) return fail('TRANSFER_IN_PROGRESS', `transferring to ${this.leadTransferee}`, this.id)
    if (data.length > this.cfg.maxProposalBytes) {
      return fail('PROPOSAL_TOO_LARGE', `${data.length} bytes > maxProposalBytes ${this.cfg.maxProposalBytes}`, this.id)
    }
    const bytes = data.length + 24
    if (this.uncommittedBytes > 0 && this.uncommittedBytes + bytes > this.cfg.maxUncommittedBytes) {
      return fail('BACKPRESSURE', `${this.uncommittedBytes} uncommitted bytes`, this.id)
    }
    const index = this.appendEntry('normal', data)
    return ok({ index, term: this.term })
  }

  /**
   * Hand leadership to voter `to`: it is brought up to date, then told to campaign at
   * once (its vote requests override the leader lease). Proposals are refused until
   * it succeeds or an election timeout passes.
   */
  transferLeadership(to: number): RaftResult {
    if (this.state !== 'leader') return fail('NOT_LEADER', `node ${this.id} is ${this.state}`, this.leader)
    if (!this.voters.includes(to)) return fail('INVALID_ARGUMENT', `${to} is not a voter`, this.id)
    if (to === this.id || to === this.leadTransferee) return ok(undefined)
    this.leadTransferee = to
    this.electionElapsed = 0
    const pr = this.progress.get(to)!
    if (pr.match === this.log.lastIndex()) this.send(makeMessage(MessageType.TimeoutNow, this.id, to, this.term))
    else this.sendAppend(to)
    return ok(undefined)
  }

  /**
   * Ask for a linearizable read (ReadIndex). The answer arrives in a later
   * Ready.readStates as { index, ctx }: serve the read once applied >= index. ctx
   * must be unique among pending reads. A follower forwards the request to its
   * leader. Requests are dropped on a leader change; the caller retries on timeout.
   */
  readIndex(ctx: Uint8Array): RaftResult {
    if (this.state !== 'leader') {
      if (this.leader === 0) return fail('NO_LEADER', 'no known leader', 0)
      this.send(makeMessage(MessageType.ReadIndex, this.id, this.leader, this.term, { ctx }))
      return ok(undefined)
    }
    return this.leaderRead(ctx, this.id)
  }

  /**
   * Make a snapshot of the app's state at `index` (<= applied). The app then persists
   * it (DurableRaftLog.saveSnapshot) and calls MemoryRaftStorage.createSnapshot(it),
   * which drops the entries it covers.
   */
  compact(index: number, data: Uint8Array): RaftResult<Snapshot> {
    if (index > this.log.applied) return fail('OUT_OF_RANGE', `index ${index} > applied ${this.log.applied}`, this.leader)
    const term = this.log.term(index)
    if (index < this.log.firstIndex() || term === undefined) {
      return fail('OUT_OF_RANGE', `index ${index} is already compacted (first ${this.log.firstIndex()})`, this.leader)
    }
    return ok({ index, term, voters: [...this.voters], observers: [...this.observers], data })
  }

  /** Add an observer by hand (it is also learned from its ObserverHello). */
  addObserver(id: number): RaftResult {
    if (!Number.isSafeInteger(id) || id <= 0 || id === this.id || this.voters.includes(id)) {
      return fail('INVALID_ARGUMENT', `cannot add ${id} as an observer`, this.leader)
    }
    if (!this.addKnownObserver(id)) return fail('BACKPRESSURE', `at most ${this.cfg.maxObservers} observers`, this.leader)
    if (this.state === 'leader' && !this.progress.has(id)) {
      this.progress.set(id, new Progress(this.log.lastIndex() + 1, false, this.cfg.maxInflightAppends))
      this.sendAppend(id)
    }
    return ok(undefined)
  }

  get role(): Role {
    return this.state
  }

  get leaderId(): number {
    return this.leader
  }

  get currentTerm(): number {
    return this.term
  }

  get commitIndex(): number {
    return this.log.committed
  }

  get appliedIndex(): number {
    return this.log.applied
  }

  get firstLogIndex(): number {
    return this.log.firstIndex()
  }

  get lastLogIndex(): number {
    return this.log.lastIndex()
  }

  hasReady(): boolean {
    if (this.outstanding) return false
    return (
      this.msgs.length > 0 ||
      this.broadcastPending ||
      this.log.unstableEntries.length > 0 ||
      this.log.unstableSnapshot !== null ||
      this.readStates.length > 0 ||
      this.log.committed > this.log.applied ||
      this.term !== this.prevHardState.term ||
      this.vote !== this.prevHardState.vote
    )
  }

  ready(): Ready | undefined {
    if (!this.hasReady()) return undefined
    if (this.broadcastPending) {
      this.broadcastPending = false
      if (this.state === 'leader') this.broadcastAppend()
    }
    const hs: HardState = { term: this.term, vote: this.vote, commit: this.log.committed }
    const prev = this.prevHardState
    const hsChanged = hs.term !== prev.term || hs.vote !== prev.vote || hs.commit !== prev.commit
    const rd: Ready = {
      hardState: hsChanged ? hs : null,
      entries: this.log.unstableEntries.slice(),
      snapshot: this.log.unstableSnapshot,
      committed: this.log.nextCommitted(this.cfg.maxApplyBytes),
      messages: this.msgs,
      mustSync: this.log.unstableEntries.length > 0 || this.log.unstableSnapshot !== null || hs.term !== prev.term || hs.vote !== prev.vote,
      readStates: this.readStates,
    }
    if (!rd.hardState && rd.entries.length === 0 && !rd.snapshot && rd.committed.length === 0 && rd.messages.length === 0 && rd.readStates.length === 0) {
      return undefined
    }
    this.msgs = []
    this.readStates = []
    this.outstanding = rd
    return rd
  }

  advance(rd: Ready): void {
    assert(rd === this.outstanding, 'advance() takes the Ready that ready() returned last')
    this.outstanding = undefined
    if (rd.hardState) this.prevHardState = rd.hardState
    if (rd.snapshot) {
      this.log.stableSnapTo(rd.snapshot.index)
      if (rd.snapshot.index > this.log.applied) this.log.applied = rd.snapshot.index
    }
    const last = rd.entries[rd.entries.length - 1]
    if (last) this.log.stableTo(last.index, last.term)
    const applied = rd.committed[rd.committed.length - 1]
    if (applied && applied.index > this.log.applied) this.log.appliedTo(applied.index)
  }

  status(): RaftStatus {
    const progress = new Map<number, PeerStatus>()
    if (this.state === 'leader') {
      for (const [id, pr] of this.progress) {
        progress.set(id, {
          match: pr.match,
          next: pr.next,
          isVoter: pr.isVoter,
          state: pr.state,
          lastContactTick: id === this.id ? this.ticks : pr.lastContactTick,
          lastCaughtUpTick: id === this.id ? this.ticks : pr.lastCaughtUpTick,
          recentActive: id === this.id ? true : pr.recentActive,
          inflight: pr.inflightCount(),
        })
      }
    }
    return {
      id: this.id,
      term: this.term,
      vote: this.vote,
      commit: this.log.committed,
      applied: this.log.applied,
      leaderId: this.leader,
      role: this.state,
      lastIndex: this.log.lastIndex(),
      firstIndex: this.log.firstIndex(),
      tick: this.ticks,
      leadTransferee: this.leadTransferee,
      voters: [...this.voters],
      observers: [...this.observers],
      progress,
      droppedMessages: this.dropped,
    }
  }

  /** Term of the entry at index as this node sees it (undefined if compacted or absent). For tests and tools. */
  termAt(index: number): number | undefined {
    return this.log.term(index)
  }

  // ---------------------------------------------------------------- roles

  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term
      this.vote = 0
    }
    this.leader = 0
    this.electionElapsed = 0
    this.heartbeatElapsed = 0
    this.randomizedElectionTimeout = this.cfg.electionTimeoutTicks + Math.floor(this.random.next() * this.cfg.electionTimeoutTicks)
    this.leadTransferee = 0
    this.votes.clear()
    this.progress.clear()
    this.reads.reset()
    this.readsAwaitingCommit = []
    this.uncommitted = []
    this.uncommittedBytes = 0
    this.broadcastPending = false
  }

  private becomeFollower(term: number, leader: number): void {
    this.reset(term)
    this.leader = leader
    this.state = this.isObserver ? 'observer' : 'follower'
  }

  private becomePreCandidate(): void {
    assert(this.state !== 'leader' && !this.isObserver, 'only a follower or candidate campaigns')
    this.votes.clear()
    this.leader = 0
    this.state = 'precandidate'
    this.randomizedElectionTimeout = this.cfg.electionTimeoutTicks + Math.floor(this.random.next() * this.cfg.electionTimeoutTicks)
  }

  private becomeCandidate(): void {
    assert(this.state !== 'leader' && !this.isObserver, 'only a follower or candidate campaigns')
    this.reset(this.term + 1)
    this.vote = this.id
    this.state = 'candidate'
  }

  private becomeLeader(): void {
    assert(this.state === 'candidate', 'only a candidate becomes leader')
    this.reset(this.term)
    this.leader = this.id
    this.state = 'leader'
    this.leaderSinceTick = this.ticks
    const next = this.log.lastIndex() + 1
    for (const v of this.voters) this.progress.set(v, new Progress(next, true, this.cfg.maxInflightAppends))
    for (const o of this.observers) this.progress.set(o, new Progress(next, false, this.cfg.maxInflightAppends))
    const self = this.progress.get(this.id)!
    self.match = next - 1
    self.becomeReplicate()
    self.recentActive = true
    // §5.4.2 / §8: a no-op of the new term lets the leader commit (and learn the
    // commit index) without waiting for a client proposal.
    this.appendEntry('noop', new Uint8Array(0))
  }

  private campaign(kind: 'pre' | 'real', transfer: boolean): void {
    let voteTerm: number
    let type: MessageType
    if (kind === 'pre') {
      this.becomePreCandidate()
      voteTerm = this.term + 1
      type = MessageType.PreVote
    } else {
      this.becomeCandidate()
      voteTerm = this.term
      type = MessageType.Vote
    }
    if (this.poll(this.id, true) === 'won') {
      if (kind === 'pre') this.campaign('real', transfer)
      else this.becomeLeader()
      return
    }
    const index = this.log.lastIndex()
    const logTerm = this.log.lastTerm()
    for (const v of this.voters) {
      if (v === this.id) continue
      this.send(makeMessage(type, this.id, v, voteTerm, { index, logTerm, transfer: transfer ? 1 : 0 }))
    }
  }

  private poll(from: number, granted: boolean): 'won' | 'lost' | 'pending' {
    if (!this.votes.has(from)) this.votes.set(from, granted)
    let yes = 0
    let no = 0
    for (const g of this.votes.values()) {
      if (g) yes++
      else no++
    }
    if (yes >= this.quorum) return 'won'
    if (no > this.voters.length - this.quorum) return 'lost'
    return 'pending'
  }

  // ---------------------------------------------------------------- ticks

  private tickElection(): void {
    this.electionElapsed++
    if (this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0
      this.campaign(this.cfg.preVote ? 'pre' : 'real', false)
    }
  }

  private tickObserver(): void {
    this.electionElapsed++
    if (this.electionElapsed >= this.cfg.electionTimeoutTicks) {
      // No word from a leader for an election timeout: tell every voter we exist, so
      // whichever leads adds us to its progress and replicates to us.
      this.electionElapsed = 0
      for (const v of this.voters) this.send(makeMessage(MessageType.ObserverHello, this.id, v, this.term, { index: this.log.lastIndex() }))
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++
    this.electionElapsed++
    if (this.cfg.checkQuorum && !this.quorumActive()) {
      // §6.2 check-quorum: a leader that heard from no quorum within the last election
      // timeout steps down, so clients stop talking to it and its lease ends.
      this.becomeFollower(this.term, 0)
      return
    }
    if (this.electionElapsed >= this.cfg.electionTimeoutTicks) {
      this.electionElapsed = 0
      this.leadTransferee = 0
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0
      this.broadcastHeartbeat()
    }
  }

  /** Did a quorum of voters (counting us) talk to us within the last election timeout? */
  private quorumActive(): boolean {
    // A new leader gives every peer a full election timeout to answer.
    const since = this.ticks - this.cfg.electionTimeoutTicks
    let active = 0
    for (const [id, pr] of this.progress) {
      pr.recentActive = id === this.id || Math.max(pr.lastContactTick, this.leaderSinceTick) >= since
      if (pr.isVoter && pr.recentActive) active++
    }
    return active >= this.quorum
  }

  // ---------------------------------------------------------------- message handling

  /**
   * A non-voter is only ever a follower: it may answer the leader's appends,
   * heartbeats and snapshots and ask for reads, never lead, campaign or vote. Since
   * anyone can become an observer by saying hello, it also may not raise our term
   * (a voter tells a stale leader the new term soon enough).
   */
  private deniedSender(m: RaftMessage): RaftResult | undefined {
    if (this.voters.includes(m.from)) return undefined
    if (!OBSERVER_MAY_SEND.has(m.type)) return fail('NOT_PERMITTED', `observer ${m.from} may not send ${m.type}`, this.leader)
    if (m.term > this.term) return fail('NOT_PERMITTED', `observer ${m.from} may not raise our term ${this.term} to ${m.term}`, this.leader)
    return undefined
  }

  /** Checks that need our state but must run before anything changes. */
  private semanticError(m: RaftMessage): RaftResult | undefined {
    const bad = (msg: string): RaftResult => fail('OUT_OF_RANGE', msg, this.leader)
    if (m.type === MessageType.App) {
      for (let k = 0; k < m.entries.length; k++) {
        const e = m.entries[k]!
        if (e.index !== m.index + 1 + k) return bad('entries are not contiguous after index')
        if (e.term > m.term || e.term < (k === 0 ? m.logTerm : m.entries[k - 1]!.term)) return bad('entry terms out of order')
      }
      if (m.logTerm > m.term) return bad('logTerm beyond message term')
    }
    if (m.type === MessageType.Snap) {
      const s = m.snapshot!
      const reason = malformedSnapshot(s)
      if (reason || s.index === 0 || s.term === 0 || s.term > m.term) return fail('BAD_SNAPSHOT', reason ?? 'snapshot index/term out of range', this.leader)
      const same = new Set(s.voters).size === this.voters.length && s.voters.every((v) => this.voters.includes(v))
      if (!same) return fail('BAD_SNAPSHOT', `snapshot voters [${s.voters}] differ from ours`, this.leader)
    }
    if (m.term >= this.term && m.type === MessageType.Heartbeat && m.commit > this.log.lastIndex()) {
      // A leader sends min(its commit, our acknowledged match): beyond our log is a lie.
      return bad(`heartbeat commit ${m.commit} beyond our last index ${this.log.lastIndex()}`)
    }
    if (m.term === this.term && m.type === MessageType.AppResp && m.reject === 0 && this.state === 'leader' && m.index > this.log.lastIndex()) {
      return bad(`ack ${m.index} beyond our last index ${this.log.lastIndex()}`)
    }
    return undefined
  }

  private handleVoteRequest(m: RaftMessage): void {
    if (this.isObserver) return
    const pre = m.type === MessageType.PreVote
    const respType = pre ? MessageType.PreVoteResp : MessageType.VoteResp
    // §5.2 one vote per term (a pre-vote for a future term binds nothing).
    const canVote = this.vote === m.from || (this.vote === 0 && this.leader === 0) || (pre && m.term > this.term)
    // §5.4.1 election restriction.
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      this.send(makeMessage(respType, this.id, m.from, m.term))
      if (!pre) {
        this.electionElapsed = 0
        this.vote = m.from
      }
    } else {
      this.send(makeMessage(respType, this.id, m.from, this.term, { reject: 1 }))
    }
  }

  private handleFromLeader(m: RaftMessage): RaftResult {
    if (this.state === 'leader') return fail('INVALID_ARGUMENT', `two leaders in term ${this.term}?`, this.leader)
    if (this.state === 'candidate' || this.state === 'precandidate') this.becomeFollower(this.term, m.from)
    this.electionElapsed = 0
    this.leader = m.from
    if (m.type === MessageType.App) this.handleAppend(m)
    else if (m.type === MessageType.Heartbeat) this.handleHeartbeat(m)
    else this.handleSnapshot(m)
    return ok(undefined)
  }

  private handleAppend(m: RaftMessage): void {
    const reply = (fields: Partial<RaftMessage>): void => this.send(makeMessage(MessageType.AppResp, this.id, m.from, this.term, fields))
    if (m.index < this.log.committed) {
      reply({ index: this.log.committed })
      return
    }
    if (this.log.matchTerm(m.index, m.logTerm)) {
      const lastNew = m.index + m.entries.length
      const conflict = this.log.findConflict(m.entries)
      if (conflict !== 0) this.log.append(m.entries.slice(conflict - (m.index + 1)))
      this.log.commitTo(Math.min(m.commit, lastNew))
      reply({ index: lastNew })
      return
    }
    // §5.3 with fast back-off: point the leader at the last index that can match.
    const [hint, hintTerm] = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm)
    reply({ index: m.index, reject: 1, hint, logTerm: hintTerm })
  }

  private handleHeartbeat(m: RaftMessage): void {
    this.log.commitTo(m.commit)
    this.send(makeMessage(MessageType.HeartbeatResp, this.id, m.from, this.term, { ctx: m.ctx }))
  }

  private handleSnapshot(m: RaftMessage): void {
    const s = m.snapshot!
    if (s.index > this.log.committed) {
      if (this.log.matchTerm(s.index, s.term)) {
        // We already hold the snapshot's last entry: just catch the commit index up.
        this.log.commitTo(s.index)
      } else {
        this.log.restore(s)
        for (const o of s.observers) this.addKnownObserver(o)
      }
    }
    this.send(makeMessage(MessageType.AppResp, this.id, m.from, this.term, { index: this.log.committed }))
  }

  private handleHello(m: RaftMessage): RaftResult {
    if (this.voters.includes(m.from) || m.from === this.id) return fail('INVALID_ARGUMENT', `${m.from} is a voter`, this.leader)
    if (this.isObserver) return fail('NOT_LEADER', 'observers do not track observers', this.leader)
    if (!this.addKnownObserver(m.from)) return fail('UNKNOWN_PEER', `at most ${this.cfg.maxObservers} observers`, this.leader)
    if (this.state !== 'leader') return ok(undefined)
    let pr = this.progress.get(m.from)
    if (!pr) {
      pr = new Progress(this.log.lastIndex() + 1, false, this.cfg.maxInflightAppends)
      this.progress.set(m.from, pr)
    }
    pr.lastContactTick = this.ticks
    if (pr.state === 'probe') pr.probeSent = false
    else pr.becomeProbe()
    this.sendAppend(m.from)
    return ok(undefined)
  }

  private stepLeader(m: RaftMessage): RaftResult {
    const pr = this.progress.get(m.from)
    switch (m.type) {
      case MessageType.AppResp:
        if (pr) this.handleAppendResponse(m, pr)
        return ok(undefined)
      case MessageType.HeartbeatResp:
        if (pr) this.handleHeartbeatResponse(m, pr)
        return ok(undefined)
      case MessageType.ReadIndex:
        return this.leaderRead(m.ctx, m.from)
      default:
        return ok(undefined)
    }
  }

  private stepCandidate(m: RaftMessage): RaftResult {
    const want = this.state === 'precandidate' ? MessageType.PreVoteResp : MessageType.VoteResp
    if (m.type !== want || !this.voters.includes(m.from)) return ok(undefined)
    // A pre-vote grant carries the term we would campaign in; anything else is from an old round.
    if (want === MessageType.PreVoteResp && m.reject === 0 && m.term !== this.term + 1) return ok(undefined)
    const result = this.poll(m.from, m.reject === 0)
    if (result === 'won') {
      if (this.state === 'precandidate') this.campaign('real', false)
      else this.becomeLeader()
    } else if (result === 'lost') {
      this.becomeFollower(this.term, 0)
    }
    return ok(undefined)
  }

  private stepFollower(m: RaftMessage): RaftResult {
    switch (m.type) {
      case MessageType.TimeoutNow:
        if (!this.isObserver) this.campaign('real', true)
        return ok(undefined)
      case MessageType.ReadIndexResp:
        if (m.from === this.leader) this.readStates.push({ index: m.index, ctx: m.ctx })
        return ok(undefined)
      default:
        return ok(undefined)
    }
  }

  // ---------------------------------------------------------------- leader: replication

  private appendEntry(type: Entry['type'], data: Uint8Array): number {
    const index = this.log.lastIndex() + 1
    this.log.append([{ index, term: this.term, type, data }])
    const bytes = data.length + 24
    this.uncommitted.push(index, bytes)
    this.uncommittedBytes += bytes
    this.progress.get(this.id)!.maybeUpdate(index)
    this.maybeCommit()
    this.broadcastPending = true
    return index
  }

  private broadcastAppend(): void {
    for (const id of this.progress.keys()) if (id !== this.id) this.sendAppend(id)
  }

  private broadcastHeartbeat(): void {
    const ctx = this.reads.lastCtx()
    for (const [id, pr] of this.progress) {
      if (id === this.id) continue
      const commit = Math.min(pr.match, this.log.committed)
      this.send(makeMessage(MessageType.Heartbeat, this.id, id, this.term, { commit, ...(ctx ? { ctx } : {}) }))
    }
  }

  /** Send what `to` lacks (or a snapshot). Returns whether a message went out. */
  private sendAppend(to: number, sendIfEmpty = true): boolean {
    const pr = this.progress.get(to)!
    if (pr.isPaused()) return false
    const prevIndex = pr.next - 1
    const prevTerm = this.log.term(prevIndex)
    const entries =
      prevTerm === undefined ? undefined : this.log.slice(pr.next, this.log.lastIndex() + 1, this.cfg.maxAppendBytes, this.cfg.maxAppendEntries)
    if (entries === undefined) return this.sendSnapshot(to, pr)
    if (entries.length === 0 && !sendIfEmpty) return false
    this.send(makeMessage(MessageType.App, this.id, to, this.term, { index: prevIndex, logTerm: prevTerm!, entries, commit: this.log.committed }))
    if (entries.length > 0) pr.sentEntries(entries[entries.length - 1]!.index)
    else if (pr.state === 'probe') pr.probeSent = true
    return true
  }

  private sendSnapshot(to: number, pr: Progress): boolean {
    const snap = this.log.unstableSnapshot ?? this.log.storage.snapshot()
    if (snap.index === 0) return false
    this.send(makeMessage(MessageType.Snap, this.id, to, this.term, { index: snap.index, logTerm: snap.term, snapshot: snap }))
    pr.becomeSnapshot(snap.index, this.ticks)
    return true
  }

  private handleAppendResponse(m: RaftMessage, pr: Progress): void {
    pr.recentActive = true
    pr.lastContactTick = this.ticks
    if (m.reject === 1) {
      // Fast back-off: skip every entry of a term the follower cannot have.
      const probe = m.logTerm > 0 ? this.log.findConflictByTerm(m.hint, m.logTerm)[0] : m.hint
      if (pr.maybeDecrTo(m.index, probe)) {
        if (pr.state === 'replicate') pr.becomeProbe()
        this.sendAppend(m.from)
      }
      return
    }
    const wasPaused = pr.isPaused()
    if (pr.maybeUpdate(m.index)) {
      if (pr.state === 'probe') pr.becomeReplicate()
      else if (pr.state === 'snapshot' && pr.match + 1 >= this.log.firstIndex()) {
        pr.becomeProbe()
        pr.becomeReplicate()
      } else if (pr.state === 'replicate') pr.freeInflightsTo(m.index)
      if (this.maybeCommit()) this.broadcastPending = true
      else if (wasPaused) this.sendAppend(m.from)
      while (this.sendAppend(m.from, false)) {
        // keep the pipe full up to maxInflightAppends
      }
      if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
        this.send(makeMessage(MessageType.TimeoutNow, this.id, m.from, this.term))
      }
    }
    if (pr.match >= this.log.lastIndex()) pr.lastCaughtUpTick = this.ticks
  }

  private handleHeartbeatResponse(m: RaftMessage, pr: Progress): void {
    pr.recentActive = true
    pr.lastContactTick = this.ticks
    pr.probeSent = false
    if (pr.state === 'replicate' && pr.isPaused()) pr.freeFirstInflight()
    if (pr.state === 'snapshot' && this.ticks - pr.snapshotSentTick >= this.cfg.electionTimeoutTicks) pr.becomeProbe()
    if (pr.match < this.log.lastIndex() || pr.state === 'probe') this.sendAppend(m.from)
    else pr.lastCaughtUpTick = this.ticks
    if (m.ctx.length > 0 && pr.isVoter && this.reads.ack(m.ctx, m.from) >= this.quorum) {
      for (const r of this.reads.confirm(m.ctx)) this.deliverRead(r.index, r.ctx, r.from)
    }
  }

  /** §5.3/§5.4.2: commit the largest index a quorum holds — only if it is of the current term (Figure 8). */
  private maybeCommit(): boolean {
    const matches: number[] = []
    for (const v of this.voters) matches.push(this.progress.get(v)!.match)
    const index = quorumMatch(matches)
    if (index <= this.log.committed || this.log.term(index) !== this.term) return false
    const firstOfTerm = this.log.term(this.log.committed) !== this.term
    this.log.commitTo(index)
    let k = 0
    while (k < this.uncommitted.length && this.uncommitted[k]! <= index) {
      this.uncommittedBytes -= this.uncommitted[k + 1]!
      k += 2
    }
    if (k > 0) this.uncommitted.splice(0, k)
    if (firstOfTerm) this.releaseReadsAwaitingCommit()
    return true
  }

  // ---------------------------------------------------------------- leader: reads

  private leaderRead(ctx: Uint8Array, from: number): RaftResult {
    if (this.reads.has(ctx) || this.readsAwaitingCommit.some((r) => sameBytes(r.ctx, ctx))) {
      return fail('INVALID_ARGUMENT', 'a read with this ctx is already pending', this.id)
    }
    if (this.reads.size + this.readsAwaitingCommit.length >= this.cfg.maxPendingReads) {
      return fail('BACKPRESSURE', `${this.cfg.maxPendingReads} reads pending`, this.id)
    }
    if (this.log.term(this.log.committed) !== this.term) {
      // Our commit index may lag the true one until an entry of our term commits (§8).
      this.readsAwaitingCommit.push({ ctx, from })
      return ok(undefined)
    }
    this.startRead(ctx, from)
    return ok(undefined)
  }

  private startRead(ctx: Uint8Array, from: number): void {
    if (this.quorum === 1) {
      this.deliverRead(this.log.committed, ctx, from)
      return
    }
    this.reads.add(ctx, this.log.committed, from, this.id)
    this.broadcastHeartbeat()
  }

  private releaseReadsAwaitingCommit(): void {
    const waiting = this.readsAwaitingCommit
    this.readsAwaitingCommit = []
    for (const r of waiting) this.startRead(r.ctx, r.from)
  }

  private deliverRead(index: number, ctx: Uint8Array, from: number): void {
    if (from === this.id) this.readStates.push({ index, ctx })
    else this.send(makeMessage(MessageType.ReadIndexResp, this.id, from, this.term, { index, ctx }))
  }

  // ---------------------------------------------------------------- helpers

  private send(m: RaftMessage): void {
    if (this.msgs.length >= this.cfg.maxOutboxMessages) {
      this.dropped++
      return
    }
    this.msgs.push(m)
  }

  private isKnownPeer(id: number): boolean {
    return id !== this.id && (this.voters.includes(id) || this.observers.has(id))
  }

  private addKnownObserver(id: number): boolean {
    if (id === this.id || this.voters.includes(id) || this.observers.has(id)) return true
    if (this.observers.size >= this.cfg.maxObservers) return false
    this.observers.add(id)
    return true
  }
}

/** What a non-voter sends (ObserverHello is handled before any sender check). */
const OBSERVER_MAY_SEND = new Set<MessageType>([MessageType.AppResp, MessageType.HeartbeatResp, MessageType.ReadIndex])

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

