/**
 * The nemesis of one seed. Its steps are drawn up front from the seed
 * (`planFaults`), so a failing run's list can be shortened by delta debugging
 * (shrink.ts) and a subset replayed (`--steps`). Each step, at its time: reset a
 * connection, isolate a node (both ways, from nodes and clients), cut one link one
 * way, heal, crash a node (restarted after its downtime from what its disks
 * hold), cut a machine's power (its partition store loses the writes the OS had
 * not written back), fail a node's disk (EIO or ENOSPC, then the node restarted),
 * slow a node (its timers and frames late), an admin operation (admin-steps.ts),
 * or (with --clock-jumps) step a node's wall clock. What a step does is decided
 * when it runs, from the state then (never more nodes down than a quorum
 * tolerates; a power loss or a failing disk only on a settled cluster, and nothing
 * else down until it has settled again), so any subset of the
 * steps is a valid run. At the end everything heals and every node is up again.
 */
import type { SeededRandom } from '@tributary/raft'
import type { Workload } from '../faults/workload.js'
import { runAdminStep, type AdminDeps } from './admin-steps.js'
import type { SimPlan } from './plan.js'
import type { SimCluster } from './sim-cluster.js'
import type { SimNode } from './sim-node.js'
import { WORLD } from './world.js'

export interface FaultStats {
  resets: number
  partitions: number
  crashes: number
  restarts: number
  clockJumps: number
  powerLosses: number
  /** unsynced partition-store writes lost to power losses */
  writesLost: number
  diskFaults: number
  slowNodes: number
  adminOps: number
}

export const NO_FAULT_STATS: FaultStats = {
  resets: 0, partitions: 0, crashes: 0, restarts: 0, clockJumps: 0, powerLosses: 0, writesLost: 0, diskFaults: 0, slowNodes: 0, adminOps: 0,
}

/** Largest wall-clock step of one jump, either way. */
const CLOCK_JUMP_MS_MAX = 10_000
/** Longest a disk refuses writes before the node is restarted on a repaired one. */
const DISK_FAULT_MS_MAX = 5000
/** A slow node's lateness (per timer and per frame) and how long it lasts, at most. */
const SLOW_LAG_MS_MAX = 400
const SLOW_MS_MAX = 8000
/** How long a node whose disk failed stays down before its restart. */
const DISK_REPAIR_DOWN_MS = 200

export type FaultKind = keyof SimPlan['weights']

/** One step of the nemesis: its time (virtual ms from the start of the fault phase) and its seeded choices. */
export interface FaultStep {
  atMs: number
  kind: FaultKind
  /** Which node (index into the cluster's nodes) or, for admin, which operation. */
  pick: number
  /** A second pick: the other end of a one-way cut. */
  other: number
  /** A fraction in [0, 1): which connection to reset, which prefix of unsynced writes survives. */
  fraction: number
  /** A duration or size: downtime, jump, lag, how long a disk fails. */
  ms: number
}

/** Every step of the seed's fault phase, in time order. */
export function planFaults(plan: SimPlan, rng: SeededRandom): FaultStep[] {
  const steps: FaultStep[] = []
  if (plan.faultGapMs === 0) return steps
  for (let at = 1 + rng.int(2 * plan.faultGapMs); at < plan.faultPhaseMs; at += 1 + rng.int(2 * plan.faultGapMs)) {
    const kind = chooseKind(plan.weights, rng)
    const step: FaultStep = { atMs: at, kind, pick: rng.int(1 << 20), other: rng.int(1 << 20), fraction: rng.next(), ms: 0 }
    if (kind === 'crash' || kind === 'powerLoss') step.ms = 1 + rng.int(plan.downtimeMsMax)
    else if (kind === 'clockJump') step.ms = (rng.chance(0.5) ? 1 : -1) * (1 + rng.int(CLOCK_JUMP_MS_MAX))
    else if (kind === 'diskFault') step.ms = 1 + rng.int(DISK_FAULT_MS_MAX)
    else if (kind === 'slow') step.ms = 1 + rng.int(SLOW_MS_MAX)
    steps.push(step)
  }
  return steps
}

export function describeStep(s: FaultStep, index: number): string {
  return `#${index} at +${s.atMs} ms ${s.kind} pick=${s.pick} other=${s.other} fraction=${s.fraction.toFixed(4)} ms=${s.ms}`
}

