import { describe, expect, test } from '@jest/globals'
import { rssVerdict, type RssSample } from './soak-rss.js'

const MiB = 1024 * 1024
const MIN = 60_000

/** One sample a minute of two brokers' RSS, from MiB figures. */
const samples = (a: number[], b: number[]): RssSample[] => a.map((x, i) => ({ atMs: (i + 1) * MIN, bytes: [x * MiB, b[i]! * MiB] }))

describe('rssVerdict', () => {
  test('30 minutes: the reference is the 10th minute, the late window the last 10; within 5 % is flat', () => {
    const a = Array.from({ length: 30 }, (_, i) => (i < 9 ? 100 + i * 10 : 200)) // grows, then flat
    const b = Array.from({ length: 30 }, (_, i) => (i < 20 ? 300 : 320)) // +6.7 % in the last 10 minutes
    const v = rssVerdict(samples(a, b), 30 * MIN, 2)
    expect(v).toEqual({ peakMiB: [200, 320], referencePeakMiB: [200, 300], latePeakMiB: [200, 320], flat: false })
    const flat = rssVerdict(samples(a, a), 30 * MIN, 2)
    expect(flat.flat).toBe(true)
  })

  test('a short run scales the windows to a third of it', () => {
    // 6 minutes: W = 2 min, reference = samples in [1.8, 2] min, late = [4, 6] min
    const v = rssVerdict(samples([50, 100, 70, 104, 90, 80], [50, 100, 70, 110, 90, 80]), 6 * MIN, 2)
    expect(v.referencePeakMiB).toEqual([100, 100])
    expect(v.latePeakMiB).toEqual([104, 110])
    expect(v.flat).toBe(false)
  })

  test('the reference window is at least minReferenceMs wide', () => {
    // 6 minutes: the tenth of W is [1.8, 2] min and holds no sample; 30 s wide it holds the 1.5-minute one
    const s = [{ atMs: 1.5 * MIN, bytes: [10 * MiB] }, { atMs: 5 * MIN, bytes: [10 * MiB] }]
    expect(rssVerdict(s, 6 * MIN, 1).referencePeakMiB).toEqual([0])
    expect(rssVerdict(s, 6 * MIN, 1, 30_000)).toMatchObject({ referencePeakMiB: [10], latePeakMiB: [10], flat: true })
  })

  test('no sample in the reference or the late window is not flat (nothing to compare)', () => {
    expect(rssVerdict([{ atMs: 5 * MIN, bytes: [MiB] }], 30 * MIN, 1).flat).toBe(false)
    expect(rssVerdict([{ atMs: 10 * MIN, bytes: [MiB] }], 30 * MIN, 1)).toMatchObject({ referencePeakMiB: [1], latePeakMiB: [0], flat: false })
  })
})
