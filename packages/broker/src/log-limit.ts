/**
 * Rate-limited logging for conditions that repeat under load (a refused
 * AlterPartition, a peer that is down, a failed fetch): at most one line per key
 * per interval, and the line that goes out carries how many were suppressed since
 * the previous one. Issue #25 measured 175,000 identical warnings in 8 minutes
 * over three brokers; one line per cause per interval says the same thing.
 *
 * Expected conditions (a refused request, a timeout, NOT_CONTROLLER) arrive as
 * `TributaryError`s: `errorFields` logs those as their code and message, with no
 * stack trace. Anything else is a bug and keeps its stack.
 */
import { TributaryError } from '@tributary/protocol'

/** Default interval between two lines of one key. */
export const LOG_LIMIT_INTERVAL_MS_DEFAULT = 10_000
/** Keys remembered at most; the oldest is forgotten first (its suppressed count with it). */
export const LOG_LIMIT_KEYS_MAX = 1000

type Level = 'info' | 'warn' | 'error'

/** What the limiter writes to (pino's Logger fits). */
export interface LineLogger {
  info(obj: unknown, msg?: string): void
  warn(obj: unknown, msg?: string): void
  error(obj: unknown, msg?: string): void
}

interface KeyState {
  lastAtMs: number
  suppressed: number
}

export class RateLimitedLog {
  private readonly keys = new Map<string, KeyState>()

  constructor(
    private readonly logger: LineLogger,
    private readonly clock: { now(): number },
    readonly intervalMs = LOG_LIMIT_INTERVAL_MS_DEFAULT,
    private readonly keysMax = LOG_LIMIT_KEYS_MAX,
  ) {}

  warn(key: string, fields: Record<string, unknown>, msg: string): boolean {
    return this.write('warn', key, fields, msg)
  }

  info(key: string, fields: Record<string, unknown>, msg: string): boolean {
    return this.write('info', key, fields, msg)
  }

  error(key: string, fields: Record<string, unknown>, msg: string): boolean {
    return this.write('error', key, fields, msg)
  }

  /** Writes the line when `key` had none for `intervalMs` (adding `suppressed` when some were dropped); true if written. */
  write(level: Level, key: string, fields: Record<string, unknown>, msg: string): boolean {
    const nowMs = this.clock.now()
    const s = this.keys.get(key)
    if (s !== undefined && nowMs - s.lastAtMs < this.intervalMs) {
      s.suppressed++
      return false
    }
    const suppressed = s?.suppressed ?? 0
    this.remember(key, { lastAtMs: nowMs, suppressed: 0 })
    this.logger[level](suppressed > 0 ? { ...fields, suppressed } : fields, msg)
    return true
  }

  private remember(key: string, s: KeyState): void {
    this.keys.delete(key) // re-inserted last: Map order is then least recently written first
    this.keys.set(key, s)
    if (this.keys.size > this.keysMax) this.keys.delete(this.keys.keys().next().value!)
  }
}

/**
 * Log fields for a caught error: an expected condition (`TributaryError`: a
 * refusal, a timeout, an unreachable peer) as its code and message; anything else
 * as `err`, so pino prints its stack.
 */
export function errorFields(err: unknown): Record<string, unknown> {
  if (err instanceof TributaryError) return { errorCode: err.code, error: err.message }
  return { err }
}
