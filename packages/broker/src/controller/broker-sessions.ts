/**
 * Broker sessions as the active controller keeps them: when each broker last
 * heartbeated, and a timer that finds the sessions silent for longer than
 * brokerSessionTimeoutMs. Fencing them is the controller's (`expired`); this part
 * only keeps time, and only while the controller is active (`start` .. `stop`).
 */
import type { BrokerConfig } from '../config.js'
import type { BrokerRegistration, MetadataImage } from '../metadata/image-types.js'
import type { Clock } from '../seams.js'

/** Session checks run at least this far apart. */
const SESSION_CHECK_MS_MIN = 10

export interface BrokerSessionsDeps {
  clock: Clock
  image(): MetadataImage
  config: Pick<BrokerConfig, 'brokerSessionTimeoutMs' | 'brokerHeartbeatIntervalMs'>
  /** A session expired after `silentMs`: fence the broker; settles when that is done (or failed). */
  expired(b: BrokerRegistration, silentMs: number): Promise<void>
  /** A session that looked expired had a heartbeat waiting to be read (control-plane-timings.ts). */
  reprieved?(): void
  /** The session timer fired: run the check (the controller's `checkSessions`, which calls `check`). */
  checkDue(): void
}

export class BrokerSessions {
  private readonly lastHeartbeatMs = new Map<number, number>()
  /** brokers whose fencing is under way: not fenced twice */
  private readonly fencing = new Set<number>()
  private cancelCheck: (() => void) | null = null
  private running = false
  /** a confirming pass of `check` is scheduled */
  private confirming = false

  constructor(private readonly deps: BrokerSessionsDeps) {}

  /**
   * The controller became active. It has seen no heartbeat yet, so every broker gets
   * a full session, except `previous` (the last controller, silent for silentMs): a
   * killed controller is often also a partition leader, and its session has run since
   * it went quiet, not since our election.
   */
  start(previous: { nodeId: number; silentMs: number } | undefined, selfId: number): void {
    this.running = true
    this.fencing.clear()
    const now = this.deps.clock.now()
    for (const id of this.deps.image().brokers.keys()) this.lastHeartbeatMs.set(id, now)
    if (previous && previous.nodeId !== selfId && this.lastHeartbeatMs.has(previous.nodeId)) {
      this.lastHeartbeatMs.set(previous.nodeId, now - Math.min(previous.silentMs, this.deps.config.brokerSessionTimeoutMs / 2))
    }
    this.schedule()
  }

  stop(): void {
    this.running = false
    this.cancelCheck?.()
    this.cancelCheck = null
    this.lastHeartbeatMs.clear()
  }

  /** A broker was heard from (registration or heartbeat); returns the milliseconds since the last time, if known. */
  heard(nodeId: number): number | undefined {
    const now = this.deps.clock.now()
    const last = this.lastHeartbeatMs.get(nodeId)
    this.lastHeartbeatMs.set(nodeId, now)
    return last === undefined ? undefined : now - last
  }

  forget(nodeId: number): void {
    this.lastHeartbeatMs.delete(nodeId)
  }

  /** Milliseconds since a broker's last heartbeat (null when unknown). */
  ageMs(nodeId: number): number | null {
    const t = this.lastHeartbeatMs.get(nodeId)
    return t === undefined ? null : this.deps.clock.now() - t
  }

  /**
   * Hand every unfenced broker whose session expired to `expired`, after one more
   * turn of the event loop. After a stall of this process (GC, a long task, no CPU)
   * timers run before the I/O that waited: a broker's heartbeat may sit unread in its
   * socket while its session looks expired (issue #25: brokers fenced under load
   * alone). A 0 ms timer runs after the poll phase has read it.
   */
  check(): void {
    const looked = this.expiredSessions()
    if (looked.length === 0 || this.confirming) return
    this.confirming = true
    const lastSeen = looked.map(({ b }) => [b.nodeId, this.lastHeartbeatMs.get(b.nodeId)] as const)
    this.deps.clock.setTimeout(() => {
      this.confirming = false
      if (!this.running) return
      for (const [id, last] of lastSeen) if (this.lastHeartbeatMs.get(id) !== last) this.deps.reprieved?.()
      for (const { b, silentMs } of this.expiredSessions()) {
        this.fencing.add(b.nodeId)
        void this.deps.expired(b, silentMs).finally(() => this.fencing.delete(b.nodeId))
      }
    }, 0)
  }

  private expiredSessions(): Array<{ b: BrokerRegistration; silentMs: number }> {
    const now = this.deps.clock.now()
    const out: Array<{ b: BrokerRegistration; silentMs: number }> = []
    for (const b of this.deps.image().brokers.values()) {
      if (b.fenced || this.fencing.has(b.nodeId)) continue
      const last = this.lastHeartbeatMs.get(b.nodeId)
      if (last === undefined) { this.lastHeartbeatMs.set(b.nodeId, now); continue }
      if (now - last > this.deps.config.brokerSessionTimeoutMs) out.push({ b, silentMs: now - last })
    }
    return out
  }

  private schedule(): void {
    const { brokerHeartbeatIntervalMs, brokerSessionTimeoutMs } = this.deps.config
    const every = Math.max(SESSION_CHECK_MS_MIN, Math.min(brokerHeartbeatIntervalMs, Math.floor(brokerSessionTimeoutMs / 4)))
    // Wake right after the first session can expire, not up to `every` later: fencing
    // starts failover, so the check interval would add to every failover's time.
    const now = this.deps.clock.now()
    let firstExpiry = Infinity
    for (const b of this.deps.image().brokers.values()) {
      const last = this.lastHeartbeatMs.get(b.nodeId)
      if (!b.fenced && last !== undefined) firstExpiry = Math.min(firstExpiry, last + brokerSessionTimeoutMs + 1)
    }
    const delay = Math.max(SESSION_CHECK_MS_MIN, Math.min(every, firstExpiry - now))
    this.cancelCheck = this.deps.clock.setTimeout(() => {
      this.cancelCheck = null
      this.deps.checkDue()
      this.schedule()
    }, delay)
  }
}
