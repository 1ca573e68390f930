/**
 * The nemesis of one seed: for the plan's fault phase, at seeded intervals, one
 * of: reset a connection, isolate a node (both ways, from nodes and clients),
 * cut one link one way, heal, crash a node (restarted after a seeded downtime
 * from what its disks hold). Never more nodes down at once than a quorum
 * tolerates. At the end everything heals and every node is up again.
 */
import type { SeededRandom } from '@tributary/raft'
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
}

/** Largest wall-clock step of one jump, either way. */
const CLOCK_JUMP_MS_MAX = 10_000

type FaultKind = keyof SimPlan['weights']

export async function runFaults(cluster: SimCluster, plan: SimPlan, rng: SeededRandom, stats: FaultStats): Promise<void> {
  const { world, network } = cluster
  const end = cluster.clock.now() + plan.faultPhaseMs
  const restartAt = new Map<SimNode, number>()
  const downMax = Math.floor((cluster.nodes.length - 1) / 2)
  const restartErrors: string[] = []
  const restart = (n: SimNode): void => {
    restartAt.delete(n)
    stats.restarts++
    world.record(WORLD, 'restart', `n${n.nodeId}`)
    n.start().catch((err: Error) => restartErrors.push(`n${n.nodeId} restart: ${err.message}`))
  }
  while (cluster.clock.now() < end) {
    const gap = plan.faultGapMs === 0 ? end - cluster.clock.now() : 1 + rng.int(2 * plan.faultGapMs)
    await cluster.sleep(Math.min(gap, end - cluster.clock.now()))
    for (const [n, at] of restartAt) if (at <= cluster.clock.now()) restart(n)
    if (plan.faultGapMs === 0 || cluster.clock.now() >= end) break
    const up = cluster.nodes.filter((n) => n.up)
    const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!
    switch (chooseKind(plan.weights, rng)) {
      case 'reset':
        if (network.resetOne(rng)) stats.resets++
        break
      case 'partition': {
        const victim = pick(cluster.nodes).nodeId
        for (const other of network.owners()) if (other !== victim) { network.cutLink(victim, other); network.cutLink(other, victim) }
        stats.partitions++
        break
      }
      case 'oneWay': {
        const from = pick(cluster.nodes).nodeId
        const to = pick(cluster.nodes.filter((n) => n.nodeId !== from)).nodeId
        network.cutLink(from, to)
        stats.partitions++
        break
      }
      case 'heal':
        network.heal()
        break
      case 'clockJump': {
        const victim = pick(cluster.nodes)
        const ms = (rng.chance(0.5) ? 1 : -1) * (1 + rng.int(CLOCK_JUMP_MS_MAX))
        world.record(WORLD, 'jump', `n${victim.nodeId} ${ms} ms`)
        victim.jumpClock(ms)
        stats.clockJumps++
        break
      }
      case 'crash': {
        if (cluster.nodes.length - up.length >= downMax || up.length === 0) break
        const victim = pick(up)
        world.record(WORLD, 'crash', `n${victim.nodeId}`)
        victim.crash()
        stats.crashes++
        restartAt.set(victim, cluster.clock.now() + 1 + rng.int(plan.downtimeMsMax))
        break
      }
    }
  }
  network.heal()
  for (const n of [...restartAt.keys()]) restart(n)
  if (restartErrors.length > 0) throw new Error(restartErrors.join('; '))
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
