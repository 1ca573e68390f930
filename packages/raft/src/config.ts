import type { RaftStorage } from './storage.js'
import type { Random } from './types.js'

export interface RaftConfig {
  id: number
  voters: number[]
  /**
   * false: this node never votes or campaigns, whatever a configuration says (a
   * broker-only node); it tells leaders so, and they refuse to make it a voter.
   */
  canVote?: boolean
  /** Observers known up front; more are learned from their ObserverHello messages. */
  observers?: number[]
  storage: RaftStorage
  random: Random
  /** A follower campaigns after a random timeout in [electionTimeoutTicks, 2 * electionTimeoutTicks). */
  electionTimeoutTicks?: number
  heartbeatTicks?: number
  preVote?: boolean
  checkQuorum?: boolean
  /** Bounds on one append message. */
  maxAppendEntries?: number
  maxAppendBytes?: number
  /** Unacknowledged appends per peer in replicate state. */
  maxInflightAppends?: number
  /** Leader refuses proposals (BACKPRESSURE) while this much is appended but uncommitted. */
  maxUncommittedBytes?: number
  maxProposalBytes?: number
  /** Bound on Ready.committed per Ready (at least one entry is always handed out). */
  maxApplyBytes?: number
  maxPendingReads?: number
  maxObservers?: number
  /** Messages queued between two Readys; beyond it they are dropped (Raft tolerates loss). */
  maxOutboxMessages?: number
  /** Index the app's state machine already reflects (default: the storage snapshot's index). */
  applied?: number
}

export type ResolvedConfig = Required<Omit<RaftConfig, 'observers' | 'applied' | 'storage' | 'random' | 'id' | 'voters'>>

/** Defaults for every bound and timer; see the README for why each is what it is. */
export function resolveConfig(config: RaftConfig): ResolvedConfig {
  return {
    electionTimeoutTicks: config.electionTimeoutTicks ?? 10,
    heartbeatTicks: config.heartbeatTicks ?? 1,
    canVote: config.canVote ?? true,
    preVote: config.preVote ?? true,
    checkQuorum: config.checkQuorum ?? true,
    maxAppendEntries: config.maxAppendEntries ?? 4096,
    maxAppendBytes: config.maxAppendBytes ?? 1 << 20,
    maxInflightAppends: config.maxInflightAppends ?? 256,
    maxUncommittedBytes: config.maxUncommittedBytes ?? 64 << 20,
    maxProposalBytes: config.maxProposalBytes ?? 1 << 20,
    maxApplyBytes: config.maxApplyBytes ?? 4 << 20,
    maxPendingReads: config.maxPendingReads ?? 4096,
    maxObservers: config.maxObservers ?? 64,
    maxOutboxMessages: config.maxOutboxMessages ?? 1 << 16,
  }
}
