/** What one simulated run did: the workload, and how often each fault struck. */
export interface SimStats {
  ticks: number
  /** Messages delivered to a live node. */
  messages: number
  /** Messages lost to a cut link, a down node or a full network. */
  dropped: number
  /** Messages lost at random (the plan's lossRate). */
  lost: number
  /** Messages sent twice. */
  duplicated: number
  /** Messages delivered after a later message on the same link. */
  reordered: number
  /** Symmetric partitions: a split in two, or one node isolated. */
  partitions: number
  /** One-way link cuts. */
  asymmetricCuts: number
  elections: number
  committed: number
  crashes: number
  crashesAfterPersist: number
  observersJoined: number
  snapshotsTaken: number
  snapshotsInstalled: number
  /** ReadIndex reads served (and checked for linearizability). */
  reads: number
  /** Leadership transfers a leader started. */
  transfers: number
  /** TimeoutNow messages a transferee obeyed by campaigning at once. */
  transfersObeyed: number
  /** Voter changes a leader was asked for, and those it accepted. */
  voterChangesAsked: number
  voterChangesAccepted: number
  /** Committed configurations that added a voter / removed one / removed the leader that proposed it. */
  votersAdded: number
  votersRemoved: number
  leadersRemoved: number
  livenessTicks: number
}

export function emptyStats(): SimStats {
  return {
    ticks: 0,
    messages: 0,
    dropped: 0,
    lost: 0,
    duplicated: 0,
    reordered: 0,
    partitions: 0,
    asymmetricCuts: 0,
    elections: 0,
    committed: 0,
    crashes: 0,
    crashesAfterPersist: 0,
    observersJoined: 0,
    snapshotsTaken: 0,
    snapshotsInstalled: 0,
    reads: 0,
    transfers: 0,
    transfersObeyed: 0,
    voterChangesAsked: 0,
    voterChangesAccepted: 0,
    votersAdded: 0,
    votersRemoved: 0,
    leadersRemoved: 0,
    livenessTicks: 0,
  }
}

/**
 * The faults and features a seed loop must exercise, by the counter that shows each
 * happened: a green loop that never crashed a node or installed a snapshot would
 * prove nothing about them.
 */
export const COVERAGE_COUNTERS = [
  'crashes',
  'crashesAfterPersist',
  'snapshotsInstalled',
  'transfersObeyed',
  'reads',
  'observersJoined',
  'partitions',
  'asymmetricCuts',
  'lost',
  'duplicated',
  'reordered',
  'votersAdded',
  'votersRemoved',
  'leadersRemoved',
] as const satisfies readonly (keyof SimStats)[]

export function addStats(total: SimStats, s: SimStats): void {
  for (const k of Object.keys(total) as (keyof SimStats)[]) total[k] += s[k]
}

/** The coverage counters still at zero. */
export function uncovered(total: SimStats): string[] {
  return COVERAGE_COUNTERS.filter((k) => total[k] === 0)
}
