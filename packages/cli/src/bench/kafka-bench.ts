/**
 * `tributary bench cluster --kafka`: the Kafka listener against the SDK's own
 * protocol, on one 3-node cluster in one run. Produce RF 1 (acks=1), produce
 * RF 3 (acks=all, idempotent) and consume, each driven by the Tributary SDK,
 * by librdkafka (Debian's kcat: C, fast enough not to be the bound) and by
 * KafkaJS; the figure judged is librdkafka's share of the SDK's (goal >= 80 %).
 * KafkaJS's is printed beside it: a client's own speed is not the broker's.
 * A client that is not installed (kcat on PATH; kafkajs, a devDependency of
 * the repository) is reported and left out.
 */
import { spawn, spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Tributary } from '@tributary/client'
import { freePort, LocalCluster } from './local-cluster.js'
import { PARTITIONS, VALUE_BYTES, type ScenarioResult } from './scenarios.js'
import { consumeAll, createTopic, newBenchClient, produceFast, type Throughput } from './workloads.js'

export const KAFKA_RATIO_TARGET = 0.8

export interface KafkaBenchSizes { rf1Records: number; rf3Records: number; kafkajsRecords: number }
export const KAFKA_FULL: KafkaBenchSizes = { rf1Records: 1_000_000, rf3Records: 500_000, kafkajsRecords: 200_000 }
export const KAFKA_QUICK: KafkaBenchSizes = { rf1Records: 20_000, rf3Records: 10_000, kafkajsRecords: 5_000 }

/** KafkaJS sends this many records per call, this many calls in flight (as the SDK workload). */
const KAFKAJS_BATCH = 1_000
const KAFKAJS_IN_FLIGHT = 8
/** librdkafka: batches as large as the SDK's, a short linger (its defaults favour latency). */
const RDKAFKA_PRODUCE = ['-X', 'linger.ms=5', '-X', 'batch.num.messages=10000', '-X', 'queue.buffering.max.messages=1000000', '-X', 'queue.buffering.max.kbytes=1048576']

/**
 * librdkafka reading from offset 0, as the SDK's consumer is assigned (the topic is new: offset 0 is its start),
 * printing nothing (`-f ''`: the figure is the reading, not kcat's formatting). Not `-o beginning`: that is a
 * ListOffsets per partition first, and librdkafka 2.0.2's simple consumer retries that query on a 500 ms timer
 * when a partition has not yet joined its broker's thread; traces showed two of three partitions starting
 * 0.5-0.6 s late, a third of a run or more (docs/kafka.md, Performance).
 */
const RDKAFKA_CONSUME = ['-o', '0', '-e', '-q', '-f', '']

type Client = 'SDK' | 'librdkafka' | 'KafkaJS'
interface Case { scenario: 'produce-rf1' | 'produce-rf3' | 'consume'; rf: number; acks: 1 | -1 }
const CASES: Case[] = [{ scenario: 'produce-rf1', rf: 1, acks: 1 }, { scenario: 'produce-rf3', rf: 3, acks: -1 }]

