import { describe, expect, test } from '@jest/globals'
import { everyAfter, type Clock } from './clock.js'

/** Timers fire only when `advance` moves time past them. */
class TestClock implements Clock {
  private t = 0
  private timers: Array<{ at: number; fn: () => void }> = []
  now = (): number => this.t
  setTimeout(fn: () => void, ms: number): () => void {
    const timer = { at: this.t + ms, fn }
    this.timers.push(timer)
    return () => void (this.timers = this.timers.filter((x) => x !== timer))
  }
  async advance(ms: number): Promise<void> {
    const end = this.t + ms
    for (;;) {
      const next = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0]
      if (!next) break
      this.timers = this.timers.filter((x) => x !== next)
      this.t = next.at
      next.fn()
      for (let i = 0; i < 5; i++) await Promise.resolve()
    }
    this.t = end
  }
}

describe('everyAfter', () => {
  test('runs every ms after the previous run finished, never two at once, and not after it is stopped', async () => {
    const clock = new TestClock()
    const starts: number[] = []
    let finish = (): void => {}
    const stop = everyAfter(clock, 100, () => {
      starts.push(clock.now())
      return new Promise<void>((r) => (finish = r))
    })
    await clock.advance(100)
    expect(starts).toEqual([100])
    await clock.advance(500) // the first run has not finished: no second one
    expect(starts).toEqual([100])
    finish()
    await Promise.resolve()
    await clock.advance(100)
    expect(starts).toEqual([100, 700])
    finish()
    await Promise.resolve()
    stop()
    await clock.advance(1000)
    expect(starts).toEqual([100, 700])
  })

  test('a run in progress when it is stopped arms no further run', async () => {
    const clock = new TestClock()
    let runs = 0
    let finish = (): void => {}
    const stop = everyAfter(clock, 10, () => {
      runs++
      return new Promise<void>((r) => (finish = r))
    })
    await clock.advance(10)
    stop()
    finish()
    await clock.advance(100)
    expect(runs).toBe(1)
  })
})
