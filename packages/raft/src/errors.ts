/**
 * Errors are values at the edge of the state machine: a bad message or a call made
 * in the wrong role returns a `RaftResult` with a code, and state is left untouched.
 * Exceptions are for bugs (a broken invariant) and for the two storage conditions
 * below, which the core catches.
 */

export type RaftErrorCode =
  /** propose/transferLeadership/compact on a node that is not the leader; `leaderId` hints where to go (0 = unknown). */
  | 'NOT_LEADER'
  /** readIndex on a node that knows no leader to forward to. */
  | 'NO_LEADER'
  /** a leadership transfer is under way; proposals are refused until it ends (at most one election timeout). */
  | 'TRANSFER_IN_PROGRESS'
  /** one proposal is larger than maxProposalBytes. */
  | 'PROPOSAL_TOO_LARGE'
  /** uncommitted entries or pending reads have reached their bound; retry after some commit. */
  | 'BACKPRESSURE'
  /** the message is not a well-formed RaftMessage. */
  | 'MALFORMED'
  /** the sender is neither a voter nor a known observer (or is this node). */
  | 'UNKNOWN_PEER'
  /**
   * the sender may not send this: a non-voter's append, heartbeat, snapshot, vote or
   * vote answer (or any message of its that would raise our term), or a TimeoutNow
   * that is not from the leader we follow in our term.
   */
  | 'NOT_PERMITTED'
  /** the message is addressed to another node. */
  | 'WRONG_RECIPIENT'
  /** the message carries an older term than ours; it is ignored (the sender may be told our term). */
  | 'STALE_TERM'
  /** an index in the message (or argument) is outside what the log can hold or has promised. */
  | 'OUT_OF_RANGE'
  /** an install-snapshot message whose snapshot is inconsistent or for another configuration. */
  | 'BAD_SNAPSHOT'
  /** an argument is invalid (unknown transfer target, duplicate read ctx, ...). */
  | 'INVALID_ARGUMENT'
  /**
   * a voter change was refused for now: the last one has not committed, or this leader
   * has not committed an entry of its own term yet. Retry shortly.
   */
  | 'CONFIG_CHANGE_IN_PROGRESS'
  /** the observer to add as a voter has not caught up with the leader's log (within an election timeout). */
  | 'NOT_CAUGHT_UP'

export type RaftResult<T = void> =
  | { ok: true; value: T }
  | { ok: false; code: RaftErrorCode; message: string; leaderId: number }

export const ok = <T>(value: T): RaftResult<T> => ({ ok: true, value })

export const fail = <T = never>(code: RaftErrorCode, message: string, leaderId = 0): RaftResult<T> => ({
  ok: false,
  code,
  message,
  leaderId,
})

/** Storage: the requested index lies below the first index still held (it is in a snapshot). */
export class CompactedError extends Error {
  override readonly name = 'CompactedError'
}

/** Storage: the requested index lies above the last index held (not written yet). */
export class UnavailableError extends Error {
  override readonly name = 'UnavailableError'
}

/** A broken invariant is a bug: fail loudly, in production too. */
export class RaftAssertionError extends Error {
  override readonly name = 'RaftAssertionError'
}

export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new RaftAssertionError(message)
}