export interface FaultDeps {
  workload: Workload
  admin: AdminDeps
}

export async function runFaults(cluster: SimCluster, plan: SimPlan, steps: readonly FaultStep[], deps: FaultDeps, stats: FaultStats): Promise<void> {
  const { world } = cluster
  const start = cluster.clock.now()
  const end = start + plan.faultPhaseMs
  const nemesis = new Nemesis(cluster, plan, deps, stats)
  for (const step of steps) {
    if (start + step.atMs >= end) break
    await nemesis.until(start + step.atMs)
    nemesis.apply(step)
  }
  await nemesis.until(end)
  world.record(WORLD, 'healall', '')
  await nemesis.healAll()
}

/** The nemesis's state through the fault phase: who is down, failing, slow; what comes back when. */
class Nemesis {
  /** Nodes down (crash, power loss, disk repair) and when they restart. */
  private readonly restartAt = new Map<SimNode, number>()
  /** Nodes whose disk fails, and when it is repaired. */
  private readonly diskRepairAt = new Map<SimNode, number>()
  private readonly fastAt = new Map<SimNode, number>()
  private readonly restartErrors: string[] = []
  private readonly downMax: number
  /**
   * A node lost writes its leaders had counted (a power loss, a failed disk): until
   * the cluster has settled again (every node back in its current process and in
   * every ISR), nothing else crashes, loses power or fails a disk. Such a node is
   * one node down for the quorum's budget: a second loss or a crash in that window
   * could take the last ISR member holding a write, which acks=all does not promise
   * to survive.
   */
  private recovering = false

  constructor(
    private readonly cluster: SimCluster,
    private readonly plan: SimPlan,
    private readonly deps: FaultDeps,
    private readonly stats: FaultStats,
  ) {
    this.downMax = Math.floor((cluster.nodes.length - 1) / 2)
  }

  /** Sleep until `at`, bringing back what is due on the way. */
  async until(at: number): Promise<void> {
    const clock = this.cluster.clock
    for (;;) {
      this.due()
      const next = Math.min(at, ...this.restartAt.values(), ...this.diskRepairAt.values(), ...this.fastAt.values())
      if (next <= clock.now()) {
        if (clock.now() >= at) return
        continue
      }
      await this.cluster.sleep(next - clock.now())
    }
  }

  private due(): void {
    const now = this.cluster.clock.now()
    if (this.recovering && this.diskRepairAt.size === 0 && this.restartAt.size === 0 && this.cluster.settled()) this.recovering = false
    for (const [n, at] of this.diskRepairAt) if (at <= now) this.repairDisk(n)
    for (const [n, at] of this.restartAt) if (at <= now) this.restart(n)
    for (const [n, at] of this.fastAt) if (at <= now) this.unslow(n)
  }

  apply(s: FaultStep): void {
    const { cluster, stats } = this
    const { network, world } = cluster
    const nodes = cluster.nodes
    const node = nodes[s.pick % nodes.length]!
    switch (s.kind) {
      case 'reset':
        if (network.resetOne(s.fraction)) stats.resets++
        break
      case 'partition':
        for (const other of network.owners()) if (other !== node.nodeId) { network.cutLink(node.nodeId, other); network.cutLink(other, node.nodeId) }
        stats.partitions++
        break
      case 'oneWay': {
        const others = nodes.filter((n) => n !== node)
        network.cutLink(node.nodeId, others[s.other % others.length]!.nodeId)
        stats.partitions++
        break
      }
      case 'heal':
        network.heal()
        break
      case 'clockJump':
        world.record(WORLD, 'jump', `n${node.nodeId} ${s.ms} ms`)
        node.jumpClock(s.ms)
        stats.clockJumps++
        break
      case 'crash': {
        const up = nodes.filter((n) => n.up)
        if (this.deps.admin.voterChange) break // the smaller quorum has no node to spare
        if (this.recovering || this.diskRepairAt.size > 0) break // a node that lost (or is losing) writes is the one down
        if (nodes.length - up.length >= this.downMax || up.length === 0) break
        const victim = up[s.pick % up.length]!
        world.record(WORLD, 'crash', `n${victim.nodeId}`)
        victim.crash()
        stats.crashes++
        this.restartAt.set(victim, cluster.clock.now() + s.ms)
        break
      }
      case 'powerLoss':
        this.powerLoss(node, s)
        break
      case 'diskFault': {
        // As a power loss, it loses what the node's replicas had counted: one such window at a time.
        if (this.recovering || this.diskRepairAt.size > 0 || this.deps.admin.voterChange || !cluster.settled()) break
        const fault = s.other % 2 === 0 ? 'eio' : 'enospc'
        world.record(WORLD, 'diskfault', `n${node.nodeId} ${fault} for ${s.ms} ms`)
        node.logDisk.fail(fault)
        this.recovering = true
        stats.diskFaults++
        this.diskRepairAt.set(node, cluster.clock.now() + s.ms)
        break
      }
      case 'slow': {
        if (this.fastAt.has(node)) break
        node.slow(1 + (s.other % SLOW_LAG_MS_MAX))
        stats.slowNodes++
        this.fastAt.set(node, cluster.clock.now() + s.ms)
        break
      }
      case 'admin':
        stats.adminOps++
        void runAdminStep(this.deps.admin, this.deps.workload, s.pick, world)
        break
    }
  }

