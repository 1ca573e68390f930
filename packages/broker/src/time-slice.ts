/**
 * Cooperative time slices for data-plane loops over every partition (a fetch
 * over thousands of partitions, the periodic ISR check): after `sliceMs` of
 * work the loop yields with setImmediate, so the timers phase runs before it
 * goes on. The Raft tick and the broker heartbeat are timers; without this a
 * loop over 10,000 partitions holds them back for its whole length (issue #25:
 * the controller lost leadership under data-plane load alone).
 *
 * Awaiting an already-resolved promise does not yield: the microtask queue
 * drains before the event loop moves on, so a loop that awaits fast reads is
 * one long task unless it yields like this.
 */

/** How long a data-plane loop may hold the event loop before it yields. */
export const DATA_PLANE_SLICE_MS = 5

const nextTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve))

export class TimeSlice {
  private startedAt = performance.now()

  constructor(private readonly sliceMs = DATA_PLANE_SLICE_MS) {}

  /** True when this slice is used up (the caller should `yield()`). */
  get due(): boolean {
    return performance.now() - this.startedAt >= this.sliceMs
  }

  /** Yields to the event loop if the slice is used up; resolves at once otherwise. */
  async yield(): Promise<void> {
    if (!this.due) return
    await nextTurn()
    this.startedAt = performance.now()
  }
}
