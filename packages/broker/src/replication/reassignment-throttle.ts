/**
 * The reassignment throttle (`--reassignment-throttle-bytes`, Kafka's
 * follower.replication.throttled.rate for the replicas being added): a token
 * bucket bounding, per broker, the bytes per second its adding replicas fetch,
 * so copying a partition to a new broker cannot starve the clients' traffic.
 * Ordinary followers (already in the replica set) are never throttled: the ISR
 * and acks=all depend on them.
 *
 * The bucket holds at most one second of traffic, so a throttle set after a
 * quiet minute does not let a minute's worth through at once. A fetch answer
 * may overdraw it (a leader returns at least one whole batch); the debt is
 * paid by waiting.
 */
import type { Clock } from '../seams.js'

/** Burst the bucket allows, in seconds of the rate. */
export const THROTTLE_BURST_SECONDS = 1

export class ReassignmentThrottle {
  private tokens: number
  private lastMs: number

  /** bytesPerSec 0 = off. */
  constructor(private readonly clock: Clock, private readonly bytesPerSec: number) {
    this.tokens = bytesPerSec * THROTTLE_BURST_SECONDS
    this.lastMs = clock.now()
  }

  get enabled(): boolean {
    return this.bytesPerSec > 0
  }

  /** Bytes an adding replica may fetch now (Infinity when off); 0 = wait msUntilAvailable(). */
  available(): number {
    if (!this.enabled) return Infinity
    this.refill()
    return Math.max(0, Math.floor(this.tokens))
  }

  /** Account for bytes an adding replica received. */
  consume(bytes: number): void {
    if (!this.enabled || bytes <= 0) return
    this.refill()
    this.tokens -= bytes
  }

  /** How long until at least one byte may be fetched again. */
  msUntilAvailable(): number {
    if (!this.enabled) return 0
    this.refill()
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.bytesPerSec) * 1000)
  }

  private refill(): void {
    const now = this.clock.now()
    const elapsedMs = Math.max(0, now - this.lastMs)
    this.lastMs = now
    this.tokens = Math.min(this.bytesPerSec * THROTTLE_BURST_SECONDS, this.tokens + (elapsedMs / 1000) * this.bytesPerSec)
  }
}
