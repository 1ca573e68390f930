import { MessageType, type RaftMessage } from '../message.js'
import { seededRandom, type SeededRandom } from '../random.js'
import { RaftNode, type Ready } from '../raft-node.js'
import { MemoryRaftStorage } from '../storage.js'
import { EventQueue } from './event-queue.js'
import { choosePlan, describePlan, UNITS_PER_TICK, type FaultPlan } from './fault-plan.js'
import { chainHash, InvariantViolation, Invariants } from './invariants.js'
import { ProgressWatch } from './progress-watch.js'
import { SimDisk } from './sim-disk.js'
import { emptyStats, type SimStats } from './stats.js'
import { Trace } from './trace.js'
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

/** Bound on messages in flight in the simulated network. */
const NETWORK_MAX_IN_FLIGHT = 100_000
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

const LINK_KEY = 1024

interface SimNode {
  id: number
  isVoter: boolean
  /** The node's disk (DurableRaftLog semantics); survives crashes. */
  disk: SimDisk
  /** What the node reads: mirrors the disk, rebuilt from it on restart. */
  memory: MemoryRaftStorage
  raft: RaftNode | null
  joined: boolean
  downUntilTick: number
  lastCommit: number
  lastRole: string
  /** The app's state machine: applied index and a hash chained over every applied entry. */
  appIndex: number
  appHash: number
  rng: SeededRandom
}

/** A message in flight; seq orders the messages sent on its link, to count reorderings. */
type Envelope = { m: RaftMessage; seq: number }

export function runSimulation(options: SimOptions): SimResult {
  return new Simulation(options).run()
}

class Simulation {
  private readonly rng: SeededRandom
  private readonly plan: FaultPlan
  private readonly nodes = new Map<number, SimNode>()
  private readonly voterIds: number[]
  private readonly net = new EventQueue<Envelope>(NETWORK_MAX_IN_FLIGHT)
  /** Directed links that lose every message, as from * LINK_KEY + to. */
  private readonly cuts = new Set<number>()
  private readonly inv: Invariants
  private readonly trace: Trace
  private readonly et: number
  private readonly safetyTicks: number
  private readonly livenessTicks: number
  private time = 0
  private proposalSeq = 0
  private readSeq = 0
  private readonly pendingReads = new Map<string, number>()
  private readonly stats: SimStats = emptyStats()
  /** Per link (from * LINK_KEY + to): messages sent, and the highest seq delivered. */
  private readonly linkSent = new Map<number, number>()
  private readonly linkDelivered = new Map<number, number>()
  private healed = false
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
    this.tickingAt = Array.from({ length: UNITS_PER_TICK }, () => [])
    const planned = options.voters + this.plan.observers
    for (let k = 0; k < planned + this.plan.spareNodes; k++) {
      const id = k + 1
      const rng = k < planned ? this.rng : this.voterRng
      const phase = rng.int(UNITS_PER_TICK)
      this.nodes.set(id, {
        id,
        isVoter: id <= options.voters,
        disk: new SimDisk(),
        memory: new MemoryRaftStorage(),
        raft: null,
        joined: false,
        downUntilTick: 0,
        lastCommit: 0,
        lastRole: 'follower',
        appIndex: 0,
        appHash: 0,
        rng: rng.fork(),
      })
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
      while (this.net.peekTime() <= this.time) this.deliver(this.net.pop()!)
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
    if (this.rng.chance(p.partitionRate)) this.changePartition()
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

  private changePartition(): void {
    this.cuts.clear()
    const ids = [...this.nodes.keys()]
    const kind = this.rng.int(4)
    if (kind === 0) {
      this.trace.add(this.time, 0, 'heal', 'network healed')
      return
    }
    if (kind === 1) {
      const side = ids.filter(() => this.rng.chance(0.5))
      for (const a of side) for (const b of ids) if (!side.includes(b)) this.cutBoth(a, b)
      this.stats.partitions++
      this.trace.add(this.time, 0, 'partition', `{${side}} | {${ids.filter((x) => !side.includes(x))}}`)
    } else if (kind === 2) {
      const victim = ids[this.rng.int(ids.length)]!
      for (const b of ids) if (b !== victim) this.cutBoth(victim, b)
      this.stats.partitions++
      this.trace.add(this.time, 0, 'partition', `isolate n${victim}`)
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
      this.trace.add(this.time, 0, 'partition', `asymmetric cut ${links.join(' ')}`)
    }
  }

  private cutBoth(a: number, b: number): void {
    this.cuts.add(a * LINK_KEY + b)
    this.cuts.add(b * LINK_KEY + a)
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
      if (n.joined && !n.raft && (this.healed || tick >= n.downUntilTick)) this.start(n)
    }
  }

