import { MessageType } from '../message.js'
import { seededRandom, type SeededRandom } from '../random.js'
import { RaftNode, type Ready } from '../raft-node.js'
import { MemoryRaftStorage } from '../storage.js'
import { choosePlan, describePlan, UNITS_PER_TICK, type FaultPlan } from './fault-plan.js'
import { chainHash, InvariantViolation, Invariants } from './invariants.js'
import { ProgressWatch } from './progress-watch.js'
import type { SimDisk } from './sim-disk.js'
import { decodeState, encodeState, newSimNode, type SimNode } from './sim-node.js'
import { SimNetwork, type Envelope } from './sim-network.js'
import { emptyStats, type SimStats } from './stats.js'
import { Trace } from './trace.js'
import { SimWorkload } from './sim-workload.js'
import { askForVoterChange, chooseVoterChanges, VoterChangeCounter, voterChangeStream } from './voter-changes.js'

/**
 * A deterministic, seeded simulation of a Raft cluster. Virtual time runs in units
 * (UNITS_PER_TICK per node tick, each node with its own phase); the network delays,
 * loses, duplicates and reorders messages and honours (a)symmetric partitions; nodes
 * crash and restart from what they persisted, sometimes between persisting a Ready
 * and sending its messages; observers join late; leaders are asked to add and remove
 * voters (voter-changes.ts). The seed picks all of it, so
 * rerunning a seed replays the run exactly.
 *
 * Phase 1 (safety): faults on, invariants checked after every event.
 * Phase 2 (liveness): everything healed; a leader must emerge within 10 election
 * timeouts, and marker proposals must be applied on every node (voters and
 * observers), with replication or application never standing still for
 * STALL_TICKS, within livenessTicks at most.
 */
export interface SimOptions {
  seed: number
  voters: number
  safetyTicks?: number
  livenessTicks?: number
  electionTimeoutTicks?: number
  /** Events kept for the failure trace. */
  traceLimit?: number
  /** Stream every event (sim --trace). */
  traceSink?: (line: string) => void
  /** Replace the seed's choice of faults (tests). */
  plan?: Partial<FaultPlan>
}

export type { SimStats } from './stats.js'

export interface SimResult {
  seed: number
  voters: number
  ok: boolean
  failure?: string
  plan: FaultPlan
  stats: SimStats
  trace: string[]
}

const LIVENESS_MARKERS = 3
/** Once healed, a leader must exist within this many election timeouts. */
const LEADER_DEADLINE_ELECTION_TIMEOUTS = 10
/**
 * Once healed, replication and application (ProgressWatch) must never both stand
 * still this long. Raft promises no hard bound, only that randomized timeouts make
 * each election round likely to elect; ten election timeouts leave room for several
 * rounds, since in a quiet network every up-to-date voter campaigns within two
 * election timeouts of last hearing from a leader or granting a vote (refusing a
 * candidate restarts no timer: issue #24).
 */
const STALL_TICKS = 100

export function runSimulation(options: SimOptions): SimResult {
  return new Simulation(options).run()
}

class Simulation {
  private readonly rng: SeededRandom
  private readonly plan: FaultPlan
  private readonly nodes = new Map<number, SimNode>()
  private readonly voterIds: number[]
  private readonly network: SimNetwork
  private readonly workload: SimWorkload
  private readonly inv: Invariants
  private readonly trace: Trace
  private readonly et: number
  private readonly safetyTicks: number
  private readonly livenessTicks: number
  private time = 0
  private readonly stats: SimStats = emptyStats()
  /** Membership changes draw from their own stream, so a plan without them replays as before they existed. */
  private readonly voterRng: SeededRandom
  private readonly voterChanges: VoterChangeCounter

  constructor(private readonly options: SimOptions) {
    this.rng = seededRandom(options.seed)
    this.plan = { ...choosePlan(this.rng), ...chooseVoterChanges(options.seed), ...options.plan }
    if (this.plan.voterChangeRate === 0) this.plan.spareNodes = 0
    this.voterRng = voterChangeStream(options.seed)
    this.et = options.electionTimeoutTicks ?? 10
    this.safetyTicks = options.safetyTicks ?? 300
    this.livenessTicks = options.livenessTicks ?? 3000
    this.voterIds = Array.from({ length: options.voters }, (_, k) => k + 1)
    this.inv = new Invariants(this.voterIds)
    this.voterChanges = new VoterChangeCounter(this.voterIds)
    this.trace = new Trace(options.traceLimit ?? 400, options.traceSink)
    this.network = new SimNetwork(this.rng, this.plan, this.stats, this.trace)
    this.workload = new SimWorkload(this.rng, this.plan, this.stats, this.trace, this.inv, this.voterIds)
    this.tickingAt = Array.from({ length: UNITS_PER_TICK }, () => [])
    const planned = options.voters + this.plan.observers
    for (let k = 0; k < planned + this.plan.spareNodes; k++) {
      const id = k + 1
      const rng = k < planned ? this.rng : this.voterRng
      const phase = rng.int(UNITS_PER_TICK)
      this.nodes.set(id, newSimNode(id, id <= options.voters, rng.fork()))
      this.tickingAt[phase]!.push(this.nodes.get(id)!)
    }
    this.disks = new Map([...this.nodes.values()].map((x) => [x.id, x.disk] as const))
  }

