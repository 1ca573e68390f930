/**
 * `tributary bench cluster`: start the clusters it needs (real broker processes
 * on 127.0.0.1, free ports, temp data dirs, always removed), run the scenarios
 * of issue #10 through the client SDK, print a table and one JSON line
 * (`--json`: only the JSON line). `--quick` shrinks every size for a smoke test.
 *
 * The 1-node cluster runs produce-rf1, per-record (RF 1) then startup; the 3-node cluster runs the
 * rest, failover last (it kills a node).
 *
 * `--secure` compares instead: produce RF 3 acks=all on a plaintext 3-node
 * cluster, then on a 3-node cluster serving TLS (wss:// to clients and between
 * peers, certificates made for the run by scripts/make-certs.sh) that requires a
 * SCRAM-SHA-512 login of every client, and prints both and the ratio (target: TLS +
 * SCRAM keeps >= 75 % of plaintext). With `--acls N` (default 1000; 0 leaves it
 * out) it then compares produce RF 3 and consume on two TLS + SCRAM clusters run
 * in turn, `--acl-rounds` times, one with the ACL authorizer and N bindings
 * (bench/bench-acls.ts): the cost of authorization, target <= 5 %.
 *
 * `--kafka` compares the Kafka listener with the SDK's protocol on one 3-node
 * cluster: produce RF 1, produce RF 3 acks=all and consume, each by the SDK,
 * librdkafka (kcat) and KafkaJS (bench/kafka-bench.ts); target: librdkafka
 * >= 80 % of the SDK.
 */
import os from 'node:os'
import type { Argv } from 'yargs'
import { UsageError } from '../errors.js'
import { printJson, println } from '../io.js'
import { runCommand, type CommandHandler, type Ctx, type Runtime } from '../runtime.js'
import { formatTable } from '../table.js'
import { makeBenchCerts } from '../bench/bench-certs.js'
import { LocalCluster } from '../bench/local-cluster.js'
import { rm } from 'node:fs/promises'
import { consume, failover, FULL, latency100k, latency10k, memory, perRecordRf1, perRecordRf3, produceRf1, produceRf3, QUICK, roundTrip, RssSampler, startup, type Env, type ScenarioResult, type Sizes } from '../bench/scenarios.js'
import { newBenchClient } from '../bench/workloads.js'
import { partitions, PARTITIONS_DEFAULT, PARTITIONS_PER_TOPIC, type PartitionsOptions } from '../bench/partitions.js'
import { reassign } from '../bench/reassign.js'
import { soak, type SoakOptions } from '../bench/soak.js'
import { ACL_ROUNDS_DEFAULT, aclComparisonBench, ACLS_DEFAULT } from '../bench/bench-acls.js'
import { secureSetup, type SecureSetup } from '../bench/secure-setup.js'
import { KAFKA_FULL, KAFKA_QUICK, kafkaComparisonBench } from '../bench/kafka-bench.js'

type Scenario = (env: Env) => Promise<ScenarioResult>

const SINGLE: Array<[string, Scenario]> = [['produce-rf1', produceRf1], ['per-record', perRecordRf1], ['startup', startup]]
const TRIPLE: Array<[string, Scenario]> = [
  ['produce-rf3', produceRf3],
  ['per-record', perRecordRf3],
  ['memory', memory], // before consume: see memory()
  ['consume', consume],
  ['latency', latency10k],
  ['latency', latency100k],
  ['round-trip', roundTrip],
  ['failover', failover],
]
/** Scenarios on a cluster of their own (not in the default run: they are long). */
const OWN_CLUSTER = ['partitions', 'soak', 'reassign']
/** The reassign scenario: the issue's 1 GiB at 20 MB/s (quick: 8 MiB at 2 MB/s). */
const REASSIGN_FULL = { bytes: 1024 * 1024 * 1024, throttleBytes: 20e6 }
const REASSIGN_QUICK = { bytes: 8 * 1024 * 1024, throttleBytes: 2e6 }
export const SCENARIOS = ['produce-rf1', 'produce-rf3', 'per-record', 'consume', 'latency', 'round-trip', 'failover', 'memory', 'startup', ...OWN_CLUSTER]

