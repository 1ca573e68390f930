import type { SeededRandom } from '../random.js'
import type { Ready, RaftNode } from '../raft-node.js'
import type { FaultPlan } from './fault-plan.js'
import type { Invariants } from './invariants.js'
import type { SimStats } from './stats.js'
import type { Trace } from './trace.js'

/** A node as the client sees it: its id and its Raft node, null while down. */
export interface ClientView {
  id: number
  raft: RaftNode | null
}

/**
 * The simulated client: each tick it proposes to a leader, asks a live node for a
 * linearizable read, and sometimes asks the leader to transfer leadership. It checks
 * each read it asked for when a node serves it. It draws from the simulation's random
 * stream in a fixed order, so a seed replays exactly.
 */
export class SimWorkload {
  private proposalSeq = 0
  private readSeq = 0
  /** Reads asked for, by key: the commit index known cluster-wide when asked. */
  private readonly pendingReads = new Map<string, number>()

  constructor(
    private readonly rng: SeededRandom,
    private readonly plan: FaultPlan,
    private readonly stats: SimStats,
    private readonly trace: Trace,
    private readonly inv: Invariants,
    private readonly voterIds: readonly number[],
  ) {}

  /** One tick's requests: proposals and maybe a transfer to leader, maybe a read to one of live. */
  tick(time: number, leader: ClientView, live: ClientView[]): void {
    const raft = leader.raft!
    let proposals = Math.floor(this.plan.proposalsPerTick) + (this.rng.chance(this.plan.proposalsPerTick % 1) ? 1 : 0)
    while (proposals-- > 0) {
      const data = new TextEncoder().encode(`p${++this.proposalSeq}`)
      const r = raft.propose(data)
      if (r.ok) this.trace.add(time, leader.id, 'propose', `p${this.proposalSeq} -> ${r.value.index}/t${r.value.term}`)
    }
    if (this.rng.chance(this.plan.readRate)) {
      const reader = live[this.rng.int(live.length)]!
      const key = `r${++this.readSeq}`
      if (reader.raft!.readIndex(new TextEncoder().encode(key)).ok) {
        this.pendingReads.set(key, this.inv.globalCommit)
        this.trace.add(time, reader.id, 'read', `${key} (commit known: ${this.inv.globalCommit})`)
      }
    }
    if (this.rng.chance(this.plan.transferRate)) {
      const to = this.voterIds[this.rng.int(this.voterIds.length)]!
      if (raft.transferLeadership(to).ok && to !== leader.id) {
        this.stats.transfers++
        this.trace.add(time, leader.id, 'transfer', `to n${to}`)
      }
    }
  }

  /** A node serves a read: it must not be older than what was committed when the read was asked. */
  readServed(node: number, read: Ready['readStates'][number]): void {
    const key = new TextDecoder().decode(read.ctx)
    const min = this.pendingReads.get(key)
    if (min === undefined) return
    this.inv.readServed(node, read.index, min)
    this.pendingReads.delete(key)
    this.stats.reads++
  }
}
