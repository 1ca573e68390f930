import { runSimulation, type SimResult } from './simulation.js'
import { addStats, emptyStats, uncovered } from './stats.js'

/** Distinct seeds per cluster size (500 in all); `npm run sim` runs as many as you like. */
const SEEDS = 250
const FIRST_SEED = { 3: 1, 5: 1 + SEEDS } as const

function report(r: SimResult): string {
  return [`seed ${r.seed} (voters ${r.voters}) failed: ${r.failure}`, `replay: npm run sim -- --seed ${r.seed} --nodes ${r.voters} --trace`, ...r.trace.slice(-80)].join('\n')
}

describe('deterministic simulation: safety under faults, then liveness once healed', () => {
  for (const voters of [3, 5] as const) {
    const from = FIRST_SEED[voters]
    test(`seeds ${from}-${from + SEEDS - 1}, ${voters} voters, every fault kind struck`, () => {
      const total = emptyStats()
      for (let seed = from; seed < from + SEEDS; seed++) {
        const r = runSimulation({ seed, voters })
        if (!r.ok) throw new Error(report(r))
        addStats(total, r.stats)
      }
      expect(uncovered(total)).toEqual([])
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
    // ... and its counters say which faults never struck, so the coverage check can fail
    expect(uncovered(r.stats)).toEqual(expect.arrayContaining(['crashes', 'crashesAfterPersist', 'partitions', 'lost', 'transfersObeyed']))
  })
})
