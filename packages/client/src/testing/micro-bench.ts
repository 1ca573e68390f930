/**
 * Client-side cost per record against an instant in-memory fake (no network, trivial broker).
 * B=1 (default): one send() per record, none awaited, at most PENDING unacknowledged, counted
 * as `bench cluster`'s per-record scenario counts them (workloads.ts producePerRecord); B>1: B
 * messages per send. The fake's own work (decoding, CRC check, storing) is in the figure.
 *
 *   npx esbuild packages/client/src/testing/micro-bench.ts --bundle --platform=node --format=esm \
 *     --external:@node-rs/crc32 --outfile=node_modules/.cache/micro-bench.mjs
 *   node --trace-gc-nvp node_modules/.cache/micro-bench.mjs   # GC: allocated= and pause= per scavenge
 */
import { FakeCluster } from './fake-cluster.js'
import { fakeClient } from './helpers.js'

const fake = new FakeCluster(1)
fake.createTopic('b', 3)
const client = fakeClient(fake)
const producer = client.producer({ acks: 1, idempotent: false })
await producer.connect()
const B = Number(process.env.B ?? 1)
const N = Number(process.env.N ?? 1_000_000)
const PENDING = Number(process.env.PENDING ?? 16_384)
const value = new Uint8Array(100).fill(65)
let settled = 0
let wake: (() => void) | undefined
const done = (): void => {
  settled += B
  const w = wake
  wake = undefined
  w?.()
}
const room = (): Promise<void> => new Promise<void>((resolve) => (wake = resolve))
const messages = Array.from({ length: B }, () => ({ value }))
const c0 = process.cpuUsage()
const t0 = performance.now()
let sent = 0
while (sent < N) {
  void producer.send({ topic: 'b', messages: B > 1 ? messages : [{ value }] }).then(done, done)
  sent += B
  while (sent - settled >= PENDING) await room()
}
while (settled < sent) await room()
const s = (performance.now() - t0) / 1000
const cu = process.cpuUsage(c0)
console.log(`B=${B} ${sent} records in ${s.toFixed(2)} s: ${(sent / s).toFixed(0)} rec/s, cpu ${((cu.user + cu.system) / sent).toFixed(3)} us/record`)
await client.close()
