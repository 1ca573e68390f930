import type { RaftNode } from '../raft-node.js'
import { ProgressWatch, type WatchedNode } from './progress-watch.js'

const node = (id: number, appIndex: number, last: number | null): WatchedNode => ({
  id,
  appIndex,
  raft: last === null ? null : ({ lastLogIndex: last } as RaftNode),
})

describe('progress after healing', () => {
  test('a node passing its highest applied or last index is progress; standing still is not', () => {
    const w = new ProgressWatch()
    expect(w.moved([node(1, 5, 10), node(2, 5, 8)])).toBe(true)
    expect(w.moved([node(1, 5, 10), node(2, 5, 8)])).toBe(false)
    expect(w.moved([node(1, 5, 10), node(2, 5, 9)])).toBe(true)
    expect(w.moved([node(1, 6, 10), node(2, 5, 9)])).toBe(true)
    expect(w.moved([node(1, 6, 10), node(2, 5, null)])).toBe(false)
  })

  test('a log cut short by a new leader does not hide another node catching up (seed 172370)', () => {
    const w = new ProgressWatch()
    w.moved([node(1, 289, 853), node(6, 40, 47)])
    // Node 1 loses its uncommitted tail: the sum over nodes falls by 560 ...
    expect(w.moved([node(1, 289, 293), node(6, 40, 47)])).toBe(false)
    // ... but node 6 taking one entry is progress, though the sum stays far below.
    expect(w.moved([node(1, 289, 293), node(6, 40, 48)])).toBe(true)
    // Node 1's log growing back below its old tail is not.
    expect(w.moved([node(1, 289, 294), node(6, 40, 48)])).toBe(false)
  })
})
