/**
 * Data-plane throughput with real brokers; skipped unless TRIBUTARY_BENCH=1.
 * TRIBUTARY_BENCH_PROFILE=dir writes broker CPU profiles there (stopped with SIGTERM).
 */
import { ApiKey, ErrorCode, encodeRecordBatch, type RpcConnection } from '@tributary/protocol'
import { rpc, startCluster, type TestCluster } from './cluster.js'

const enabled = process.env.TRIBUTARY_BENCH === '1'
const profileDir = process.env.TRIBUTARY_BENCH_PROFILE
const maybe = enabled ? test : test.skip

let cluster: TestCluster | undefined

afterAll(async () => {
  if (cluster && profileDir) for (const n of cluster.nodes) await cluster.kill(n.nodeId, 'SIGTERM')
  await cluster?.stop()
})

async function run(c: RpcConnection, topic: string, acks: -1 | 1, batches: Uint8Array[], inFlight: number): Promise<number> {
  let next = 0
  const started = performance.now()
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < batches.length) {
      const i = next++
      const r = await c.request(ApiKey.Produce, { acks, timeoutMs: 30_000, topics: [{ topic, partitions: [{ partition: 0, records: batches[i] }] }] })
      const code = r.errorCode || r.body.topics[0].partitions[0].errorCode
      if (code !== ErrorCode.NONE) throw new Error(`produce error ${code}`)
    }
  }))
  return (performance.now() - started) / 1000
}

maybe('produce throughput, RF 3 acks=all and RF 1 acks=1', async () => {
  cluster = await startCluster({ nodes: 3, logLevel: 'warn', env: profileDir ? { NODE_OPTIONS: `--import=${profileDir}/preload.mjs` } : {} })
  const recordsPerBatch = Number(process.env.TRIBUTARY_BENCH_BATCH ?? 1000)
  const total = Number(process.env.TRIBUTARY_BENCH_RECORDS ?? 1_000_000)
  const inFlight = Number(process.env.TRIBUTARY_BENCH_INFLIGHT ?? 16)
  const payload = 'p'.repeat(100)
  const batches = Array.from({ length: total / recordsPerBatch }, () => encodeRecordBatch(Array.from({ length: recordsPerBatch }, () => ({ value: payload }))))
  const bytes = batches.reduce((n, b) => n + b.length, 0)
  for (const [topic, rf, acks] of [['rf3', 3, -1], ['rf1', 1, 1]] as const) {
    const r = await cluster.request(1, ApiKey.CreateTopics, { topics: [{ name: topic, numPartitions: 1, replicationFactor: rf, configs: {} }], timeoutMs: 10_000 })
    expect(r.body.topics[0].errorCode).toBe(0)
    const leader = await cluster.waitFor(async () => {
      const m = await cluster!.metadata(1)
      const l = m.topics.find((t) => t.name === topic)?.partitions[0]?.leader ?? -1
      return l > 0 ? l : undefined
    })
    const c = await rpc(cluster.node(leader).url, { requestTimeoutMs: 60_000 })
    await cluster.waitFor(async () => {
      const lo = await c.request(ApiKey.ListOffsets, { replicaId: -1, topics: [{ topic, partitions: [{ partition: 0, timestamp: -1 }] }] })
      return lo.body.topics[0].partitions[0].errorCode === 0
    }, { message: 'the leader serves' })
    const seconds = await run(c, topic, acks, batches, inFlight)
    c.close()
    console.log(`RF ${rf} acks=${acks}: ${total} records x ${payload.length} B, ${(bytes / 1e6).toFixed(0)} MB in ${seconds.toFixed(2)} s = ${Math.round(total / seconds)} records/s, ${(bytes / 1e6 / seconds).toFixed(1)} MB/s (batches of ${recordsPerBatch}, ${inFlight} in flight)`)
  }
}, 600_000)
