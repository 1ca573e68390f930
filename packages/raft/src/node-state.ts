import { assert } from './errors.js'
import { RaftLog } from './log.js'
import { Membership } from './membership.js'
import type { RaftMessage } from './message.js'
import type { Progress } from './progress.js'
import { ReadIndexQueue, type ReadState } from './read-index.js'
import { resolveConfig, type RaftConfig, type ResolvedConfig } from './config.js'
import type { Role } from './ready.js'
import type { Random } from './types.js'

/**
 * Everything one Raft node knows, shared by the concept modules that act on it
 * (election.ts, replication.ts, snapshots.ts, reads.ts, observers.ts, step.ts).
 * Internal to the package: RaftNode is the only way in from outside.
 */
export class NodeState {
  readonly id: number
  /** The configurations the log holds; the latest is in force (membership.ts). */
  readonly membership: Membership
  readonly observers = new Set<number>()
  /**
   * Nodes that may consider themselves voters though our configuration does not list
   * them: voters of earlier configurations we have seen, and non-voters that asked us
   * for votes (added by an uncommitted config entry a new leader then cut, say).
   * Unlike other observers they may raise our term with their answers: such a node may
   * have campaigned to a term beyond ours, and refusing it would leave it refusing our
   * appends forever, never learning the configuration (config-change.ts).
   */
  readonly outsideVoters = new Set<number>()
  /** Nodes that said they never vote (RaftConfig.canVote false): never made voters. */
  readonly cannotVote = new Set<number>()
  readonly log: RaftLog
  readonly random: Random
  readonly cfg: ResolvedConfig

  term = 0
  vote = 0
  leader = 0
  role: Role = 'follower'
  electionElapsed = 0
  heartbeatElapsed = 0
  randomizedElectionTimeout = 0
  ticks = 0
  leaderSinceTick = 0
  votes = new Map<number, boolean>()
  progress = new Map<number, Progress>()
  leadTransferee = 0
  readonly reads: ReadIndexQueue
  /** Reads asked before this leader committed an entry of its own term: answered once it has. */
  readsAwaitingCommit: { ctx: Uint8Array; from: number }[] = []
  readStates: ReadState[] = []
  msgs: RaftMessage[] = []
  dropped = 0
  /** Appends deferred to the next ready(), so proposals between two Readys travel in one message. */
  broadcastPending = false
  /** Leader: [index, bytes] of its uncommitted proposals, for maxUncommittedBytes. */
  uncommitted: number[] = []
  uncommittedBytes = 0

  constructor(config: RaftConfig) {
    const { id, voters, storage } = config
    assert(Number.isSafeInteger(id) && id > 0, 'node id must be a positive integer')
    assert(voters.length > 0 && new Set(voters).size === voters.length, 'voters must be non-empty and distinct')
    assert(voters.every((v) => Number.isSafeInteger(v) && v > 0), 'voter ids must be positive integers')
    this.id = id
    this.random = config.random
    this.cfg = resolveConfig(config)
    assert(this.cfg.heartbeatTicks >= 1 && this.cfg.heartbeatTicks < this.cfg.electionTimeoutTicks, 'need 1 <= heartbeatTicks < electionTimeoutTicks')
    const init = storage.initialState()
    // The configured voters only bootstrap: a snapshot's configuration, and any config
    // entry in the log after it, take precedence (README: Membership changes).
    const snapIndex = storage.firstIndex() - 1
    this.membership = new Membership({ index: snapIndex, voters: init.voters.length > 0 ? init.voters : voters })
    if (storage.lastIndex() > snapIndex) this.membership.appended(storage.entries(snapIndex + 1, storage.lastIndex() + 1, Number.MAX_SAFE_INTEGER))
    for (const o of [...(config.observers ?? []), ...init.observers]) this.addKnownObserver(o)
    for (const v of this.membership.everyVoter()) {
      if (this.isVoter(v) || v === id) continue
      this.outsideVoters.add(v)
      this.addKnownObserver(v)
    }
    this.reads = new ReadIndexQueue(this.cfg.maxPendingReads)
    const hs = init.hardState
    this.log = new RaftLog(storage, hs.commit, config.applied ?? snapIndex)
    this.term = hs.term
    this.vote = hs.vote
  }

  /** Queue a message for the next Ready; beyond maxOutboxMessages it is dropped (Raft tolerates loss). */
  send(m: RaftMessage): void {
    if (this.msgs.length >= this.cfg.maxOutboxMessages) {
      this.dropped++
      return
    }
    this.msgs.push(m)
  }

  /** The configuration in force. */
  get voters(): readonly number[] {
    return this.membership.voters
  }

  get quorum(): number {
    return Math.floor(this.membership.voters.length / 2) + 1
  }

  /** Not a voter: never campaigns, never votes, never counts. */
  get isObserver(): boolean {
    return !this.cfg.canVote || !this.membership.voters.includes(this.id)
  }

  isVoter(id: number): boolean {
    return this.membership.voters.includes(id)
  }

  isKnownPeer(id: number): boolean {
    return id !== this.id && (this.isVoter(id) || this.observers.has(id))
  }

  /** Remember an observer (false when maxObservers are known already). */
  addKnownObserver(id: number): boolean {
    if (id === this.id || this.isVoter(id) || this.observers.has(id)) return true
    if (this.observers.size >= this.cfg.maxObservers) return false
    this.observers.add(id)
    return true
  }

  /** A fresh election timeout in [electionTimeoutTicks, 2 * electionTimeoutTicks). */
  newElectionTimeout(): number {
    return this.cfg.electionTimeoutTicks + Math.floor(this.random.next() * this.cfg.electionTimeoutTicks)
  }
}
