/**
 * The nemesis's elastic steps, through the real admin API: `reassign` moves a
 * partition (AlterPartitionReassignments) and at heal lets it complete or
 * cancels it; `voter-change` removes a voter (RemoveRaftVoter) and adds it back
 * (AddRaftVoter). Either may kill -9 a node in the middle of the change. A heal
 * waits, with a deadline, until the change is finished or cleanly reverted and
 * records what the cluster must look like afterwards; a heal that cannot get
 * there is a problem the run reports, and `finalProblems` checks the recorded
 * shape once everything has healed.
 */
import { ErrorCode, type Admin } from '@tributary/client'
import { sleep, type TestCluster } from '../cluster.js'
import { partitionsOf } from './final-read.js'
import type { Prng } from './prng.js'
import { describeFault, type Fault } from './schedule.js'

/** How long a heal may take to finish or revert a reassignment (a killed replica restarts and catches up meanwhile). */
export const REASSIGN_HEAL_TIMEOUT_MS = 60_000
/** How long a heal may take to restore the voter set (a removed voter killed meanwhile restarts and catches up first). */
export const VOTER_HEAL_TIMEOUT_MS = 60_000
/** How long applying a voter removal may take to show before the step goes on without it. */
export const VOTER_APPLY_TIMEOUT_MS = 20_000
/** Timeout of one admin call of the nemesis (it retries until its deadline). */
export const ADMIN_CALL_TIMEOUT_MS = 10_000
/** Between polls of the cluster's state while a heal waits. */
const POLL_MS = 250
/** The longest pause between starting a change and killing a node in its middle (seeded). */
const KILL_DELAY_MS_MAX = 50

type ReassignFault = Extract<Fault, { type: 'reassign' }>
type VoterFault = Extract<Fault, { type: 'voter-change' }>

export interface ElasticApplied {
  text: string
  /** resolves with how the change ended */
  heal(): Promise<string | void>
}

export interface ElasticNemesisDeps {
  cluster: TestCluster
  admin: Admin
  topic: string
  rng: Prng
  /** running and not paused */
  live(id: number): boolean
  /** start a killed node again (not waiting for /readyz) */
  restart(id: number): Promise<void>
}

const sorted = (ids: readonly number[]): number[] => [...ids].sort((a, b) => a - b)
const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i])
const sameSet = (a: readonly number[], b: readonly number[]): boolean => same(sorted(a), sorted(b))
const list = (ids: readonly number[]): string => `[${ids.join(',')}]`
const message = (err: unknown): string => (err as Error)?.message ?? String(err)

/**
 * Where a reassign step moves a partition: `swap` puts a broker outside the set in
 * place of replica #pick (a rotation when every broker holds one), `reorder`
 * rotates the set by 1 + pick (mod its size − 1), so the preferred leader changes.
 */
export function reassignTarget(f: Pick<ReassignFault, 'move' | 'pick'>, before: readonly number[], brokers: readonly number[]): number[] {
  const outside = brokers.filter((id) => !before.includes(id))
  if (f.move === 'swap' && outside.length > 0) {
    const out = f.pick % before.length
    return before.map((id, i) => (i === out ? outside[f.pick % outside.length]! : id))
  }
  const by = before.length > 1 ? 1 + (f.pick % (before.length - 1)) : 0
  return [...before.slice(by), ...before.slice(0, by)]
}

export class ElasticNemesis {
  /** what the heals say the voter set and each partition's replicas must be */
  private voters: number[] = []
  private readonly replicas = new Map<number, number[]>()
  /** heals that did not get the cluster where they had to, within their deadline */
  readonly problems: string[] = []

  constructor(private readonly d: ElasticNemesisDeps) {}

