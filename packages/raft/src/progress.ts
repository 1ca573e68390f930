/**
 * What a leader knows about one peer's log, and the flow control for sending to it.
 *
 *   probe      we do not know where the peer's log matches; send one append at a time
 *              (paused until an answer or the next heartbeat response).
 *   replicate  the peer matches up to `match`; stream appends optimistically, at most
 *              maxInflightAppends unacknowledged.
 *   snapshot   the peer needs entries we compacted; a snapshot is on its way. Resent if
 *              no answer within an election timeout.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot'

export class Progress {
  match = 0
  next: number
  state: ProgressState = 'probe'
  /** probe: an append is outstanding; wait for its answer or a heartbeat response. */
  probeSent = false
  pendingSnapshot = 0
  snapshotSentTick = 0
  /** Last index of each unacknowledged append, oldest first; at most maxInflight. */
  private inflights: number[] = []
  /** Heard from since the last check-quorum round. */
  recentActive = false
  lastContactTick = -1
  lastCaughtUpTick = -1

  constructor(
    next: number,
    /** Changes with the configuration in force (config-change.ts). */
    public isVoter: boolean,
    private readonly maxInflight: number,
  ) {
    this.next = next
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent
      case 'replicate':
        return this.inflights.length >= this.maxInflight
      case 'snapshot':
        return true
    }
  }

  inflightCount(): number {
    return this.inflights.length
  }

  becomeProbe(): void {
    this.next = this.state === 'snapshot' ? Math.max(this.match + 1, this.pendingSnapshot + 1) : this.match + 1
    this.state = 'probe'
    this.probeSent = false
    this.pendingSnapshot = 0
    this.inflights = []
  }

  becomeReplicate(): void {
    this.state = 'replicate'
    this.next = this.match + 1
    this.pendingSnapshot = 0
    this.inflights = []
  }

  becomeSnapshot(snapIndex: number, tick: number): void {
    this.state = 'snapshot'
    this.pendingSnapshot = snapIndex
    this.snapshotSentTick = tick
    this.inflights = []
  }

  /** An append reaching `lastIndex` was sent. */
  sentEntries(lastIndex: number): void {
    if (this.state === 'replicate') {
      this.next = lastIndex + 1
      this.inflights.push(lastIndex)
    } else if (this.state === 'probe') {
      this.probeSent = true
    }
  }

  /** The peer acknowledged a match up to n. Returns whether that is news. */
  maybeUpdate(n: number): boolean {
    const updated = this.match < n
    if (updated) {
      this.match = n
      this.probeSent = false
    }
    this.next = Math.max(this.next, n + 1)
    return updated
  }

  /** The peer rejected the append at `rejected`; its log may match up to `matchHint`. Returns false if stale. */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false
      this.next = this.match + 1
      return true
    }
    if (this.next - 1 !== rejected) return false
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1)
    this.probeSent = false
    return true
  }

  freeInflightsTo(index: number): void {
    let k = 0
    while (k < this.inflights.length && this.inflights[k]! <= index) k++
    if (k > 0) this.inflights.splice(0, k)
  }

  /** A heartbeat response proves the peer is alive; let one more append through. */
  freeFirstInflight(): void {
    this.inflights.shift()
  }
}

/** The largest index that a majority of the voters' matches reach. */
export function quorumMatch(matches: number[]): number {
  matches.sort((a, b) => b - a)
  return matches[Math.floor(matches.length / 2)]!
}
