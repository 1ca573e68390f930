import { describe, expect, test } from '@jest/globals'
import { TimeSlice } from './time-slice.js'

function busy(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) { /* hold the event loop, as a loop over many partitions does */ }
}

describe('TimeSlice', () => {
  test('a long loop that yields lets a due timer run before it ends', async () => {
    let firedAt = -1
    let i = 0
    setTimeout(() => { firedAt = i }, 0)
    const slice = new TimeSlice(5)
    for (; i < 40; i++) {
      await slice.yield()
      busy(1)
    }
    expect(firedAt).toBeGreaterThanOrEqual(0)
    expect(firedAt).toBeLessThan(40)
  })

  test('without yielding (awaits of resolved promises only), the timer waits for the whole loop', async () => {
    let firedAt = -1
    let i = 0
    setTimeout(() => { firedAt = i }, 0)
    for (; i < 40; i++) {
      await Promise.resolve()
      busy(1)
    }
    expect(firedAt).toBe(-1)
    await new Promise<void>((resolve) => setTimeout(resolve, 0))
    expect(firedAt).toBe(40)
  })

  test('does not yield before the slice is used up', async () => {
    const slice = new TimeSlice(60_000)
    let ranImmediate = false
    setImmediate(() => { ranImmediate = true })
    for (let k = 0; k < 100; k++) await slice.yield()
    expect(ranImmediate).toBe(false)
  })
})