  /** Record the starting shape: the voter set and the topic's replica sets, once every node agrees on them. */
  async init(timeoutMs: number): Promise<void> {
    await this.d.cluster.waitFor(async () => {
      const q = await this.d.admin.describeQuorum()
      this.voters = sorted(q.voters.map((v) => v.nodeId))
      return q.leaderId > 0 && this.voters.length === this.d.cluster.nodes.length
    }, { timeoutMs, message: 'every node a voter with a leader' })
    for (const p of await this.agreedPartitions(timeoutMs)) this.replicas.set(p.partition, [...p.replicas])
  }

  apply(f: ReassignFault | VoterFault): Promise<ElasticApplied> {
    return f.type === 'reassign' ? this.reassign(f) : this.voterChange(f)
  }

  /** The shape the heals recorded against the cluster's now (call once everything healed and converged). */
  async finalProblems(): Promise<string[]> {
    const out = [...this.problems]
    try {
      const voters = sorted((await this.d.admin.describeQuorum()).voters.map((v) => v.nodeId))
      if (!same(voters, this.voters)) out.push(`voters ${list(voters)} after healing, the heals say ${list(this.voters)}`)
      const moving = await this.d.admin.listPartitionReassignments({ timeoutMs: ADMIN_CALL_TIMEOUT_MS })
      if (moving.length > 0) out.push(`reassignments still in progress after healing: ${moving.map((r) => `${r.topic}-${r.partition} ${list(r.replicas)}`).join('; ')}`)
      for (const p of await partitionsOf(this.d.cluster, this.d.topic)) {
        const want = this.replicas.get(p.partition)
        if (want && !same(p.replicas, want)) out.push(`p${p.partition} replicas ${list(p.replicas)} after healing, the heals say ${list(want)}`)
      }
    } catch (err) {
      out.push(`final voter and replica check failed: ${message(err)}`)
    }
    return out
  }

  // ---- reassign

  private async reassign(f: ReassignFault): Promise<ElasticApplied> {
    const what = describeFault(f)
    const before = this.replicas.get(f.partition)
    if (!before) return { text: `${what}: skipped (no recorded replicas of p${f.partition})`, heal: async () => {} }
    const target = reassignTarget(f, before, this.d.cluster.nodes.map((n) => n.nodeId))
    try {
      await this.alter(f.partition, target)
    } catch (err) {
      // A refusal, or an answer lost after the move started: the heal cancels whatever did start and records where the partition settled.
      const text = `${what} → p${f.partition} ${list(before)} → ${list(target)}: AlterPartitionReassignments failed (${message(err)}); the heal cancels it if it started`
      return { text, heal: () => this.healReassign({ ...f, outcome: 'cancel' }, before, target, undefined) }
    }
    const victim = await this.reassignVictim(f, before, target)
    if (victim !== undefined) await this.d.cluster.kill(victim, 'SIGKILL')
    const text = `${what} → p${f.partition} ${list(before)} → ${list(target)}${victim === undefined ? '' : `, node ${victim} killed`}`
    return { text, heal: () => this.healReassign(f, before, target, victim) }
  }

  private alter(partition: number, replicas: number[] | null): Promise<void> {
    return this.d.admin.alterPartitionReassignments({ topics: [{ topic: this.d.topic, partitions: [{ partition, replicas }] }], timeoutMs: ADMIN_CALL_TIMEOUT_MS })
  }

  private async reassignVictim(f: ReassignFault, before: number[], target: number[]): Promise<number | undefined> {
    if (f.kill === 'none') return undefined
    await sleep(this.d.rng.int(0, KILL_DELAY_MS_MAX))
    let id: number | undefined
    if (f.kill === 'adding') id = target.find((x) => !before.includes(x))
    else {
      const m = await this.d.admin.clusterMetadata().catch(() => undefined)
      if (f.kill === 'controller') id = m && m.controllerId > 0 ? m.controllerId : undefined
      else id = m?.topics.find((t) => t.name === this.d.topic)?.partitions.find((p) => p.partition === f.partition)?.leader
    }
    return id !== undefined && id > 0 && this.d.live(id) ? id : undefined
  }

