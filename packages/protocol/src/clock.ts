/**
 * Time as a parameter: every part that reads the time or arms a timer takes a
 * Clock, so tests and simulations can run it on a clock they move themselves.
 * Only the entry points (a broker's main, a client constructed without one) use
 * the system clock. Browser-safe.
 */
export interface Clock {
  /** Milliseconds since the epoch (wall clock: timestamps, deadlines, ages). */
  now(): number
  /**
   * Calls fn after ms; returns a cancel function. A `background` timer does not keep a
   * Node process alive (a periodic refresh must not hold an idle program open).
   */
  setTimeout(fn: () => void, ms: number, background?: boolean): () => void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms, background) {
    const t = setTimeout(fn, ms)
    if (background && typeof t === 'object' && typeof (t as { unref?: unknown }).unref === 'function') (t as { unref: () => void }).unref()
    return () => clearTimeout(t)
  },
}

/** Calls fn every ms on `clock` (as setInterval) until the returned function is called. */
export function every(clock: Clock, ms: number, fn: () => void): () => void {
  let cancel = (): void => {}
  let stopped = false
  const arm = (): void => {
    cancel = clock.setTimeout(() => {
      if (stopped) return
      arm() // re-armed first: fn may stop the timer
      fn()
    }, ms)
  }
  arm()
  return () => {
    stopped = true
    cancel()
  }
}

/**
 * Runs fn `ms` after the previous run finished (runs never overlap: a slow run
 * delays the next) until the returned function is called.
 */
export function everyAfter(clock: Clock, ms: number, fn: () => Promise<unknown>): () => void {
  let stopped = false
  let cancel = (): void => {}
  const tick = (): void => {
    if (stopped) return
    void fn().finally(() => {
      if (!stopped) cancel = clock.setTimeout(tick, ms)
    })
  }
  cancel = clock.setTimeout(tick, ms)
  return () => {
    stopped = true
    cancel()
  }
}
