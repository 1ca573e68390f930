/**
 * Runs async tasks one at a time, in the order they were handed in: each starts
 * once every earlier one has settled (resolved or rejected), and one task's
 * failure reaches only its own caller. The broker's one mutex: a partition's
 * log mutations (replication/partition.ts), the controller's metadata writes
 * (controller/controller.ts) and the replica manager's metadata changes
 * (replication/replica-manager.ts) each go through one.
 */
export class SerialExecutor {
  private tail: Promise<unknown> = Promise.resolve()
  private queued = 0

  /** Tasks handed in and not yet settled, the running one included. */
  get pending(): number {
    return this.queued
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    this.queued++
    const result = this.tail.then(() => task()) // the tail never rejects
    this.tail = result.then(
      () => this.queued--,
      () => this.queued--,
    )
    return result
  }
}