  private readonly disks: Map<number, SimDisk>

  /** Nodes by the time unit (within a tick) at which they tick: each has its own phase. */
  private readonly tickingAt: SimNode[][]

  run(): SimResult {
    this.trace.add(0, 0, 'plan', `seed=${this.options.seed} voters=${this.options.voters} ${describePlan(this.plan)}`)
    let failure: string | undefined
    try {
      for (const n of this.nodes.values()) if (n.isVoter) this.start(n)
      const planned = this.options.voters + this.plan.observers
      this.observerJoinTicks = [...this.nodes.values()].filter((n) => !n.isVoter).map((n) => [n.id, (n.id <= planned ? this.rng : this.voterRng).int(this.safetyTicks)] as const)
      this.runFor(this.safetyTicks, true)
      failure = this.liveness()
    } catch (e) {
      failure = e instanceof InvariantViolation ? e.message : `exception: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`
    }
    if (failure) this.trace.add(this.time, 0, 'FAILED', failure)
    return {
      seed: this.options.seed,
      voters: this.options.voters,
      ok: failure === undefined,
      ...(failure ? { failure } : {}),
      plan: this.plan,
      stats: this.stats,
      trace: failure ? this.trace.lines() : [],
    }
  }

  private observerJoinTicks: (readonly [number, number])[] = []

  // ---------------------------------------------------------------- time

  private runFor(ticks: number, faults: boolean, until?: () => boolean): boolean {
    const end = this.time + ticks * UNITS_PER_TICK
    while (this.time < end) {
      this.time++
      for (let e = this.network.nextDue(this.time); e; e = this.network.nextDue(this.time)) this.deliver(e)
      for (const n of this.tickingAt[this.time % UNITS_PER_TICK]!) {
        if (n.raft) {
          n.raft.tick()
          this.afterEvent(n)
        }
      }
      if (this.time % UNITS_PER_TICK === 0) {
        this.stats.ticks++
        const tick = this.time / UNITS_PER_TICK
        if (faults) this.injectFaults(tick)
        this.restartDue(tick)
        this.client(faults)
        if (until?.()) return true
      }
    }
    return false
  }

  private injectFaults(tick: number): void {
    for (const [id, at] of this.observerJoinTicks) {
      const n = this.nodes.get(id)!
      if (at === tick && !n.joined) {
        this.stats.observersJoined++
        this.start(n)
      }
    }
    const p = this.plan
    if (this.rng.chance(p.partitionRate)) this.network.changePartition(this.time, [...this.nodes.keys()])
    if (this.rng.chance(p.crashRate)) {
      const live = [...this.nodes.values()].filter((n) => n.raft)
      if (live.length > 0) this.crash(live[this.rng.int(live.length)]!, tick, 'crash')
    }
    if (p.voterChangeRate > 0 && this.voterRng.chance(p.voterChangeRate)) this.askForVoterChange()
  }

  /** A leader is asked to add a non-voter or remove a voter (at most as many voters as the cluster started with, plus one). */
  private askForVoterChange(): void {
    const leaders = [...this.nodes.values()].filter((n) => n.raft?.role === 'leader')
    if (leaders.length === 0) return
    const l = leaders[this.voterRng.int(leaders.length)]!
    const asked = askForVoterChange(this.voterRng, l.raft!, [...this.nodes.values()], this.options.voters + 1)
    if (!asked) return
    this.stats.voterChangesAsked++
    if (asked.accepted) this.stats.voterChangesAccepted++
    this.trace.add(this.time, l.id, 'voters', `${asked.what} (in force: [${l.raft!.voters}])`)
    this.afterEvent(l)
  }

  // ---------------------------------------------------------------- nodes