  /**
   * Power is cut only when losing the machine's unsynced tail cannot lose an
   * acknowledged write: the cluster settled (every node up in its current process,
   * every ISR full: every write below a HW is in the memory of every replica, and
   * the other replicas keep it), no other loss under way. A second loss or a crash
   * before the first node is back in every ISR could lose what Kafka's acks=all
   * promises too (the ISR acknowledges from memory, not from disk); the nemesis
   * does not do that (`recovering`).
   */
  private powerLoss(node: SimNode, s: FaultStep): void {
    const { cluster, stats } = this
    if (this.recovering || this.diskRepairAt.size > 0 || this.deps.admin.voterChange || !cluster.settled()) return
    this.recovering = true
    const lost = node.powerLoss(s.fraction)
    cluster.world.record(WORLD, 'powerloss', `n${node.nodeId} lost ${lost} unsynced writes`)
    stats.powerLosses++
    stats.writesLost += lost
    this.restartAt.set(node, cluster.clock.now() + s.ms)
  }

  private restart(n: SimNode): void {
    this.restartAt.delete(n)
    if (n.up) return
    this.stats.restarts++
    this.cluster.world.record(WORLD, 'restart', `n${n.nodeId}`)
    n.start().catch((err: Error) => this.restartErrors.push(`n${n.nodeId} restart: ${err.message}`))
  }

  /** The disk is replaced (or space freed) and the node, whose logs fenced themselves, restarted on it. */
  private repairDisk(n: SimNode): void {
    this.diskRepairAt.delete(n)
    n.logDisk.fail(null)
    this.cluster.world.record(WORLD, 'diskrepair', `n${n.nodeId}`)
    if (!n.up) return
    // What its logs had accepted in memory and failed to write is gone with the process (as a power loss's tail).
    n.onLostWrites()
    n.crash()
    this.restartAt.set(n, this.cluster.clock.now() + DISK_REPAIR_DOWN_MS)
  }

  private unslow(n: SimNode): void {
    this.fastAt.delete(n)
    n.slow(0)
  }

  /** Everything heals: links, disks, slow nodes; every node is started. */
  async healAll(): Promise<void> {
    this.cluster.network.heal()
    for (const n of [...this.fastAt.keys()]) this.unslow(n)
    for (const n of [...this.diskRepairAt.keys()]) this.repairDisk(n)
    for (const n of [...this.restartAt.keys()]) this.restart(n)
    // Liveness: a voter change under way ends with its voter back (it has its own deadline).
    await this.deps.admin.voterChange?.catch((err: Error) => this.restartErrors.push(err.message))
    if (this.restartErrors.length > 0) throw new Error(this.restartErrors.join('; '))
  }
}

function chooseKind(weights: SimPlan['weights'], rng: SeededRandom): FaultKind {
  const kinds = Object.keys(weights) as FaultKind[]
  const total = kinds.reduce((sum, k) => sum + weights[k], 0)
  let x = rng.int(total)
  for (const k of kinds) {
    if (x < weights[k]) return k
    x -= weights[k]
  }
  return 'heal'
}
