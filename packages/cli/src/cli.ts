/**
 * The `tributary` command: one yargs instance with every subcommand. Failures
 * are one line on stderr: exit 2 for a bad flag or value (yargs validation or
 * UsageError), exit 1 for everything else a user can cause (CliError,
 * TributaryError). A stack trace appears only for bugs, with TRIBUTARY_DEBUG=1.
 */
import yargs, { type Argv } from 'yargs'
import { describeError, EXIT_USAGE, UsageError } from './errors.js'
import { processIo, type Io } from './io.js'
import { registerCommands } from './commands/index.js'
import type { Runtime } from './runtime.js'

export const DEFAULT_BOOTSTRAP = 'ws://127.0.0.1:9092'
export const DEFAULT_TIMEOUT_MS = 15_000

export interface GlobalArgs {
  bootstrap: string
  json: boolean
  timeout: number
}

/** Parse-time failures land here, not in a handler: remember them for main(). */
interface CliState extends Runtime {
  usageError: string | undefined
}

export function buildCli(argv: string[], io: Io = processIo(), state: CliState = { io, exitCode: 0, usageError: undefined }): Argv {
  const y = yargs(argv)
    .scriptName('tributary')
    .usage('$0 <command> [options]')
    .option('bootstrap', {
      alias: 'b',
      type: 'string',
      global: true,
      default: process.env.TRIBUTARY_BOOTSTRAP || DEFAULT_BOOTSTRAP,
      defaultDescription: `$TRIBUTARY_BOOTSTRAP or ${DEFAULT_BOOTSTRAP}`,
      describe: 'comma-separated ws://host:port of any cluster nodes',
    })
    .option('json', { type: 'boolean', global: true, default: false, describe: 'machine-readable output' })
    .option('timeout', { type: 'number', global: true, default: DEFAULT_TIMEOUT_MS, describe: 'request timeout (ms)' })
    .strict()
    .demandCommand(1, 'give a command (see tributary --help)')
    .recommendCommands()
    .help()
    .alias('help', 'h')
    .version(false)
    .wrap(Math.min(120, io.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((msg, err) => {
      // Handlers report their own errors (runCommand); what reaches here is a parse failure.
      if (err && !(err instanceof UsageError)) throw err
      // Throw, don't just record: a fail callback that returns lets yargs run the handler anyway.
      state.usageError = err ? err.message : msg ?? 'invalid arguments'
      throw new UsageError(state.usageError)
    })
  registerCommands(y, state)
  return y
}

/** Run the CLI to completion and return the exit code (bin.ts exits with it). */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const state: CliState = { io, exitCode: 0, usageError: undefined }
  try {
    await buildCli(argv, io, state).parseAsync()
  } catch (err) {
    if (state.usageError !== undefined) return usage(io, state.usageError)
    const d = describeError(err)
    io.stderr.write(`error: ${d.line}\n`)
    if (d.bug && process.env.TRIBUTARY_DEBUG) io.stderr.write(`${(err as Error).stack}\n`)
    return d.exitCode
  }
  if (state.usageError !== undefined) return usage(io, state.usageError)
  return state.exitCode
}

function usage(io: Io, message: string): number {
  const line = oneLine(message)
  io.stderr.write(`error: ${line}${/--help/.test(line) ? '' : ' (see --help)'}\n`)
  return EXIT_USAGE
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, '; ')
}
