/** A binary min-heap of timed items; ties break by insertion order, so runs are deterministic. */
export class EventQueue<T> {
  private heap: { at: number; seq: number; item: T }[] = []
  private seq = 0

  constructor(private readonly maxItems: number) {}

  get size(): number {
    return this.heap.length
  }

  /** Returns false (and drops the item) when the queue is at maxItems. */
  push(at: number, item: T): boolean {
    if (this.heap.length >= this.maxItems) return false
    const h = this.heap
    const node = { at, seq: this.seq++, item }
    // Sift up by moving parents down into the hole: no swaps, no temporary arrays.
    let i = h.length
    h.push(node)
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!less(node, h[p]!)) break
      h[i] = h[p]!
      i = p
    }
    h[i] = node
    return true
  }

  peekTime(): number {
    return this.heap.length > 0 ? this.heap[0]!.at : Infinity
  }

  /** The earliest item, left in place (undefined when empty). */
  peek(): T | undefined {
    return this.heap[0]?.item
  }

  pop(): T | undefined {
    const h = this.heap
    if (h.length === 0) return undefined
    const top = h[0]!
    const last = h.pop()!
    const n = h.length
    if (n > 0) {
      // Sift the last item down from the root through the hole.
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        if (l >= n) break
        const r = l + 1
        const c = r < n && less(h[r]!, h[l]!) ? r : l
        if (!less(h[c]!, last)) break
        h[i] = h[c]!
        i = c
      }
      h[i] = last
    }
    return top.item
  }

  clear(): void {
    this.heap = []
  }
}

function less(a: { at: number; seq: number }, b: { at: number; seq: number }): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq)
}
