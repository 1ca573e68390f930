/**
 * The simulated world: one virtual clock, one event queue, one seeded PRNG and
 * the hash of everything that happened. Nodes and clients run their real code
 * on clocks taken from here (`clockFor`); time moves only when the whole
 * process is idle (`settle`): every microtask chain has run out and no
 * setImmediate is pending. Then the earliest event runs, alone, at its time.
 * Ties break by insertion order, so the same seed gives the same run.
 */
import { createHash, type Hash } from 'node:crypto'
import type { Clock } from '@tributary/protocol'
import { EventQueue, seededRandom, type SeededRandom } from '@tributary/raft'
import { pendingImmediates, realSetImmediate } from './guard.js'

/** Virtual epoch: far from the wall clock, so a real timestamp leaking in shows at once. */
export const SIM_EPOCH_MS = 1_000_000_000_000
/** Events the queue holds at most: a run that piles up more is broken, not busy. */
export const EVENTS_QUEUED_MAX = 1_000_000
/** Idle checks in a row that may find setImmediate work pending before the run is called stuck. */
const SETTLE_ROUNDS_MAX = 10_000

/** Who an event belongs to: a node id (1..9), a client (100+), or the world itself (0). */
export type Owner = number
export const WORLD: Owner = 0
/** The harness (the scenario, the nemesis, the final reads): it crashes and restarts nodes. */
export const HARNESS_OWNER: Owner = 100

interface SimEvent {
  owner: Owner
  kind: string
  fn: () => void
  live: boolean
}

/** A clock of one owner: its timers die with it (a crashed process fires nothing). */
export interface OwnerClock extends Clock {
  /** Drop every armed timer and ignore new ones. */
  kill(): void
  readonly alive: boolean
  /**
   * The wall clock jumps by `ms` (NTP stepping it, either way): `now()` moves,
   * armed timers do not (Node's timers are monotonic).
   */
  jump(ms: number): void
  /** The process runs `ms` late (a stalled node): timers armed from now on fire that much later (0: on time again). */
  lag(ms: number): void
}

export class SimWorld {
  now = SIM_EPOCH_MS
  readonly rng: SeededRandom
  /** Events run so far. */
  events = 0
  private readonly queue = new EventQueue<SimEvent>(EVENTS_QUEUED_MAX)
  private readonly hash: Hash = createHash('sha256')
  private stopped = false
  /** Checked once every event's consequences have settled: a violation (a string) fails the run. */
  invariant: () => string | undefined = () => undefined
  /** Why the run must fail, besides the checker: an event that threw, an uncaught error, a broken invariant. */
  readonly failures: string[] = []

  constructor(
    readonly seed: number,
    /** Each event as a readable line (--trace). */
    private readonly traceSink?: (line: string) => void,
  ) {
    this.rng = seededRandom(seed)
  }

  /** Run `fn` at virtual time `at` (not before now); returns a cancel. */
  schedule(at: number, owner: Owner, kind: string, fn: () => void): () => void {
    const event: SimEvent = { owner, kind, fn, live: true }
    if (!this.queue.push(Math.max(at, this.now), event)) throw new Error(`more than ${EVENTS_QUEUED_MAX} events queued`)
    return () => void (event.live = false)
  }

  /** A Clock for one node or client; `kill()` is its crash. */
  clockFor(owner: Owner): OwnerClock {
    const armed = new Set<() => void>()
    let alive = true
    let skewMs = 0
    let lagMs = 0
    const virtualNow = (): number => this.now
    const schedule = (at: number, fn: () => void): (() => void) => this.schedule(at, owner, 'timer', fn)
    return {
      now: () => virtualNow() + skewMs,
      setTimeout(fn, ms) {
        if (!alive) return () => {}
        // Whole milliseconds, as Date.now reads: a fraction (a jittered backoff) rounds up, never firing early.
        const cancel = schedule(virtualNow() + lagMs + Math.max(0, Number.isFinite(ms) ? Math.ceil(ms) : 0), () => {
          armed.delete(cancel)
          fn()
        })
        armed.add(cancel)
        return () => {
          armed.delete(cancel)
          cancel()
        }
      },
      kill() {
        alive = false
        for (const cancel of armed) cancel()
        armed.clear()
      },
      get alive() {
        return alive
      },
      jump(ms) {
        skewMs += ms
      },
      lag(ms) {
        lagMs = ms
      },
    }
  }

