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
}

export type Handler<A> = (argv: A & GlobalArgs, ctx: Ctx) => Promise<void>

export function runCommand<A>(rt: Runtime, handler: Handler<A>): (argv: A & GlobalArgs) => Promise<void> {
  return async (argv) => {
    const abort = new AbortController()
    const stop = (): void => abort.abort()
    const deferred: Array<() => unknown> = []
    let bootstrap: string[] = []
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
        tls: tlsFrom(argv, process.env),
        signal: abort.signal,
        defer: (fn) => deferred.push(fn),
        setExitCode: (code) => (rt.exitCode = code),
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