interface ClusterBenchArgs {
  quick: boolean
  scenario?: string[]
  profile?: string
  consumeMib?: number
  startupMib?: number
  secure: boolean
  kafka: boolean
  acls: number
  aclRounds: number
  partitions: number
  partitionsLoadRate: number
  partitionsLoadSeconds: number
  minutes: number
  rate: number
  killAt?: number
  reassignMib?: number
  reassignThrottleMb?: number
}

/** `--secure`: TLS must keep at least this share of the plaintext produce-rf3 figure. */
export const SECURE_RATIO_TARGET = 0.75

export function benchClusterOptions<T>(c: Argv<T>) {
  return c
    .option('quick', { type: 'boolean', default: false, describe: 'small sizes (a smoke test, not a measurement)' })
    .option('scenario', { type: 'string', array: true, describe: `run only these: ${SCENARIOS.join(', ')}` })
    .option('consume-mib', { type: 'number', describe: 'log size read by the consume scenario (default 1024, quick 2)' })
    .option('startup-mib', { type: 'number', describe: 'data held by the restarted node in the startup scenario (default 1024, quick 2)' })
    .option('partitions', { type: 'number', default: PARTITIONS_DEFAULT, describe: `partitions scenario: partitions in all (${PARTITIONS_PER_TOPIC} per topic, RF 3)` })
    .option('partitions-load-rate', { type: 'number', default: 0, describe: 'partitions scenario: then produce this many rec/s (acks=all) over every partition while the group reads' })
    .option('partitions-load-seconds', { type: 'number', default: 60, describe: 'partitions scenario: for this long' })
    .option('minutes', { type: 'number', default: 30, describe: 'soak scenario: minutes of load (over --partitions partitions)' })
    .option('rate', { type: 'number', default: 20_000, describe: 'soak scenario: records/s offered (acks=all, idempotent, 100 B)' })
    .option('kill-at', { type: 'number', describe: 'soak scenario: kill -9 the controller this many minutes into the load and start it again' })
    .option('reassign-mib', { type: 'number', describe: 'reassign scenario: log size moved (default 1024, quick 8)' })
    .option('reassign-throttle-mb', { type: 'number', describe: 'reassign scenario: the brokers\' --reassignment-throttle-bytes in MB/s (default 20, quick 2)' })
    .option('profile', { type: 'string', describe: 'write broker CPU profiles (node --cpu-prof) into this directory' })
    .option('secure', { type: 'boolean', default: false, describe: 'compare produce-rf3 over TLS with SCRAM logins against plaintext in the same run (needs openssl)' })
    .option('kafka', { type: 'boolean', default: false, describe: 'compare the Kafka listener (librdkafka via kcat, KafkaJS) with the SDK: produce RF 1, produce RF 3 acks=all, consume' })
    .option('acls', { type: 'number', default: ACLS_DEFAULT, describe: 'with --secure: also compare produce-rf3 and consume with the ACL authorizer and this many ACL bindings against none (0: leave out)' })
    .option('acl-rounds', { type: 'number', default: ACL_ROUNDS_DEFAULT, describe: 'with --acls: rounds of that comparison (both clusters in turn; medians compared)' })
}

export const benchClusterHandler = (rt: Runtime): CommandHandler => runCommand<ClusterBenchArgs>(rt, runClusterBench)

