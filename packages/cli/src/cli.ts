/**
 * The `tributary` command: one yargs instance with every subcommand. Failures
 * are one line on stderr: exit 2 for a bad flag or value (yargs validation or
 * UsageError), exit 1 for everything else a user can cause (CliError,
 * TributaryError). A stack trace appears only for bugs, with TRIBUTARY_DEBUG=1.
 */
import { readFileSync } from 'node:fs'
import yargs, { type Argv } from 'yargs'
import { describeError, EXIT_USAGE, UsageError } from './errors.js'
import { processIo, type Io } from './io.js'
import { registerCommands } from './commands/index.js'
import type { Runtime } from './runtime.js'
import { usageMessage, type ParseContext } from './usage-errors.js'
import { tlsOptions, type TlsArgs } from './tls-flags.js'

export const DEFAULT_BOOTSTRAP = 'ws://127.0.0.1:9092'
export const DEFAULT_TIMEOUT_MS = 15_000

/** This package's version (`tributary --version`). */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version

export interface GlobalArgs extends TlsArgs {
  bootstrap: string
  json: boolean
  /** As typed: runCommand parses it, so a bad value is echoed back. */
  timeout: string
}

/** Parse-time failures land here, not in a handler: remember them for main(). */
interface CliState extends Runtime {
  usageError: string | undefined
}

export function buildCli(argv: string[], io: Io = processIo(), state: CliState = { io, exitCode: 0, usageError: undefined }): Argv {
  const y = tlsOptions(yargs(argv))
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
    // Number flags are strings to yargs: it would turn `abc` into NaN before we could say what was typed.
    .option('timeout', { type: 'string', global: true, default: String(DEFAULT_TIMEOUT_MS), describe: 'request timeout (ms, a positive integer)' })
    .strict()
    .demandCommand(1, 'give a command (see tributary --help)')
    .recommendCommands()
    .help()
    .alias('help', 'h')
    // main() answers --version itself, on this Io (yargs would print with console.log).
    .version(false)
    .option('version', { alias: 'V', type: 'boolean', describe: 'print the version' })
    .wrap(Math.min(120, io.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((msg, err) => {
      // Handlers report their own errors (runCommand); what reaches here is a parse failure.
      if (err && !(err instanceof UsageError)) throw err
      // Throw, don't just record: a fail callback that returns lets yargs run the handler anyway.
      state.usageError = err ? err.message : usageMessage(msg ?? 'invalid arguments', parseContext(y, argv))
      throw new UsageError(state.usageError)
    })
  registerCommands(y, state)
  return y
}

/** What yargs knows at a parse failure, for usageMessage (yargs' internal context, pinned by cli.test.ts). */
function parseContext(y: Argv, argv: string[]): ParseContext {
  const internal = (y as unknown as { getInternalMethods(): { getContext(): { commands: string[]; fullCommands: string[] }; getCommandInstance(): { getCommands(): string[] } } }).getInternalMethods()
  const { commands, fullCommands } = internal.getContext()
  const options = (y as unknown as { getOptions(): { key: Record<string, unknown>; alias: Record<string, string[]> } }).getOptions()
  const flags = [...Object.keys(options.key), ...Object.values(options.alias).flat()]
  return { commands: [...commands], fullCommands: [...fullCommands], flags: [...new Set(flags)], subcommands: internal.getCommandInstance().getCommands(), argv }
}

/** Run the CLI to completion and return the exit code (bin.ts exits with it). */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const state: CliState = { io, exitCode: 0, usageError: undefined }
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    io.stdout.write(`${VERSION}\n`)
    return 0
  }
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
