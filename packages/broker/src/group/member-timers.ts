/**
 * Session and rebalance deadlines of the members of one shard. A session
 * timer is re-armed on every heartbeat; a rebalance timer runs from the moment
 * a member is asked to revoke until it has released everything.
 */
import type { Clock } from '../seams.js'
import type { MemberState } from './group-state.js'

export type Expiry = 'session' | 'rebalance'

interface Timers {
  session: (() => void) | null
  rebalance: (() => void) | null
}

export class MemberTimers {
  /** groupId \0 memberId → its timers */
  private readonly timers = new Map<string, Timers>()

  constructor(
    private readonly clock: Clock,
    private readonly onExpire: (groupId: string, memberId: string, why: Expiry) => void,
  ) {}

  /** After a heartbeat (or a load): the session restarts; the rebalance deadline starts or stops with pending revocations. */
  arm(groupId: string, m: MemberState): void {
    const key = `${groupId}\u0000${m.memberId}`
    const t = this.timers.get(key) ?? { session: null, rebalance: null }
    t.session?.()
    t.session = this.clock.setTimeout(() => this.onExpire(groupId, m.memberId, 'session'), m.sessionTimeoutMs)
    if (m.pendingRevocation.size === 0) {
      t.rebalance?.()
      t.rebalance = null
    } else if (t.rebalance === null) {
      t.rebalance = this.clock.setTimeout(() => this.onExpire(groupId, m.memberId, 'rebalance'), m.rebalanceTimeoutMs)
    }
    this.timers.set(key, t)
  }

  clear(groupId: string, memberId: string): void {
    const key = `${groupId}\u0000${memberId}`
    const t = this.timers.get(key)
    t?.session?.()
    t?.rebalance?.()
    this.timers.delete(key)
  }

  clearAll(): void {
    for (const t of this.timers.values()) {
      t.session?.()
      t.rebalance?.()
    }
    this.timers.clear()
  }
}
