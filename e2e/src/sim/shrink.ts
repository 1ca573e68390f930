/**
 * Delta debugging (Zeller's ddmin) over a failing seed's fault steps: the seed,
 * its workload and its network stay; steps are dropped while the run still fails
 * the same way (the same kind of failure: checker, invariant, liveness...), down
 * to a list from which no single step, nor any chunk ddmin tries, can go. Each
 * try is one whole run of the seed, so this takes a few hundred runs at most.
 */
import { runSeed, type SeedOptions, type SeedResult } from './run-seed.js'

/** Runs a shrink may make before it settles for what it has. */
export const SHRINK_RUNS_MAX = 400

export interface ShrinkResult {
  /** The first run, with every step. */
  original: SeedResult
  /** Indexes (into the seed's steps) of the minimal failing list. */
  steps: number[]
  /** The run of the minimal list. */
  minimal: SeedResult
  runs: number
}

/** The kind of a failure: its first words before the details (`invariant`, `checker`, `liveness`, ...). */
export function failureKind(failure: string | undefined): string {
  if (failure === undefined) return 'ok'
  const text = failure.replace(/^at\s+[\d.]+s:\s*/, '')
  return /^[a-z ]+/i.exec(text)?.[0]?.trim() ?? text.slice(0, 20)
}

/** One run of the seed (a test gives a fake). */
export type SeedRunner = (o: SeedOptions) => Promise<SeedResult>

export async function shrinkSeed(o: SeedOptions, progress: (line: string) => void = () => {}, run: SeedRunner = runSeed): Promise<ShrinkResult | null> {
  const original = await run(o)
  if (original.ok) return null
  const kind = failureKind(original.failure)
  let runs = 1
  let best = { steps: original.steps.map((_, i) => i), result: original }
  const fails = async (steps: number[]): Promise<SeedResult | null> => {
    runs++
    const r = await run({ ...o, steps })
    progress(`run ${runs}: ${steps.length} steps ${r.ok ? 'clean' : failureKind(r.failure)}`)
    return !r.ok && failureKind(r.failure) === kind ? r : null
  }
  let n = 2
  while (best.steps.length >= 1 && runs < SHRINK_RUNS_MAX) {
    const chunks = split(best.steps, Math.min(n, best.steps.length))
    let reduced = false
    for (let i = 0; i < chunks.length && runs < SHRINK_RUNS_MAX; i++) {
      const complement = chunks.filter((_, j) => j !== i).flat()
      const r = await fails(complement)
      if (r) {
        best = { steps: complement, result: r }
        n = Math.max(n - 1, 2)
        reduced = true
        break
      }
    }
    if (reduced) continue
    if (n >= best.steps.length) break
    n = Math.min(2 * n, best.steps.length)
  }
  return { original, steps: best.steps, minimal: best.result, runs }
}

function split<T>(xs: readonly T[], parts: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < parts; i++) out.push(xs.slice(Math.floor((i * xs.length) / parts), Math.floor(((i + 1) * xs.length) / parts)))
  return out.filter((c) => c.length > 0)
}
