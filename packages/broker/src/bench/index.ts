/**
 * In-process data-plane throughput: three ReplicaManagers over MemoryLogStore,
 * msgpack round trips but no sockets — what the replication code itself costs.
 * Run by the root `npm run bench` (node packages/broker/dist/bench/index.js).
 */
import { encodeRecordBatch } from '@tributary/protocol'
import { SIM_REPLICA_CONFIG, SimCluster, waitFor } from '../replication/sim-cluster.js'
import { produce } from '../replication/sim-client.js'

const RECORDS_PER_BATCH = 1000
const BATCHES = Number(process.env.TRIBUTARY_BENCH_BATCHES ?? 1000)
const IN_FLIGHT = 16

async function main(): Promise<void> {
  const c = new SimCluster([1, 2, 3], { ...SIM_REPLICA_CONFIG, replicaFetchMaxBytes: 8 << 20 })
  await c.startAll()
  try {
    c.createTopic('t', [[1, 2, 3]])
    await waitFor(() => c.manager(1).isLeader('t', 0), 2000, 'leader')
    const payload = 'p'.repeat(100)
    const batches = Array.from({ length: BATCHES }, () => encodeRecordBatch(Array.from({ length: RECORDS_PER_BATCH }, () => ({ value: payload }))))
    const bytes = batches.reduce((n, b) => n + b.length, 0)
    let next = 0
    const started = performance.now()
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (next < batches.length) {
        const r = await produce(c, 1, 't', 0, batches[next++]!)
        if (!r || r.errorCode !== 0) throw new Error(`produce failed: ${JSON.stringify(r)}`)
      }
    }))
    const seconds = (performance.now() - started) / 1000
    const records = BATCHES * RECORDS_PER_BATCH
    const result = { bench: 'replication-in-process-rf3-acks-all', records, bytes, seconds, recordsPerSec: Math.round(records / seconds), mbPerSec: +(bytes / 1e6 / seconds).toFixed(1) }
    console.log(`replication (in-process, RF 3, acks=all, ${RECORDS_PER_BATCH}-record batches, ${IN_FLIGHT} in flight)`)
    console.log(`  ${records.toLocaleString()} records  ${(bytes / 1e6).toFixed(0)} MB  ${seconds.toFixed(2)} s  ${result.recordsPerSec.toLocaleString()} records/s  ${result.mbPerSec} MB/s`)
    console.log(JSON.stringify(result))
  } finally {
    await c.stopAll()
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
