/**
 * npm run vopr -- [--seeds N] [--from S] [--nodes 3|5] [--size issue|first|ci] [--jobs J] [--clock-jumps] [--seed S [--trace] [--shrink] [--steps I,J,...]] [--keep-going] [--json]
 *
 * Runs seeds from --from (default 1) for --seeds (default 100), or exactly
 * --seed. Each seed is one whole-cluster run (run-seed.ts); --jobs runs that
 * many worker threads (each its own globals, so each its own guard), seeds
 * dealt out in turn. A failing seed prints its failure and the command that
 * replays it; --trace prints every event of the run and the nodes' logs. Exit 0
 * only when every seed is clean. --shrink delta-debugs a failing seed's fault
 * steps down to the ones that matter and prints them with their replay
 * (--steps: run only those of the seed's steps).
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import { SIM_SIZE_NAMES, type SimSize } from './plan.js'
import { describeStep } from './faults.js'
import { runSeed, type SeedResult } from './run-seed.js'
import { failureKind, shrinkSeed } from './shrink.js'

/** What a worker reports of one seed (the checker's full result stays in the worker). */
type Outcome = Pick<SeedResult, 'seed' | 'nodes' | 'ok' | 'failure' | 'hash' | 'virtualMs' | 'events' | 'faults' | 'network' | 'imagesChecked'> & { acked: number }

function outcome(r: SeedResult): Outcome {
  return { seed: r.seed, nodes: r.nodes, ok: r.ok, failure: r.failure, hash: r.hash, virtualMs: r.virtualMs, events: r.events, faults: r.faults, network: r.network, imagesChecked: r.imagesChecked, acked: r.check?.acked ?? 0 }
}

interface Args {
  seeds: number
  from: number
  seed?: number
  nodes: number
  trace: boolean
  keepGoing: boolean
  json: boolean
  jobs: number
  clockJumps: boolean
  size: SimSize
  shrink: boolean
  steps?: number[]
}

function parseArgs(argv: string[]): Args {
  const args: Args = { seeds: 100, from: 1, nodes: 3, trace: false, keepGoing: false, json: false, jobs: 1, clockJumps: false, size: 'issue', shrink: false }
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v)
    if (v === undefined || !Number.isSafeInteger(n) || n < 0) usage(`${flag} needs a non-negative integer`)
    return n
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--seeds') args.seeds = num(a, argv[++i])
    else if (a === '--from') args.from = num(a, argv[++i])
    else if (a === '--seed') args.seed = num(a, argv[++i])
    else if (a === '--nodes') args.nodes = num(a, argv[++i])
    else if (a === '--jobs') args.jobs = Math.max(1, num(a, argv[++i]))
    else if (a === '--trace') args.trace = true
    else if (a === '--keep-going') args.keepGoing = true
    else if (a === '--clock-jumps') args.clockJumps = true
    else if (a === '--size') args.size = sizeArg(argv[++i])
    else if (a === '--shrink') args.shrink = true
    else if (a === '--steps') args.steps = (argv[++i] ?? '').split(',').filter((x) => x !== '').map((x) => num(a, x))
    else if (a === '--json') args.json = true
    else if (a === '-h' || a === '--help') usage()
    else usage(`unknown argument ${a}`)
  }
  if (args.nodes !== 3 && args.nodes !== 5) usage('--nodes must be 3 or 5')
  if ((args.trace || args.shrink || args.steps) && args.seed === undefined) usage('--trace, --shrink and --steps need --seed S')
  return args
}

function sizeArg(v: string | undefined): SimSize {
  const size = SIM_SIZE_NAMES.find((n) => n === v)
  if (!size) usage(`--size must be one of ${SIM_SIZE_NAMES.join(', ')}`)
  return size
}

/** The command that replays one seed of this run exactly. */
export function replayCommand(seed: number, o: { nodes: number; size: SimSize; clockJumps: boolean; steps?: readonly number[] }): string {
  const steps = o.steps ? ` --steps ${o.steps.join(',')}` : ''
  return `npm run vopr -- --seed ${seed} --nodes ${o.nodes}${o.size !== 'issue' ? ` --size ${o.size}` : ''}${o.clockJumps ? ' --clock-jumps' : ''}${steps} --trace`
}

function usage(error?: string): never {
  if (error) console.error(`error: ${error}`)
  console.error('usage: npm run vopr -- [--seeds N] [--from S] [--nodes 3|5] [--size issue|first|ci] [--jobs J] [--clock-jumps] [--seed S [--trace] [--shrink] [--steps I,J]] [--keep-going] [--json]')
  process.exit(error ? 2 : 0)
}

interface Totals {
  runs: number
  failures: number[]
  /** The first line of each failing seed's failure, in the order of `failures`. */
  reasons: string[]
  virtualMs: number
  events: number
  acked: number
  faults: Record<string, number>
}

/** How much of a failure the summary keeps (the replay shows all of it). */
const FAILURE_CHARS_MAX = 500

