/** Client-side cost per record against an instant in-memory fake (no network, trivial broker). */
import { FakeCluster } from './fake-cluster.js'
import { fakeClient } from './helpers.js'

const fake = new FakeCluster(1)
fake.createTopic('b', 1)
const client = fakeClient(fake)
const producer = client.producer({ lingerMs: 5 })
await producer.connect()
const B = Number(process.env.B ?? 1)
const N = Number(process.env.N ?? 200_000)
const value = new Uint8Array(100).fill(65)
const pending = new Set<Promise<unknown>>()
const c0 = process.cpuUsage()
const t0 = performance.now()
for (let i = 0; i < N; i++) {
  const p = producer.send({ topic: "b", messages: B > 1 ? Array.from({ length: B }, () => ({ value })) : [{ value }] }); i += B - 1
  pending.add(p)
  void p.finally(() => pending.delete(p))
  if (pending.size >= 10_000) await Promise.race(pending)
}
await Promise.all(pending)
const s = (performance.now() - t0) / 1000
const cu = process.cpuUsage(c0)
console.log(`${N} sends in ${s.toFixed(2)} s: ${(N / s).toFixed(0)} rec/s, cpu ${((cu.user + cu.system) / 1000 / N * 1000).toFixed(2)} us/record`)
await client.close()