async function runClusterBench(a: ClusterBenchArgs, ctx: Ctx): Promise<void> {
  const wanted = new Set(a.scenario?.flatMap((s) => s.split(',')) ?? SCENARIOS.filter((s) => !OWN_CLUSTER.includes(s)))
  for (const s of wanted) if (!SCENARIOS.includes(s)) throw new UsageError(`--scenario ${s}: one of ${SCENARIOS.join(', ')}`)
  const sizes: Sizes = { ...(a.quick ? QUICK : FULL) }
  if (a.consumeMib !== undefined) sizes.consumeBytes = a.consumeMib * 1024 * 1024
  if (a.startupMib !== undefined) sizes.startupBytes = a.startupMib * 1024 * 1024
  const log = (line: string): void => {
    if (!ctx.json) ctx.io.stderr.write(line + '\n')
  }
  const run: BenchRun = { a, ctx, sizes, log, results: [], execArgv: a.profile ? ['--cpu-prof', `--cpu-prof-dir=${a.profile}`] : [] }
  if (a.kafka) {
    if (a.scenario || a.secure) throw new UsageError('--kafka runs its own comparison: leave out --scenario and --secure')
    run.results.push(...await kafkaComparisonBench({ sizes: a.quick ? KAFKA_QUICK : KAFKA_FULL, execArgv: run.execArgv, signal: ctx.signal, log }))
  } else if (a.secure) {
    await secureBench(run)
  } else {
    await scenarioBench(run, wanted)
  }
  printSummary(run)
}

/** One bench invocation: its arguments, sizes and log, and the results so far. */
interface BenchRun {
  a: ClusterBenchArgs
  ctx: Ctx
  sizes: Sizes
  /** Node flags of every broker (CPU profiles). */
  execArgv: string[]
  log: (line: string) => void
  results: ScenarioResult[]
}

/** Start a cluster of `nodes`, run `todo` on it in order (adding to the results), stop it. */
async function runOn(run: BenchRun, nodes: number, todo: Array<[string, Scenario]>, secure?: SecureSetup, brokerArgs: string[] = []): Promise<void> {
  const { ctx, sizes, log } = run
  log(`starting a ${nodes}-node ${secure ? secure.label : 'plaintext'} cluster`)
  const cluster = await LocalCluster.start({ nodes, execArgv: run.execArgv, tlsCertsDir: secure?.certsDir, brokerArgs: [...(secure?.brokerArgs ?? []), ...brokerArgs] })
  const rss = new RssSampler(cluster)
  const client = newBenchClient(cluster.bootstrap, 'bench-cluster', cluster.tlsCa, secure?.sasl)
  try {
    await secure?.prepare?.(cluster)
    rss.start()
    for (const [, scenario] of todo) {
      if (ctx.signal.aborted) break
      const r = await scenario({ cluster, client, sizes, signal: ctx.signal, rss })
      log(`  ${r.name}: ${r.measured}${r.met ? '' : ` (target ${r.target})`}`)
      run.results.push(r)
    }
  } finally {
    rss.stop()
    await client.close().catch(() => {})
    // SIGTERM lets a profiled broker write its profile; otherwise no need to wait for a controlled shutdown.
    await cluster.stop(run.a.profile ? 'SIGTERM' : 'SIGKILL')
  }
}

/** --secure: produce-rf3 plaintext, then over TLS with SCRAM logins, then (--acls) with the ACL authorizer against none. */
async function secureBench(run: BenchRun): Promise<void> {
  const { a, ctx, results } = run
  if (a.scenario) throw new UsageError('--secure runs produce-rf3 plaintext and over TLS: leave out --scenario')
  if (!Number.isInteger(a.acls) || a.acls < 0) throw new UsageError('--acls: an integer >= 0')
  if (!Number.isInteger(a.aclRounds) || a.aclRounds < 1) throw new UsageError('--acl-rounds: an integer >= 1')
  const certs = await makeBenchCerts(3)
  const aclRows: ScenarioResult[] = []
  try {
    await runOn(run, 3, [['produce-rf3', produceRf3]])
    if (!ctx.signal.aborted) await runOn(run, 3, [['produce-rf3', produceRf3]], await secureSetup(certs))
    if (!ctx.signal.aborted && a.acls > 0) {
      aclRows.push(...await aclComparisonBench({ certsDir: certs, acls: a.acls, rounds: a.aclRounds, sizes: run.sizes, execArgv: run.execArgv, signal: ctx.signal, log: run.log }))
    }
  } finally {
    await rm(certs, { recursive: true, force: true })
  }
  const [plain, tls] = [...results]
  if (plain && tls) results.push(secureComparison(plain, tls))
  results.push(...aclRows)
}

