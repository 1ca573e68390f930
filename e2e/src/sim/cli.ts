/**
 * npm run vopr -- [--seeds N] [--from S] [--nodes 3|5] [--seed S [--trace]] [--keep-going] [--json]
 *
 * Runs seeds from --from (default 1) for --seeds (default 100), or exactly
 * --seed. Each seed is one whole-cluster run (run-seed.ts). A failing seed
 * prints its failure and the command that replays it; --trace prints every
 * event of the run and the nodes' logs. Exit 0 only when every seed is clean.
 */
import { runSeed, type SeedResult } from './run-seed.js'

interface Args {
  seeds: number
  from: number
  seed?: number
  nodes: number
  trace: boolean
  keepGoing: boolean
  json: boolean
}

function parseArgs(argv: string[]): Args {
  const args: Args = { seeds: 100, from: 1, nodes: 3, trace: false, keepGoing: false, json: false }
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
    else if (a === '--trace') args.trace = true
    else if (a === '--keep-going') args.keepGoing = true
    else if (a === '--json') args.json = true
    else if (a === '-h' || a === '--help') usage()
    else usage(`unknown argument ${a}`)
  }
  if (args.nodes !== 3 && args.nodes !== 5) usage('--nodes must be 3 or 5')
  if (args.trace && args.seed === undefined) usage('--trace needs --seed S')
  return args
}

function usage(error?: string): never {
  if (error) console.error(`error: ${error}`)
  console.error('usage: npm run vopr -- [--seeds N] [--from S] [--nodes 3|5] [--seed S [--trace]] [--keep-going] [--json]')
  process.exit(error ? 2 : 0)
}

interface Totals {
  runs: number
  failures: number[]
  virtualMs: number
  events: number
  acked: number
  faults: Record<string, number>
}

function add(t: Totals, r: SeedResult): void {
  t.runs++
  if (!r.ok) t.failures.push(r.seed)
  t.virtualMs += r.virtualMs
  t.events += r.events
  t.acked += r.check?.acked ?? 0
  for (const [k, v] of Object.entries({ ...r.faults, networkResets: r.network.resets })) t.faults[k] = (t.faults[k] ?? 0) + v
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const seeds = args.seed !== undefined ? [args.seed] : Array.from({ length: args.seeds }, (_, k) => args.from + k)
  const totals: Totals = { runs: 0, failures: [], virtualMs: 0, events: 0, acked: 0, faults: {} }
  const started = performance.now()
  let lastReport = started
  for (const seed of seeds) {
    const r = await runSeed({ seed, nodes: args.nodes, trace: args.trace ? (line) => console.log(line) : undefined })
    add(totals, r)
    if (args.seed !== undefined) console.log(JSON.stringify({ seed, nodes: r.nodes, ok: r.ok, hash: r.hash, virtualMs: r.virtualMs, events: r.events, faults: r.faults, network: r.network, acked: r.check?.acked }))
    if (!r.ok) {
      console.error(`\nFAIL seed ${seed} (nodes ${args.nodes}, hash ${r.hash}): ${r.failure}`)
      console.error(`replay: npm run vopr -- --seed ${seed} --nodes ${args.nodes} --trace`)
      if (!args.keepGoing) break
    }
    const now = performance.now()
    if (now - lastReport > 10_000) {
      lastReport = now
      console.error(`... ${totals.runs} seeds, ${totals.failures.length} failing, ${(totals.runs / ((now - started) / 1000)).toFixed(2)} seeds/s`)
    }
  }
  const seconds = (performance.now() - started) / 1000
  const summary = {
    seeds: totals.runs, nodes: args.nodes, failing: totals.failures, seconds: Number(seconds.toFixed(2)),
    seedsPerSecond: Number((totals.runs / seconds).toFixed(3)), seedsPerHour: Math.round((totals.runs / seconds) * 3600),
    virtualSecondsPerSecond: Number((totals.virtualMs / 1000 / seconds).toFixed(2)), eventsPerSecond: Math.round(totals.events / seconds),
    acked: totals.acked, faults: totals.faults,
  }
  if (args.json) console.log(JSON.stringify(summary))
  else {
    console.log(`${summary.seeds} seeds (nodes ${args.nodes}), ${totals.failures.length} failing${totals.failures.length ? ` [${totals.failures.join(', ')}]` : ''}, ${summary.seconds}s, ${summary.seedsPerSecond} seeds/s (${summary.seedsPerHour}/h), ${summary.virtualSecondsPerSecond} virtual s/s, ${summary.eventsPerSecond} events/s`)
    console.log(`acknowledged writes checked: ${summary.acked}; faults struck: ${Object.entries(summary.faults).map(([k, v]) => `${k}=${v}`).join(' ')}`)
  }
  if (totals.failures.length > 0) process.exitCode = 1
}

await main()
