/**
 * `tributary bench produce|consume|latency`, like kafka-producer-perf-test and
 * kafka-consumer-perf-test: records/s, MB/s and latency percentiles from an HDR
 * histogram; `--json` prints exactly one BenchResult object.
 *
 * - produce: send --records of --size bytes; latency = send() to acknowledgement.
 * - consume: read --records from the start of the topic (seeding it first if it
 *   holds fewer); latency = delivery time - the record's timestamp.
 * - latency: one producer and one consumer in this process; latency = the time
 *   from send() to delivery of the same record (end to end), at --rate.
 */
import type { Argv } from 'yargs'
import type { Tributary } from '@tributary/client'
import { ErrorCode } from '@tributary/protocol'
import { nonNegativeInt, parseAcks, parseBytes, positiveInt, type AcksFlag } from '../args.js'
import { clientFor } from '../connect.js'
import { printJson, println } from '../io.js'
import { LatencyRecorder, progress, renderResult, result, SharedReading, type BenchResult } from '../bench-stats.js'
import { aborted, runCommand, sleep, type Ctx, type Runtime } from '../runtime.js'
import { benchClusterHandler, benchClusterOptions } from './bench-cluster.js'

/** Consecutive records that share one reading of the clock (bench-stats SharedReading). */
const CLOCK_SHARED_RECORDS = 16

/** Records sent but not yet acknowledged; the loop waits beyond it. */
export const BENCH_PENDING_MAX = 16_384

interface BenchArgs {
  records: number
  size: string
  acks: string
  partitions: number
  replicationFactor: number
  rate: number
  topic: string
  lingerMs: number
}

export function benchCommand(y: Argv, rt: Runtime): Argv {
  const common = (c: Argv, defaults: { records: number; rate: number }): Argv =>
    c
      .option('records', { alias: 'n', type: 'string', default: defaults.records, describe: 'records to send / read' })
      .option('size', { alias: 's', type: 'string', default: '100', describe: 'record value size in bytes (100, 1k, 1m)' })
      .option('acks', { type: 'string', default: 'all', describe: '0, 1 or all' })
      .option('partitions', { type: 'string', default: 3, describe: 'partitions when the topic is created' })
      .option('replication-factor', { alias: 'r', type: 'string', default: -1, describe: 'replicas when the topic is created (-1: broker default)' })
      .option('rate', { type: 'string', default: defaults.rate, describe: 'records/s cap (-1: as fast as possible)' })
      .option('topic', { alias: 't', type: 'string', default: 'bench', describe: 'topic (created if missing)' })
      .option('linger-ms', { type: 'string', default: 5, describe: 'producer linger' })
  return y.command('bench', 'throughput and latency benchmarks (like kafka-*-perf-test)', (b) =>
    b
      .command('produce', 'producer throughput and acknowledgement latency', (c) => common(c, { records: 100_000, rate: -1 }), runCommand<BenchArgs>(rt, (a, ctx) => bench('produce', a, ctx)))
      .command('consume', 'consumer throughput from the start of the topic', (c) => common(c, { records: 100_000, rate: -1 }), runCommand<BenchArgs>(rt, (a, ctx) => bench('consume', a, ctx)))
      .command('latency', 'end-to-end latency: produce to consume', (c) => common(c, { records: 10_000, rate: 1_000 }), runCommand<BenchArgs>(rt, (a, ctx) => bench('latency', a, ctx)))
      .command('cluster', 'start local clusters and run every performance scenario', (c) => benchClusterOptions(c), benchClusterHandler(rt))
      .demandCommand(1, 'give a bench subcommand: produce, consume, latency or cluster'),
  )
}

interface Plan {
  records: number
  size: number
  acks: AcksFlag
  rate: number
  topic: string
  lingerMs: number
}

async function bench(kind: 'produce' | 'consume' | 'latency', a: BenchArgs, ctx: Ctx): Promise<void> {
  const plan: Plan = {
    records: positiveInt('records', a.records),
    size: parseBytes('size', a.size),
    acks: parseAcks(a.acks),
    rate: String(a.rate) === '-1' ? -1 : positiveInt('rate', a.rate),
    topic: a.topic,
    lingerMs: nonNegativeInt('linger-ms', a.lingerMs),
  }
  const partitions = positiveInt('partitions', a.partitions)
  const replicationFactor = String(a.replicationFactor) === '-1' ? -1 : positiveInt('replication-factor', a.replicationFactor)
  const client = clientFor(ctx, { clientId: `tributary-bench-${kind}` })
  await ensureTopic(client, plan.topic, partitions, replicationFactor, ctx.timeoutMs)
  const r = kind === 'produce' ? await benchProduce(client, plan, ctx) : kind === 'consume' ? await benchConsume(client, plan, ctx) : await benchLatency(client, plan, ctx)
  if (ctx.json) printJson(ctx.io, r)
  else println(ctx.io, renderResult(kind, r))
}

