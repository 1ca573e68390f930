/**
 * What one partition costs a broker in memory (README "Scale: memory"): one
 * ReplicaManager over a real LevelDB, N partitions created (idle), then written
 * (active: 3 idempotent batches of 10 × 100 B from 2 producers each), then the
 * tail caches released as an idle sweep would; and what one partition in a
 * fetch session costs. Heap plus array buffers after full GCs, per partition.
 *
 *   node --expose-gc packages/broker/dist/bench/partition-memory.js [partitions]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openLevelStorage } from '@tributary/storage'
import { FetchSessionCache } from '../replication/fetch-session-cache.js'
import { PRODUCER_BATCHES_KEPT, ProducerStateTable } from '../replication/producer-state.js'
import { batchOf, produce } from '../replication/sim-client.js'
import { SIM_REPLICA_CONFIG, SimCluster, SimNode, waitFor } from '../replication/sim-cluster.js'

const PARTITIONS = Number(process.argv[2] ?? 2000)
const SESSION_PARTITIONS = 100_000
const PRODUCE_IN_FLIGHT = 200
const VALUE = 'v'.repeat(100)

const gc = (globalThis as { gc?: () => void }).gc
/** Heap used plus array buffers, after full collections. */
function held(): number {
  for (let i = 0; i < 4; i++) gc!()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

async function writeEvery(c: SimCluster): Promise<void> {
  for (let round = 0; round < 3; round++) {
    const batch = (): Uint8Array => batchOf(Array(10).fill(VALUE), { producerId: 1000 + (round % 2), producerEpoch: 0, baseSequence: round < 2 ? 0 : 10 })
    for (let p0 = 0; p0 < PARTITIONS; p0 += PRODUCE_IN_FLIGHT) {
      const parts = Array.from({ length: Math.min(PRODUCE_IN_FLIGHT, PARTITIONS - p0) }, (_, i) => p0 + i)
      const answers = await Promise.all(parts.map((p) => produce(c, 1, 't', p, batch(), { acks: 1 })))
      if (answers.some((a) => a?.errorCode !== 0)) throw new Error('a produce failed')
    }
  }
}

async function partitionCosts(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'partition-memory-'))
  const storage = await openLevelStorage(dir)
  const c = new SimCluster([1], { ...SIM_REPLICA_CONFIG, tailCacheIdleMs: 0 })
  c.nodes.set(1, new SimNode(1, storage.logs as never))
  try {
    await c.startAll()
    const m = c.manager(1)
    const empty = held()
    c.createTopic('t', Array.from({ length: PARTITIONS }, () => [1]))
    await waitFor(() => Array.from({ length: PARTITIONS }, (_, p) => p).every((p) => m.isLeader('t', p)), 300_000, 'leaders')
    const idle = held()
    await writeEvery(c)
    await waitFor(() => storage.logs.tailCacheUsage().usedBytes > 0, 10_000, 'cached batches')
    const active = held()
    const cached = storage.logs.tailCacheUsage().usedBytes
    storage.logs.releaseIdleTailCaches()
    storage.logs.releaseIdleTailCaches() // the second sweep finds every partition idle
    const released = held()
    const per = (bytes: number): number => Math.round(bytes / PARTITIONS)
    console.log(`partition memory (${PARTITIONS.toLocaleString()} partitions, one broker, LevelDB)`)
    console.log(`  idle:     ${per(idle - empty)} B per partition`)
    console.log(`  active:   ${per(active - empty)} B per partition (tail cache ${per(cached)} B of it)`)
    console.log(`  released: ${per(released - empty)} B per partition (tail cache given back; producer state, stats and epochs stay)`)
    console.log(JSON.stringify({ bench: 'partition-memory', partitions: PARTITIONS, idleBytes: per(idle - empty), activeBytes: per(active - empty), tailCacheBytes: per(cached), releasedBytes: per(released - empty) }))
  } finally {
    await c.stopAll()
    await storage.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

function sessionCost(): void {
  const cache = new FetchSessionCache({ slotsMax: 1, partitionsMax: SESSION_PARTITIONS, idleMs: 60_000 })
  const before = held()
  // decoded request partitions become the session's entries: count them too
  const topics = Array.from({ length: SESSION_PARTITIONS / 1000 }, (_, t) => ({
    topic: `topic-${String(t).padStart(4, '0')}`,
    partitions: Array.from({ length: 1000 }, (_, partition) => ({ partition, fetchOffset: 123_456, currentLeaderEpoch: 3, lastFetchedEpoch: 3, partitionMaxBytes: 1 << 20 })),
  }))
  cache.resolve({ replicaId: 2, maxWaitMs: 0, minBytes: 0, maxBytes: 1, sessionId: 0, sessionEpoch: 0, topics }, new AbortController().signal, 0)
  topics.length = 0
  const bytes = held() - before
  console.log(`fetch session: ${Math.round(bytes / cache.cachedPartitions)} B per cached partition (${cache.cachedPartitions.toLocaleString()} partitions)`)
}

function producerCost(): void {
  const producers = 100_000
  const before = held()
  const table = new ProducerStateTable()
  for (let pid = 0; pid < producers; pid++) {
    for (let b = 0; b < PRODUCER_BATCHES_KEPT; b++) {
      table.record({ producerId: pid, producerEpoch: 0, baseSequence: b * 10, lastOffsetDelta: 9, maxTimestamp: 0 } as never, b * 10, 0)
    }
  }
  const bytes = held() - before
  console.log(`producer state: ${Math.round(bytes / table.size)} B per producer entry with ${PRODUCER_BATCHES_KEPT} batches (${table.size.toLocaleString()} entries)`)
}

async function main(): Promise<void> {
  if (gc === undefined) throw new Error('run with node --expose-gc')
  await partitionCosts()
  sessionCost()
  producerCost()
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
