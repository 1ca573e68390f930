/**
 * A Clock whose time moves only when a test says so. Timers fire in time order
 * (ties in the order they were set); between timers `settle` lets promise
 * chains and queued deliveries run, so async loops observe each step.
 */
import type { Clock } from '../seams.js'

interface Timer { at: number; seq: number; fn: () => void; cancelled: boolean }

/** Macrotask turns per settle: enough for a Ready loop's awaits and a network hop. */
export const SETTLE_TURNS = 8

export async function settle(turns = SETTLE_TURNS): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

export class ManualClock implements Clock {
  private t: number
  private seq = 0
  private timers: Timer[] = []

  constructor(start = 1_700_000_000_000) {
    this.t = start
  }

  now(): number {
    return this.t
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false }
    this.timers.push(timer)
    return () => { timer.cancelled = true }
  }

  /** Move time forward by `ms`, firing every timer due on the way. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms
    for (;;) {
      await settle() // work already under way may set a timer due within this step
      this.timers = this.timers.filter((x) => !x.cancelled)
      let next: Timer | undefined
      for (const x of this.timers) if (x.at <= end && (!next || x.at < next.at || (x.at === next.at && x.seq < next.seq))) next = x
      if (!next) break
      this.timers.splice(this.timers.indexOf(next), 1)
      this.t = Math.max(this.t, next.at)
      next.fn()
      await settle()
    }
    this.t = end
    await settle()
  }

  /** Advance in steps until `cond` holds; throws after `maxMs` of simulated time. */
  async advanceUntil(cond: () => boolean, maxMs: number, stepMs = 50): Promise<number> {
    const start = this.t
    while (!cond()) {
      if (this.t - start > maxMs) throw new Error(`condition not met within ${maxMs} simulated ms`)
      await this.advance(stepMs)
    }
    return this.t - start
  }
}