  /**
   * Cancel (when drawn) while a killed node is still down, restart it, then wait until
   * no reassignment of the partition is listed and every node places it on the same
   * replicas: the target (completed) or the original set (cancelled; KIP-455 may
   * reorder it). A cancel that finds nothing to cancel means it had completed.
   */
  private async healReassign(f: ReassignFault, before: number[], target: number[], victim: number | undefined): Promise<string> {
    const deadline = Date.now() + REASSIGN_HEAL_TIMEOUT_MS
    let cancelled = f.outcome !== 'cancel'
    const tryCancel = async () => {
      try {
        await this.alter(f.partition, null)
        cancelled = true
      } catch (err) {
        if ((err as { code?: number }).code === ErrorCode.NO_REASSIGNMENT_IN_PROGRESS) cancelled = true
      }
    }
    if (!cancelled) await tryCancel()
    if (victim !== undefined) await this.d.restart(victim)
    let last = 'not checked yet'
    while (Date.now() < deadline) {
      if (!cancelled) await tryCancel()
      try {
        const moving = await this.d.admin.listPartitionReassignments({ topics: [{ topic: this.d.topic, partitions: [f.partition] }], timeoutMs: ADMIN_CALL_TIMEOUT_MS })
        const views = await this.replicaViews(f.partition)
        const now = views[0]!
        const agreed = views.every((v) => same(v, now))
        last = `listed ${moving.length > 0 ? list(moving[0]!.replicas) : 'nothing'}, nodes place it on ${views.map(list).join(' ')}`
        const done = f.outcome === 'complete' ? same(now, target) : same(now, target) || sameSet(now, before)
        if (cancelled && moving.length === 0 && agreed && done) {
          this.replicas.set(f.partition, now)
          return `${same(now, target) ? 'completed' : 'reverted'}: p${f.partition} on ${list(now)}${victim === undefined ? '' : `, node ${victim} restarted`}`
        }
      } catch (err) {
        last = message(err)
      }
      await sleep(POLL_MS)
    }
    const want = f.outcome === 'complete' ? list(target) : `${list(target)} or the set of ${list(before)}`
    const problem = `heal of reassign p${f.partition} ${list(before)} → ${list(target)} (${f.outcome}): not ${want} within ${REASSIGN_HEAL_TIMEOUT_MS / 1000} s (${last})`
    this.problems.push(problem)
    this.replicas.delete(f.partition)
    return `FAILED: ${problem}`
  }

  /** The partition's replicas as each running node's metadata has them (a node that does not answer fails the look). */
  private async replicaViews(partition: number): Promise<number[][]> {
    const running = this.d.cluster.nodes.filter((n) => n.process)
    return Promise.all(running.map(async (n) => {
      const t = (await this.d.cluster.metadata(n.nodeId)).topics.find((x) => x.name === this.d.topic)
      const p = t?.partitions.find((x) => x.partition === partition)
      if (!p) throw new Error(`node ${n.nodeId} does not know p${partition}`)
      return [...p.replicas]
    }))
  }

  private async agreedPartitions(timeoutMs: number): Promise<Array<{ partition: number; replicas: number[] }>> {
    return this.d.cluster.waitFor(async () => {
      const views = await Promise.all(this.d.cluster.nodes.map(async (n) => {
        const t = (await this.d.cluster.metadata(n.nodeId)).topics.find((x) => x.name === this.d.topic)
        return t?.partitions.map((p) => ({ partition: p.partition, replicas: [...p.replicas] }))
      }))
      const first = views[0]
      return first && views.every((v) => JSON.stringify(v) === JSON.stringify(first)) ? first : undefined
    }, { timeoutMs, message: `every node to agree on ${this.d.topic}'s replicas` })
  }

  // ---- voter-change

  private async quorum(): Promise<{ leaderId: number; voters: number[] }> {
    const q = await this.d.admin.describeQuorum()
    return { leaderId: q.leaderId, voters: sorted(q.voters.map((v) => v.nodeId)) }
  }