  private start(n: SimNode): void {
    n.joined = true
    n.memory = MemoryRaftStorage.fromDurable(n.disk.load())
    const snap = n.memory.snapshot()
    n.raft = new RaftNode({
      id: n.id,
      voters: this.voterIds,
      storage: n.memory,
      random: n.rng.fork(),
      electionTimeoutTicks: this.et,
      heartbeatTicks: this.plan.heartbeatTicks,
      preVote: this.plan.preVote,
      checkQuorum: this.plan.checkQuorum,
      maxAppendEntries: this.plan.maxAppendEntries,
      maxInflightAppends: this.plan.maxInflightAppends,
      applied: snap.index,
    })
    // The app's state machine restarts from the snapshot on disk.
    n.appIndex = snap.index
    n.appHash = snap.index === 0 ? 0 : decodeState(snap.data).hash
    if (snap.index > 0) this.inv.restored(n.id, snap.index, n.appHash)
    n.lastCommit = n.raft.commitIndex
    n.lastRole = n.raft.role
    this.trace.add(this.time, n.id, 'start', `term=${n.raft.currentTerm} commit=${n.raft.commitIndex} first=${n.raft.firstLogIndex} last=${n.raft.lastLogIndex}`)
  }

  private crash(n: SimNode, tick: number, why: string): void {
    n.raft = null
    n.downUntilTick = tick + 1 + this.rng.int(this.plan.maxDowntimeTicks)
    this.stats.crashes++
    this.trace.add(this.time, n.id, 'CRASH', `${why}; restarts at tick ${n.downUntilTick}`)
  }

  private restartDue(tick: number): void {
    for (const n of this.nodes.values()) {
      if (n.joined && !n.raft && (this.network.healed || tick >= n.downUntilTick)) this.start(n)
    }
  }

  private deliver(envelope: Envelope): void {
    const { m } = envelope
    const n = this.nodes.get(m.to)
    if (!this.network.arrives(envelope, !!n?.raft)) return
    const raft = n!.raft!
    this.trace.add(this.time, m.to, 'recv', m)
    const r = raft.step(m)
    if (!r.ok && r.code !== 'STALE_TERM') this.trace.add(this.time, m.to, 'rejected', `${r.code}: ${r.message}`)
    else if (r.ok && m.type === MessageType.TimeoutNow) this.stats.transfersObeyed++
    this.afterEvent(n!)
  }

  /**
   * Check every invariant this event could have touched (before the app can compact
   * what just committed), then drain the node's Readys.
   */
  private afterEvent(n: SimNode): void {
    const raft = n.raft
    if (!raft) return
    if (raft.role !== n.lastRole) {
      if (raft.role === 'leader') this.stats.elections++
      this.trace.add(this.time, n.id, 'role', `${n.lastRole} -> ${raft.role} term=${raft.currentTerm} last=${raft.lastLogIndex} commit=${raft.commitIndex}`)
      n.lastRole = raft.role
    }
    this.inv.afterEvent(n.id, raft, n.lastCommit, this.disks, this.leaders())
    n.lastCommit = raft.commitIndex
    for (let rd = n.raft?.ready(); rd && n.raft; rd = n.raft?.ready()) this.handleReady(n, n.raft, rd)
  }

  private *leaders(): Iterable<RaftNode> {
    for (const n of this.nodes.values()) if (n.raft?.role === 'leader') yield n.raft
  }

  private handleReady(n: SimNode, raft: RaftNode, rd: Ready): void {
    // 1. persist, then mirror into the storage the node reads
    if (rd.snapshot) n.disk.saveSnapshot(rd.snapshot)
    this.inv.beforePersist(n.id, n.disk, rd.entries, rd.hardState, this.disks)
    n.disk.append(rd.entries)
    if (rd.hardState) n.disk.setHardState(rd.hardState)
    if (rd.snapshot) n.memory.applySnapshot(rd.snapshot)
    n.memory.append(rd.entries)
    if (rd.hardState) n.memory.setHardState(rd.hardState)
    this.inv.diskMatchesMemory(n.id, n.disk, n.memory)
    if (rd.mustSync && !this.network.healed && this.rng.chance(this.plan.crashAfterPersistRate)) {
      this.stats.crashesAfterPersist++
      this.crash(n, this.time / UNITS_PER_TICK, `after persisting (${rd.entries.length} entries) and before sending ${rd.messages.length} messages`)
      return
    }
    // 2. send
    for (const m of rd.messages) this.network.send(this.time, n.id, m)
    // 3. apply
    if (rd.snapshot) {
      const s = decodeState(rd.snapshot.data)
      n.appIndex = rd.snapshot.index
      n.appHash = s.hash
      this.inv.restored(n.id, n.appIndex, n.appHash)
      this.stats.snapshotsInstalled++
      this.trace.add(this.time, n.id, 'install', `snapshot ${rd.snapshot.index}/t${rd.snapshot.term}`)
    }
    for (const e of rd.committed) {
      if (e.index <= n.appIndex) continue
      const next = chainHash(n.appHash, e)
      this.inv.applied(n.id, e, n.appIndex, next)
      this.voterChanges.applied(e, this.inv.leaderOf(e.term), this.stats)
      n.appIndex = e.index
      n.appHash = next
    }
    for (const r of rd.readStates) this.workload.readServed(n.id, r)
    raft.advance(rd)
    // 4. maybe snapshot the app's state
    if (n.appIndex - n.disk.snapshotIndex() >= this.plan.compactEvery) {
      const snap = raft.compact(n.appIndex, encodeState(n.appIndex, n.appHash))
      if (snap.ok) {
        n.disk.saveSnapshot(snap.value)
        n.memory.createSnapshot(snap.value)
        this.stats.snapshotsTaken++
        this.trace.add(this.time, n.id, 'compact', `snapshot at ${snap.value.index}`)
      }
    }
  }

