/**
 * `tributary broker`: run one node in this process. Flags come from the broker's
 * config schema (packages/broker/src/config.ts), so every flag has its
 * TRIBUTARY_* env twin and the same validation as docker-compose and tests.
 *
 * SIGTERM / SIGINT: controlled shutdown (leadership moves away first), exit 0.
 * A second signal exits at once. A bad flag or value: one line, exit 2.
 */
import { readFileSync } from 'node:fs'
import type { Argv, CommandModule } from 'yargs'
import { BROKER_OPTIONS, createLogger, resolveBrokerConfig, startBroker, type BrokerConfig } from '@tributary/broker'

export const EXIT_USAGE = 2

export interface BrokerArgs {
  config?: string
  [key: string]: unknown
}

function describe(o: (typeof BROKER_OPTIONS)[number]): string {
  const none = o.default === null || (Array.isArray(o.default) && o.default.length === 0)
  const def = o.default === undefined ? ' [required]' : none ? '' : ` [default: ${String(o.default)}]`
  return `${o.describe} (env ${o.env})${def}`
}

export function brokerOptions<T>(y: Argv<T>): Argv<T> {
  let out = y.option('config', { type: 'string', describe: 'JSON file with broker options (flags and env win over it)' })
  for (const o of BROKER_OPTIONS) out = out.option(o.flag, { type: 'string', describe: describe(o), requiresArg: true })
  return out as Argv<T>
}

/** Flags + env + file → config, or a one-line error. */
export function brokerConfigFrom(args: BrokerArgs, env: Record<string, string | undefined>): { ok: true; config: BrokerConfig } | { ok: false; message: string } {
  let file: Record<string, unknown> = {}
  const path = args.config ?? env.TRIBUTARY_CONFIG
  if (path) {
    try {
      const parsed = JSON.parse(readFileSync(path, 'utf8'))
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { ok: false, message: `--config ${path}: not a JSON object` }
      file = parsed
    } catch (err) {
      return { ok: false, message: `--config ${path}: ${(err as Error).message.split('\n')[0]}` }
    }
  }
  const flags: Record<string, unknown> = {}
  for (const o of BROKER_OPTIONS) if (args[o.flag] !== undefined) flags[o.key] = args[o.flag]
  const r = resolveBrokerConfig({ flags, env, file })
  return r.ok ? { ok: true, config: r.value } : { ok: false, message: r.message }
}

/** Start the node and stay up until a signal; resolves with the exit code. */
export async function runBroker(config: BrokerConfig): Promise<number> {
  const logger = createLogger(config)
  // A bug in one handler must not take the node down: log it and keep serving.
  process.on('uncaughtException', (err) => logger.error({ err }, 'uncaught exception'))
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'))
  if (process.env.TRIBUTARY_EXIT_WITH_PARENT === '1') {
    // Test harnesses hold our stdin: when they die (even by SIGKILL) the pipe closes and so do we.
    process.stdin.on('close', () => process.exit(1))
    process.stdin.on('end', () => process.exit(1))
    process.stdin.resume()
  }
  let handle
  try {
    handle = await startBroker(config, {
      logger,
      processMetrics: true,
      onFatal: () => process.exit(1),
    })
  } catch (err) {
    logger.fatal({ err }, 'broker failed to start')
    process.stderr.write(`error: broker failed to start: ${(err as Error).message}\n`)
    return 1
  }
  return new Promise<number>((resolve) => {
    let signals = 0
    const onSignal = (signal: NodeJS.Signals) => {
      if (++signals > 1) {
        logger.warn({ signal }, 'second signal: exiting now')
        process.exit(1)
      }
      logger.info({ signal }, 'controlled shutdown')
      handle.stop({ controlled: true }).then(
        () => resolve(0),
        (err) => {
          logger.error({ err }, 'shutdown failed')
          resolve(1)
        },
      )
    }
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
  })
}

export const brokerCommand: CommandModule<object, BrokerArgs> = {
  command: 'broker',
  describe: 'run a broker node (WebSocket + HTTP /healthz /readyz /metrics on one port)',
  builder: (y) => brokerOptions(y) as Argv<BrokerArgs>,
  handler: async (args) => {
    const r = brokerConfigFrom(args, process.env)
    if (!r.ok) {
      process.stderr.write(`error: ${r.message}\n`)
      process.exitCode = EXIT_USAGE
      return
    }
    // Exit explicitly: a stopped node must not linger on a stray handle.
    process.exit(await runBroker(r.config))
  },
}
