import { takeFetched, type FetchedBatch } from './final-read.js'

const batch = (base: number, last: number): FetchedBatch =>
  ({ baseOffset: base, lastOffset: last, records: Array.from({ length: last - base + 1 }, (_, i) => ({ offset: base + i, value: `v${base + i}` })) })
const offsets = (t: ReturnType<typeof takeFetched>): number[] => t.records.map((r) => r.offset)

describe('a final-read step (takeFetched)', () => {
  test('drops only the part of the first batch below the fetch offset, and moves to the end of the last batch', () => {
    const t = takeFetched(0, 3, 10, [batch(2, 4), batch(5, 6)])
    expect(offsets(t)).toEqual([3, 4, 5, 6])
    expect(t.next).toBe(7)
    expect(t.problems).toEqual([])
  })

  test('passes overlapping and backwards batches on, in the order served, for the checker to flag', () => {
    const t = takeFetched(0, 3, 10, [batch(3, 5), batch(4, 6), batch(0, 1)])
    expect(offsets(t)).toEqual([3, 4, 5, 4, 5, 6, 0, 1])
    expect(t.next).toBe(2) // behind the fetch offset: the caller must stop, not ask again forever
  })

  test('a first batch wholly below the fetch offset is not dropped', () => {
    const t = takeFetched(0, 5, 10, [batch(0, 2)])
    expect(offsets(t)).toEqual([0, 1, 2])
    expect(t.next).toBe(3)
  })

  test('records at or above the HW are problems, not history; the next fetch starts at the HW at most', () => {
    const t = takeFetched(1, 0, 2, [batch(0, 3)])
    expect(offsets(t)).toEqual([0, 1])
    expect(t.problems).toEqual(['p1: record at 2 served at or above HW 2', 'p1: record at 3 served at or above HW 2'])
    expect(t.next).toBe(2)
  })

  test('an empty answer does not move', () => {
    expect(takeFetched(0, 4, 10, []).next).toBe(4)
  })
})
