/**
 * npm run sim -- [--seeds N] [--from S] [--seed S] [--nodes 3|5] [--pre-vote on|off] [--check-quorum on|off]
 *                 [--trace] [--safety-ticks T] [--liveness-ticks T] [--keep-going] [--json]
 *
 * Runs seeds from --from (default 1) for --seeds (default 1000), or exactly --seed.
 * Each seed draws its faults and its Raft settings; --pre-vote and --check-quorum pin
 * those two instead (both on is the broker's metadata quorum: RaftConfig's defaults).
 * A failing seed prints the seed, the replay command and the last events; rerunning
 * with --seed S --trace replays it exactly and prints every event.
 */
import type { FaultPlan } from './fault-plan.js'
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
  /** Settings pinned for every seed instead of drawn from it. */
  pinned: Partial<Pick<FaultPlan, 'preVote' | 'checkQuorum'>>
}

/** Flags that take a non-negative integer, and the setting each one sets. */
const NUMBER_FLAGS = { '--seeds': 'seeds', '--from': 'from', '--seed': 'seed', '--safety-ticks': 'safetyTicks', '--liveness-ticks': 'livenessTicks' } as const
/** Flags that take on or off and pin a Raft setting. */
const PINNED_FLAGS = { '--pre-vote': 'preVote', '--check-quorum': 'checkQuorum' } as const
/** Flags without a value. */
const SWITCHES = { '--trace': 'trace', '--json': 'json', '--keep-going': 'keepGoing' } as const

const isFlag = <T extends object>(table: T, arg: string): arg is Extract<keyof T, string> => Object.hasOwn(table, arg)

function parseArgs(argv: string[]): Args {
  const args: Args = { seeds: 1000, from: 1, nodes: [3, 5], trace: false, json: false, keepGoing: false, pinned: {} }
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v)
    if (v === undefined || !Number.isSafeInteger(n) || n < 0) usage(`${flag} needs a non-negative integer`)
    return n
  }
  const onOff = (flag: string, v: string | undefined): boolean => {
    if (v !== 'on' && v !== 'off') usage(`${flag} needs on or off`)
    return v === 'on'
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (isFlag(NUMBER_FLAGS, a)) args[NUMBER_FLAGS[a]] = num(a, argv[++i])
    else if (a === '--nodes') args.nodes = [num(a, argv[++i])]
    else if (isFlag(PINNED_FLAGS, a)) args.pinned[PINNED_FLAGS[a]] = onOff(a, argv[++i])
    else if (isFlag(SWITCHES, a)) args[SWITCHES[a]] = true
    else if (a === '-h' || a === '--help') usage()
    else usage(`unknown argument ${a}`)
  }
  if (args.nodes.some((n) => n < 1 || n > 9)) usage('--nodes must be between 1 and 9')
  return args
}

function pinnedFlags(p: Args['pinned']): string {
  const onOff = (b: boolean): string => (b ? 'on' : 'off')
  return (p.preVote === undefined ? '' : ` --pre-vote ${onOff(p.preVote)}`) + (p.checkQuorum === undefined ? '' : ` --check-quorum ${onOff(p.checkQuorum)}`)
}

function usage(error?: string): never {
  if (error) console.error(`error: ${error}`)
  console.error('usage: npm run sim -- [--seeds N] [--from S] [--seed S] [--nodes 3|5] [--pre-vote on|off] [--check-quorum on|off] [--trace] [--safety-ticks T] [--liveness-ticks T] [--keep-going] [--json]')
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
      const opts: SimOptions = { seed, voters, plan: args.pinned }
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
        console.error(`replay: npm run sim -- --seed ${seed} --nodes ${voters}${pinnedFlags(args.pinned)} --trace`)
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
      console.log(`${runs} runs (voters ${args.nodes.join(',')}${pinnedFlags(args.pinned)}), ${failures} failures, ${out.seconds}s, ${out.runsPerMinute} runs/min, ${out.simulatedTicksPerSecond} simulated ticks/s`)
      console.log(`faults struck: ${Object.entries(faults).map(([k, v]) => `${k}=${v}`).join(' ')}`)
    }
  }
}

main()
