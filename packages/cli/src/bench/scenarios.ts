/**
 * The scenarios of `bench cluster` (issue #10), each against the figure it is
 * measured by. A scenario gets a running cluster and a client, and returns a
 * ScenarioResult; `met` says whether the measured figure reaches the target.
 */
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { ProducerConfig, Tributary } from '@tributary/client'
import { LatencyRecorder, result, type BenchResult } from '../bench-stats.js'
import { sleep } from '../runtime.js'
import type { LocalCluster } from './local-cluster.js'
import { consumeAll, createTopic, endToEnd, newBenchClient, produceFast, producePerRecord, roundTrips, type Throughput } from './workloads.js'

export interface Sizes {
  produceRf1Records: number
  produceRf3Records: number
  consumeBytes: number
  latencySeconds: number
  roundTrips: number
  memoryRecords: number
  startupBytes: number
}

/** Each size of a full run and of `--quick` (a smoke test, not a measurement), side by side. */
const SIZES: Record<keyof Sizes, readonly [full: number, quick: number]> = {
  produceRf1Records: [3_000_000, 20_000],
  produceRf3Records: [1_000_000, 10_000],
  consumeBytes: [1024 * 1024 * 1024, 2 * 1024 * 1024],
  latencySeconds: [10, 0.5],
  roundTrips: [3_000, 50],
  memoryRecords: [2_000_000, 20_000],
  startupBytes: [1024 * 1024 * 1024, 2 * 1024 * 1024],
}
const sizesOf = (column: 0 | 1): Sizes => Object.fromEntries(Object.entries(SIZES).map(([name, both]) => [name, both[column]])) as Record<keyof Sizes, number>

export const FULL: Sizes = sizesOf(0)
export const QUICK: Sizes = sizesOf(1)

export const VALUE_BYTES = 100
export const PARTITIONS = 3
const MiB = 1024 * 1024

export interface ScenarioResult extends Partial<BenchResult> {
  name: string
  target: string
  /** The headline figure, as printed in the table. */
  measured: string
  met: boolean
  details?: Record<string, number | string>
}

export interface Env {
  cluster: LocalCluster
  client: Tributary
  sizes: Sizes
  signal: AbortSignal
  /** Peak broker memory, in windows a scenario opens and closes with take(). */
  rss: RssSampler
}

