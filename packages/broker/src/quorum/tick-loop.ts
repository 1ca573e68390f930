/**
 * The Raft tick timer. A tick that runs late (this process stalled: GC, a long
 * task, no CPU) is put off by one more turn of the event loop: after a stall
 * Node runs due timers before it reads the sockets, so a leader's tick would
 * find its followers' answers unread (check-quorum: it steps down) and a
 * follower's would find the leader's heartbeats unread (it campaigns), while
 * both wait in a socket buffer (issue #25: leadership moved under load alone).
 * A 0 ms timer runs after the poll phase has read them.
 */
import type { Clock } from '../seams.js'

export class TickLoop {
  private cancel: (() => void) | null = null
  private dueAtMs = 0
  private stopped = true

  /**
   * `lateAfterMs`: lateness past which a tick waits for the sockets first.
   * `tickRan` is told each tick's lateness, measured when its timer fired.
   */
  constructor(
    private readonly clock: Clock,
    private readonly tickMs: number,
    private readonly onTick: () => void,
    private readonly tickRan: (lateMs: number) => void = () => {},
    private readonly lateAfterMs = tickMs,
  ) {}

  start(): void {
    this.stopped = false
    this.schedule()
  }

  stop(): void {
    this.stopped = true
    this.cancel?.()
    this.cancel = null
  }

  private schedule(): void {
    this.dueAtMs = this.clock.now() + this.tickMs
    this.cancel = this.clock.setTimeout(() => this.fire(), this.tickMs)
  }

  private fire(): void {
    if (this.stopped) return
    const lateMs = this.clock.now() - this.dueAtMs
    this.tickRan(lateMs)
    if (lateMs > this.lateAfterMs) this.cancel = this.clock.setTimeout(() => this.run(), 0)
    else this.run()
  }

  private run(): void {
    if (this.stopped) return
    this.onTick()
    this.schedule()
  }
}
