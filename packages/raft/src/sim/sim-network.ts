import type { RaftMessage } from '../message.js'
import type { SeededRandom } from '../random.js'
import { EventQueue } from './event-queue.js'
import type { FaultPlan } from './fault-plan.js'
import type { SimStats } from './stats.js'
import type { Trace } from './trace.js'

/** Bound on messages in flight in the simulated network. */
const NETWORK_MAX_IN_FLIGHT = 100_000

const LINK_KEY = 1024

/** A message in flight; seq orders the messages sent on its link, to count reorderings. */
export type Envelope = { m: RaftMessage; seq: number }

/**
 * The simulated network: delays, loses, duplicates and reorders messages as the plan
 * says, and honours (a)symmetric partitions, until healed. It draws from the
 * simulation's one random stream, in the order the simulation calls it, so a seed
 * replays exactly.
 */
export class SimNetwork {
  private readonly queue = new EventQueue<Envelope>(NETWORK_MAX_IN_FLIGHT)
  /** Directed links that lose every message, as from * LINK_KEY + to. */
  private readonly cuts = new Set<number>()
  /** Per link (from * LINK_KEY + to): messages sent, and the highest seq delivered. */
  private readonly linkSent = new Map<number, number>()
  private readonly linkDelivered = new Map<number, number>()
  /** Healed: no loss, duplication, long delays or partitions any more. */
  healed = false

  constructor(
    private readonly rng: SeededRandom,
    private readonly plan: FaultPlan,
    private readonly stats: SimStats,
    private readonly trace: Trace,
  ) {}

  /** The next message due at or before time, if any. */
  nextDue(time: number): Envelope | undefined {
    return this.queue.peekTime() <= time ? this.queue.pop() : undefined
  }

  /** Whether a due message reaches its node (up, link not cut); counts what happened to it. */
  arrives({ m, seq }: Envelope, nodeUp: boolean): boolean {
    const link = m.from * LINK_KEY + m.to
    if (!nodeUp || this.cuts.has(link)) {
      this.stats.dropped++
      return false
    }
    this.stats.messages++
    const latest = this.linkDelivered.get(link) ?? -1
    if (seq < latest) this.stats.reordered++
    else this.linkDelivered.set(link, seq)
    return true
  }

  send(time: number, from: number, m: RaftMessage): void {
    this.trace.add(time, from, 'send', m)
    const p = this.plan
    if (!this.healed && this.rng.chance(p.lossRate)) {
      this.stats.lost++
      return
    }
    const copies = !this.healed && this.rng.chance(p.duplicateRate) ? 2 : 1
    if (copies === 2) this.stats.duplicated++
    const link = from * LINK_KEY + m.to
    const seq = this.linkSent.get(link) ?? 0
    this.linkSent.set(link, seq + 1)
    for (let k = 0; k < copies; k++) {
      const delay = this.healed ? 1 + this.rng.int(5) : p.minDelayUnits + this.rng.int(p.maxDelayUnits - p.minDelayUnits + 1)
      if (!this.queue.push(time + delay, { m, seq })) this.stats.dropped++
    }
  }

  /** Replace the partition by a new one: healed, a split in two, one node isolated, or one-way cuts. */
  changePartition(time: number, ids: number[]): void {
    this.cuts.clear()
    const kind = this.rng.int(4)
    if (kind === 0) {
      this.trace.add(time, 0, 'heal', 'network healed')
      return
    }
    if (kind === 1) {
      const side = ids.filter(() => this.rng.chance(0.5))
      for (const a of side) for (const b of ids) if (!side.includes(b)) this.cutBoth(a, b)
      this.stats.partitions++
      this.trace.add(time, 0, 'partition', `{${side}} | {${ids.filter((x) => !side.includes(x))}}`)
    } else if (kind === 2) {
      const victim = ids[this.rng.int(ids.length)]!
      for (const b of ids) if (b !== victim) this.cutBoth(victim, b)
      this.stats.partitions++
      this.trace.add(time, 0, 'partition', `isolate n${victim}`)
    } else {
      const links: string[] = []
      for (let k = 0; k < 1 + this.rng.int(3); k++) {
        const a = ids[this.rng.int(ids.length)]!
        const b = ids[this.rng.int(ids.length)]!
        if (a === b) continue
        this.cuts.add(a * LINK_KEY + b)
        links.push(`${a}->${b}`)
      }
      if (links.length > 0) this.stats.asymmetricCuts++
      this.trace.add(time, 0, 'partition', `asymmetric cut ${links.join(' ')}`)
    }
  }

  heal(): void {
    this.healed = true
    this.cuts.clear()
  }

  private cutBoth(a: number, b: number): void {
    this.cuts.add(a * LINK_KEY + b)
    this.cuts.add(b * LINK_KEY + a)
  }
}
