/**
 * Drives the Raft core for the metadata log: the etcd-style Ready loop.
 *
 *   persist (snapshot, entries, hard state; durable before anything goes out)
 *   → copy into the MemoryRaftStorage the core reads
 *   → send messages
 *   → install a received snapshot, apply committed entries to the MetadataImage
 *   → advance → maybe snapshot the image and compact the log.
 *
 * Time enters only as tick() calls and clock reads; the network only through
 * `send` and `receive`. The controller rides on top: it is activated once this
 * node leads and has applied the first entry of its own term (so its image holds
 * every earlier commit), and deactivated the moment leadership is lost.
 */
import { ErrorCode, TributaryError } from '@tributary/protocol'
import { MemoryRaftStorage, RaftNode, type DurableRaftLog, type Entry, type RaftMessage, type RaftStatus, type Random, type Ready, type Snapshot, type VoterChange } from '@tributary/raft'
import type { Logger } from 'pino'
import { decodeImage, encodeImage } from '../metadata/metadata-image.js'
import type { MetadataPublisher } from '../metadata/metadata-publisher.js'
import { decodeRecords, encodeRecords, type MetadataRecord } from '../metadata/records.js'
import { TickLoop } from './tick-loop.js'
import { sleep, type Clock } from '../seams.js'

/** How the core's refusals of a voter change reach the client (KIP-853's codes where it has them). */
const VOTER_CHANGE_ERRORS: Partial<Record<string, number>> = {
  NOT_LEADER: ErrorCode.NOT_CONTROLLER,
  TRANSFER_IN_PROGRESS: ErrorCode.NOT_CONTROLLER,
  // Retriable: the previous change commits, or the observer catches up, shortly.
  CONFIG_CHANGE_IN_PROGRESS: ErrorCode.REQUEST_TIMED_OUT,
  NOT_CAUGHT_UP: ErrorCode.REQUEST_TIMED_OUT,
  UNKNOWN_PEER: ErrorCode.INVALID_REQUEST,
  INVALID_ARGUMENT: ErrorCode.INVALID_REQUEST,
}

/** Commits waiting for their entry; beyond it proposals are refused (retriable). */
export const PENDING_COMMITS_MAX = 10_000
/** One metadata entry's size bound: a 10,000-partition topic is one entry of about 1.3 MB. */
export const METADATA_ENTRY_BYTES_MAX = 8 * 1024 * 1024

export interface MetadataQuorumOptions {
  nodeId: number
  /** The bootstrap voters (--voters): the log's configuration, once it holds one, rules (packages/raft README: Membership changes). */
  voters: number[]
  /** A broker-only node (--process-roles broker): never votes, never campaigns, whatever the configuration says. */
  brokerOnly?: boolean
  clock: Clock
  random: Random
  durable: DurableRaftLog
  metadata: MetadataPublisher
  logger: Logger
  tickMs: number
  electionTimeoutTicks: number
  heartbeatTicks: number
  snapshotIntervalEntries: number
  /** Hands a batch of messages for one peer to the network. */
  send(to: number, messages: RaftMessage[]): void
  /** A storage failure: the node cannot go on safely. */
  onFatal(err: unknown): void
  /** Told how late each tick ran and how long each Ready's synced write took (control-plane-timings.ts). */
  timings?: { tickRan(lateMs: number): void; persisted(ms: number): void }
}

/**
 * Who hears the quorum's role changes. Given to `start`, so the parts that need
 * the opened quorum (the controller commits through it) are built before them.
 */
export interface QuorumRoles {
  /** This node became (true) or stopped being (false) the active controller. */
  controllerChanged(active: boolean): void
  /** The Raft leader this node knows of changed (0 = none known). */
  leaderChanged?(leaderId: number): void
}

interface PendingCommit {
  term: number
  resolve(index: number): void
  reject(err: Error): void
}

export interface SnapshotInfo { index: number; term: number; bytes: number }

export class MetadataQuorum {
  private readonly node: RaftNode
  private readonly pending = new Map<number, PendingCommit>()
  private pumping = false
  private ticks: TickLoop | null = null
  private stopped = false
  private controllerActive = false
  private lastSnapshot: SnapshotInfo | null
  private malformedMessages = 0
  private lastOtherLeader = 0
  private knownLeader = 0
  private roles: QuorumRoles | null = null