/** The scenarios asked for: single-node ones, three-node ones, partitions and soak each on a cluster of their own, reassign on four nodes. */
async function scenarioBench(run: BenchRun, wanted: ReadonlySet<string>): Promise<void> {
  const { a, ctx } = run
  if (!Number.isInteger(a.partitions) || a.partitions < PARTITIONS_PER_TOPIC) throw new UsageError(`--partitions: an integer >= ${PARTITIONS_PER_TOPIC}`)
  if (!(a.partitionsLoadRate >= 0) || !(a.partitionsLoadSeconds > 0)) throw new UsageError('--partitions-load-rate >= 0 and --partitions-load-seconds > 0')
  const many: PartitionsOptions = { partitions: a.partitions, loadRate: a.partitionsLoadRate, loadSeconds: a.partitionsLoadSeconds }
  if (!(a.minutes > 0) || !(a.rate > 0)) throw new UsageError('--minutes and --rate must be positive')
  if (a.killAt !== undefined && !(a.killAt >= 0 && a.killAt < a.minutes)) throw new UsageError('--kill-at: minutes into the load, >= 0 and < --minutes')
  const soakOpts: SoakOptions = { partitions: a.partitions, minutes: a.minutes, rate: a.rate, killAtMinutes: a.killAt }
  const separate: Array<[string, Scenario]> = [['partitions', (env) => partitions(env, many)], ['soak', (env) => soak(env, soakOpts)]]
  // partitions and soak each on a cluster of their own
  const clusters: Array<[number, Array<[string, Scenario]>]> = [[1, SINGLE], [3, TRIPLE], ...separate.map((s): [number, Array<[string, Scenario]>] => [3, [s]])]
  for (const [nodes, list] of clusters) {
    const todo = list.filter(([name]) => wanted.has(name))
    if (todo.length === 0 || ctx.signal.aborted) continue
    await runOn(run, nodes, todo)
  }
  if (wanted.has('reassign') && !ctx.signal.aborted) {
    const base = a.quick ? REASSIGN_QUICK : REASSIGN_FULL
    const move = { bytes: a.reassignMib !== undefined ? a.reassignMib * 1024 * 1024 : base.bytes, throttleBytes: a.reassignThrottleMb !== undefined ? a.reassignThrottleMb * 1e6 : base.throttleBytes }
    if (!(move.bytes > 0) || !(move.throttleBytes >= 1)) throw new UsageError('--reassign-mib and --reassign-throttle-mb must be positive')
    await runOn(run, 4, [['reassign', (env) => reassign(env, move)]], undefined, ['--reassignment-throttle-bytes', String(Math.round(move.throttleBytes))])
  }
}

/** The results as a table (unless --json) and as JSON. */
function printSummary({ a, ctx, results }: BenchRun): void {
  const summary = {
    bench: 'cluster',
    quick: a.quick,
    secure: a.secure,
    kafka: a.kafka,
    machine: { cpus: os.cpus().length, node: process.version, valueBytes: 100 },
    scenarios: results,
  }
  if (!ctx.json) {
    const rows = results.map((r) => [r.name, r.target, r.measured, r.met ? 'yes' : 'no'])
    println(ctx.io, formatTable(['SCENARIO', 'TARGET', 'MEASURED', 'MET'], rows))
  }
  printJson(ctx.io, summary)
}

/** The TLS run's produce-rf3 against the plaintext one's, renamed so the table and JSON tell them apart. */
function secureComparison(plain: ScenarioResult, secure: ScenarioResult): ScenarioResult {
  plain.name = 'produce-rf3 (plaintext)'
  secure.name = 'produce-rf3 (TLS + SCRAM)'
  const ratio = (secure.recordsPerSec ?? 0) / Math.max(1, plain.recordsPerSec ?? 0)
  return {
    name: 'TLS + SCRAM / plaintext',
    target: `>= ${SECURE_RATIO_TARGET * 100} %`,
    measured: `${(ratio * 100).toFixed(1)} %`,
    met: ratio >= SECURE_RATIO_TARGET,
    details: { ratio: Number(ratio.toFixed(4)), plaintextRecordsPerSec: plain.recordsPerSec ?? 0, tlsRecordsPerSec: secure.recordsPerSec ?? 0 },
  }
}
