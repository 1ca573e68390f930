/**
 * Orders one partition's mutations. Appends assign offsets synchronously, so they
 * run at once when nothing else is queued (keeping every append of one event-loop
 * turn in one write group); an exclusive operation (truncation, retention,
 * compaction) runs alone, and appends that arrive meanwhile wait behind it in order.
 * An append holds its place only while it assigns offsets, not while its write is
 * in flight.
 */
export class OpQueue {
  private queued = 0
  private tail: Promise<unknown> = Promise.resolve()

  /** Runs `fn` after every earlier queued operation has finished. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.queued++
    const result = this.tail.then(fn)
    this.tail = result.then(
      () => this.queued--,
      () => this.queued--,
    )
    return result
  }

  /**
   * Runs `assign` now if nothing is queued and `writable()` says the write queue has
   * room; otherwise queues it. `assign` returns the write's promise, which later
   * operations do not wait for.
   */
  append<T>(assign: () => Promise<T>, writable: () => Promise<void> | null): Promise<T> {
    if (this.queued === 0 && writable() === null) return assign()
    const boxed = this.exclusive(async () => {
      for (let wait = writable(); wait !== null; wait = writable()) await wait
      return { write: assign() }
    })
    return boxed.then((b) => b.write)
  }
}