/** Peak broker memory, sampled every `everyMs` while scenarios run. */
export class RssSampler {
  private total = 0
  private anon = 0
  private timer: ReturnType<typeof setInterval> | undefined
  constructor(private readonly cluster: LocalCluster, private readonly everyMs = 100) {}
  start(): void {
    this.timer = setInterval(() => this.sample(), this.everyMs)
    this.timer.unref()
  }
  sample(): void {
    for (const r of this.cluster.rss()) {
      this.total = Math.max(this.total, r.total)
      this.anon = Math.max(this.anon, r.anon)
    }
  }
  /** Peak VmRSS and RssAnon of any node since the last take, in MiB; starts a new window. */
  take(): { total: number; anon: number } {
    this.sample()
    const peak = { total: Math.round(this.total / MiB), anon: Math.round(this.anon / MiB) }
    this.total = this.anon = 0
    return peak
  }
  stop(): void {
    clearInterval(this.timer)
  }
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
const through = (t: Throughput): BenchResult => result(t.records, t.bytes, t.seconds, new LatencyRecorder())

/** A producer workload against a fresh topic, judged by records per second against `minRecordsPerSec`. */
async function producerScenario(
  env: Env,
  spec: { name: string; rf: number; records: number; minRecordsPerSec: number; perRecord: boolean; config: ProducerConfig; rssPeak?: boolean },
): Promise<ScenarioResult> {
  await createTopic(env.client, spec.name, PARTITIONS, spec.rf)
  if (spec.rssPeak) env.rss.take()
  const t = await (spec.perRecord ? producePerRecord : produceFast)(env.client, spec.name, spec.records, VALUE_BYTES, spec.config, env.signal)
  const r = through(t)
  const details: Record<string, number> = spec.rssPeak ? { brokerRssPeakMiB: env.rss.take().total } : {}
  details.clientCpuUsPerRecord = t.clientCpuUsPerRecord!
  return { name: spec.name, target: `>= ${fmt(spec.minRecordsPerSec)} rec/s`, measured: `${fmt(r.recordsPerSec)} rec/s`, met: r.recordsPerSec >= spec.minRecordsPerSec, ...r, latencyMs: undefined, details }
}

export const produceRf1 = (env: Env): Promise<ScenarioResult> =>
  producerScenario(env, { name: 'produce-rf1', rf: 1, records: env.sizes.produceRf1Records, minRecordsPerSec: 1_000_000, perRecord: false, config: { acks: 1, idempotent: false } })

export const produceRf3 = (env: Env): Promise<ScenarioResult> =>
  producerScenario(env, { name: 'produce-rf3', rf: 3, records: env.sizes.produceRf3Records, minRecordsPerSec: 300_000, perRecord: false, config: { acks: 'all', idempotent: true }, rssPeak: true })

/**
 * One send() per record, none awaited (how most applications produce): the same targets'
 * spirit as the batch path, from issue #22: >= 1,000,000 rec/s at RF 1 acks=1 and
 * >= 400,000 at RF 3 acks=all idempotent.
 */
export const perRecordRf1 = (env: Env): Promise<ScenarioResult> =>
  producerScenario(env, { name: 'per-record-rf1', rf: 1, records: env.sizes.produceRf1Records, minRecordsPerSec: 1_000_000, perRecord: true, config: { acks: 1, idempotent: false } })

export const perRecordRf3 = (env: Env): Promise<ScenarioResult> =>
  producerScenario(env, { name: 'per-record-rf3', rf: 3, records: env.sizes.produceRf3Records, minRecordsPerSec: 400_000, perRecord: true, config: { acks: 'all', idempotent: true } })

export async function consume(env: Env): Promise<ScenarioResult> {
  const topic = 'consume'
  await createTopic(env.client, topic, PARTITIONS, 3)
  const records = Math.ceil(env.sizes.consumeBytes / VALUE_BYTES)
  const seed = await produceFast(env.client, topic, records, VALUE_BYTES, { acks: 1, idempotent: false }, env.signal)
  const t = await consumeAll(env.client, topic, PARTITIONS, records, env.signal)
  const r = through(t)
  return {
    name: 'consume', target: '>= 1,500,000 rec/s', measured: `${fmt(r.recordsPerSec)} rec/s`, met: r.recordsPerSec >= 1_500_000, ...r, latencyMs: undefined,
    details: { logMiB: Math.round(env.sizes.consumeBytes / MiB), seedRecordsPerSec: Math.round(seed.records / seed.seconds) },
  }
}

async function latencyAt(env: Env, rate: number): Promise<ScenarioResult> {
  const topic = `latency-${rate}`
  await createTopic(env.client, topic, PARTITIONS, 3)
  const run = await endToEnd(env.client, topic, PARTITIONS, rate, env.sizes.latencySeconds, VALUE_BYTES, { acks: 'all', idempotent: true, lingerMs: 0 }, env.signal)
  const l = run.latency.summaryMs()
  const met = run.missing === 0 && l.p99 <= 5 && l.p999 <= 20
  return {
    name: `latency-${rate / 1000}k`, target: 'p99 <= 5 ms, p99.9 <= 20 ms', measured: `p50 ${l.p50} p99 ${l.p99} p99.9 ${l.p999} ms`, met,
    records: run.records, seconds: Math.round(run.seconds * 1000) / 1000, recordsPerSec: Math.round(run.records / run.seconds), latencyMs: l, details: { rate, missing: run.missing },
  }
}

export const latency10k = (env: Env): Promise<ScenarioResult> => latencyAt(env, 10_000)
export const latency100k = (env: Env): Promise<ScenarioResult> => latencyAt(env, 100_000)

export async function roundTrip(env: Env): Promise<ScenarioResult> {
  await createTopic(env.client, 'round-trip', 1, 3)
  const producer = env.client.producer({ acks: 'all', idempotent: true, lingerMs: 0 })
  try {
    await producer.connect()
    await roundTrips(producer, 'round-trip', 20, VALUE_BYTES, env.signal) // warm connections
    const start = performance.now()
    const lat = await roundTrips(producer, 'round-trip', env.sizes.roundTrips, VALUE_BYTES, env.signal)
    const l = lat.summaryMs()
    return { name: 'round-trip', target: 'p99 <= 2 ms', measured: `p50 ${l.p50} p99 ${l.p99} ms`, met: l.p99 <= 2, records: lat.count, seconds: Math.round(performance.now() - start) / 1000, latencyMs: l }
  } finally {
    await producer.close()
  }
}

/** Growth the second half of the stalled run may show over the first and still count as bounded. */
const BOUNDED_GROWTH = 1.15
/** The 200 MB, in decimal megabytes: 190.7 MiB. */
const RSS_TARGET_MIB = 200e6 / MiB

/**
 * Broker memory (issue #10): at most 200 MB resident during an RF 3, acks=all,
 * idempotent produce run; and bounded with a consumer that takes one batch and never
 * returns while an acks=1 producer sends as fast as it can (faster than the disk
 * syncs): the second half of that run may not need more memory than the first.
 * Runs before any scenario reads old data: LevelDB maps the table files it reads,
 * and VmRSS counts those page-cache pages too.
 */
export async function memory(env: Env): Promise<ScenarioResult> {
  await createTopic(env.client, 'memory-rf3', PARTITIONS, 3)
  env.rss.take()
  await produceFast(env.client, 'memory-rf3', env.sizes.produceRf3Records, VALUE_BYTES, { acks: 'all', idempotent: true }, env.signal)
  const rf3 = env.rss.take()

  const topic = 'memory-stalled'
  await createTopic(env.client, topic, PARTITIONS, 3)
  const stalled = env.client.consumer({})
  let release: () => void = () => {}
  const stuck = new Promise<void>((resolve) => (release = resolve))
  try {
    stalled.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition, offset: 0 })))
    void stalled.run({ eachBatch: () => stuck })
    const half = Math.ceil(env.sizes.memoryRecords / 2)
    const firehose = { acks: 1, idempotent: false } as const
    const t1 = await produceFast(env.client, topic, half, VALUE_BYTES, firehose, env.signal)
    const first = env.rss.take()
    const t2 = await produceFast(env.client, topic, half, VALUE_BYTES, firehose, env.signal)
    const second = env.rss.take()
    const bounded = second.total <= first.total * BOUNDED_GROWTH
    const seconds = t1.seconds + t2.seconds
    return {
      name: 'memory', target: `RSS <= 200 MB (${RSS_TARGET_MIB.toFixed(1)} MiB) in the RF 3 run; bounded when stalled`,
      measured: `RF 3 run: VmRSS ${rf3.total} MiB (RssAnon ${rf3.anon}); stalled: ${first.total} then ${second.total} MiB`,
      met: rf3.total <= RSS_TARGET_MIB && bounded,
      records: t1.records + t2.records, seconds: Math.round(seconds * 1000) / 1000, recordsPerSec: Math.round((t1.records + t2.records) / seconds),
      details: {
        rf3PeakMiB: rf3.total, rf3AnonPeakMiB: rf3.anon,
        stalledFirstHalfPeakMiB: first.total, stalledSecondHalfPeakMiB: second.total, stalledAnonPeakMiB: Math.max(first.anon, second.anon),
      },
    }
  } finally {
    release()
    await stalled.disconnect()
  }
}

