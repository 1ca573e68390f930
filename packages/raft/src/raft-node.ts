/**
 * RaftNode: the public face of the Raft core (README: Interface). The protocol lives
 * in one module per concept, all acting on one NodeState:
 *   step.ts         input checks, term rules, dispatch
 *   election.ts     roles, (pre-)vote campaigns, timers, check-quorum, leadership transfer
 *   replication.ts  proposals, appends, flow control, commit
 *   snapshots.ts    compaction and install-snapshot
 *   reads.ts        ReadIndex reads
 *   observers.ts    non-voting members
 *   config-change.ts adding and removing voters, one at a time (membership.ts: the configurations in the log)
 * This file adds the Ready/advance handshake and status.
 */
import { assert, type RaftResult } from './errors.js'
import type { RaftConfig } from './config.js'
import { proposeVoterChange, type VoterChange } from './config-change.js'
import { becomeFollower, tick, transferLeadership } from './election.js'
import type { RaftMessage } from './message.js'
import { NodeState } from './node-state.js'
import { addObserver } from './observers.js'
import { readIndex } from './reads.js'
import type { PeerStatus, ProposeOk, RaftStatus, Ready, Role } from './ready.js'
import { broadcastAppend, propose } from './replication.js'
import { compact } from './snapshots.js'
import { step } from './step.js'
import type { HardState, Snapshot } from './types.js'

export type { RaftConfig } from './config.js'
export type { VoterChange } from './config-change.js'
export type { PeerStatus, ProposeOk, RaftStatus, Ready, Role } from './ready.js'

export class RaftNode {
  readonly id: number
  private readonly s: NodeState
  /** The hard state handed out in the last Ready (what is durable once it is advanced). */
  private prevHardState: HardState
  private outstanding: Ready | undefined

  constructor(config: RaftConfig) {
    this.s = new NodeState(config)
    this.id = this.s.id
    this.prevHardState = { term: this.s.term, vote: this.s.vote, commit: this.s.log.committed }
    becomeFollower(this.s, this.s.term, 0)
  }

  /** Feed one message from the network. Bad input returns an error and changes nothing. */
  step(m: RaftMessage): RaftResult {
    return step(this.s, m)
  }

  tick(): void {
    tick(this.s)
  }

  /**
   * Append data to the log. Never throws for a role problem: a non-leader gets
   * `{ ok: false, code: 'NOT_LEADER', leaderId }` at once. On success the entry's
   * index and term identify it in Ready.committed later (if a different entry shows
   * up at that index, the proposal was lost to a leader change).
   */
  propose(data: Uint8Array): RaftResult<ProposeOk> {
    return propose(this.s, data)
  }

  /**
   * Hand leadership to voter `to`: it is brought up to date, then told to campaign at
   * once (its vote requests override the leader lease). Proposals are refused until
   * it succeeds or an election timeout passes.
   */
  transferLeadership(to: number): RaftResult {
    return transferLeadership(this.s, to)
  }

  /**
   * Ask for a linearizable read (ReadIndex). The answer arrives in a later
   * Ready.readStates as { index, ctx }: serve the read once applied >= index. ctx
   * must be unique among pending reads. A follower forwards the request to its
   * leader. Requests are dropped on a leader change; the caller retries on timeout.
   */
  readIndex(ctx: Uint8Array): RaftResult {
    return readIndex(this.s, ctx)
  }

  /**
   * Make a snapshot of the app's state at `index` (<= applied). The app then persists
   * it (DurableRaftLog.saveSnapshot) and calls MemoryRaftStorage.createSnapshot(it),
   * which drops the entries it covers.
   */
  compact(index: number, data: Uint8Array): RaftResult<Snapshot> {
    return compact(this.s, index, data)
  }

  /**
   * Leader: add a caught-up observer as a voter, or remove a voter (this one
   * included), one change at a time (README: Membership changes). The change takes
   * effect as soon as its entry is in the log; it is done when Ready.committed holds
   * the returned { index, term }. Refused with CONFIG_CHANGE_IN_PROGRESS while an
   * earlier change is uncommitted or this leader has not committed an entry of its
   * term yet, and with NOT_CAUGHT_UP for an observer that lags the log.
   */
  proposeVoterChange(change: VoterChange): RaftResult<ProposeOk> {
    return proposeVoterChange(this.s, change)
  }