  private constructor(private readonly opts: MetadataQuorumOptions, private readonly storage: MemoryRaftStorage, snapshot: Snapshot | null, applied: number) {
    this.node = new RaftNode({
      id: opts.nodeId,
      voters: opts.voters,
      storage,
      applied,
      random: opts.random,
      electionTimeoutTicks: opts.electionTimeoutTicks,
      heartbeatTicks: opts.heartbeatTicks,
      maxProposalBytes: METADATA_ENTRY_BYTES_MAX,
      ...(opts.brokerOnly ? { canVote: false } : {}),
    })
    this.lastSnapshot = snapshot && snapshot.index > 0 ? { index: snapshot.index, term: snapshot.term, bytes: snapshot.data.byteLength } : null
  }

  /**
   * Load the durable log, restore the image from its snapshot and the committed
   * entries after it, and build the Raft node. The image is whole up to the
   * stored commit index before anyone subscribes: the replica manager compares
   * it with the partitions on disk at start, and every partition with data was
   * created by an entry at or below that index (the commit index is stored
   * before entries are applied).
   */
  static async open(opts: MetadataQuorumOptions): Promise<MetadataQuorum> {
    const loaded = await opts.durable.load()
    if (loaded.snapshot && loaded.snapshot.index > 0) {
      const image = decodeImage(loaded.snapshot.data)
      if (!image.ok) throw new Error(`metadata snapshot at ${loaded.snapshot.index} is unreadable: ${image.message}`)
      opts.metadata.replace(image.value)
    }
    const storage = MemoryRaftStorage.fromDurable(loaded)
    const applied = replayCommitted(storage, opts.metadata)
    opts.logger.info({ snapshotIndex: loaded.snapshot?.index ?? 0, entries: loaded.entries.length, applied, term: loaded.hardState?.term ?? 0 }, 'metadata log loaded')
    return new MetadataQuorum(opts, storage, loaded.snapshot, applied)
  }

  /** Start ticking; `roles` hears every role change from now on (and the leader already known, if any). */
  start(roles: QuorumRoles): void {
    this.roles = roles
    if (this.knownLeader !== 0) roles.leaderChanged?.(this.knownLeader)
    const { clock, tickMs, timings } = this.opts
    this.ticks = new TickLoop(clock, tickMs, () => {
      if (this.stopped) return
      this.node.tick()
      this.pump()
    }, (lateMs) => timings?.tickRan(lateMs))
    this.ticks.start()
    this.pump()
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.ticks?.stop()
    this.setController(false)
    this.rejectPending('metadata quorum stopped')
    while (this.pumping) await sleep(this.opts.clock, 5)
  }

  /** Messages from the network (untrusted: the core checks their shape). */
  receive(messages: unknown[]): void {
    if (this.stopped) return
    for (const m of messages) {
      const r = this.node.step(m as RaftMessage)
      if (!r.ok && r.code === 'MALFORMED' && this.malformedMessages++ < 10) this.opts.logger.warn({ reason: r.message }, 'malformed raft message')
    }
    this.pump()
  }

  get leaderId(): number {
    return this.node.leaderId
  }

  /**
   * The last other node this one saw leading (0 = none). When this node wins an
   * election, that leader had been silent to it for at least the election timeout.
   */
  get previousLeaderId(): number {
    return this.lastOtherLeader
  }

  get term(): number {
    return this.node.currentTerm
  }

  isLeader(): boolean {
    return this.node.role === 'leader'
  }

  status(): RaftStatus {
    return this.node.status()
  }

  /** ms timestamp of a Raft tick number, counted back from now (ticks are timer-driven, so approximate). */
  tickTime(tick: number): number {
    if (tick < 0) return -1
    return this.opts.clock.now() - (this.node.status().tick - tick) * this.opts.tickMs
  }

  snapshots(): SnapshotInfo[] {
    return this.lastSnapshot ? [this.lastSnapshot] : []
  }