/** kill -9 the leader of an acks=all partition mid-production; time until a send issued after the kill is acknowledged. */
export async function failover(env: Env): Promise<ScenarioResult> {
  const topic = 'failover'
  await createTopic(env.client, topic, 1, 3)
  // A client of its own with the SDK's default retries, as an application would have.
  const client = newBenchClient(env.cluster.bootstrap, 'bench-failover')
  const producer = client.producer({ acks: 'all', idempotent: true, lingerMs: 0 })
  try {
    await producer.connect()
    const value = new Uint8Array(VALUE_BYTES)
    let killedAt = -1
    let recoveredAt = -1
    let acked = 0
    const stop = new AbortController()
    const loop = (async () => {
      while (!stop.signal.aborted && !env.signal.aborted) {
        const t = performance.now()
        await producer.send({ topic, messages: [{ value }] })
        acked++
        if (killedAt >= 0 && t >= killedAt && recoveredAt < 0) recoveredAt = performance.now()
      }
    })()
    await sleep(500, env.signal)
    const leader = (await env.client.admin().describeTopic(topic)).partitions[0]!.leader
    const before = acked
    killedAt = performance.now()
    await env.cluster.kill(leader, 'SIGKILL')
    const deadline = performance.now() + 30_000
    while (recoveredAt < 0 && performance.now() < deadline && !env.signal.aborted) await sleep(5)
    await sleep(200)
    stop.abort()
    await loop
    const seconds = recoveredAt < 0 ? Number.NaN : (recoveredAt - killedAt) / 1000
    return {
      name: 'failover', target: 'writes again <= 3 s', measured: recoveredAt < 0 ? 'not recovered in 30 s' : `${seconds.toFixed(2)} s`, met: recoveredAt >= 0 && seconds <= 3,
      records: acked, seconds: Math.round(seconds * 1000) / 1000, details: { killedNode: leader, ackedBeforeKill: before },
    }
  } finally {
    await producer.close().catch(() => {})
    await client.close()
  }
}

