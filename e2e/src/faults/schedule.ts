/**
 * A fault schedule drawn from a seed: after a quiet warm-up, one step after
 * another, each applying one fault (sometimes two at once), holding it, healing
 * it, then a quiet gap. Targets are roles ("the leader of partition 2", "the
 * controller") that the nemesis resolves against the live cluster when the step
 * starts.
 */
import type { Prng } from './prng.js'

export type Role =
  | { role: 'leader'; partition: number }
  | { role: 'follower'; partition: number; pick: number }
  | { role: 'controller' }
  | { role: 'node'; pick: number }

export type NetMode = 'cut' | 'blackhole'

/** Whom a reassign step kills (-9) right after the reassignment starts, restarted at heal: the issue's "in the middle of a reassignment" cases (a reorder adds no replica). */
export type ReassignKill = 'none' | 'controller' | 'leader' | 'adding'
/** During which of a voter step's two changes the Raft leader is killed (-9), restarted at heal. */
export type VoterKill = 'none' | 'remove' | 'add'

export type Fault =
  /** kill -9, restarted when the step heals */
  | { type: 'kill'; target: Role }
  | { type: 'kill-all' }
  /** SIGSTOP, SIGCONT when the step heals */
  | { type: 'pause'; target: Role }
  /** both directions of every link between the target and the other nodes */
  | { type: 'isolate'; target: Role; mode: NetMode }
  /** connections the target opens to one peer, both ways (the peer's connections to the target keep flowing) */
  | { type: 'link-loss'; target: Role; peerPick: number; mode: NetMode }
  /** every byte the target sends one peer is held (its requests and Raft sends, its answers to the peer's requests); the peer's bytes flow */
  | { type: 'one-way'; target: Role; peerPick: number }
  /** every link to and from the target */
  | { type: 'delay'; target: Role; delayMs: number }
  /** the target's client proxy: producers and consumers lose that broker */
  | { type: 'clients-cut'; target: Role; mode: NetMode }
  /**
   * AlterPartitionReassignments on one partition: `swap` replaces its replica #pick
   * with a broker outside its set, `reorder` rotates it (a new preferred leader);
   * the heal lets it complete or cancels it, then waits until it is finished or reverted
   */
  | { type: 'reassign'; partition: number; move: 'swap' | 'reorder'; pick: number; outcome: 'complete' | 'cancel'; kill: ReassignKill }
  /** RemoveRaftVoter of one voter (pick 0: the Raft leader, else a follower), AddRaftVoter back at heal: the original voter set restored */
  | { type: 'voter-change'; pick: number; kill: VoterKill }

export interface Step {
  /** when the step starts, from the start of the fault phase */
  atMs: number
  faults: Fault[]
  /** the kind each fault was drawn as */
  kinds: FaultKind[]
  holdMs: number
}

export interface ScheduleOptions {
  durationMs: number
  partitions: number
  /** quiet time before the first fault */
  warmupMs?: number
  holdMsMin?: number
  holdMsMax?: number
  quietMsMin?: number
  quietMsMax?: number
  /** chance that a step applies two faults at once */
  compoundChance?: number
  /** relative frequency of each fault kind (default FAULT_WEIGHTS; 0 or absent in an override = never) */
  weights?: Partial<Record<FaultKind, number>>
}

/** Relative frequency of each fault type. */
export const FAULT_WEIGHTS = {
  'kill-leader': 3,
  'kill-follower': 1.5,
  'kill-controller': 1.5,
  'kill-all': 0.6,
  pause: 2,
  isolate: 2,
  'link-loss': 2,
  'one-way': 2,
  delay: 1,
  'clients-cut': 1.5,
  reassign: 2,
  'voter-change': 1.5,
} as const

export type FaultKind = keyof typeof FAULT_WEIGHTS
export const FAULT_KINDS = Object.keys(FAULT_WEIGHTS) as FaultKind[]
/**
 * Kinds that change the cluster's shape through the admin API. In a compound step
 * they come first, so they are applied before the other fault (a kill lands in the
 * middle of the change) and healed after it (the restore needs the nodes back).
 */
export const ADMIN_KINDS: readonly FaultKind[] = ['reassign', 'voter-change']

function drawRole(rng: Prng, partitions: number): Role {
  const r = rng.weighted({ leader: 3, follower: 1, controller: 1, node: 1 })
  if (r === 'leader') return { role: 'leader', partition: rng.int(0, partitions - 1) }
  if (r === 'follower') return { role: 'follower', partition: rng.int(0, partitions - 1), pick: rng.int(0, 1) }
  if (r === 'controller') return { role: 'controller' }
  return { role: 'node', pick: rng.int(0, 3) }
}

export function drawKind(rng: Prng, weights: Partial<Record<FaultKind, number>> = FAULT_WEIGHTS): FaultKind {
  return rng.weighted(Object.fromEntries(FAULT_KINDS.map((k) => [k, weights[k] ?? 0])) as Record<FaultKind, number>)
}

