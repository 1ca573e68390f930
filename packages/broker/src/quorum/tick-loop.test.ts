import { describe, expect, test } from '@jest/globals'
import type { Clock } from '../seams.js'
import { TickLoop } from './tick-loop.js'

/** A clock whose timers fire only when the test says, at whatever time the test has set (a stalled process fires them late). */
class StallClock implements Clock {
  t = 0
  timers: Array<{ at: number; fn: () => void; cancelled: boolean }> = []
  now(): number {
    return this.t
  }
  setTimeout(fn: () => void, ms: number): () => void {
    const timer = { at: this.t + ms, fn, cancelled: false }
    this.timers.push(timer)
    return () => { timer.cancelled = true }
  }
  /** Fire the earliest pending timer, at its due time or at `at` if later. */
  fireNext(at?: number): void {
    const live = this.timers.filter((x) => !x.cancelled).sort((a, b) => a.at - b.at)
    const next = live[0]!
    this.timers = live.slice(1)
    this.t = Math.max(this.t, at ?? next.at)
    next.fn()
  }
}

describe('TickLoop', () => {
  test('on time, a tick runs when its timer fires and the next is set tickMs later', () => {
    const clock = new StallClock()
    const ticks: number[] = []
    const late: number[] = []
    const loop = new TickLoop(clock, 50, () => ticks.push(clock.now()), (ms) => late.push(ms))
    loop.start()
    clock.fireNext()
    clock.fireNext(120) // 20 ms late: within one tick, runs at once
    expect(ticks).toEqual([50, 120])
    expect(late).toEqual([0, 20])
    expect(clock.timers.map((x) => x.at)).toEqual([170])
  })

  test('a tick more than a tick late waits one event-loop turn (a 0 ms timer) so the sockets are read first', () => {
    const clock = new StallClock()
    const events: string[] = []
    const late: number[] = []
    const loop = new TickLoop(clock, 50, () => events.push(`tick@${clock.now()}`), (ms) => late.push(ms))
    loop.start()
    clock.fireNext(2_050) // the process stalled for 2 s
    expect(events).toEqual([]) // not yet: the heartbeats that waited are read first
    events.push('io')
    clock.fireNext()
    expect(events).toEqual(['io', 'tick@2050'])
    expect(late).toEqual([2_000]) // recorded once, when the timer fired
    expect(clock.timers.map((x) => x.at)).toEqual([2_100])
  })

  test('stop() cancels a tick waiting for its turn', () => {
    const clock = new StallClock()
    let ticks = 0
    const loop = new TickLoop(clock, 50, () => void ticks++)
    loop.start()
    clock.fireNext(500)
    loop.stop()
    expect(clock.timers.filter((x) => !x.cancelled)).toEqual([])
    expect(ticks).toBe(0)
  })
})
