/**
 * The invariants a part relies on, checked where it relies on them (as TigerBeetle
 * does): a leader is in its ISR, a high watermark never passes the log end offset,
 * leader epochs only grow, a follower's appends continue its log without a gap.
 *
 * A violation is a bug in Tributary, never bad input (bad input is refused at the
 * protocol edge with an error code). Under test (`strict`) it throws at once, with the
 * state that broke it, so the test that reached it fails loudly. In production it is
 * logged once per invariant and minute with the same fields, counted in /metrics
 * (`tributary_invariant_violations_total`), and `check` returns false so the caller
 * refuses the step that would break the invariant instead of building on it.
 */
import type { Clock } from './seams.js'

export class InvariantViolation extends Error {
  constructor(readonly invariant: string, readonly fields: Record<string, unknown>) {
    super(`invariant violated: ${invariant} ${JSON.stringify(fields)}`)
    this.name = 'InvariantViolation'
  }
}

export interface InvariantLogger {
  error(obj: Record<string, unknown>, msg: string): void
}

/** How often one invariant's violation is logged again in production. */
const LOG_EVERY_MS = 60_000

export class Invariants {
  private readonly counts = new Map<string, number>()
  private readonly loggedAt = new Map<string, number>()

  constructor(
    /** throw on a violation (tests), or log, count and let the caller refuse (production) */
    readonly strict: boolean,
    private readonly logger: InvariantLogger,
    private readonly clock: Clock,
  ) {}

  /** true when `cond` holds; otherwise throws (strict) or records the violation and returns false. */
  check(cond: boolean, invariant: string, fields: () => Record<string, unknown>): boolean {
    if (cond) return true
    const f = fields()
    if (this.strict) throw new InvariantViolation(invariant, f)
    this.counts.set(invariant, (this.counts.get(invariant) ?? 0) + 1)
    const now = this.clock.now()
    if (now - (this.loggedAt.get(invariant) ?? -Infinity) >= LOG_EVERY_MS) {
      this.loggedAt.set(invariant, now)
      this.logger.error({ invariant, ...f, violations: this.counts.get(invariant) }, `invariant violated: ${invariant} (the step was refused; this is a bug, please report it)`)
    }
    return false
  }

  /** Violations so far, by invariant (production mode; strict mode throws instead). */
  violations(): ReadonlyMap<string, number> {
    return this.counts
  }
}

/**
 * For the places that catch and log errors to keep a loop alive: a strict violation
 * must not end up as one more log line there, so it is thrown again outside the loop,
 * as an uncaught exception (a broker process exits; jest fails the running test).
 */
export function escalateViolation(err: unknown): void {
  if (err instanceof InvariantViolation) {
    queueMicrotask(() => {
      throw err
    })
  }
}

/**
 * Strict under jest and wherever TRIBUTARY_STRICT_INVARIANTS=1 (the e2e harness sets it
 * for the brokers it starts); TRIBUTARY_STRICT_INVARIANTS=0 turns it off anywhere.
 */
export function strictInvariantsFromEnv(env: Record<string, string | undefined> = process.env): boolean {
  if (env.TRIBUTARY_STRICT_INVARIANTS !== undefined) return env.TRIBUTARY_STRICT_INVARIANTS === '1'
  return env.JEST_WORKER_ID !== undefined
}