  /** Committed entries in [from, from + max) still held in the log (not compacted). */
  entries(from: number, max: number): { first: number; commit: number; entries: Entry[] } {
    const first = this.storage.firstIndex()
    const commit = this.node.status().commit
    const lo = Math.max(from, first)
    const hi = Math.min(commit + 1, lo + max)
    return { first, commit, entries: lo < hi ? this.storage.entries(lo, hi, Number.MAX_SAFE_INTEGER) : [] }
  }

  /** Propose one entry; resolves with its index once committed and applied here. */
  commit(records: MetadataRecord[]): Promise<number> {
    if (this.pending.size >= PENDING_COMMITS_MAX) return Promise.reject(new TributaryError(ErrorCode.REQUEST_TIMED_OUT, 'too many metadata commits in flight'))
    const r = this.node.propose(encodeRecords(records))
    if (!r.ok) {
      const code = r.code === 'NOT_LEADER' || r.code === 'TRANSFER_IN_PROGRESS' ? ErrorCode.NOT_CONTROLLER : r.code === 'PROPOSAL_TOO_LARGE' ? ErrorCode.INVALID_REQUEST : ErrorCode.REQUEST_TIMED_OUT
      return Promise.reject(new TributaryError(code, `${r.code}: ${r.message}`))
    }
    return this.awaitCommit(r.value)
  }

  /**
   * Add a caught-up observer as a voter, or remove a voter (this leader included);
   * resolves with the config entry's index once it has committed and applied here.
   */
  changeVoter(change: VoterChange): Promise<number> {
    const voters = this.node.voters
    if (this.node.role === 'leader') {
      if (change.type === 'add' && voters.includes(change.id)) return Promise.reject(new TributaryError(ErrorCode.DUPLICATE_VOTER, `${change.id} is a voter already`))
      if (change.type === 'remove' && !voters.includes(change.id)) return Promise.reject(new TributaryError(ErrorCode.VOTER_NOT_FOUND, `${change.id} is not a voter (voters: ${voters.join(',')})`))
    }
    if (this.pending.size >= PENDING_COMMITS_MAX) return Promise.reject(new TributaryError(ErrorCode.REQUEST_TIMED_OUT, 'too many metadata commits in flight'))
    const r = this.node.proposeVoterChange(change)
    if (!r.ok) return Promise.reject(new TributaryError(VOTER_CHANGE_ERRORS[r.code] ?? ErrorCode.INVALID_REQUEST, r.message))
    this.opts.logger.info({ change, index: r.value.index, voters: this.node.voters }, 'voter change proposed')
    return this.awaitCommit(r.value)
  }

  private awaitCommit({ index, term }: { index: number; term: number }): Promise<number> {
    const done = new Promise<number>((resolve, reject) => this.pending.set(index, { term, resolve, reject }))
    this.pump()
    return done
  }

  /** Hand leadership to another voter (controlled shutdown of the controller). */
  transferLeadership(to: number): boolean {
    const r = this.node.transferLeadership(to)
    this.pump()
    return r.ok
  }

  // ------------------------------------------------------------------ the Ready loop

  private pump(): void {
    if (this.pumping || this.stopped) return
    this.pumping = true
    void this.drain()
      .catch((err) => {
        this.stopped = true
        this.opts.onFatal(err)
      })
      .finally(() => {
        this.pumping = false
        if (!this.stopped && this.node.hasReady()) this.pump()
      })
  }

  private async drain(): Promise<void> {
    for (let rd = this.node.ready(); rd && !this.stopped; rd = this.node.ready()) {
      await this.persist(rd)
      this.sendMessages(rd.messages)
      this.applyReady(rd)
      this.node.advance(rd)
      this.watchRole()
      await this.maybeSnapshot()
    }
    this.watchRole()
  }

  private async persist(rd: Ready): Promise<void> {
    const { durable, clock } = this.opts
    const startMs = clock.now()
    if (rd.snapshot) await durable.saveSnapshot(rd.snapshot)
    if (durable.saveReady) {
      // one write for both (issue #25: a leader's heartbeats wait for this); a commit-only hard state unsynced
      await durable.saveReady(rd.entries, rd.hardState, { sync: rd.mustSync })
    } else {
      if (rd.entries.length > 0) await durable.append(rd.entries)
      if (rd.hardState) await durable.setHardState(rd.hardState)
    }
    if (rd.snapshot || rd.entries.length > 0 || rd.hardState) this.opts.timings?.persisted(clock.now() - startMs)
    if (rd.snapshot) this.storage.applySnapshot(rd.snapshot)
    this.storage.append(rd.entries)
    if (rd.hardState) this.storage.setHardState(rd.hardState)
  }

