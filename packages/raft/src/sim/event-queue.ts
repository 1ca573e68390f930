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
    h.push({ at, seq: this.seq++, item })
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!less(h[i]!, h[p]!)) break
      ;[h[i], h[p]] = [h[p]!, h[i]!]
      i = p
    }
    return true
  }

  peekTime(): number {
    return this.heap.length > 0 ? this.heap[0]!.at : Infinity
  }

  pop(): T | undefined {
    const h = this.heap
    if (h.length === 0) return undefined
    const top = h[0]!
    const last = h.pop()!
    if (h.length > 0) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && less(h[l]!, h[m]!)) m = l
        if (r < h.length && less(h[r]!, h[m]!)) m = r
        if (m === i) break
        ;[h[i], h[m]] = [h[m]!, h[i]!]
        i = m
      }
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
