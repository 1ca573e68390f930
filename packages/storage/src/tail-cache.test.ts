import { describe, expect, test } from '@jest/globals'
import { TailCache, TailCacheBudget, type CachedBatch } from './tail-cache.js'

const KiB = 1024
const cacheOf = (bytesMax: number) => new TailCache(new TailCacheBudget(bytesMax, 1 << 30))
const add = (c: TailCache, base: number, bytes = KiB): CachedBatch => c.append(base, base, new Uint8Array(bytes))
const cached = (c: TailCache, offset: number): boolean => {
  const b = c.at(c.indexFor(offset))
  return b !== undefined && b.baseOffset <= offset && offset <= b.lastOffset
}

describe('tail cache', () => {
  test('the bound counts written batches only: with more in flight than the bound, the newest written ones stay for the readers at the tail', () => {
    const c = cacheOf(KiB)
    const items = [0, 1, 2, 3].map((o) => add(c, o)) // 4 KiB queued for writing against a 1 KiB bound
    c.markFlushed(items.slice(0, 2))
    expect(cached(c, 0)).toBe(false) // older written batch: evicted
    expect(cached(c, 1)).toBe(true) // the newest written one: a consumer at the tail reads it from memory
    expect([cached(c, 2), cached(c, 3)]).toEqual([true, true]) // unwritten: never evicted
    c.markFlushed(items.slice(2))
    expect([1, 2, 3].map((o) => cached(c, o))).toEqual([false, false, true])
    expect(c.size()).toBe(KiB)
  })

  test('a batch truncated or compacted away before its write completes is not counted twice when the write lands', () => {
    const c = cacheOf(KiB)
    const items = [0, 1, 2].map((o) => add(c, o))
    c.truncateFrom(2) // the follower cut its tail while the write was queued
    c.rewrite(new Map([[1, new Uint8Array(KiB / 2)]])) // compaction shrank batch 1 in place
    c.markFlushed(items) // the writes land: 0 and 1 are written, 2 is gone
    expect(c.size()).toBe(KiB / 2) // 0 evicted to fit the bound, the rewritten 1 kept
    expect([cached(c, 0), cached(c, 1), cached(c, 2)]).toEqual([false, true, false])
    add(c, 2, KiB)
    expect(c.size()).toBe(KiB + KiB / 2) // the new unwritten batch on top of the bound
  })
})