async function ensureTopic(client: Tributary, topic: string, partitions: number, replicationFactor: number, timeoutMs: number): Promise<void> {
  const admin = client.admin()
  try {
    await admin.createTopic({ topic, partitions, replicationFactor, timeoutMs })
  } catch (err) {
    if ((err as { code?: number }).code !== ErrorCode.TOPIC_ALREADY_EXISTS) throw err
  }
}

/** Wait so that record i goes out no earlier than start + i / rate. */
async function pace(i: number, startMs: number, rate: number, signal: AbortSignal): Promise<void> {
  if (rate <= 0) return
  const due = startMs + (i * 1000) / rate
  const wait = due - performance.now()
  if (wait >= 1) await sleep(wait, signal)
}

function payload(size: number): Uint8Array {
  const b = new Uint8Array(size)
  for (let i = 0; i < size; i++) b[i] = 65 + (i % 26) // printable, and not trivially compressible to nothing
  return b
}

/**
 * One send() per record, as applications produce, at most BENCH_PENDING_MAX unacknowledged.
 * The loop itself stays cheap (no await per record unless paced, counters instead of a
 * set of promises), so the figure is the producer's, as `bench cluster`'s per-record
 * scenario measures it. Latency is from send() to acknowledgement, timed with shared clock
 * readings (see the loop).
 */
async function produceRecords(
  client: Tributary,
  plan: Plan,
  ctx: Ctx,
  onAck: (latencyMs: number) => void,
  label: string,
  valueFor?: (i: number) => Uint8Array,
): Promise<{ sent: number; bytes: number; seconds: number }> {
  const producer = client.producer({ acks: plan.acks, idempotent: plan.acks === 'all', lingerMs: plan.lingerMs })
  ctx.defer(() => producer.close())
  await producer.connect()
  const value = payload(plan.size)
  const bar = progress(ctx.json ? null : ctx.io.stderr, plan.records, label)
  let failure: unknown
  let acked = 0
  let settled = 0
  let bytes = 0
  let wake: (() => void) | undefined
  // Cleared when called: resolving a settled promise again still costs V8 a callback.
  const wakeLoop = (): void => {
    const w = wake
    wake = undefined
    w?.()
  }
  const failed = (err: unknown): void => {
    failure ??= err
    settled++
    wakeLoop()
  }
  const room = (): Promise<void> => new Promise<void>((resolve) => (wake = resolve))
  // Send and acknowledgement times are shared readings (SharedReading), and sends that share
  // one share their callback: the loop then costs little beside the producer's own work.
  const sendClock = new SharedReading(CLOCK_SHARED_RECORDS)
  const ackClock = new SharedReading(CLOCK_SHARED_RECORDS)
  const ackedSince = (sentAt: number) => (): void => {
    onAck(ackClock.now() - sentAt)
    acked++
    settled++
    if ((acked & 1023) === 0) bar.update(acked)
    wakeLoop()
  }
  let onSent = ackedSince(0) // replaced at the first send, whose reading is always fresh
  const start = performance.now()
  let i = 0
  for (; i < plan.records && !ctx.signal.aborted && failure === undefined; i++) {
    if (plan.rate > 0) await pace(i, start, plan.rate, ctx.signal)
    const v = valueFor ? valueFor(i) : value
    const sentAt = sendClock.now()
    if (sendClock.fresh) onSent = ackedSince(sentAt)
    producer.send({ topic: plan.topic, messages: [{ value: v }] }).then(onSent, failed)
    bytes += v.byteLength
    while (i + 1 - settled >= BENCH_PENDING_MAX) await room()
  }
  while (settled < i) await room()
  const seconds = (performance.now() - start) / 1000
  bar.update(acked)
  bar.stop()
  if (failure) throw failure
  return { sent: acked, bytes, seconds }
}

async function benchProduce(client: Tributary, plan: Plan, ctx: Ctx): Promise<BenchResult> {
  const lat = new LatencyRecorder()
  const r = await produceRecords(client, plan, ctx, (ms) => lat.recordMs(ms), 'produce')
  return result(r.sent, r.bytes, r.seconds, lat)
}

