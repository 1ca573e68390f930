/** SharedReading, the clock `bench produce` times every record with, and LatencyRecorder's runs of equal values. */
import { describe, expect, test } from '@jest/globals'
import hdr from 'hdr-histogram-js'
import { LatencyRecorder, SharedReading } from './bench-stats.js'

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

describe('LatencyRecorder', () => {
  test('runs of equal values count as every value recorded one by one', () => {
    const lat = new LatencyRecorder()
    const values = [...Array(30).fill(1), ...Array(20).fill(2), 1, 2, ...Array(25).fill(1), ...Array(22).fill(100), 7]
    for (const v of values) lat.recordMs(v)
    expect(lat.count).toBe(100)
    const summary = lat.summaryMs()
    expect(summary.p50).toBe(1)
    expect(summary.p95).toBeCloseTo(100, 0) // HDR reports the highest value equivalent to 100 ms
    expect(summary.max).toBe(100)
    // The same values put in a histogram one at a time give the same percentiles.
    const oneByOne = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: false })
    for (const v of values) oneByOne.recordValue(v * 1000)
    for (const [p, got] of [[50, summary.p50], [95, summary.p95], [99, summary.p99], [99.9, summary.p999]] as const) {
      expect(got).toBe(Math.round(oneByOne.getValueAtPercentile(p)) / 1000)
    }
    // Reading the summary does not lose or double a run still open.
    for (let i = 0; i < 100; i++) lat.recordMs(200)
    expect(lat.count).toBe(200)
    expect(lat.summaryMs().p50).toBeGreaterThanOrEqual(100)
    expect(lat.summaryMs().max).toBe(200)
    expect(lat.count).toBe(200)
  })
})
