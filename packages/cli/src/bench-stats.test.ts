/** SharedReading: the clock `bench produce` times every record with. */
import { describe, expect, test } from '@jest/globals'
import { SharedReading } from './bench-stats.js'

describe('SharedReading', () => {
  test('reads the clock once per `reuse` calls of one synchronous run', () => {
    const clock = new SharedReading(4)
    const calls = Array.from({ length: 10 }, () => {
      const at = clock.now()
      return { at, fresh: clock.fresh }
    })
    expect(calls.map((c) => c.fresh)).toEqual([true, false, false, false, true, false, false, false, true, false])
    for (let i = 0; i < 10; i++) expect(calls[i]!.at).toBe(calls[4 * Math.floor(i / 4)]!.at)
    expect(calls[4]!.at).toBeGreaterThanOrEqual(calls[0]!.at)
  })

  test('the next turn of the event loop reads afresh', async () => {
    const clock = new SharedReading(1_000)
    const first = clock.now()
    clock.now()
    expect(clock.fresh).toBe(false)
    await new Promise((resolve) => setTimeout(resolve, 2))
    const later = clock.now()
    expect(clock.fresh).toBe(true)
    expect(later).toBeGreaterThan(first)
  })
})
