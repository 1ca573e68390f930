/**
 * acks=all produce requests parked until the high watermark passes their last
 * offset (docs/ARCHITECTURE.md, "Life of a produce"). Appends happen in
 * offset order, so waiters are queued in order and completed from the front.
 */
import { ErrorCode } from '@tributary/protocol'
import type { Clock } from '../seams.js'

interface Waiter {
  /** HW at or above this completes the waiter (last offset + 1) */
  requiredOffset: number
  resolve: (errorCode: number) => void
  cancelTimer: () => void
  done: boolean
}

/** Parked acks=all requests per partition; beyond it new ones fail at once. */
export const DELAYED_PRODUCE_PER_PARTITION_MAX = 100_000

export class DelayedProduce {
  private queue: Waiter[] = []
  private head = 0

  constructor(private readonly clock: Clock) {}

  get size(): number {
    return this.queue.length - this.head
  }

  /** Resolves with NONE (or what `complete` decides) once the HW reaches requiredOffset, REQUEST_TIMED_OUT after timeoutMs. */
  wait(requiredOffset: number, timeoutMs: number): Promise<number> {
    if (this.size >= DELAYED_PRODUCE_PER_PARTITION_MAX) return Promise.resolve(ErrorCode.REQUEST_TIMED_OUT)
    return new Promise<number>((resolve) => {
      const w: Waiter = { requiredOffset, resolve, cancelTimer: () => {}, done: false }
      w.cancelTimer = this.clock.setTimeout(() => this.finish(w, ErrorCode.REQUEST_TIMED_OUT), Math.max(0, timeoutMs))
      this.queue.push(w)
    })
  }

  /** The HW moved: complete every waiter it passed with the code `codeFor` gives (min ISR check). */
  complete(highWatermark: number, code: number): void {
    while (this.head < this.queue.length) {
      const w = this.queue[this.head]
      if (!w.done && w.requiredOffset > highWatermark) break
      this.head++
      this.finish(w, code)
    }
    this.compact()
  }

  /** Leadership lost or partition closed: every waiter gets `code`. */
  failAll(code: number): void {
    const all = this.queue.slice(this.head)
    this.queue = []
    this.head = 0
    for (const w of all) this.finish(w, code)
  }

  private finish(w: Waiter, code: number): void {
    if (w.done) return
    w.done = true
    w.cancelTimer()
    w.resolve(code)
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
  }
}
