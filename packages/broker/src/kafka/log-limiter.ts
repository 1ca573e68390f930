/**
 * At most `linesMax` log lines per window; the first line of the next window says
 * how many were dropped. Keeps a client sending garbage from flooding the log.
 */
export class LogLimiter {
  private windowStartMs = -Infinity
  private lines = 0
  private dropped = 0

  constructor(private readonly linesMax: number, private readonly windowMs: number, private readonly now: () => number = Date.now) {}

  /** Runs `write` unless this window's lines are spent; returns whether it ran. */
  log(write: (droppedBefore: number) => void): boolean {
    const t = this.now()
    if (t - this.windowStartMs >= this.windowMs) {
      this.windowStartMs = t
      this.lines = 0
    }
    if (this.lines >= this.linesMax) {
      this.dropped++
      return false
    }
    this.lines++
    const dropped = this.dropped
    this.dropped = 0
    write(dropped)
    return true
  }
}