  /** The client's workload for this tick, sent to a leader (none once healed). */
  private client(faults: boolean): void {
    const leaders = [...this.nodes.values()].filter((n) => n.raft?.role === 'leader')
    if (leaders.length === 0) return
    const l = leaders[this.rng.int(leaders.length)]!
    if (!faults) return
    this.workload.tick(this.time, l, [...this.nodes.values()].filter((n) => n.raft))
    this.afterEvent(l)
  }

  // ---------------------------------------------------------------- liveness

  private liveness(): string | undefined {
    this.network.heal()
    this.trace.add(this.time, 0, 'LIVENESS', 'heal everything: no loss, no partitions, no crashes; restart all; join all observers')
    for (const n of this.nodes.values()) if (!n.raft) this.start(n)
    const startTime = this.time
    const markers: { index: number; term: number }[] = []
    const done = (): boolean => {
      const leader = [...this.nodes.values()].find((n) => n.raft?.role === 'leader')
      // Drop markers whose slot was taken by another entry (lost to a leader change).
      for (let k = markers.length - 1; k >= 0; k--) {
        const { index, term } = markers[k]!
        const c = this.inv.committed.get(index)
        if ((c && c.term !== term) || (leader && leader.raft!.termAt(index) !== term)) markers.splice(k, 1)
      }
      if (leader && markers.length < LIVENESS_MARKERS) {
        const r = leader.raft!.propose(new TextEncoder().encode(`live${markers.length}`))
        if (r.ok) markers.push(r.value)
        this.afterEvent(leader)
      }
      if (markers.length < LIVENESS_MARKERS) return false
      const target = Math.max(...markers.map((m) => m.index))
      if (!markers.every((m) => this.inv.committed.get(m.index)?.term === m.term)) return false
      return [...this.nodes.values()].every((n) => n.raft !== null && n.appIndex >= target)
    }
    // A leader within a bounded time; then no stalls: some node must keep replicating
    // or applying until every node has applied every marker.
    const leaderDeadline = LEADER_DEADLINE_ELECTION_TIMEOUTS * this.et
    let hasLeader = false
    const progress = new ProgressWatch()
    let lastProgressTick = 0
    let stalled = false
    const ok = this.runFor(this.livenessTicks, false, () => {
      if (done()) return true
      const tick = (this.time - startTime) / UNITS_PER_TICK
      hasLeader ||= [...this.nodes.values()].some((n) => n.raft?.role === 'leader')
      if (!hasLeader && tick >= leaderDeadline) return (stalled = true)
      if (progress.moved(this.nodes.values())) lastProgressTick = tick
      if (tick - lastProgressTick > STALL_TICKS) return (stalled = true)
      return false
    })
    this.stats.livenessTicks = (this.time - startTime) / UNITS_PER_TICK
    this.stats.committed = this.inv.globalCommit
    if (!ok || stalled) {
      const why = !hasLeader ? `no leader within ${leaderDeadline} ticks` : ok ? `no progress for ${STALL_TICKS} ticks` : `not converged within ${this.livenessTicks} ticks`
      const states = [...this.nodes.values()].map((n) => `n${n.id}:${n.raft ? `${n.raft.role}/t${n.raft.currentTerm} commit=${n.raft.commitIndex} applied=${n.appIndex} last=${n.raft.lastLogIndex}` : 'down'}`)
      return `liveness: ${why} after healing (${markers.length}/${LIVENESS_MARKERS} markers; ${states.join(', ')})`
    }
    // Every node's state machine is the same at the end.
    const hashes = new Set([...this.nodes.values()].map((n) => this.inv.chainAt(n.appIndex) === n.appHash))
    if (hashes.has(false)) return 'state machine safety: final states differ'
    return undefined
  }
}
