/**
 * `npm run e2e:long -- --seed S --minutes M`: one long fault run from a plain
 * node script. Prints the nemesis timeline as it goes, then the summary; exits
 * 1 on any anomaly (2 when the run itself broke). The seed defaults to
 * TRIBUTARY_FAULT_SEED, else a fresh random one (printed, to replay).
 * TRIBUTARY_FAULT_DUMP=file.json writes the whole history for digging;
 * TRIBUTARY_FAULT_LOG_DIR=dir keeps every broker's full info-level log there;
 * TRIBUTARY_FAULT_TLS=1 runs the brokers and clients over TLS; TRIBUTARY_FAULT_SECURE=1 adds
 * SCRAM-SHA-512 logins required of every client and the ACL authorizer (the workload's
 * users hold only what they need).
 */
import { parseSeed } from './prng.js'
import { createFaultRun } from './run.js'
import { FAULT_KINDS, FAULT_WEIGHTS, type FaultKind } from './schedule.js'

/** A fault kind, or a family of them: `kill` is kill-leader, kill-follower, kill-controller and kill-all. */
function kindsNamed(name: string): FaultKind[] {
  if (FAULT_KINDS.includes(name as FaultKind)) return [name as FaultKind]
  const family = FAULT_KINDS.filter((k) => k.startsWith(`${name}-`))
  if (family.length === 0) throw new Error(`unknown fault kind ${name} (known: ${FAULT_KINDS.join(', ')}; kill = every kill-* kind)`)
  return family
}

interface Args { seed: number; minutes: number; weights?: Partial<Record<FaultKind, number>> }

function parseArgs(argv: string[]): Args {
  let seedRaw = process.env.TRIBUTARY_FAULT_SEED
  let minutes = 5
  let weights: Args['weights']
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined]
    const value = (): string => {
      const v = inline ?? argv[++i]
      if (v === undefined) throw new Error(`${flag} needs a value`)
      return v
    }
    if (flag === '--seed') seedRaw = value()
    else if (flag === '--minutes') minutes = Number(value())
    else if (flag === '--faults') {
      const kinds = value().split(',').flatMap((k) => kindsNamed(k.trim()))
      weights = Object.fromEntries(kinds.map((k) => [k, FAULT_WEIGHTS[k]]))
    }
    else if (flag === '--help' || flag === '-h') {
      console.log(`usage: npm run e2e:long -- [--seed S] [--minutes M] [--faults kind,...]
  env TRIBUTARY_FAULT_SEED (seed), TRIBUTARY_FAULT_DUMP (history JSON file), TRIBUTARY_FAULT_LOG_DIR (broker logs); default 5 minutes, a random seed, every fault kind
  fault kinds: ${FAULT_KINDS.join(', ')} (kill: every kill-* kind)`)
      process.exit(0)
    } else throw new Error(`unknown argument ${argv[i]}`)
  }
  if (!Number.isFinite(minutes) || minutes <= 0) throw new Error(`--minutes must be a positive number, got ${minutes}`)
  const seed = parseSeed(seedRaw, Math.floor(Math.random() * 2 ** 32))
  return { seed, minutes, weights }
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2))
  const run = createFaultRun({ seed: args.seed, faultMs: Math.round(args.minutes * 60_000), schedule: { weights: args.weights }, dumpPath: process.env.TRIBUTARY_FAULT_DUMP,
    logDir: process.env.TRIBUTARY_FAULT_LOG_DIR,
    logLevel: process.env.TRIBUTARY_FAULT_LOG_DIR ? 'info' : 'warn',
    tls: process.env.TRIBUTARY_FAULT_TLS === '1',
    secure: process.env.TRIBUTARY_FAULT_SECURE === '1',
    log: (line) => console.log(line) })
  const onSignal = () => void run.stop().then(() => process.exit(130))
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const report = await run.run()
  console.log(`\n${report.summary}`)
  console.log(`run time ${report.seconds.toFixed(1)} s`)
  if (!report.result.valid) {
    console.log(`\nANOMALIES (replay with --seed ${report.seed}):\n${report.anomalies}\n\nbroker logs:\n${report.brokerLogs}`)
    return 1
  }
  return 0
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`fault run failed: ${(err as Error).stack ?? String(err)}`)
    process.exit(2)
  },
)
