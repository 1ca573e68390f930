/**
 * The reassignment throttle: a token bucket bounding, per broker, the bytes per
 * second of reassignment copying, so moving a partition to a new broker cannot
 * starve the clients' traffic. A broker has two (Kafka's pair of rates): the
 * follower side bounds what its replicas being added fetch
 * (follower.replication.throttled.rate, static twin --reassignment-throttle-bytes),
 * the leader side what it sends to replicas being added
 * (leader.replication.throttled.rate). Ordinary followers (already in the
 * replica set) are never throttled: the ISR and acks=all depend on them.
 *
 * The rate is a dynamic broker config (broker-dynamic-config.ts): setRate takes
 * a new one at once, without a restart.
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
  constructor(private readonly clock: Clock, private bytesPerSec: number) {
    this.tokens = bytesPerSec * THROTTLE_BURST_SECONDS
    this.lastMs = clock.now()
  }

  get rate(): number {
    return this.bytesPerSec
  }

  /**
   * A new rate (0 = off), in force from now: what was refilled so far at the old
   * rate stays, capped to the new burst; a debt stays to be paid at the new rate.
   * A throttle switched on starts with a full bucket, as a new one would.
   */
  setRate(bytesPerSec: number): void {
    if (bytesPerSec === this.bytesPerSec) return
    const wasOff = !this.enabled
    if (!wasOff) this.refill()
    this.bytesPerSec = bytesPerSec
    this.lastMs = this.clock.now()
    this.tokens = wasOff ? bytesPerSec * THROTTLE_BURST_SECONDS : Math.min(this.tokens, bytesPerSec * THROTTLE_BURST_SECONDS)
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

/** Set a broker's two throttles to `rates`; true when the follower rate changed (fetches waiting on the old one must look again). */
export function setThrottleRates(follower: ReassignmentThrottle, leader: ReassignmentThrottle, rates: { followerBytesPerSec: number; leaderBytesPerSec: number }): boolean {
  leader.setRate(rates.leaderBytesPerSec)
  if (rates.followerBytesPerSec === follower.rate) return false
  follower.setRate(rates.followerBytesPerSec)
  return true
}
