/**
 * Several MetadataQuorums in one process: memory Raft logs, a manual clock,
 * seeded randomness, and a network that can cut links. Messages go through the
 * wire encoding (msgpack) so anything that would not survive a socket fails here.
 */
import { packValue, unpackValue } from '@tributary/protocol'
import { seededRandom, type RaftMessage } from '@tributary/raft'
import { MemoryRaftLog } from '@tributary/storage'
import { pino } from 'pino'
import { MetadataPublisher } from '../metadata/metadata-publisher.js'
import { MetadataQuorum } from '../quorum/metadata-quorum.js'
import { ManualClock } from './manual-clock.js'

export const TICK_MS = 50

export interface HarnessNode {
  id: number
  quorum: MetadataQuorum
  metadata: MetadataPublisher
  durable: MemoryRaftLog
  controllerActive: boolean
}

export class QuorumHarness {
  readonly clock = new ManualClock()
  readonly nodes = new Map<number, HarnessNode>()
  private readonly cut = new Set<string>()
  private readonly down = new Set<number>()
  readonly logger = pino({ level: 'silent' })
  private seed: number

  constructor(readonly voters: number[], private readonly opts: { snapshotIntervalEntries?: number; seed?: number } = {}) {
    this.seed = opts.seed ?? 1
  }

  static async start(voters: number[], opts: { snapshotIntervalEntries?: number; seed?: number; observers?: number[] } = {}): Promise<QuorumHarness> {
    const h = new QuorumHarness(voters, opts)
    for (const id of [...voters, ...(opts.observers ?? [])]) await h.startNode(id, new MemoryRaftLog())
    return h
  }

  /** Open a node's quorum over `durable` and start it (start: false leaves it as open() left it: loaded, not yet running). */
  async startNode(id: number, durable: MemoryRaftLog, opts: { start?: boolean } = {}): Promise<HarnessNode> {
    const metadata = new MetadataPublisher(id)
    const node: HarnessNode = { id, metadata, durable, controllerActive: false, quorum: undefined as unknown as MetadataQuorum }
    node.quorum = await MetadataQuorum.open({
      nodeId: id,
      voters: this.voters,
      clock: this.clock,
      random: seededRandom(this.seed++ * 7919),
      durable,
      metadata,
      logger: this.logger,
      tickMs: TICK_MS,
      electionTimeoutTicks: 10,
      heartbeatTicks: 1,
      snapshotIntervalEntries: this.opts.snapshotIntervalEntries ?? 1000,
      send: (to, messages) => this.deliver(id, to, messages),
      onFatal: (err) => { throw err },
    })
    this.nodes.set(id, node)
    if (opts.start !== false) this.run(id)
    return node
  }

  /** Start the Raft loop of a node opened with start: false, and connect it. */
  run(id: number): void {
    this.down.delete(id)
    const node = this.node(id)
    node.quorum.start({ controllerChanged: (active) => { node.controllerActive = active } })
  }

  /** Crash a node: it stops, keeping what its durable log holds. */
  async crash(id: number): Promise<MemoryRaftLog> {
    const n = this.node(id)
    this.down.add(id)
    await n.quorum.stop()
    return n.durable
  }

  node(id: number): HarnessNode {
    const n = this.nodes.get(id)
    if (!n) throw new Error(`no node ${id}`)
    return n
  }

  /** Cut every link between `id` and the rest (both directions). */
  isolate(id: number): void {
    for (const other of this.nodes.keys()) if (other !== id) { this.cut.add(`${id}>${other}`); this.cut.add(`${other}>${id}`) }
  }

  heal(): void {
    this.cut.clear()
  }

  leaders(): number[] {
    return [...this.nodes.values()].filter((n) => !this.down.has(n.id) && n.quorum.isLeader()).map((n) => n.id)
  }

  activeController(): HarnessNode | undefined {
    return [...this.nodes.values()].find((n) => !this.down.has(n.id) && n.controllerActive)
  }

  async waitForController(maxMs = 10_000): Promise<HarnessNode> {
    await this.clock.advanceUntil(() => this.activeController() !== undefined, maxMs)
    return this.activeController()!
  }

  async stop(): Promise<void> {
    for (const n of this.nodes.values()) if (!this.down.has(n.id)) await n.quorum.stop()
  }

  private deliver(from: number, to: number, messages: RaftMessage[]): void {
    if (this.cut.has(`${from}>${to}`) || this.down.has(from)) return
    const wire = packValue({ from, messages })
    setImmediate(() => {
      const target = this.nodes.get(to)
      if (!target || this.down.has(to) || this.cut.has(`${from}>${to}`)) return
      const decoded = unpackValue(wire)
      if (decoded.ok) target.quorum.receive((decoded.value as { messages: unknown[] }).messages)
    })
  }
}
