/** Delta debugging over fault steps, on a fake run whose failure needs two particular steps. */
import { describe, expect, test } from '@jest/globals'
import type { FaultStep } from './faults.js'
import type { SeedOptions, SeedResult } from './run-seed.js'
import { failureKind, shrinkSeed } from './shrink.js'

const STEPS = 20
const step = (i: number): FaultStep => ({ atMs: i * 100, kind: 'reset', pick: i, other: 0, fraction: 0, ms: 0 })

/** Fails (an invariant) only when steps 3 and 14 both run; with 9 as well it fails differently (the checker). */
function fakeRun(calls: number[][]): (o: SeedOptions) => Promise<SeedResult> {
  return async (o) => {
    const steps = o.steps ?? Array.from({ length: STEPS }, (_, i) => i)
    calls.push([...steps])
    const both = steps.includes(3) && steps.includes(14)
    const failure = both ? (steps.includes(9) && steps.length < STEPS ? 'at 1.000s: checker: lost [x]' : 'at 1.000s: invariant: two leaders') : undefined
    return { seed: o.seed, ok: !both || failure === undefined, failure, steps: Array.from({ length: STEPS }, (_, i) => step(i)) } as unknown as SeedResult
  }
}

describe('shrinking a failing seed', () => {
  test('ddmin finds the two steps the failure needs, keeping the same kind of failure', async () => {
    const calls: number[][] = []
    const r = await shrinkSeed({ seed: 7 }, () => {}, fakeRun(calls))
    expect(r).not.toBeNull()
    expect(r!.steps).toEqual([3, 14])
    expect(failureKind(r!.minimal.failure)).toBe('invariant')
    expect(r!.runs).toBe(calls.length)
    expect(r!.runs).toBeLessThan(60)
  })

  test('a clean seed has nothing to shrink', async () => {
    const clean = async (o: SeedOptions): Promise<SeedResult> => ({ seed: o.seed, ok: true, steps: [] }) as unknown as SeedResult
    expect(await shrinkSeed({ seed: 1 }, () => {}, clean)).toBeNull()
  })

  test('the kind of a failure is its first words', () => {
    expect(failureKind('at   12.345s: invariant: n2 leads sim-1')).toBe('invariant')
    expect(failureKind('checker: lost [1]')).toBe('checker')
    expect(failureKind('liveness: within 20000 virtual ms')).toBe('liveness')
    expect(failureKind(undefined)).toBe('ok')
  })
})