  private sendMessages(messages: RaftMessage[]): void {
    if (messages.length === 0) return
    const byPeer = new Map<number, RaftMessage[]>()
    for (const m of messages) {
      const list = byPeer.get(m.to)
      if (list) list.push(m)
      else byPeer.set(m.to, [m])
    }
    for (const [to, list] of byPeer) this.opts.send(to, list)
  }

  private applyReady(rd: Ready): void {
    if (rd.snapshot) {
      const image = decodeImage(rd.snapshot.data)
      if (!image.ok) throw new Error(`snapshot from the leader at ${rd.snapshot.index} is unreadable: ${image.message}`)
      this.opts.metadata.replace(image.value)
      this.lastSnapshot = { index: rd.snapshot.index, term: rd.snapshot.term, bytes: rd.snapshot.data.byteLength }
      this.opts.logger.info({ index: rd.snapshot.index }, 'metadata snapshot installed')
    }
    for (const e of rd.committed) {
      if (e.index <= this.opts.metadata.image().offset) continue // already in the restored snapshot
      applyEntry(this.opts.metadata, e)
      const p = this.pending.get(e.index)
      if (p) {
        this.pending.delete(e.index)
        if (p.term === e.term) p.resolve(e.index)
        else p.reject(new TributaryError(ErrorCode.NOT_CONTROLLER, 'the proposal was lost to a leader change'))
      }
      if (this.node.role === 'leader' && e.term === this.node.currentTerm) this.setController(true)
    }
  }

  private watchRole(): void {
    const leader = this.node.leaderId
    if (leader !== 0 && leader !== this.opts.nodeId) this.lastOtherLeader = leader
    if (leader !== this.knownLeader) {
      this.knownLeader = leader
      this.roles?.leaderChanged?.(leader)
    }
    if (this.node.role !== 'leader') {
      this.setController(false)
      if (this.pending.size > 0) this.rejectPending(`node ${this.opts.nodeId} lost leadership`)
    }
  }

  private setController(active: boolean): void {
    if (active === this.controllerActive) return
    this.controllerActive = active
    this.roles?.controllerChanged(active)
  }

  private rejectPending(why: string): void {
    const err = new TributaryError(ErrorCode.NOT_CONTROLLER, why)
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
  }

  private async maybeSnapshot(): Promise<void> {
    const applied = this.opts.metadata.image().offset
    const since = applied - (this.lastSnapshot?.index ?? 0)
    if (since < this.opts.snapshotIntervalEntries || applied > this.node.status().applied) return
    const r = this.node.compact(applied, encodeImage(this.opts.metadata.image()))
    if (!r.ok) return
    await this.opts.durable.saveSnapshot(r.value)
    this.storage.createSnapshot(r.value)
    this.lastSnapshot = { index: r.value.index, term: r.value.term, bytes: r.value.data.byteLength }
    this.opts.logger.info({ index: r.value.index, bytes: r.value.data.byteLength }, 'metadata snapshot taken')
  }
}

/** Apply the stored committed entries after the snapshot to the image; returns the index applied up to. */
function replayCommitted(storage: MemoryRaftStorage, metadata: MetadataPublisher): number {
  const first = storage.firstIndex()
  const last = Math.min(storage.initialState().hardState.commit, storage.lastIndex())
  if (last < first) return first - 1
  for (const e of storage.entries(first, last + 1, Number.MAX_SAFE_INTEGER)) applyEntry(metadata, e)
  return last
}

/** Apply one committed entry to the image. An entry we cannot read would make our image diverge: stop rather than skip it. */
function applyEntry(metadata: MetadataPublisher, e: Entry): void {
  // A voter set is the Raft core's, not the image's: the image just moves past it.
  if (e.type === 'config') {
    metadata.apply([], e.index)
    return
  }
  const records = decodeRecords(e.data)
  if (!records.ok) throw new Error(`metadata entry ${e.index} is unreadable: ${records.message}`)
  metadata.apply(records.value, e.index)
}
