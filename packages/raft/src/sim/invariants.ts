import { decodeVoters } from '../membership.js'
import type { RaftNode } from '../raft-node.js'
import type { Entry, HardState } from '../types.js'

/** What the checker reads of a node's disk. */
export interface DiskView {
  firstIndex(): number
  lastIndex(): number
  /** undefined (or a throw-free miss) when the index is not on disk. */
  term(index: number): number | undefined
  hardStateNow(): HardState
}

/** A broken invariant: the run stops and prints the seed and trace. */
export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation'
}

function check(cond: unknown, message: string): asserts cond {
  if (!cond) throw new InvariantViolation(message)
}

interface CommittedEntry {
  term: number
  /** Term of the node that first reported the commit: leaders of later terms must hold it (§5.4.3). */
  commitTerm: number
}

/**
 * Safety invariants, checked incrementally after every event:
 *  - election safety: at most one leader per term
 *  - log matching: an (index, term) pair always names the same entry with the same predecessor term
 *  - leader completeness: a leader holds every entry committed in an earlier term
 *  - state-machine safety: no two nodes apply different entries at one index (chained hash)
 *  - durability: a committed entry is on a majority of the committing node's configuration in force
 *    (the voter set of the latest config entry in its log) when it commits, and stays on a majority of
 *    the latest committed configuration (so no crash/restart loses it); only a leader of an older term
 *    than the commit's may truncate it, from a disk outside that quorum; the durable commit index never
 *    decreases
 *  - a node's in-memory commit index never decreases (within one incarnation)
 *  - linearizable reads: a read index is at least the commit index known when the read was asked
 *  - a node's disk holds the log it reads from memory (so a restart rebuilds the same log)
 */
export class Invariants {
  private readonly leaderOfTerm = new Map<number, number>()
  /** "index:term" -> identity of the entry and the term of its predecessor. */
  private readonly entryIds = new Map<string, { data: number; prevTerm: number }>()
  readonly committed = new Map<number, CommittedEntry>()
  globalCommit = 0
  /** Chained hash of the applied sequence up to each index. */
  private readonly appliedChain = new Map<number, number>()
  /** The latest committed configuration (the bootstrap one until a config entry is applied anywhere). */
  private voters: readonly number[]
  private votersIndex = 0

  constructor(voters: readonly number[]) {
    this.voters = [...voters]
  }

  /** The node that led `term`, 0 if none is known. */
  leaderOf(term: number): number {
    return this.leaderOfTerm.get(term) ?? 0
  }

  /** The latest configuration known committed, and the index of its entry. */
  committedConfig(): { voters: readonly number[]; index: number } {
    return { voters: this.voters, index: this.votersIndex }
  }