function add(t: Totals, r: Outcome): void {
  t.runs++
  if (!r.ok) {
    t.failures.push(r.seed)
    t.reasons.push((r.failure ?? '').split('\n')[0]!.slice(0, FAILURE_CHARS_MAX))
  }
  t.virtualMs += r.virtualMs
  t.events += r.events
  t.acked += r.acked
  for (const [k, v] of Object.entries({ ...r.faults, networkResets: r.network.resets })) t.faults[k] = (t.faults[k] ?? 0) + v
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  if (args.shrink) return shrinkMain(args)
  const seeds = args.seed !== undefined ? [args.seed] : Array.from({ length: args.seeds }, (_, k) => args.from + k)
  const totals: Totals = { runs: 0, failures: [], reasons: [], virtualMs: 0, events: 0, acked: 0, faults: {} }
  const started = performance.now()
  let lastReport = started
  /** One seed's outcome, as it comes; false stops the run. */
  const report = (r: Outcome): boolean => {
    add(totals, r)
    if (args.seed !== undefined) console.log(JSON.stringify(r))
    if (!r.ok) {
      console.error(`\nFAIL seed ${r.seed} (nodes ${args.nodes}, hash ${r.hash}): ${r.failure}`)
      console.error(`replay: ${replayCommand(r.seed, args)}`)
      if (!args.keepGoing) return false
    }
    const now = performance.now()
    if (now - lastReport > 10_000) {
      lastReport = now
      console.error(`... ${totals.runs} seeds, ${totals.failures.length} failing, ${(totals.runs / ((now - started) / 1000)).toFixed(2)} seeds/s`)
    }
    return true
  }
  if (args.jobs > 1 && seeds.length > 1) await inWorkers(seeds, args, report)
  else {
    for (const seed of seeds) {
      const r = await runSeed({ seed, nodes: args.nodes, size: args.size, clockJumps: args.clockJumps, steps: args.steps, trace: args.trace ? (line) => console.log(line) : undefined })
      if (!report(outcome(r))) break
    }
  }
  const seconds = (performance.now() - started) / 1000
  const summary = {
    seeds: totals.runs, nodes: args.nodes, size: args.size, failing: totals.failures, failures: totals.failures.map((seed, i) => ({ seed, failure: totals.reasons[i], replay: replayCommand(seed, args) })), seconds: Number(seconds.toFixed(2)),
    seedsPerSecond: Number((totals.runs / seconds).toFixed(3)), seedsPerHour: Math.round((totals.runs / seconds) * 3600),
    virtualSecondsPerSecond: Number((totals.virtualMs / 1000 / seconds).toFixed(2)), eventsPerSecond: Math.round(totals.events / seconds),
    acked: totals.acked, faults: totals.faults,
  }
  if (args.json) console.log(JSON.stringify(summary))
  else {
    console.log(`${summary.seeds} seeds (nodes ${args.nodes}, size ${args.size}), ${totals.failures.length} failing${totals.failures.length ? ` [${totals.failures.join(', ')}]` : ''}, ${summary.seconds}s, ${summary.seedsPerSecond} seeds/s (${summary.seedsPerHour}/h), ${summary.virtualSecondsPerSecond} virtual s/s, ${summary.eventsPerSecond} events/s`)
    console.log(`acknowledged writes checked: ${summary.acked}; faults struck: ${Object.entries(summary.faults).map(([k, v]) => `${k}=${v}`).join(' ')}`)
  }
  if (totals.failures.length > 0) process.exitCode = 1
}

/** --shrink: the failing seed's fault steps, delta-debugged; prints the minimal list and its replay. */
async function shrinkMain(args: Args): Promise<void> {
  const o = { seed: args.seed!, nodes: args.nodes, size: args.size, clockJumps: args.clockJumps, steps: args.steps }
  const r = await shrinkSeed(o, (line) => console.error(line))
  if (!r) {
    console.log(`seed ${o.seed} is clean: nothing to shrink`)
    return
  }
  console.log(`seed ${o.seed} fails (${failureKind(r.original.failure)}) with ${r.original.steps.length} fault steps; ${r.steps.length} of them are enough (${r.runs} runs):`)
  for (const i of r.steps) console.log(`  ${describeStep(r.original.steps[i]!, i)}`)
  console.log(`failure: ${r.minimal.failure?.split('\n')[0]}`)
  console.log(`replay: ${replayCommand(o.seed, { ...o, steps: r.steps })}`)
  process.exitCode = 1
}

/** Deal the seeds out to `args.jobs` worker threads; stops them all when `report` says so. */
async function inWorkers(seeds: number[], args: Args, report: (r: Outcome) => boolean): Promise<void> {
  const workers = Array.from({ length: args.jobs }, (_, k) => seeds.filter((_, i) => i % args.jobs === k))
    .filter((mine) => mine.length > 0)
    .map((mine) => new Worker(new URL(import.meta.url), { workerData: { seeds: mine, nodes: args.nodes, size: args.size, clockJumps: args.clockJumps } }))
  await new Promise<void>((resolve, reject) => {
    let running = workers.length
    for (const w of workers) {
      w.on('message', (r: Outcome) => { if (!report(r)) for (const x of workers) void x.terminate() })
      w.on('error', reject)
      w.on('exit', () => { if (--running === 0) resolve() })
    }
  })
}

/** A worker: run its seeds, report each. */
async function work(): Promise<void> {
  const { seeds, nodes, size, clockJumps } = workerData as { seeds: number[]; nodes: number; size: SimSize; clockJumps: boolean }
  for (const seed of seeds) parentPort!.postMessage(outcome(await runSeed({ seed, nodes, size, clockJumps })))
}

if (isMainThread) await main()
else await work()