async function topicRecordCount(client: Tributary, topic: string): Promise<number> {
  const offsets = await client.admin().fetchTopicOffsets(topic)
  return offsets.reduce((n, o) => n + Math.max(0, o.high - o.low), 0)
}

async function benchConsume(client: Tributary, plan: Plan, ctx: Ctx): Promise<BenchResult> {
  const have = await topicRecordCount(client, plan.topic)
  if (have < plan.records) {
    if (!ctx.json) ctx.io.stderr.write(`seeding ${plan.records - have} records of ${plan.size} bytes into ${plan.topic}\n`)
    await produceRecords(client, { ...plan, records: plan.records - have, rate: -1 }, ctx, () => {}, 'seed')
  }
  const consumer = client.consumer({ fromBeginning: true })
  ctx.defer(() => consumer.disconnect())
  await consumer.subscribe({ topics: [plan.topic], fromBeginning: true })
  const lat = new LatencyRecorder()
  const bar = progress(ctx.json ? null : ctx.io.stderr, plan.records, 'consume')
  const it = consumer[Symbol.asyncIterator]()
  const stop = aborted(ctx.signal).then(() => ({ done: true as const, value: undefined }))
  let records = 0
  let bytes = 0
  const start = performance.now()
  while (records < plan.records) {
    const r = await Promise.race([it.next(), stop])
    if (r.done) break
    const now = Date.now()
    if (r.value.timestamp > 0) lat.recordMs(Math.max(0, now - r.value.timestamp))
    records++
    bytes += r.value.value?.byteLength ?? 0
    if ((records & 1023) === 0) bar.update(records)
  }
  const seconds = (performance.now() - start) / 1000
  bar.update(records)
  bar.stop()
  await it.return?.()
  return result(records, bytes, seconds, lat)
}

/** Latency values carry their sequence number in the first bytes: `<seq> `. */
function sequenced(size: number): (i: number) => Uint8Array {
  const filler = payload(Math.max(size, 12))
  return (i) => {
    const v = filler.slice()
    const tag = Buffer.from(`${i} `)
    v.set(tag.subarray(0, Math.min(tag.length, v.length)))
    return v
  }
}

function sequenceOf(value: Uint8Array | null): number {
  if (!value) return -1
  const end = value.indexOf(32)
  return end <= 0 ? -1 : Number(Buffer.from(value.subarray(0, end)).toString())
}

async function benchLatency(client: Tributary, plan: Plan, ctx: Ctx): Promise<BenchResult> {
  // Start reading at today's end of every partition before the first send, so no record is missed.
  const ends = await client.admin().fetchTopicOffsets(plan.topic)
  const consumer = client.consumer({})
  ctx.defer(() => consumer.disconnect())
  consumer.assign(ends.map((e) => ({ topic: plan.topic, partition: e.partition, offset: e.high })))
  const sentAt = new Float64Array(plan.records).fill(-1)
  const lat = new LatencyRecorder()
  let received = 0
  let bytes = 0
  const it = consumer[Symbol.asyncIterator]()
  const stopAll = new AbortController()
  ctx.signal.addEventListener('abort', () => stopAll.abort(), { once: true })
  const stop = aborted(stopAll.signal).then(() => ({ done: true as const, value: undefined }))
  const reading = (async () => {
    while (received < plan.records) {
      const r = await Promise.race([it.next(), stop])
      if (r.done) return
      const seq = sequenceOf(r.value.value)
      if (seq < 0 || seq >= plan.records || sentAt[seq]! < 0) continue // not ours (an earlier run's record)
      lat.recordMs(performance.now() - sentAt[seq]!)
      sentAt[seq] = -1
      received++
      bytes += r.value.value?.byteLength ?? 0
    }
  })()
  const value = sequenced(plan.size)
  const start = performance.now()
  const values = (i: number): Uint8Array => {
    sentAt[i] = performance.now()
    return value(i)
  }
  const produced = await produceRecords(client, plan, ctx, () => {}, 'latency', values)
  // Everything is sent: give the stragglers up to --timeout to arrive.
  const timer = setTimeout(() => stopAll.abort(), ctx.timeoutMs)
  await reading
  clearTimeout(timer)
  const seconds = (performance.now() - start) / 1000
  await it.return?.()
  if (received < produced.sent && !ctx.signal.aborted) {
    ctx.io.stderr.write(`warning: ${produced.sent - received} of ${produced.sent} records did not arrive within ${ctx.timeoutMs} ms\n`)
  }
  return result(received, bytes, seconds, lat)
}
