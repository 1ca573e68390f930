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
  weights: {
    reset: number; partition: number; oneWay: number; heal: number; crash: number; clockJump: number
    /** a machine losing power: the process dies and the partition store loses its unsynced tail */
    powerLoss: number
    /** a node's disk refusing writes (EIO or ENOSPC) for a while, then the node restarted */
    diskFault: number
    /** a node stalling: its timers and frames late */
    slow: number
    /** topic creation/deletion, partition additions, config changes, group joins and leaves */
    admin: number
  }
  /** longest a crashed node stays down, virtual ms */
  downtimeMsMax: number
}

/**
 * Wall-clock jumps are off by default (weight 0 changes no draw, so seeds
 * replay as before they existed); --clock-jumps gives them this weight.
 */
export const CLOCK_JUMP_WEIGHT = 0
export const CLOCK_JUMP_WEIGHT_ON = 1

/**
 * The issue's size (#21): two producers, a consumer group of two, about a minute
 * of faults. Laid over what the seed drew, so a seed's other choices are those it
 * had before (`SIM_SIZE_FIRST`: 1-2 producers and consumers, 10-20 s of faults,
 * the size the early regression seeds were found at).
 */
export const SIM_SIZES = {
  issue: { producers: 2, consumers: 2, faultPhaseMs: 60_000 },
  first: {},
  /** `npm test`'s hundreds of seeds: the issue's clients, 3 s of faults (a full-size seed costs about 20x more). */
  ci: { producers: 2, consumers: 2, faultPhaseMs: 3000 },
} as const satisfies Record<string, Partial<SimPlan>>
export type SimSize = keyof typeof SIM_SIZES
export const SIM_SIZE_NAMES = Object.keys(SIM_SIZES) as SimSize[]

export function choosePlan(rng: SeededRandom, size: SimSize = 'issue'): SimPlan {
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!
  const maxDelayMs = pick([1, 5, 20, 60])
  const drawn: SimPlan = {
    network: { minDelayMs: 0, maxDelayMs },
    partitions: pick([1, 2, 3]),
    producers: pick([1, 2]),
    consumers: pick([1, 2]),
    sendGapMs: pick([20, 50, 100]),
    faultPhaseMs: pick([10_000, 20_000]),
    faultGapMs: pick([500, 1500, 4000]),
    weights: { reset: pick([0, 1, 3]), partition: pick([0, 1, 2]), oneWay: pick([0, 1]), heal: 2, crash: pick([0, 1, 2]), clockJump: CLOCK_JUMP_WEIGHT, powerLoss: 0, diskFault: 0, slow: 0, admin: 0 },
    downtimeMsMax: pick([1000, 5000, 15_000]),
  }
  // Drawn last, so the choices above keep the values they had before these faults existed.
  drawn.weights.powerLoss = pick([0, 1, 1])
  drawn.weights.diskFault = pick([0, 0, 1])
  drawn.weights.slow = pick([0, 1, 1])
  drawn.weights.admin = pick([0, 1, 2])
  return { ...drawn, ...SIM_SIZES[size] }
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