export function drawFault(rng: Prng, partitions: number, kind: FaultKind): Fault {
  const mode = (): NetMode => (rng.chance(0.5) ? 'cut' : 'blackhole')
  switch (kind) {
    case 'kill-leader': return { type: 'kill', target: { role: 'leader', partition: rng.int(0, partitions - 1) } }
    case 'kill-follower': return { type: 'kill', target: { role: 'follower', partition: rng.int(0, partitions - 1), pick: rng.int(0, 1) } }
    case 'kill-controller': return { type: 'kill', target: { role: 'controller' } }
    case 'kill-all': return { type: 'kill-all' }
    case 'pause': return { type: 'pause', target: drawRole(rng, partitions) }
    case 'isolate': return { type: 'isolate', target: drawRole(rng, partitions), mode: mode() }
    case 'link-loss': return { type: 'link-loss', target: drawRole(rng, partitions), peerPick: rng.int(0, 1), mode: mode() }
    case 'one-way': return { type: 'one-way', target: drawRole(rng, partitions), peerPick: rng.int(0, 1) }
    case 'delay': return { type: 'delay', target: drawRole(rng, partitions), delayMs: rng.pick([20, 50, 100, 250]) }
    case 'clients-cut': return { type: 'clients-cut', target: { role: 'leader', partition: rng.int(0, partitions - 1) }, mode: mode() }
    case 'reassign': {
      const move = rng.chance(0.75) ? 'swap' : 'reorder'
      const kills: Partial<Record<ReassignKill, number>> = { none: 3, controller: 1, leader: 1, ...(move === 'swap' ? { adding: 1 } : {}) }
      return {
        type: 'reassign', partition: rng.int(0, partitions - 1), move, pick: rng.int(0, 2),
        outcome: rng.chance(0.5) ? 'complete' : 'cancel', kill: rng.weighted(kills as Record<ReassignKill, number>),
      }
    }
    case 'voter-change': return { type: 'voter-change', pick: rng.int(0, 3), kill: rng.weighted({ none: 2, remove: 1, add: 1 }) }
  }
}

/** Every kind with a weight once, in a seeded order, then weighted draws: even a short schedule covers every fault. */
export function drawSchedule(rng: Prng, o: ScheduleOptions): Step[] {
  const weights = o.weights ?? FAULT_WEIGHTS
  const cover = FAULT_KINDS.filter((k) => (weights[k] ?? 0) > 0)
  for (let i = cover.length - 1; i > 0; i--) {
    const j = rng.int(0, i)
    ;[cover[i], cover[j]] = [cover[j]!, cover[i]!]
  }
  const steps: Step[] = []
  let t = o.warmupMs ?? 3000
  while (t < o.durationMs) {
    const holdMs = Math.min(rng.int(o.holdMsMin ?? 1500, o.holdMsMax ?? 6000), Math.max(500, o.durationMs - t))
    const kinds = [cover.shift() ?? drawKind(rng, weights)]
    // a second fault at once, but never a second whole-cluster kill, nor the same admin change twice
    if (rng.chance(o.compoundChance ?? 0.2)) {
      const extra = drawKind(rng, weights)
      const admin = ADMIN_KINDS.includes(extra)
      if (extra !== 'kill-all' && kinds[0] !== 'kill-all' && !(admin && extra === kinds[0])) {
        if (admin && !ADMIN_KINDS.includes(kinds[0]!)) kinds.unshift(extra)
        else kinds.push(extra)
      }
    }
    steps.push({ atMs: t, faults: kinds.map((k) => drawFault(rng, o.partitions, k)), kinds, holdMs })
    t += holdMs + rng.int(o.quietMsMin ?? 1000, o.quietMsMax ?? 3000)
  }
  return steps
}

export function describeRole(r: Role): string {
  switch (r.role) {
    case 'leader': return `leader of p${r.partition}`
    case 'follower': return `follower #${r.pick} of p${r.partition}`
    case 'controller': return 'controller'
    case 'node': return `node #${r.pick}`
  }
}

export function describeFault(f: Fault): string {
  switch (f.type) {
    case 'kill': return `kill -9 ${describeRole(f.target)}`
    case 'kill-all': return 'kill -9 every node'
    case 'pause': return `SIGSTOP ${describeRole(f.target)}`
    case 'isolate': return `isolate ${describeRole(f.target)} (${f.mode})`
    case 'link-loss': return `${f.mode} the connections ${describeRole(f.target)} opens to peer #${f.peerPick}`
    case 'one-way': return `hold what ${describeRole(f.target)} sends to peer #${f.peerPick} (the peer's traffic flows)`
    case 'delay': return `delay links of ${describeRole(f.target)} by ${f.delayMs} ms`
    case 'clients-cut': return `cut clients from ${describeRole(f.target)} (${f.mode})`
    case 'reassign': {
      const move = f.move === 'swap' ? `replica #${f.pick} of p${f.partition} to a broker outside its set` : `p${f.partition}'s replicas rotated`
      return `reassign ${move}, then ${f.outcome === 'complete' ? 'let it complete' : 'cancel it'}${f.kill === 'none' ? '' : `; kill -9 the ${f.kill === 'adding' ? 'adding replica' : f.kill} mid-move`}`
    }
    case 'voter-change': {
      const who = f.pick === 0 ? 'the Raft leader' : `voter follower #${f.pick - 1}`
      return `remove ${who} from the voters, add it back at heal${f.kill === 'none' ? '' : `; kill -9 the Raft leader during the ${f.kill}`}`
    }
  }
}
