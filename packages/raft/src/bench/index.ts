/**
 * npm run bench (raft part): committed proposals/second through an in-memory 3-node
 * cluster (no disk, no network: the cost of the state machine itself, batched the
 * way the driving loop batches — every proposal between two Readys travels in one
 * append), then simulator speed (simulated ticks/second, seeds/minute).
 */
import { TestCluster } from '../testing/cluster.js'
import { runSimulation } from '../sim/simulation.js'

const ENTRY_BYTES = 16
const BATCH = 1000
const THROUGHPUT_SECONDS = 3
const SIM_SECONDS = 5
/** Snapshot and drop the log every this many entries, so memory stays bounded. */
const COMPACT_EVERY_ENTRIES = 200_000

function throughput(): { entries: number; seconds: number; perSecond: number } {
  const c = new TestCluster([1, 2, 3])
  c.recordApplied = false
  const leader = c.elect(1)
  c.deliverAll()
  const payload = new Uint8Array(ENTRY_BYTES)
  const started = performance.now()
  const appliedAtStart = c.appliedCount
  let lastCompact = 0
  let rounds = 0
  while (performance.now() - started < THROUGHPUT_SECONDS * 1000) {
    for (let i = 0; i < BATCH; i++) {
      const r = leader.propose(payload)
      if (!r.ok) throw new Error(`propose failed: ${r.code}`)
    }
    c.deliverAll()
    if (++rounds % 20 === 0) c.tick(1)
    const applied = leader.appliedIndex
    if (applied - lastCompact >= COMPACT_EVERY_ENTRIES) {
      for (const id of [1, 2, 3]) {
        const n = c.node(id)
        const snap = n.compact(n.appliedIndex, new Uint8Array(0))
        if (snap.ok) c.storages.get(id)!.createSnapshot(snap.value)
      }
      lastCompact = applied
    }
  }
  c.tick(1)
  c.deliverAll()
  const seconds = (performance.now() - started) / 1000
  // Entries applied on all three nodes / 3 = committed entries applied cluster-wide.
  const entries = Math.floor((c.appliedCount - appliedAtStart) / 3)
  return { entries, seconds, perSecond: Math.round(entries / seconds) }
}

function simulator(voters: number): { seeds: number; ticks: number; seconds: number; ticksPerSecond: number; seedsPerMinute: number } {
  const started = performance.now()
  let seeds = 0
  let ticks = 0
  while (performance.now() - started < SIM_SECONDS * 1000) {
    const r = runSimulation({ seed: ++seeds, voters })
    if (!r.ok) throw new Error(`simulation seed ${seeds} failed: ${r.failure}`)
    ticks += r.stats.ticks
  }
  const seconds = (performance.now() - started) / 1000
  return { seeds, ticks, seconds, ticksPerSecond: Math.round(ticks / seconds), seedsPerMinute: Math.round((seeds / seconds) * 60) }
}

const t = throughput()
const s3 = simulator(3)
const s5 = simulator(5)
const rows: [string, string][] = [
  ['raft: committed entries/s (3 nodes, in-memory, 16 B, batches of 1000)', t.perSecond.toLocaleString('en-US')],
  ['raft: simulated ticks/s (3 voters, faults on)', s3.ticksPerSecond.toLocaleString('en-US')],
  ['raft: simulation seeds/min (3 voters)', s3.seedsPerMinute.toLocaleString('en-US')],
  ['raft: simulated ticks/s (5 voters, faults on)', s5.ticksPerSecond.toLocaleString('en-US')],
  ['raft: simulation seeds/min (5 voters)', s5.seedsPerMinute.toLocaleString('en-US')],
]
const width = Math.max(...rows.map(([k]) => k.length))
console.log(`${'benchmark'.padEnd(width)}  result`)
console.log(`${'-'.repeat(width)}  ${'-'.repeat(12)}`)
for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v.padStart(12)}`)
console.log(
  JSON.stringify({
    bench: 'raft',
    committedEntriesPerSec: t.perSecond,
    committedEntries: t.entries,
    entryBytes: ENTRY_BYTES,
    sim3: { ticksPerSec: s3.ticksPerSecond, seedsPerMin: s3.seedsPerMinute },
    sim5: { ticksPerSec: s5.ticksPerSecond, seedsPerMin: s5.seedsPerMinute },
  }),
)
