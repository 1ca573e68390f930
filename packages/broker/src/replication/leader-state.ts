/**
 * The leader's view of its followers (Kafka ISR): each follower's log end offset
 * and when it was last caught up; the high watermark = min LEO of the ISR; which
 * followers should leave (lagging past replica.lag.time.max.ms, or fenced) or join
 * (caught up to the HW and to this epoch's start). No I/O: the partition asks, the
 * replica manager sends AlterPartition, and the new ISR only counts once the
 * PartitionChange arrives from metadata (`isrCommitted`). The committed ISR itself
 * is the partition's (`Partition.isr`, from metadata): this reads it, never keeps a
 * copy; the proposal in flight is this object's alone (`propose` / `dropProposal`).
 *
 * While a change is in flight the HW is computed over the union of the committed and
 * the proposed ISR (Kafka's "maximal ISR"): a joining follower already holds the HW
 * back, and a leaving one keeps holding it until the controller agrees.
 */

export interface FollowerState {
  nodeId: number
  /** -1 until the follower's first fetch in this leader epoch */
  logEndOffset: number
  lastCaughtUpTimeMs: number
  lastFetchTimeMs: number
  /** the leader's LEO when the previous fetch arrived */
  lastFetchLeaderLogEndOffset: number
}

export interface PendingIsr {
  isr: number[]
  sentAtMs: number
}

export class LeaderState {
  private readonly followers = new Map<number, FollowerState>()
  private proposal: PendingIsr | null = null

  constructor(
    readonly leaderId: number,
    replicas: number[],
    /** the ISR committed in metadata, as the partition holds it */
    private readonly committedIsr: () => readonly number[],
    /** LEO when this leader epoch began: a follower must reach it to join the ISR */
    readonly epochStartOffset: number,
    nowMs: number,
  ) {
    this.setReplicas(replicas, nowMs)
  }

  get isr(): readonly number[] {
    return this.committedIsr()
  }

  /** The ISR change sent to the controller and not answered yet (null: none). */
  get pending(): Readonly<PendingIsr> | null {
    return this.proposal
  }

  /** An ISR change goes to the controller now. */
  propose(isr: number[], nowMs: number): void {
    this.proposal = { isr, sentAtMs: nowMs }
  }

  /** The proposal was refused, lost, or waited too long: another may go. */
  dropProposal(): void {
    this.proposal = null
  }

  /** Committed ISR ∪ proposed ISR. */
  maximalIsr(): readonly number[] {
    if (this.proposal === null) return this.isr
    return [...new Set([...this.isr, ...this.proposal.isr])]
  }

  setReplicas(replicas: number[], nowMs: number): void {
    for (const id of replicas) {
      if (id === this.leaderId || this.followers.has(id)) continue
      // An ISR member gets the benefit of the doubt from the election on (as in Kafka).
      this.followers.set(id, { nodeId: id, logEndOffset: -1, lastCaughtUpTimeMs: nowMs, lastFetchTimeMs: -1, lastFetchLeaderLogEndOffset: -1 })
    }
    for (const id of [...this.followers.keys()]) if (!replicas.includes(id)) this.followers.delete(id)
  }

  /** The controller committed a new ISR (the partition holds it now): the proposal is answered. */
  isrCommitted(): void {
    this.proposal = null
  }

  follower(nodeId: number): FollowerState | undefined {
    return this.followers.get(nodeId)
  }

  followerStates(): FollowerState[] {
    return [...this.followers.values()]
  }

  /** A follower fetched from `fetchOffset`: it holds everything below it. */
  updateFollower(nodeId: number, fetchOffset: number, leaderLogEndOffset: number, nowMs: number): void {
    const f = this.followers.get(nodeId)
    if (f === undefined) return
    if (fetchOffset >= leaderLogEndOffset) {
      f.lastCaughtUpTimeMs = Math.max(f.lastCaughtUpTimeMs, nowMs)
    } else if (f.lastFetchTimeMs >= 0 && fetchOffset >= f.lastFetchLeaderLogEndOffset) {
      // it has everything the leader had at its previous fetch: caught up as of then
      f.lastCaughtUpTimeMs = Math.max(f.lastCaughtUpTimeMs, f.lastFetchTimeMs)
    }
    f.logEndOffset = fetchOffset
    f.lastFetchLeaderLogEndOffset = leaderLogEndOffset
    f.lastFetchTimeMs = nowMs
  }

  /**
   * min LEO over the maximal ISR (the leader counts with its own LEO); null while an
   * ISR follower has not fetched yet in this epoch (its LEO is unknown).
   */
  highWatermarkCandidate(leaderLogEndOffset: number): number | null {
    let hw = leaderLogEndOffset
    for (const id of this.maximalIsr()) {
      if (id === this.leaderId) continue
      const f = this.followers.get(id)
      if (f === undefined || f.logEndOffset < 0) return null
      if (f.logEndOffset < hw) hw = f.logEndOffset
    }
    return hw
  }

  /**
   * The ISR without its out-of-sync followers, or null if none is out of sync:
   * behind the leader's LEO and not caught up for longer than `lagTimeMaxMs`, or on
   * a broker that may not be in an ISR (fenced).
   */
  shrinkCandidate(leaderLogEndOffset: number, nowMs: number, lagTimeMaxMs: number, eligible: (nodeId: number) => boolean): number[] | null {
    const out: number[] = []
    for (const id of this.isr) {
      if (id === this.leaderId) continue
      const f = this.followers.get(id)
      if (f === undefined) continue
      const behind = f.logEndOffset !== leaderLogEndOffset
      if (!eligible(id) || (behind && nowMs - f.lastCaughtUpTimeMs > lagTimeMaxMs)) out.push(id)
    }
    if (out.length === 0) return null
    return this.isr.filter((id) => !out.includes(id))
  }

  /** The ISR plus `nodeId` when it may join now, else null. */
  expandCandidate(nodeId: number, highWatermark: number, eligible: (nodeId: number) => boolean): number[] | null {
    if (this.isr.includes(nodeId)) return null
    const f = this.followers.get(nodeId)
    if (f === undefined || f.logEndOffset < 0) return null
    if (f.logEndOffset < highWatermark || f.logEndOffset < this.epochStartOffset || !eligible(nodeId)) return null
    return [...this.isr, nodeId]
  }
}
