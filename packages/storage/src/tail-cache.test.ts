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

  test('the node-wide budget splits among open partitions: memory follows the budget, not the partition count', () => {
    const budget = new TailCacheBudget(64 * KiB, 16 * KiB)
    const caches = Array.from({ length: 8 }, () => new TailCache(budget))
    expect(caches[0]!.bytesMax()).toBe(2 * KiB) // 16 KiB over 8 partitions, under the 64 KiB per-partition cap
    for (const c of caches) c.markFlushed([0, 1, 2, 3].map((o) => add(c, o)))
    expect(budget.usedBytes()).toBe(8 * 2 * KiB) // each kept its share, no more
    const more = Array.from({ length: 8 }, () => new TailCache(budget)) // twice the partitions: each share halves at once
    expect(budget.usedBytes()).toBe(8 * KiB)
    expect(more[0]!.bytesMax()).toBe(KiB)
    for (const c of more) c.close()
    expect(caches[0]!.bytesMax()).toBe(2 * KiB)
  })

  test('a partition not written since the previous sweep gives its written batches back; an active one and unwritten batches stay', () => {
    const budget = new TailCacheBudget(64 * KiB, 1 << 30)
    const idle = new TailCache(budget)
    const busy = new TailCache(budget)
    idle.markFlushed([0, 1].map((o) => add(idle, o)))
    busy.markFlushed([0, 1].map((o) => add(busy, o)))
    expect(budget.holding()).toBe(2)
    expect(budget.releaseIdle()).toBe(0) // both were written since the last sweep (none yet)
    add(busy, 2) // busy keeps writing (batch 2 not yet written)
    expect(budget.releaseIdle()).toBe(2 * KiB) // idle's two batches
    expect([cached(idle, 0), cached(idle, 1)]).toEqual([false, false])
    expect([0, 1, 2].map((o) => cached(busy, o))).toEqual([true, true, true])
    expect(budget.usedBytes()).toBe(3 * KiB)
    expect(budget.releaseIdle()).toBe(2 * KiB) // busy went quiet: its written batches go, the unwritten one stays
    expect(cached(busy, 2)).toBe(true)
    expect(budget.holding()).toBe(1)
    add(idle, 2) // appends after a release start a new contiguous tail
    expect(cached(idle, 2)).toBe(true)
  })
})
