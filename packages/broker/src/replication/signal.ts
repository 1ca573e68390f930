/**
 * A level-free wake-up: parked long polls subscribe, the partition fires when its
 * log end offset or high watermark moves (or its role changes). `version` lets a
 * waiter that read before subscribing notice it missed a firing, instead of
 * sleeping through data that arrived while it was reading.
 */
export class Signal {
  private readonly listeners = new Set<() => void>()
  version = 0

  fire(): void {
    this.version++
    if (this.listeners.size === 0) return
    const now = [...this.listeners]
    this.listeners.clear()
    for (const l of now) l()
  }

  /** One-shot subscription; returns an unsubscribe function. */
  once(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  get waiting(): number {
    return this.listeners.size
  }
}
