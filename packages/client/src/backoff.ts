/**
 * Retry policy shared by every client component: capped exponential backoff
 * with ±20% jitter, as kafkajs does, and sleeps that end early on abort.
 */
import { systemClock, TributaryError, type Clock } from '@tributary/protocol'
import { asTributaryError, closedError } from './errors.js'

export interface RetryOptions {
  /** Attempts after the first. */
  retries?: number
  initialRetryTimeMs?: number
  maxRetryTimeMs?: number
}
export type RetryPolicy = Required<RetryOptions>

export const RETRY_DEFAULTS: RetryPolicy = { retries: 10, initialRetryTimeMs: 100, maxRetryTimeMs: 2_000 }

export function retryPolicy(opts: RetryOptions | undefined, base: RetryPolicy = RETRY_DEFAULTS): RetryPolicy {
  return { ...base, ...Object.fromEntries(Object.entries(opts ?? {}).filter(([, v]) => v !== undefined)) }
}

/** Delay before retry number `attempt` (0-based). */
export function backoffMs(attempt: number, p: Pick<RetryPolicy, 'initialRetryTimeMs' | 'maxRetryTimeMs'>, random = Math.random): number {
  const base = Math.min(p.maxRetryTimeMs, p.initialRetryTimeMs * 2 ** Math.min(attempt, 30))
  return Math.max(0, Math.round(base * (0.8 + 0.4 * random())))
}

/** Resolves after ms on `clock`, or rejects with `closedError` as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal, clock: Clock = systemClock): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(closedError('client'))
    const onAbort = (): void => {
      cancel()
      reject(closedError('client'))
    }
    const cancel = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * Run fn until it succeeds, a non-retriable error occurs, or retries run out.
 * `beforeRetry` runs between attempts (e.g. a metadata refresh); its own errors
 * are ignored, since the next attempt will surface anything that matters.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  opts: { signal?: AbortSignal; beforeRetry?: (err: TributaryError) => Promise<unknown> | void; clock?: Clock; random?: () => number } = {},
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt)
    } catch (e) {
      const err = asTributaryError(e)
      if (!err.retriable) throw err
      // Closing the client is what failed the request (its connections went down): say so, not retriable.
      if (opts.signal?.aborted) throw closedError('client', err)
      if (attempt >= policy.retries) throw err
      await sleep(backoffMs(attempt, policy, opts.random), opts.signal, opts.clock)
      try {
        await opts.beforeRetry?.(err)
      } catch {
        // the next attempt reports the failure
      }
    }
  }
}
