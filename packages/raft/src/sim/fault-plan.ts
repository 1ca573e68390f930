import type { SeededRandom } from '../random.js'
import type { VoterChangePlan } from './voter-changes.js'

/** Virtual time units per node tick: message delays are finer than ticks. */
export const UNITS_PER_TICK = 10

/**
 * The faults and workload one seed runs with. Everything is drawn from the seed: the
 * voter changes (VoterChangePlan) from a stream of their own (voter-changes.ts).
 */
export interface FaultPlan extends VoterChangePlan {
  lossRate: number
  duplicateRate: number
  minDelayUnits: number
  maxDelayUnits: number
  /** Per tick: chance the partition layout changes (split, asymmetric cuts, isolate, heal). */
  partitionRate: number
  /** Per tick: chance a live node crashes. */
  crashRate: number
  /** Per Ready: chance a node crashes after persisting it and before sending its messages. */
  crashAfterPersistRate: number
  maxDowntimeTicks: number
  observers: number
  /** Per tick: proposals offered to a leader. */
  proposalsPerTick: number
  readRate: number
  transferRate: number
  /** A node snapshots once it applied this many entries past its last snapshot. */
  compactEvery: number
  preVote: boolean
  checkQuorum: boolean
  heartbeatTicks: number
  maxAppendEntries: number
  maxInflightAppends: number
}

/** Everything but the voter changes, drawn from the seed's main stream exactly as before they existed. */
export function choosePlan(rng: SeededRandom): Omit<FaultPlan, keyof VoterChangePlan> {
  const pick = <T>(xs: T[]): T => xs[rng.int(xs.length)]!
  const maxDelayUnits = pick([2, 10, 30, 80])
  return {
    lossRate: pick([0, 0.01, 0.05, 0.15, 0.3]),
    duplicateRate: pick([0, 0.02, 0.1]),
    minDelayUnits: 1,
    maxDelayUnits,
    partitionRate: pick([0, 0.01, 0.03, 0.08]),
    crashRate: pick([0, 0.002, 0.01, 0.03]),
    crashAfterPersistRate: pick([0, 0.001, 0.005]),
    maxDowntimeTicks: pick([5, 30, 100]),
    observers: pick([0, 0, 1, 2]),
    proposalsPerTick: pick([0.2, 1, 3]),
    readRate: pick([0, 0.1, 0.5]),
    transferRate: pick([0, 0.005, 0.02]),
    compactEvery: pick([5, 20, 100, Infinity]),
    preVote: rng.chance(0.85),
    checkQuorum: rng.chance(0.85),
    heartbeatTicks: pick([1, 1, 3]),
    maxAppendEntries: pick([1, 4, 64]),
    maxInflightAppends: pick([1, 4, 256]),
  }
}

export function describePlan(p: FaultPlan): string {
  return Object.entries(p)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')
}
