import { decodeVoters } from '../membership.js'
import { seededRandom, type SeededRandom } from '../random.js'
import type { RaftNode } from '../raft-node.js'
import type { Entry } from '../types.js'
import type { SimStats } from './stats.js'

/**
 * Membership changes in a seed's fault plan: during the safety phase, a leader is
 * asked now and then to add a caught-up non-voter as a voter or to remove a voter
 * (itself included), interleaved with every other fault. They are drawn from their
 * own stream (seeded from the seed), so a seed whose plan has none replays exactly
 * as it did before membership changes existed.
 */
export interface VoterChangePlan {
  /** Per tick: chance a leader is asked for a voter change (0: none in this run). */
  voterChangeRate: number
  /** Non-voters started besides the plan's observers, so there is someone to add. */
  spareNodes: number
}

/** Never below two voters: a single voter commits an entry before it is on any disk, which the checker would call a loss. */
export const MIN_VOTERS = 2
/** Salt for the membership stream, so it is independent of the seed's main stream. */
const STREAM_SALT = 0x9e3779b9

export function chooseVoterChanges(seed: number): VoterChangePlan {
  const rng = seededRandom(seed ^ STREAM_SALT)
  const rate = [0, 0.01, 0.03, 0.1][rng.int(4)]!
  return { voterChangeRate: rate, spareNodes: rate === 0 ? 0 : 1 + rng.int(2) }
}

export function voterChangeStream(seed: number): SeededRandom {
  return seededRandom((seed ^ STREAM_SALT) + 1)
}

export interface ChangeTarget {
  id: number
  raft: RaftNode | null
}

/** What a leader was asked; undefined if it was not asked (no change possible). */
export function askForVoterChange(rng: SeededRandom, leader: RaftNode, nodes: readonly ChangeTarget[], maxVoters: number): { accepted: boolean; what: string } | undefined {
  const voters = leader.voters
  const others = nodes.filter((n) => !voters.includes(n.id))
  const canAdd = voters.length < maxVoters && others.length > 0
  const canRemove = voters.length > MIN_VOTERS
  if (!canAdd && !canRemove) return undefined
  const add = canAdd && (!canRemove || rng.chance(0.5))
  const id = add ? others[rng.int(others.length)]!.id : voters[rng.int(voters.length)]!
  const r = leader.proposeVoterChange({ type: add ? 'add' : 'remove', id })
  return { accepted: r.ok, what: `${add ? 'add' : 'remove'} n${id}: ${r.ok ? `-> ${r.value.index}/t${r.value.term}` : r.code}` }
}

/** Counts committed voter changes once each (by the first node to apply them). */
export class VoterChangeCounter {
  private voters: readonly number[]
  private index = 0

  constructor(bootstrap: readonly number[]) {
    this.voters = bootstrap
  }

  applied(e: Entry, leaderId: number, stats: SimStats): void {
    if (e.type !== 'config' || e.index <= this.index) return
    const next = decodeVoters(e.data)
    if (!next) return
    if (next.length > this.voters.length) stats.votersAdded++
    else {
      stats.votersRemoved++
      if (!next.includes(leaderId) && this.voters.includes(leaderId)) stats.leadersRemoved++
    }
    this.voters = next
    this.index = e.index
  }
}
