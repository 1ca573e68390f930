/**
 * In-process data-plane throughput (three ReplicaManagers, MemoryLogStore, msgpack
 * round trips but no sockets): what the replication code itself costs. Skipped
 * unless TRIBUTARY_BENCH=1.
 */
import { afterAll, expect, it } from '@jest/globals'
import { encodeRecordBatch } from '@tributary/protocol'
import { SIM_REPLICA_CONFIG, SimCluster, waitFor } from './sim-cluster.js'
import { produce } from './sim-client.js'

const maybe = process.env.TRIBUTARY_BENCH === '1' ? it : it.skip
let c: SimCluster | undefined

afterAll(async () => {
  await c?.stopAll()
})

maybe('RF 3 acks=all in-process throughput', async () => {
  c = new SimCluster([1, 2, 3], { ...SIM_REPLICA_CONFIG, replicaFetchMaxBytes: 8 << 20 })
  await c.startAll()
  c.createTopic('t', [[1, 2, 3]])
  await waitFor(() => c!.manager(1).isLeader('t', 0), 2000, 'leader')
  const payload = 'p'.repeat(100)
  const batches = Array.from({ length: 1000 }, () => encodeRecordBatch(Array.from({ length: 1000 }, () => ({ value: payload }))))
  const bytes = batches.reduce((n, b) => n + b.length, 0)
  let next = 0
  const started = performance.now()
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < batches.length) {
      const r = await produce(c!, 1, 't', 0, batches[next++]!)
      expect(r!.errorCode).toBe(0)
    }
  }))
  const s = (performance.now() - started) / 1000
  console.log(`in-process RF3 acks=all: 1,000,000 records, ${(bytes / 1e6).toFixed(0)} MB in ${s.toFixed(2)} s = ${Math.round(1e6 / s)} records/s, ${(bytes / 1e6 / s).toFixed(1)} MB/s`)
}, 300_000)
