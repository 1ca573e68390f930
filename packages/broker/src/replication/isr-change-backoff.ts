import { ErrorCode } from '@tributary/protocol'

/** Pause after a refused or failed AlterPartition before proposing again, doubling per failure in a row… */
export const ISR_CHANGE_RETRY_BACKOFF_MS = 100
/** …up to this; also the wait after a refusal saying our epochs are stale, unless metadata moves them first. */
export const ISR_CHANGE_RETRY_BACKOFF_MS_MAX = 5000
/**
 * Refusals meaning the controller holds a newer state of the partition than this
 * leader has applied: proposing again from the same state cannot succeed, so the
 * partition waits for the metadata (which resets the backoff) or the longest backoff.
 */
const STALE_STATE_CODES: ReadonlySet<number> = new Set([
  ErrorCode.INVALID_UPDATE_VERSION, ErrorCode.FENCED_LEADER_EPOCH, ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_ID,
])

/**
 * When a partition leader may propose an ISR change again: after a failure, a
 * backoff that doubles per failure in a row (capped), so thousands of partitions
 * refused together never become a storm; at once when the metadata moves on.
 */
export class IsrChangeBackoff {
  /** When the next proposal may go (0: now). */
  retryAtMs = 0
  private failuresInRow = 0

  /** The controller refused with `errorCode` (or could not be reached) at nowMs. */
  failed(errorCode: number, nowMs: number): void {
    this.failuresInRow++
    const backoffMs = STALE_STATE_CODES.has(errorCode)
      ? ISR_CHANGE_RETRY_BACKOFF_MS_MAX
      : Math.min(ISR_CHANGE_RETRY_BACKOFF_MS_MAX, ISR_CHANGE_RETRY_BACKOFF_MS * 2 ** (this.failuresInRow - 1))
    this.retryAtMs = nowMs + backoffMs
  }

  /** The state a refusal was about has moved on: the next proposal may go at once. */
  reset(): void {
    this.retryAtMs = 0
    this.failuresInRow = 0
  }
}