  /** Called before a Ready is written to a node's disk; `disks` are every node's, as they are now. */
  beforePersist(node: number, disk: DiskView, entries: Entry[], hs: HardState | null, disks: Map<number, DiskView>): void {
    if (hs) check(hs.commit >= disk.hardStateNow().commit, `n${node}: durable commit goes back ${disk.hardStateNow().commit} -> ${hs.commit}`)
    if (entries.length === 0) return
    const first = entries[0]!.index
    const term = (hs ?? disk.hardStateNow()).term
    for (let i = Math.max(first, disk.firstIndex()); i <= disk.lastIndex(); i++) {
      const c = this.committed.get(i)
      const k = i - first
      const replacing = k < entries.length ? entries[k]!.term : undefined
      if (c && disk.term(i) === c.term && replacing !== c.term) this.checkStaleTruncation(node, i, c, first, term, disks)
    }
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k]!
      const prevTerm = k > 0 ? entries[k - 1]!.term : (disk.term(e.index - 1) ?? -1)
      const id = { data: entryHash(e), prevTerm }
      const key = `${e.index}:${e.term}`
      const seen = this.entryIds.get(key)
      if (!seen) this.entryIds.set(key, id)
      else {
        check(seen.data === id.data, `log matching: n${node} holds a different entry at ${key}`)
        check(prevTerm === -1 || seen.prevTerm === -1 || seen.prevTerm === prevTerm, `log matching: entry ${key} on n${node} follows term ${prevTerm}, elsewhere ${seen.prevTerm}`)
        if (seen.prevTerm === -1) seen.prevTerm = prevTerm
      }
    }
  }

  /**
   * A committed entry leaves a disk. Raft allows that only on a node outside the quorum
   * that acknowledged it: such a node can still be in an older term than the commit's
   * and follow a leader of that older term, whose log lacks the entry (issue #24, seed
   * 143237: observer n4 in term 4 took term-5 leader n2's append over entry 4, which
   * n1 had just committed in term 6). The acknowledging quorum is in the commit's term
   * or later and refuses that leader, and every leader from the commit's term on holds
   * the entry (§5.4), so: the node's term (the appending leader's) is older than the
   * commit's, and a quorum of other voters' disks still hold the entry.
   */
  private checkStaleTruncation(node: number, i: number, c: CommittedEntry, first: number, term: number, disks: Map<number, DiskView>): void {
    const what = `n${node}: committed entry ${i} (t${c.term}) truncated from disk by an append at ${first}`
    check(term < c.commitTerm, `${what} in term ${term}, though it was committed in term ${c.commitTerm}`)
    let copies = 0
    for (const v of this.voters) {
      const d = disks.get(v)!
      if (v !== node && (i < d.firstIndex() || (i <= d.lastIndex() && d.term(i) === c.term))) copies++
    }
    check(copies >= majority(this.voters), `${what} in term ${term}, leaving it on only ${copies} of voters [${this.voters}]`)
  }

  /**
   * After a Ready is persisted and mirrored: the disk ends where the node's memory
   * does, with the same term. A snapshot install that left a stale tail on disk would
   * hand a restarted node a log it never held.
   */
  diskMatchesMemory(node: number, disk: DiskView, memory: DiskView): void {
    const [dFirst, dLast, mFirst, mLast] = [disk.firstIndex(), disk.lastIndex(), memory.firstIndex(), memory.lastIndex()]
    check(dFirst === mFirst && dLast === mLast, `n${node}: disk holds [${dFirst}, ${dLast}] but memory [${mFirst}, ${mLast}]`)
    check(disk.term(dLast) === memory.term(mLast), `n${node}: last entry ${dLast} has term ${disk.term(dLast)} on disk, ${memory.term(mLast)} in memory`)
  }

  /** After every event on a live node. */
  afterEvent(id: number, raft: RaftNode, lastCommit: number, disks: Map<number, DiskView>, leaders: Iterable<RaftNode>): void {
    check(raft.commitIndex >= lastCommit, `n${id}: commit index went back ${lastCommit} -> ${raft.commitIndex}`)
    if (raft.role === 'leader') {
      const t = raft.currentTerm
      const other = this.leaderOfTerm.get(t)
      check(other === undefined || other === id, `election safety: n${other} and n${id} both lead term ${t}`)
      if (other === undefined) {
        this.leaderOfTerm.set(t, id)
        this.checkLeaderHoldsCommitted(raft, 1)
      }
    }
    if (raft.commitIndex > this.globalCommit) this.advanceGlobalCommit(id, raft, disks, leaders)
  }

  private advanceGlobalCommit(id: number, raft: RaftNode, disks: Map<number, DiskView>, leaders: Iterable<RaftNode>): void {
    const from = this.globalCommit + 1
    for (let i = from; i <= raft.commitIndex; i++) {
      const term = raft.termAt(i)
      check(term !== undefined, `n${id} committed ${i} without holding it (first ${raft.firstLogIndex})`)
      this.committed.set(i, { term, commitTerm: raft.currentTerm })
      // Counted over the configuration the committing node has in force, as its core did.
      const voters = raft.voters
      let copies = 0
      for (const v of voters) {
        const d = disks.get(v)
        if (d && (i < d.firstIndex() || (i <= d.lastIndex() && d.term(i) === term))) copies++
      }
      check(copies >= majority(voters), `entry ${i} (t${term}) committed by n${id} but durable on only ${copies} of voters [${voters}]`)
    }
    this.globalCommit = raft.commitIndex
    for (const l of leaders) this.checkLeaderHoldsCommitted(l, from)
  }

  private checkLeaderHoldsCommitted(l: RaftNode, from: number): void {
    for (let i = Math.max(from, l.firstLogIndex); i <= this.globalCommit; i++) {
      const c = this.committed.get(i)!
      if (c.commitTerm >= l.currentTerm) continue
      check(l.termAt(i) === c.term, `leader completeness: n${l.id} leads t${l.currentTerm} but holds t${l.termAt(i)} at committed ${i} (t${c.term})`)
    }
  }

  /** A node applied entry e; its state machine hash moves from prev to next. */
  applied(node: number, e: Entry, appliedIndex: number, next: number): void {
    check(e.index === appliedIndex + 1, `n${node} applied ${e.index} after ${appliedIndex}`)
    const c = this.committed.get(e.index)
    check(!c || c.term === e.term, `n${node} applied ${e.index}/t${e.term} but t${c?.term} was committed`)
    this.chain(node, e.index, next)
    if (e.type === 'config' && e.index > this.votersIndex) {
      const voters = decodeVoters(e.data)
      check(voters !== undefined, `n${node} applied a config entry at ${e.index} that holds no voter set`)
      check(changesOne(this.voters, voters), `n${node} applied configuration [${voters}] at ${e.index}, more than one voter away from [${this.voters}]`)
      this.voters = voters
      this.votersIndex = e.index
    }
  }

  /** A node's state machine now equals a snapshot at index. */
  restored(node: number, index: number, hash: number): void {
    this.chain(node, index, hash)
  }

  private chain(node: number, index: number, hash: number): void {
    const seen = this.appliedChain.get(index)
    if (seen === undefined) this.appliedChain.set(index, hash)
    else check(seen === hash, `state machine safety: n${node} state at ${index} differs from another node's`)
  }

  chainAt(index: number): number | undefined {
    return this.appliedChain.get(index)
  }

  readServed(node: number, index: number, minIndex: number): void {
    check(index >= minIndex, `linearizability: n${node} read at index ${index}, but ${minIndex} was committed when the read was asked`)
  }
}

const { imul } = Math

const majority = (voters: readonly number[]): number => Math.floor(voters.length / 2) + 1

/** Single-server changes: consecutive committed configurations differ by exactly one voter. */
function changesOne(a: readonly number[], b: readonly number[]): boolean {
  const added = b.filter((v) => !a.includes(v)).length
  const removed = a.filter((v) => !b.includes(v)).length
  return added + removed === 1
}

export function entryHash(e: Entry): number {
  let h = 0x811c9dc5 ^ (e.type === 'noop' ? 1 : 2)
  for (let i = 0; i < e.data.length; i++) h = imul(h ^ e.data[i]!, 0x01000193)
  return h >>> 0
}

export function chainHash(prev: number, e: Entry): number {
  let h = imul(prev ^ entryHash(e), 0x9e3779b1) ^ e.index
  h = imul(h ^ (h >>> 15), 0x85ebca6b) ^ e.term
  return h >>> 0
}
