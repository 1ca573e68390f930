/**
 * At most `max` promises pending. A counter and one waiter: Promise.race over a
 * set of thousands adds a reaction to every member on every call, which piles up
 * while sends are slow (a soak run's 5 s sampler once missed over a minute).
 */
export class InFlight {
  private count = 0
  private waiter: (() => void) | null = null
  constructor(private readonly max: number) {}

  /** Tracks `p`; resolves once fewer than `max` are pending. */
  async add(p: Promise<void>): Promise<void> {
    this.count++
    void p.finally(() => {
      this.count--
      const w = this.waiter
      this.waiter = null
      w?.()
    })
    while (this.count >= this.max) await new Promise<void>((resolve) => { this.waiter = resolve })
  }

  async idle(): Promise<void> {
    while (this.count > 0) await new Promise<void>((resolve) => { this.waiter = resolve })
  }
}
