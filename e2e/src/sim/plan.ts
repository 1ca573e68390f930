/**
 * What one seed runs: the network's delays, the workload's shape and the
 * faults, all drawn from the seed so a failure replays exactly.
 */
import type { SeededRandom } from '@tributary/raft'
import type { NetworkPlan } from './network.js'

export interface SimPlan {
  network: NetworkPlan
  partitions: number
  producers: number
  consumers: number
  /** pause between one sender's sends, virtual ms */
  sendGapMs: number
  /** how long the workload runs under faults, virtual ms */
  faultPhaseMs: number
  /** mean virtual ms between two faults (0: no faults) */
  faultGapMs: number
  /** relative weights of the fault kinds */
  weights: { reset: number; partition: number; oneWay: number; heal: number; crash: number; clockJump: number }
  /** longest a crashed node stays down, virtual ms */
  downtimeMsMax: number
}

/**
 * Wall-clock jumps are off by default (weight 0 changes no draw, so seeds
 * replay as before they existed); --clock-jumps gives them this weight.
 */
export const CLOCK_JUMP_WEIGHT = 0
export const CLOCK_JUMP_WEIGHT_ON = 1

export function choosePlan(rng: SeededRandom): SimPlan {
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!
  const maxDelayMs = pick([1, 5, 20, 60])
  return {
    network: { minDelayMs: 0, maxDelayMs },
    partitions: pick([1, 2, 3]),
    producers: pick([1, 2]),
    consumers: pick([1, 2]),
    sendGapMs: pick([20, 50, 100]),
    faultPhaseMs: pick([10_000, 20_000]),
    faultGapMs: pick([500, 1500, 4000]),
    weights: { reset: pick([0, 1, 3]), partition: pick([0, 1, 2]), oneWay: pick([0, 1]), heal: 2, crash: pick([0, 1, 2]), clockJump: CLOCK_JUMP_WEIGHT },
    downtimeMsMax: pick([1000, 5000, 15_000]),
  }
}

/** The plan as one line (`key=value ...`, nested weights flattened). */
export function describePlan(p: SimPlan): string {
  const flat: Record<string, unknown> = { ...p, ...p.network, ...p.weights }
  delete flat.network
  delete flat.weights
  return Object.entries(flat).map(([k, v]) => `${k}=${v}`).join(' ')
}

/** A plan with no faults at all (the baseline run). */
export const NO_FAULTS: Partial<SimPlan> = { faultGapMs: 0 }
