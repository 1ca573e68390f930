/**
 * What a command handler gets: its parsed flags, the streams, an abort signal
 * that fires on Ctrl-C / SIGTERM, and cleanup hooks that always run. The
 * wrapper turns any failure into one line on stderr and an exit code.
 */
import { describeError } from './errors.js'
import type { Io } from './io.js'
import { parseBootstrap, positiveInt } from './args.js'
import type { GlobalArgs } from './cli.js'
import type { TlsOptions } from '@tributary/client'
import { tlsFrom } from './tls-flags.js'
import { clientAuthFrom, commandConfigTls, type ClientAuth } from './auth-flags.js'

export interface Runtime {
  io: Io
  exitCode: number
}

export interface Ctx {
  io: Io
  /** Normalised --bootstrap URLs. */
  bootstrap: string[]
  json: boolean
  timeoutMs: number
  /** --tls-ca / --tls-cert / --tls-key (or env twins), read; undefined when none given */
  tls?: TlsOptions
  /** Aborted on the first SIGINT/SIGTERM: long-running commands stop and clean up. */
  signal: AbortSignal
  /** Runs after the handler, also on failure, in reverse order of registration. */
  defer(fn: () => unknown): void
  /** Set a non-zero exit code without failing the whole command (e.g. partial results). */
  setExitCode(code: number): void
  /** How clients log in (--user, --token-file, --command-config, ...); resolved when first asked. */
  auth(): ClientAuth
}

export type Handler<A> = (argv: A & GlobalArgs, ctx: Ctx) => Promise<void>

/**
 * A yargs handler running `handler` with the CLI's context. yargs types each
 * handler's argv from its builder; commands declare theirs as `A`, so the parsed
 * argv is taken as `A` here, once, instead of at every `.command(...)`.
 */
/** What yargs calls with the parsed arguments. */
export type CommandHandler = (parsed: { [key: string]: unknown }) => Promise<void>

export function runCommand<A>(rt: Runtime, handler: Handler<A>): CommandHandler {
  return async (parsed) => {
    const argv = parsed as A & GlobalArgs
    const abort = new AbortController()
    const stop = (): void => abort.abort()
    const deferred: Array<() => unknown> = []
    let bootstrap: string[] = []
    let auth: ClientAuth | undefined
    try {
      bootstrap = parseBootstrap(argv.bootstrap)
      const timeoutMs = positiveInt('timeout', argv.timeout)
      // `on`, not `once`: with no listener left, a second Ctrl-C would kill us mid-cleanup.
      process.on('SIGINT', stop)
      process.on('SIGTERM', stop)
      const ctx: Ctx = {
        io: rt.io,
        bootstrap,
        json: argv.json,
        timeoutMs,
        // TLS flags and env twins first; else the ssl.* files a --command-config names.
        tls: tlsFrom(argv, process.env) ?? tlsFrom(commandConfigTls(argv, process.env), {}),
        signal: abort.signal,
        defer: (fn) => deferred.push(fn),
        setExitCode: (code) => (rt.exitCode = code),
        auth: () => (auth ??= clientAuthFrom(argv, process.env)),
      }
      await handler(argv, ctx)
    } catch (err) {
      const d = describeError(err, bootstrap.join(','))
      rt.io.stderr.write(`error: ${d.line}\n`)
      if (d.bug && process.env.TRIBUTARY_DEBUG) rt.io.stderr.write(`${(err as Error).stack}\n`)
      rt.exitCode = d.exitCode
    } finally {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      for (const fn of deferred.reverse()) {
        try {
          await fn()
        } catch {
          // cleanup is best effort: the command's own outcome is what the user needs
        }
      }
    }
  }
}

/** Resolves when the signal aborts (for follow-mode loops). */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
}

/** Sleep that ends early on abort. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const t = setTimeout(done, ms)
    function done(): void {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}