export async function kafkaComparisonBench(o: { sizes: KafkaBenchSizes; execArgv: string[]; signal: AbortSignal; log: (line: string) => void }): Promise<ScenarioResult[]> {
  const kcat = spawnSync('sh', ['-c', 'command -v kcat'], { encoding: 'utf8' }).stdout.trim() || null
  if (!kcat) o.log('  librdkafka left out: kcat is not on PATH (Debian: apt-get install -y kcat)')
  const kafkajs = loadKafkajs()
  if (!kafkajs) o.log('  KafkaJS left out: the kafkajs package is not installed')
  const ports = await distinctFreePorts(3)
  const brokers = ports.map((p) => `127.0.0.1:${p}`)
  o.log('starting a 3-node plaintext cluster with Kafka listeners')
  const cluster = await LocalCluster.start({ nodes: 3, execArgv: o.execArgv, nodeArgs: (id) => ['--kafka-listen', brokers[id - 1]!] })
  const client = newBenchClient(cluster.bootstrap, 'bench-kafka')
  const dir = await mkdtemp(join(tmpdir(), 'tributary-bench-kafka-'))
  const rows: ScenarioResult[] = []
  const record = (c: Case | { scenario: 'consume' }, who: Client, t: Measured): number => {
    const perSec = t.records / t.seconds
    o.log(`  ${c.scenario} (${who}): ${fmt(perSec)} rec/s (CPU per record: brokers ${t.brokerCpuUsPerRecord} us, client ${t.clientCpuUsPerRecord} us)`)
    rows.push({
      name: `kafka ${c.scenario} (${who})`, target: '-', measured: `${fmt(perSec)} rec/s`, met: true, records: t.records, seconds: t.seconds, recordsPerSec: Math.round(perSec),
      details: { brokerCpuUsPerRecord: t.brokerCpuUsPerRecord, clientCpuUsPerRecord: t.clientCpuUsPerRecord },
    })
    return perSec
  }
  const cpu = (run: () => Promise<ClientRun>): Promise<Measured> => withCpu(cluster, run)
  try {
    for (const c of CASES) {
      if (o.signal.aborted) break
      const records = c.rf === 1 ? o.sizes.rf1Records : o.sizes.rf3Records
      const sdkTopic = `sdk-${c.scenario}`
      await createTopic(client, sdkTopic, PARTITIONS, c.rf)
      const sdk = record(c, 'SDK', await cpu(() => inProcess(() => produceFast(client, sdkTopic, records, VALUE_BYTES, { acks: c.acks === 1 ? 1 : 'all', idempotent: c.rf === 3 }, o.signal))))
      if (kcat) {
        await createTopic(client, `rdkafka-${c.scenario}`, PARTITIONS, c.rf)
        const rd = record(c, 'librdkafka', await cpu(() => kcatProduce(kcat, brokers, `rdkafka-${c.scenario}`, records, c, dir)))
        rows.push(ratio(c.scenario, rd, sdk))
      }
      if (kafkajs) {
        await createTopic(client, `kafkajs-${c.scenario}`, PARTITIONS, c.rf)
        record(c, 'KafkaJS', await cpu(() => inProcess(() => kafkajsProduce(kafkajs, brokers, `kafkajs-${c.scenario}`, Math.min(records, o.sizes.kafkajsRecords), c))))
      }
    }
    if (!o.signal.aborted) await consumeCase(o, client, brokers, kcat, kafkajs, rows, cpu, record)
  } finally {
    await client.close().catch(() => {})
    await cluster.stop('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  }
  return rows
}

/** Each client reads the topic the SDK wrote at RF 1 (KafkaJS: the smaller one it wrote itself). */
async function consumeCase(
  o: { sizes: KafkaBenchSizes; signal: AbortSignal }, client: Tributary, brokers: string[], kcat: string | null, kafkajs: any, rows: ScenarioResult[],
  cpu: (run: () => Promise<ClientRun>) => Promise<Measured>, record: (c: { scenario: 'consume' }, who: Client, t: Measured) => number,
): Promise<void> {
  const c = { scenario: 'consume' as const }
  const sdk = record(c, 'SDK', await cpu(() => inProcess(() => consumeAll(client, 'sdk-produce-rf1', PARTITIONS, o.sizes.rf1Records, o.signal))))
  if (kcat) {
    const rd = record(c, 'librdkafka', await cpu(() => timed(o.sizes.rf1Records, kcat, ['-C', '-b', brokers.join(','), '-t', 'sdk-produce-rf1', ...RDKAFKA_CONSUME, '-c', String(o.sizes.rf1Records)])))
    rows.push(ratio('consume', rd, sdk))
  }
  if (kafkajs) record(c, 'KafkaJS', await cpu(() => inProcess(() => kafkajsConsume(kafkajs, brokers, 'kafkajs-produce-rf1', Math.min(o.sizes.rf1Records, o.sizes.kafkajsRecords)))))
}

/** A client's run and the CPU the client used for it, in ms. */
type ClientRun = Throughput & { clientCpuMs: number }
/** A run with what it cost per record: the brokers' CPU (the three summed) and the client's, in microseconds. */
type Measured = Throughput & { brokerCpuUsPerRecord: number; clientCpuUsPerRecord: number }

/**
 * The brokers' CPU over a client's run beside the client's own: on a machine of few cores a client's CPU
 * is taken from the brokers, so a busy client (librdkafka's idempotent producer polls without sleeping
 * while its one request per partition is in flight) is the bound, and these figures show it.
 */
async function withCpu(cluster: LocalCluster, run: () => Promise<ClientRun>): Promise<Measured> {
  const before = cluster.cpuMs()
  const t = await run()
  const perRecord = (ms: number): number => Math.round(((ms * 1000) / Math.max(1, t.records)) * 100) / 100
  return { records: t.records, bytes: t.bytes, seconds: t.seconds, brokerCpuUsPerRecord: perRecord(cluster.cpuMs() - before), clientCpuUsPerRecord: perRecord(t.clientCpuMs) }
}

/** A client in this process: its CPU is this process's over the run. */
async function inProcess(run: () => Promise<Throughput>): Promise<ClientRun> {
  const from = process.cpuUsage()
  const t = await run()
  const used = process.cpuUsage(from)
  return { ...t, clientCpuMs: (used.user + used.system) / 1000 }
}

function ratio(scenario: string, rdkafka: number, sdk: number): ScenarioResult {
  const r = rdkafka / Math.max(1, sdk)
  return {
    name: `kafka ${scenario}: librdkafka / SDK`, target: `>= ${KAFKA_RATIO_TARGET * 100} %`, measured: `${(r * 100).toFixed(1)} %`, met: r >= KAFKA_RATIO_TARGET,
    details: { ratio: Number(r.toFixed(4)), librdkafkaRecordsPerSec: Math.round(rdkafka), sdkRecordsPerSec: Math.round(sdk) },
  }
}

/** kcat -P from a file of `records` lines of VALUE_BYTES characters (each line one record). */
async function kcatProduce(kcat: string, brokers: string[], topic: string, records: number, c: Case, dir: string): Promise<ClientRun> {
  const file = join(dir, `${topic}.txt`)
  await writeFile(file, `${'x'.repeat(VALUE_BYTES)}\n`.repeat(records))
  const acks = c.acks === 1 ? ['-X', 'acks=1'] : ['-X', 'acks=all', '-X', 'enable.idempotence=true']
  return timed(records, kcat, ['-P', '-b', brokers.join(','), '-t', topic, ...acks, ...RDKAFKA_PRODUCE, '-l', file])
}

/** Runs a client process to completion; its wall time (start-up included, a few ms) is the run's. */
function timed(records: number, cmd: string, args: string[]): Promise<ClientRun> {
  const start = performance.now()
  return new Promise((resolve, reject) => {
    // the shell's `times` after the client: the last line on stderr is its children's (the client's) CPU
    const child = spawn('sh', ['-c', '"$0" "$@"; s=$?; times >&2; exit $s', cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err = (err + s).slice(-2000)))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${cmd} ${args[0]} exited ${code}: ${err}`))
      resolve({ records, bytes: records * VALUE_BYTES, seconds: (performance.now() - start) / 1000, clientCpuMs: childrenCpuMs(err) })
    })
  })
}

/** The last line `times` printed: the shell's children's user and system time (`0m0.290000s 0m0.010000s`), in ms. */
export function childrenCpuMs(stderr: string): number {
  const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(stderr)
  return m ? Math.round((Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000) : 0
}

function loadKafkajs(): any {
  try {
    return createRequire(import.meta.url)('kafkajs')
  } catch {
    return null
  }
}

async function kafkajsProduce(kafkajs: any, brokers: string[], topic: string, records: number, c: Case): Promise<Throughput> {
  const kafka = new kafkajs.Kafka({ clientId: 'bench-kafkajs', brokers, logLevel: kafkajs.logLevel.NOTHING })
  const producer = kafka.producer({ idempotent: c.rf === 3, maxInFlightRequests: c.rf === 3 ? 1 : undefined })
  await producer.connect()
  try {
    const messages = Array.from({ length: KAFKAJS_BATCH }, () => ({ value: Buffer.alloc(VALUE_BYTES, 'x') }))
    const start = performance.now()
    const inFlight = new Set<Promise<unknown>>()
    for (let sent = 0; sent < records; sent += KAFKAJS_BATCH) {
      const p: Promise<unknown> = producer.send({ topic, acks: c.acks, messages: messages.slice(0, Math.min(KAFKAJS_BATCH, records - sent)) })
      inFlight.add(p)
      void p.finally(() => inFlight.delete(p)).catch(() => {})
      if (inFlight.size >= KAFKAJS_IN_FLIGHT) await Promise.race(inFlight)
    }
    await Promise.all(inFlight)
    return { records, bytes: records * VALUE_BYTES, seconds: (performance.now() - start) / 1000 }
  } finally {
    await producer.disconnect()
  }
}

async function kafkajsConsume(kafkajs: any, brokers: string[], topic: string, records: number): Promise<Throughput> {
  const kafka = new kafkajs.Kafka({ clientId: 'bench-kafkajs', brokers, logLevel: kafkajs.logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId: `bench-kafkajs-${Date.now()}`, maxBytesPerPartition: 1 << 20 })
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    // Timed from the first batch: joining the group (its initial rebalance delay) is not reading.
    let start = 0
    let count = 0
    await new Promise<void>((resolve, reject) => {
      consumer.run({
        eachBatch: async ({ batch }: any) => {
          start ||= performance.now()
          count += batch.messages.length
          if (count >= records) resolve()
        },
      }).catch(reject)
    })
    return { records: count, bytes: count * VALUE_BYTES, seconds: (performance.now() - start) / 1000 }
  } finally {
    await consumer.disconnect()
  }
}

async function distinctFreePorts(n: number): Promise<number[]> {
  const ports: number[] = []
  while (ports.length < n) {
    const p = await freePort()
    if (!ports.includes(p)) ports.push(p)
  }
  return ports
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