  /** Start a voter change and kill -9 the Raft leader in its middle; the change may or may not commit. Returns the killed node. */
  private async changeKillingLeader(change: () => Promise<void>): Promise<number | undefined> {
    const leaderId = (await this.quorum().catch(() => undefined))?.leaderId ?? 0
    const call = change().catch(() => {})
    await sleep(this.d.rng.int(0, KILL_DELAY_MS_MAX))
    const killed = leaderId > 0 && this.d.live(leaderId) ? leaderId : undefined
    if (killed !== undefined) await this.d.cluster.kill(killed, 'SIGKILL')
    await call
    return killed
  }

  private async voterChange(f: VoterFault): Promise<ElasticApplied> {
    const what = describeFault(f)
    const skip = (why: string): ElasticApplied => ({ text: `${what}: skipped (${why})`, heal: async () => {} })
    let q: { leaderId: number; voters: number[] }
    try {
      q = await this.quorum()
    } catch (err) {
      return skip(`DescribeQuorum failed: ${message(err)}`)
    }
    if (!same(q.voters, this.voters)) return skip(`voters are ${list(q.voters)}, not the recorded ${list(this.voters)}`)
    // Majority-safe: remove one voter only while all the others run, so the smaller set keeps a live majority.
    const down = q.voters.filter((id) => !this.d.live(id))
    if (down.length > 0 || q.leaderId <= 0) return skip(down.length > 0 ? `voter ${down.join(',')} is down or paused` : 'no Raft leader')
    const followers = q.voters.filter((id) => id !== q.leaderId)
    const x = f.pick === 0 ? q.leaderId : followers[(f.pick - 1) % followers.length]!
    const remove = () => this.d.admin.removeRaftVoter({ voterId: x, timeoutMs: ADMIN_CALL_TIMEOUT_MS })
    const killed = f.kill === 'remove' ? await this.changeKillingLeader(remove) : (await remove().catch(() => {}), undefined)
    const want = q.voters.filter((id) => id !== x)
    const removed = await this.waitVoters(want, VOTER_APPLY_TIMEOUT_MS, () => remove())
    const text = `${what} → voter ${x} (voters ${list(q.voters)} → ${removed ? list(want) : 'unchanged: the removal did not take effect'})${killed === undefined ? '' : `, leader ${killed} killed`}`
    return { text, heal: () => this.healVoters(f, x, killed) }
  }

  /** Restart a node killed during the removal, add the voter back (killing the leader meanwhile if drawn), and wait for the original voter set. */
  private async healVoters(f: VoterFault, x: number, killedDuringRemove: number | undefined): Promise<string> {
    if (killedDuringRemove !== undefined) await this.d.restart(killedDuringRemove)
    const add = () => this.d.admin.addRaftVoter({ voterId: x, timeoutMs: ADMIN_CALL_TIMEOUT_MS })
    let killed: number | undefined
    if (f.kill === 'add') {
      killed = await this.changeKillingLeader(add)
      if (killed !== undefined) await this.d.restart(killed)
    }
    const started = Date.now()
    if (await this.waitVoters(this.voters, VOTER_HEAL_TIMEOUT_MS, add)) {
      return `voters ${list(this.voters)} again${killed === undefined ? '' : `, leader ${killed} killed during the add`} (${Date.now() - started} ms)`
    }
    const now = await this.quorum().then((v) => list(v.voters), (err) => message(err))
    const problem = `heal of voter-change (voter ${x}): voters not back to ${list(this.voters)} within ${VOTER_HEAL_TIMEOUT_MS / 1000} s (now ${now})`
    this.problems.push(problem)
    return `FAILED: ${problem}`
  }

  /** Until the leader's voter set is `want` (true) or the deadline (false), calling `retry` (errors ignored) while it is not. */
  private async waitVoters(want: number[], timeoutMs: number, retry: () => Promise<void>): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const now = await this.quorum().catch(() => undefined)
      if (now && now.leaderId > 0 && same(now.voters, want)) return true
      if (now && now.leaderId > 0) await retry().catch(() => {})
      await sleep(POLL_MS)
    }
    return false
  }
}