  private deliver({ m, seq }: Envelope): void {
    const n = this.nodes.get(m.to)
    const link = m.from * LINK_KEY + m.to
    if (!n?.raft || this.cuts.has(link)) {
      this.stats.dropped++
      return
    }
    this.stats.messages++
    const latest = this.linkDelivered.get(link) ?? -1
    if (seq < latest) this.stats.reordered++
    else this.linkDelivered.set(link, seq)
    this.trace.add(this.time, m.to, 'recv', m)
    const r = n.raft.step(m)
    if (!r.ok && r.code !== 'STALE_TERM') this.trace.add(this.time, m.to, 'rejected', `${r.code}: ${r.message}`)
    else if (r.ok && m.type === MessageType.TimeoutNow) this.stats.transfersObeyed++
    this.afterEvent(n)
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
    if (rd.mustSync && !this.healed && this.rng.chance(this.plan.crashAfterPersistRate)) {
      this.stats.crashesAfterPersist++
      this.crash(n, this.time / UNITS_PER_TICK, `after persisting (${rd.entries.length} entries) and before sending ${rd.messages.length} messages`)
      return
    }
    // 2. send
    for (const m of rd.messages) this.send(n.id, m)
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
    for (const r of rd.readStates) {
      const key = new TextDecoder().decode(r.ctx)
      const min = this.pendingReads.get(key)
      if (min !== undefined) {
        this.inv.readServed(n.id, r.index, min)
        this.pendingReads.delete(key)
        this.stats.reads++
      }
    }
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

  private send(from: number, m: RaftMessage): void {
    this.trace.add(this.time, from, 'send', m)
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
      if (!this.net.push(this.time + delay, { m, seq })) this.stats.dropped++
    }
  }

  // ---------------------------------------------------------------- client

  private client(faults: boolean): void {
    const leaders = [...this.nodes.values()].filter((n) => n.raft?.role === 'leader')
    if (leaders.length === 0) return
    const l = leaders[this.rng.int(leaders.length)]!
    const raft = l.raft!
    if (!faults) return
    let proposals = Math.floor(this.plan.proposalsPerTick) + (this.rng.chance(this.plan.proposalsPerTick % 1) ? 1 : 0)
    while (proposals-- > 0) {
      const data = new TextEncoder().encode(`p${++this.proposalSeq}`)
      const r = raft.propose(data)
      if (r.ok) this.trace.add(this.time, l.id, 'propose', `p${this.proposalSeq} -> ${r.value.index}/t${r.value.term}`)
    }
    if (this.rng.chance(this.plan.readRate)) {
      const live = [...this.nodes.values()].filter((n) => n.raft)
      const reader = live[this.rng.int(live.length)]!
      const key = `r${++this.readSeq}`
      if (reader.raft!.readIndex(new TextEncoder().encode(key)).ok) {
        this.pendingReads.set(key, this.inv.globalCommit)
        this.trace.add(this.time, reader.id, 'read', `${key} (commit known: ${this.inv.globalCommit})`)
      }
    }
    if (this.rng.chance(this.plan.transferRate)) {
      const to = this.voterIds[this.rng.int(this.voterIds.length)]!
      if (raft.transferLeadership(to).ok && to !== l.id) {
        this.stats.transfers++
        this.trace.add(this.time, l.id, 'transfer', `to n${to}`)
      }
    }
    this.afterEvent(l)
  }

  // ---------------------------------------------------------------- liveness

  private liveness(): string | undefined {
    this.healed = true
    this.cuts.clear()
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

function encodeState(index: number, hash: number): Uint8Array {
  const b = new Uint8Array(12)
  const v = new DataView(b.buffer)
  v.setFloat64(0, index)
  v.setUint32(8, hash)
  return b
}

function decodeState(b: Uint8Array): { index: number; hash: number } {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength)
  return { index: v.getFloat64(0), hash: v.getUint32(8) }
}

