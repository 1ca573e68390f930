/**
 * Leaks out of the simulation, caught: while a run is on, the globals a
 * simulated node or client must never reach (real timers, Date.now,
 * Math.random) are replaced by versions that record who called them (the run
 * then fails) and answer from the simulation, so the run stays replayable
 * even while it is being failed. Calls whose stack holds none of our code
 * (jest's own machinery) are not ours to judge and pass through.
 *
 * setImmediate is counted rather than refused: the world's idle check
 * (SimWorld.settle) waits until none is pending. performance.now answers
 * virtual time: the data plane's TimeSlice yields by it, and a wall reading
 * there would make the interleaving depend on the machine's speed.
 * process.cpuUsage (read by the Raft tick's metrics, every tick) answers
 * virtual time as user CPU: the machine's reading means nothing inside, and the
 * system call cost 13 % of a run.
 */

export interface Leak {
  what: string
  /** The caller's frames, ours first. */
  stack: string
}

const real = {
  setTimeout: globalThis.setTimeout,
  setInterval: globalThis.setInterval,
  setImmediate: globalThis.setImmediate,
  clearImmediate: globalThis.clearImmediate,
  dateNow: Date.now,
  random: Math.random,
  performanceNow: performance.now,
  cpuUsage: process.cpuUsage,
}

export const realSetImmediate: (fn: () => void) => void = (fn) => void real.setImmediate(fn)

let pending = 0
const live = new Set<unknown>()

/** setImmediate callbacks queued while a guard is on and not yet run. */
export function pendingImmediates(): number {
  return pending
}

/** Our frames: packages and the e2e sources (the guard's own excluded). */
const OUR_CODE = /\/(packages\/[a-z]+\/(src|dist)|e2e\/(src|dist))\//

export interface GuardSources {
  /** Virtual now (ms since the epoch). */
  now(): number
  /** Virtual monotonic time for performance.now. */
  monotonic(): number
  /** A seeded stream for a leaked Math.random, so even a failing run replays. */
  random(): number
}

/** The installed guard (one at a time: the globals are the process's). */
const installed: { guard: Guard | null } = { guard: null }

export class Guard {
  /** The first leaks, with their callers. */
  readonly leaks: Leak[] = []
  /** Every leak, counted. */
  leakCount = 0

  constructor(private readonly sources: GuardSources) {}

  install(): void {
    if (installed.guard) throw new Error('a simulation is already running in this process')
    installed.guard = this
    const g = globalThis as Record<string, unknown>
    g.setTimeout = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      this.leak(`setTimeout(${ms})`)
      return real.setTimeout(fn, ms, ...args)
    }
    g.setInterval = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      this.leak(`setInterval(${ms})`)
      return real.setInterval(fn, ms, ...args)
    }
    g.setImmediate = (fn: (...a: unknown[]) => void, ...args: unknown[]) => {
      pending++
      const handle = real.setImmediate(() => {
        live.delete(handle)
        pending--
        fn(...args)
      })
      live.add(handle)
      return handle
    }
    g.clearImmediate = (handle: NodeJS.Immediate | undefined) => {
      if (live.delete(handle)) pending--
      real.clearImmediate(handle)
    }
    Date.now = () => {
      this.leak('Date.now()')
      return this.sources.now()
    }
    Math.random = () => {
      this.leak('Math.random()')
      return this.sources.random()
    }
    performance.now = () => this.sources.monotonic()
    process.cpuUsage = () => ({ user: Math.floor(this.sources.monotonic() * 1000), system: 0 })
  }

  uninstall(): void {
    if (installed.guard !== this) return
    installed.guard = null
    const g = globalThis as Record<string, unknown>
    g.setTimeout = real.setTimeout
    g.setInterval = real.setInterval
    g.setImmediate = real.setImmediate
    g.clearImmediate = real.clearImmediate
    Date.now = real.dateNow
    Math.random = real.random
    performance.now = real.performanceNow
    process.cpuUsage = real.cpuUsage
  }

  private leak(what: string): void {
    const stack = (new Error().stack ?? '').split('\n').slice(3).filter((l) => OUR_CODE.test(l) && !l.includes('/sim/guard.'))
    if (stack.length === 0) return
    this.leakCount++
    if (this.leaks.length < LEAKS_KEPT_MAX) this.leaks.push({ what, stack: stack.slice(0, 6).join('\n') })
  }
}

/** Leaks kept for the report (the first ones say where). */
const LEAKS_KEPT_MAX = 20
