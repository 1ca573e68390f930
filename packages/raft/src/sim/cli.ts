/**
 * npm run sim -- [--seeds N] [--from S] [--seed S] [--nodes 3|5] [--trace] [--safety-ticks T] [--liveness-ticks T] [--json]
 *
 * Runs seeds from --from (default 1) for --seeds (default 1000), or exactly --seed.
 * A failing seed prints the seed, the replay command and the last events; rerunning
 * with --seed S --trace replays it exactly and prints every event.
 */
import { runSimulation, type SimOptions } from './simulation.js'
import { addStats, COVERAGE_COUNTERS, emptyStats } from './stats.js'

interface Args {
  seeds: number
  from: number
  seed?: number
  nodes: number[]
  trace: boolean
  safetyTicks?: number
  livenessTicks?: number
  json: boolean
  keepGoing: boolean
}

function parseArgs(argv: string[]): Args {
  const args: Args = { seeds: 1000, from: 1, nodes: [3, 5], trace: false, json: false, keepGoing: false }
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v)
    if (v === undefined || !Number.isSafeInteger(n) || n < 0) usage(`${flag} needs a non-negative integer`)
    return n
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    switch (a) {
      case '--seeds':
        args.seeds = num(a, argv[++i])
        break
      case '--from':
        args.from = num(a, argv[++i])
        break
      case '--seed':
        args.seed = num(a, argv[++i])
        break
      case '--nodes':
        args.nodes = [num(a, argv[++i])]
        break
      case '--safety-ticks':
        args.safetyTicks = num(a, argv[++i])
        break
      case '--liveness-ticks':
        args.livenessTicks = num(a, argv[++i])
        break
      case '--trace':
        args.trace = true
        break
      case '--json':
        args.json = true
        break
      case '--keep-going':
        args.keepGoing = true
        break
      case '-h':
      case '--help':
        usage()
        break
      default:
        usage(`unknown argument ${a}`)
    }
  }
  if (args.nodes.some((n) => n < 1 || n > 9)) usage('--nodes must be between 1 and 9')
  return args
}

function usage(error?: string): never {
  if (error) console.error(`error: ${error}`)
  console.error('usage: npm run sim -- [--seeds N] [--from S] [--seed S] [--nodes 3|5] [--trace] [--safety-ticks T] [--liveness-ticks T] [--keep-going] [--json]')
  process.exit(error ? 2 : 0)
}

function main(): void {
  const args = parseArgs(process.argv.slice(2))
  const seeds = args.seed !== undefined ? [args.seed] : Array.from({ length: args.seeds }, (_, k) => args.from + k)
  const started = performance.now()
  let runs = 0
  let failures = 0
  const total = emptyStats()
  let lastReport = started
  for (const seed of seeds) {
    for (const voters of args.nodes) {
      const opts: SimOptions = { seed, voters }
      if (args.safetyTicks !== undefined) opts.safetyTicks = args.safetyTicks
      if (args.livenessTicks !== undefined) opts.livenessTicks = args.livenessTicks
      if (args.trace) {
        opts.traceLimit = 0
        opts.traceSink = (line) => console.log(line)
      }
      const r = runSimulation(opts)
      runs++
      addStats(total, r.stats)
      if (args.trace || args.seed !== undefined) console.log(JSON.stringify({ seed, voters, ok: r.ok, failure: r.failure, plan: r.plan, stats: r.stats }))
      if (!r.ok) {
        failures++
        console.error(`\nFAIL seed ${seed} voters ${voters}: ${r.failure}`)
        console.error(`replay: npm run sim -- --seed ${seed} --nodes ${voters} --trace`)
        if (!args.trace) for (const line of r.trace) console.error(line)
        if (!args.keepGoing) {
          process.exitCode = 1
          summary()
          return
        }
      }
      const now = performance.now()
      if (now - lastReport > 5000) {
        lastReport = now
        console.error(`... ${runs} runs, ${failures} failures, ${((runs / (now - started)) * 60_000).toFixed(0)} runs/min`)
      }
    }
  }
  summary()
  if (failures > 0) process.exitCode = 1

  function summary(): void {
    const seconds = (performance.now() - started) / 1000
    const faults = Object.fromEntries(COVERAGE_COUNTERS.map((k) => [k, total[k]]))
    const out = { runs, failures, seconds: Number(seconds.toFixed(2)), runsPerMinute: Math.round((runs / seconds) * 60), simulatedTicksPerSecond: Math.round(total.ticks / seconds), faults }
    if (args.json) console.log(JSON.stringify(out))
    else {
      console.log(`${runs} runs (voters ${args.nodes.join(',')}), ${failures} failures, ${out.seconds}s, ${out.runsPerMinute} runs/min, ${out.simulatedTicksPerSecond} simulated ticks/s`)
      console.log(`faults struck: ${Object.entries(faults).map(([k, v]) => `${k}=${v}`).join(' ')}`)
    }
  }
}

main()
