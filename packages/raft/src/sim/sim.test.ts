import { runSimulation, type SimResult } from './simulation.js'

/** Seeds per cluster size; `npm run sim` runs as many as you like. */
const SEEDS = 250

function report(r: SimResult): string {
  return [`seed ${r.seed} (voters ${r.voters}) failed: ${r.failure}`, `replay: npm run sim -- --seed ${r.seed} --nodes ${r.voters} --trace`, ...r.trace.slice(-80)].join('\n')
}

describe('deterministic simulation: safety under faults, then liveness once healed', () => {
  for (const voters of [3, 5]) {
    test(`${SEEDS} seeds, ${voters} voters`, () => {
      for (let seed = 1; seed <= SEEDS; seed++) {
        const r = runSimulation({ seed, voters })
        if (!r.ok) throw new Error(report(r))
      }
    })
  }

  test('a seed replays exactly', () => {
    const a = runSimulation({ seed: 42, voters: 5, traceLimit: 100_000 })
    const b = runSimulation({ seed: 42, voters: 5, traceLimit: 100_000 })
    expect(a.stats).toEqual(b.stats)
    const lines: string[] = []
    const c = runSimulation({ seed: 42, voters: 5, traceLimit: 0, traceSink: (l) => lines.push(l) })
    const d: string[] = []
    runSimulation({ seed: 42, voters: 5, traceLimit: 0, traceSink: (l) => d.push(l) })
    expect(c.stats).toEqual(a.stats)
    expect(lines).toEqual(d)
    expect(lines.length).toBeGreaterThan(1000)
  })

  test('a quiet network commits a steady stream of proposals', () => {
    const r = runSimulation({ seed: 7, voters: 3, plan: { lossRate: 0, crashRate: 0, partitionRate: 0, crashAfterPersistRate: 0, transferRate: 0, maxDelayUnits: 5 } })
    expect(r.ok).toBe(true)
    expect(r.stats.committed).toBeGreaterThan(100)
    expect(r.stats.elections).toBe(1)
  })
})