  /** The configuration in force: the voter set of the latest config entry in this node's log. */
  get voters(): readonly number[] {
    return this.s.voters
  }

  /** Add an observer by hand (it is also learned from its ObserverHello). */
  addObserver(id: number): RaftResult {
    return addObserver(this.s, id)
  }

  get role(): Role {
    return this.s.role
  }

  get leaderId(): number {
    return this.s.leader
  }

  get currentTerm(): number {
    return this.s.term
  }

  get commitIndex(): number {
    return this.s.log.committed
  }

  get appliedIndex(): number {
    return this.s.log.applied
  }

  get firstLogIndex(): number {
    return this.s.log.firstIndex()
  }

  get lastLogIndex(): number {
    return this.s.log.lastIndex()
  }

  hasReady(): boolean {
    if (this.outstanding) return false
    const { s } = this
    return (
      s.msgs.length > 0 ||
      s.broadcastPending ||
      s.log.unstableEntries.length > 0 ||
      s.log.unstableSnapshot !== null ||
      s.readStates.length > 0 ||
      s.log.committed > s.log.applied ||
      s.term !== this.prevHardState.term ||
      s.vote !== this.prevHardState.vote
    )
  }

  ready(): Ready | undefined {
    if (!this.hasReady()) return undefined
    const { s } = this
    if (s.broadcastPending) {
      s.broadcastPending = false
      if (s.role === 'leader') broadcastAppend(s)
    }
    const hs: HardState = { term: s.term, vote: s.vote, commit: s.log.committed }
    const prev = this.prevHardState
    const hsChanged = hs.term !== prev.term || hs.vote !== prev.vote || hs.commit !== prev.commit
    const rd: Ready = {
      hardState: hsChanged ? hs : null,
      entries: s.log.unstableEntries.slice(),
      snapshot: s.log.unstableSnapshot,
      committed: s.log.nextCommitted(s.cfg.maxApplyBytes),
      messages: s.msgs,
      mustSync: s.log.unstableEntries.length > 0 || s.log.unstableSnapshot !== null || hs.term !== prev.term || hs.vote !== prev.vote,
      readStates: s.readStates,
    }
    if (!rd.hardState && rd.entries.length === 0 && !rd.snapshot && rd.committed.length === 0 && rd.messages.length === 0 && rd.readStates.length === 0) {
      return undefined
    }
    s.msgs = []
    s.readStates = []
    this.outstanding = rd
    return rd
  }

  advance(rd: Ready): void {
    assert(rd === this.outstanding, 'advance() takes the Ready that ready() returned last')
    this.outstanding = undefined
    const { log } = this.s
    if (rd.hardState) this.prevHardState = rd.hardState
    if (rd.snapshot) {
      log.stableSnapTo(rd.snapshot.index)
      if (rd.snapshot.index > log.applied) log.applied = rd.snapshot.index
    }
    const last = rd.entries[rd.entries.length - 1]
    if (last) log.stableTo(last.index, last.term)
    const applied = rd.committed[rd.committed.length - 1]
    if (applied && applied.index > log.applied) log.appliedTo(applied.index)
  }

  status(): RaftStatus {
    const { s } = this
    const progress = new Map<number, PeerStatus>()
    if (s.role === 'leader') {
      for (const [id, pr] of s.progress) {
        progress.set(id, {
          match: pr.match,
          next: pr.next,
          isVoter: pr.isVoter,
          state: pr.state,
          lastContactTick: id === s.id ? s.ticks : pr.lastContactTick,
          lastCaughtUpTick: id === s.id ? s.ticks : pr.lastCaughtUpTick,
          recentActive: id === s.id ? true : pr.recentActive,
          inflight: pr.inflightCount(),
        })
      }
    }
    return {
      id: s.id,
      term: s.term,
      vote: s.vote,
      commit: s.log.committed,
      applied: s.log.applied,
      leaderId: s.leader,
      role: s.role,
      lastIndex: s.log.lastIndex(),
      firstIndex: s.log.firstIndex(),
      tick: s.ticks,
      leadTransferee: s.leadTransferee,
      voters: [...s.voters],
      configIndex: s.membership.index,
      observers: [...s.observers],
      progress,
      droppedMessages: s.dropped,
    }
  }

  /** Term of the entry at index as this node sees it (undefined if compacted or absent). For tests and tools. */
  termAt(index: number): number | undefined {
    return this.s.log.term(index)
  }
}
