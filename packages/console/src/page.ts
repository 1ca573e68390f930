/** What every page gets: the session, its route, where to draw, and a signal that fires when the user leaves it. */
import type { Route } from './router.js'
import type { Session } from './session.js'

export interface PageContext {
  session: Session
  route: Route
  root: HTMLElement
  /** Aborted when the page is left: timers and live reads stop. */
  signal: AbortSignal
  /** Run `fn` now and then every `ms` until the page is left (a run never overlaps the previous one). */
  every(ms: number, fn: () => Promise<void> | void): void
  /** Draw the page again from scratch (Retry buttons). */
  reload(): void
}

export type Page = (ctx: PageContext) => Promise<void> | void

export function repeat(signal: AbortSignal, ms: number, fn: () => Promise<void> | void): void {
  const tick = async (): Promise<void> => {
    if (signal.aborted) return
    try {
      await fn()
    } finally {
      if (!signal.aborted) {
        const t = setTimeout(() => void tick(), ms)
        signal.addEventListener('abort', () => clearTimeout(t), { once: true })
      }
    }
  }
  void tick()
}
