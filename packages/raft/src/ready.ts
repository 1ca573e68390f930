import type { RaftMessage } from './message.js'
import type { ProgressState } from './progress.js'
import type { ReadState } from './read-index.js'
import type { Entry, HardState, Snapshot } from './types.js'

export type Role = 'leader' | 'follower' | 'candidate' | 'precandidate' | 'observer'

/**
 * What the driving loop must do, in this order:
 *   1. persist `snapshot` (if any), `entries` and `hardState` (if not null) — durably
 *      (fsync) when `mustSync`;
 *   2. then append the same to the MemoryRaftStorage the node reads
 *      (applySnapshot, append, setHardState);
 *   3. only then send `messages` (a vote or ack must never go out before what it
 *      promises is on disk);
 *   4. restore the state machine from `snapshot` if any, then apply `committed` in
 *      order; hand `readStates` to waiting readers (serve each once applied >= index);
 *   5. call advance(ready).
 * Only one Ready is outstanding at a time: ready() returns undefined until advance().
 * step/tick/propose may be called while a Ready is being persisted; their effects
 * arrive in the next Ready.
 */
export interface Ready {
  /** null when unchanged since the last Ready. */
  hardState: HardState | null
  /** Not-yet-durable entries; may overwrite a stored suffix (an entry at i replaces all >= i). */
  entries: Entry[]
  /** A snapshot from the leader to install, replacing the whole log. */
  snapshot: Snapshot | null
  /** Committed entries to apply, in index order. */
  committed: Entry[]
  messages: RaftMessage[]
  /** True if entries or term/vote changed (or a snapshot came): fsync before sending. */
  mustSync: boolean
  /** Confirmed linearizable reads: serve ctx once the state machine has applied index. */
  readStates: ReadState[]
}

export interface PeerStatus {
  match: number
  next: number
  isVoter: boolean
  state: ProgressState
  /** Tick of the last message from the peer (-1: never). */
  lastContactTick: number
  /** Tick at which the peer last matched the leader's whole log (-1: never). */
  lastCaughtUpTick: number
  recentActive: boolean
  inflight: number
}

export interface RaftStatus {
  id: number
  term: number
  vote: number
  commit: number
  applied: number
  leaderId: number
  role: Role
  lastIndex: number
  firstIndex: number
  /** Ticks since this node was constructed; compare with PeerStatus ticks. */
  tick: number
  leadTransferee: number
  /** The configuration in force (the latest in the log, committed or not). */
  voters: number[]
  /** Index of the entry that set it (the snapshot's index, or 0, if no config entry does): committed once commit >= configIndex. */
  configIndex: number
  observers: number[]
  /** Leader only; empty map otherwise. Includes the leader itself. */
  progress: Map<number, PeerStatus>
  droppedMessages: number
}

export interface ProposeOk {
  index: number
  term: number
}