  /** A node's log line into the trace (not the hash: the logs are for readers). */
  log(owner: Owner, jsonLine: string): void {
    if (!this.traceSink) return
    let text = jsonLine
    try {
      const { msg, level: _level, n: _n, ...fields } = JSON.parse(jsonLine) as Record<string, unknown>
      text = `${String(msg)} ${JSON.stringify(fields)}`
    } catch {
      // not JSON: print it as it came
    }
    this.traceSink(`${formatTime(this.now)}  ${ownerName(owner).padEnd(4)} log       ${text}`)
  }

  /** Mix facts into the run's hash (and the trace): frames, faults, outcomes; `note` adds words to the trace only. */
  record(owner: Owner, kind: string, detail: string, bytes?: Uint8Array, note?: () => string): void {
    this.hash.update(`${this.now}|${owner}|${kind}|${detail}\n`)
    if (bytes) this.hash.update(bytes)
    // The note is for readers only: a traced run hashes exactly as an untraced one.
    this.traceSink?.(`${formatTime(this.now)}  ${ownerName(owner).padEnd(4)} ${kind.padEnd(9)} ${detail}${note ? ` ${note()}` : ''}`)
  }

  /** The run's fingerprint so far: equal for two runs of one seed, or the simulation leaks. */
  digest(): string {
    return this.hash.copy().digest('hex').slice(0, 16)
  }

  /** Wait until nothing but virtual-time events is left: microtasks drained, no setImmediate pending. */
  async settle(): Promise<void> {
    for (let round = 0; round < SETTLE_ROUNDS_MAX; round++) {
      await new Promise<void>((resolve) => realSetImmediate(resolve))
      if (pendingImmediates() === 0) return
    }
    throw new Error(`still busy after ${SETTLE_ROUNDS_MAX} event-loop turns at ${formatTime(this.now)}`)
  }

  /**
   * Run events in time order until `done()` holds, virtual time passes
   * `untilMs`, or nothing is left to run. Settles before each event so every
   * consequence of the last one has happened before time moves.
   */
  async runUntil(done: () => boolean, untilMs: number): Promise<'done' | 'deadline' | 'idle' | 'stopped'> {
    let last: Owner = WORLD
    for (;;) {
      await this.settle()
      if (this.invariantAfter(last)) {
        const broken = this.invariant()
        if (broken !== undefined) this.fail(`invariant: ${broken}`)
      }
      if (this.stopped) return 'stopped'
      if (done()) return 'done'
      // Cancelled events (answered requests' timeouts, most of the queue) go without a turn of the event loop.
      while (this.queue.peek()?.live === false) this.queue.pop()
      const at = this.queue.peekTime()
      if (at === Infinity) return 'idle'
      if (at > untilMs) {
        this.now = Math.max(this.now, untilMs)
        return 'deadline'
      }
      const event = this.queue.pop()!
      this.now = at
      this.events++
      last = event.owner
      // The event's own consequences (a frame, a fault) record themselves with their details.
      this.hash.update(`${at}|${event.owner}|${event.kind}\n`)
      try {
        event.fn()
      } catch (err) {
        this.fail(`${ownerName(event.owner)} ${event.kind} threw: ${(err as Error)?.stack ?? String(err)}`)
      }
    }
  }

  /**
   * Whether the invariants must be checked after an event of `owner`. A client's
   * event (above the harness) runs only client code: what it sends reaches a node
   * as a later event of that node (a connect runs the node's accept, which opens a
   * connection and touches no replica or image), so no state the invariants read
   * can have changed and the check would only repeat the last one.
   */
  private invariantAfter(owner: Owner): boolean {
    return owner <= HARNESS_OWNER
  }

  /** The run fails: runUntil stops at its next step. */
  fail(why: string): void {
    this.failures.push(`at ${formatTime(this.now)}: ${why}`)
    this.stopped = true
  }
}

export function formatTime(ms: number): string {
  return `${((ms - SIM_EPOCH_MS) / 1000).toFixed(3)}s`.padStart(9)
}

export function ownerName(owner: Owner): string {
  return owner === WORLD ? 'sim' : owner >= 100 ? `c${owner - 100}` : `n${owner}`
}