/** Bytes under dir. A running broker's LevelDB deletes files as it goes: one gone between listing and stat counts 0. */
function dirBytes(dir: string): number {
  let n = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    n += e.isDirectory() ? dirBytes(p) : (statSync(p, { throwIfNoEntry: false })?.size ?? 0)
  }
  return n
}

/** A one-node cluster holding startupBytes of log: stop it, start it, time spawn → /readyz 200 (after SIGTERM and after kill -9). */
export async function startup(env: Env): Promise<ScenarioResult> {
  const topic = 'startup'
  await createTopic(env.client, topic, PARTITIONS, 1)
  const node = env.cluster.nodes[0]!
  const have = dirBytes(node.dataDir)
  // At least a few records of its own, so the scenario always writes something.
  const records = Math.max(1_000, Math.ceil((env.sizes.startupBytes - have) / VALUE_BYTES))
  await produceFast(env.client, topic, records, VALUE_BYTES, { acks: 1, idempotent: false }, env.signal)
  const timed = async (signal: NodeJS.Signals): Promise<number> => {
    await env.cluster.kill(node.id, signal)
    const t = performance.now()
    await env.cluster.spawn(node)
    await env.cluster.waitReady(node.id)
    return (performance.now() - t) / 1000
  }
  const clean = await timed('SIGTERM')
  const crash = await timed('SIGKILL')
  const dataMiB = Math.round(dirBytes(node.dataDir) / MiB)
  const worst = Math.max(clean, crash)
  return {
    name: 'startup', target: `ready <= 2 s with 1 GiB`, measured: `${clean.toFixed(2)} s clean, ${crash.toFixed(2)} s after kill -9 (${dataMiB} MiB)`, met: worst <= 2,
    seconds: Math.round(worst * 1000) / 1000, records: records, details: { dataMiB, readyAfterSigtermS: Math.round(clean * 1000) / 1000, readyAfterKillS: Math.round(crash * 1000) / 1000 },
  }
}
