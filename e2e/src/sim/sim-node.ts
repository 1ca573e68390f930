/**
 * One simulated broker: the real `startNode` on the world's clock, the
 * simulated network (its listener serves in-memory connections through the
 * broker's own connection loop) and memory disks that outlive the process. A
 * crash kills the process's clock (no timer of it fires again), resets its
 * connections and detaches its disks (no later write lands or resolves); a
 * restart runs `startNode` again over what the disks hold.
 */
import { resolveBrokerConfig, serveTransport, startNode, type BrokerConfig, type BrokerHandle, type ConnectionDeps, type NodeServer, type ServeFn } from '@tributary/broker'
import type { DurableRaftLog } from '@tributary/raft'
import { MemoryLogDisk, MemoryLogStore, MemoryRaftLog } from '@tributary/storage'
import { pino, type Logger } from 'pino'
import type { SimEndpoint, SimNetwork } from './network.js'
import { WORLD, type OwnerClock, type SimWorld } from './world.js'

/** Settings that differ from a real node's defaults, and why. */
export const SIM_NODE_FLAGS = {
  // 4 instead of 16: the same code paths at a quarter of the follower fetch work per event.
  offsetsTopicPartitions: 4,
  console: false,
  dataDir: '/simulated',
} as const

/**
 * How often everything the OS holds dirty reaches the disk: Linux writes back pages
 * older than dirty_expire_centisecs (30 s), so up to about that much may be lost.
 */
export const WRITEBACK_MS = 30_000

export function nodeAddress(nodeId: number): string {
  return `ws://n${nodeId}:9092`
}

export interface SimNodeOptions {
  nodeId: number
  voterIds: number[]
  world: SimWorld
  network: SimNetwork
  /** The node's log lines go into the world's trace (when it is written). */
  logs?: boolean
  /** Broker flags on top of SIM_NODE_FLAGS. */
  flags?: Record<string, unknown>
}

interface Life {
  clock: OwnerClock
  store: MemoryLogStore
  raft: GatedRaftLog
}

export class SimNode {
  readonly nodeId: number
  readonly address: string
  readonly config: BrokerConfig
  /**
   * What survives a crash. The Raft log is written with sync (every write durable);
   * the partition store is not (`log.flush=never`): a power loss drops what the OS
   * had not written back (`WRITEBACK_MS`).
   */
  readonly raftDisk = new MemoryRaftLog()
  readonly logDisk = new MemoryLogDisk({ volatile: true })
  handle: BrokerHandle | null = null
  /** Told when this machine loses writes its replicas had counted (a power loss, a failed disk): the invariants exempt what it lost. */
  onLostWrites: () => void = () => {}
  starts = 0
  /** How far this machine's wall clock is from true time (clock jumps); a restart keeps it. */
  private skewMs = 0
  /** How late this machine runs now (a slow node); a restart keeps it. */
  private lagMs = 0
  private life: Life | null = null
  private readonly logger: Logger

  constructor(private readonly o: SimNodeOptions) {
    this.nodeId = o.nodeId
    this.address = nodeAddress(o.nodeId)
    const voters = o.voterIds.map((id) => `${id}@${nodeAddress(id)}`).join(',')
    const cfg = resolveBrokerConfig({ flags: { ...SIM_NODE_FLAGS, nodeId: o.nodeId, listen: this.address, voters, logLevel: o.logs ? 'info' : 'silent', ...o.flags } })
    if (!cfg.ok) throw new Error(`node ${o.nodeId} config: ${cfg.message}`)
    this.config = cfg.value
    this.writeback()
    this.logger = o.logs
      ? pino({ level: 'info', base: null, timestamp: false }, { write: (line: string) => o.world.log(o.nodeId, line.trimEnd()) })
      : pino({ level: 'silent' })
  }

  get up(): boolean {
    return this.life !== null
  }

  /** Start the process (first boot or restart) over the disks; resolves once startNode has. */
  async start(): Promise<void> {
    if (this.life) throw new Error(`node ${this.nodeId} is already up`)
    const { world, network } = this.o
    const clock = world.clockFor(this.nodeId)
    clock.jump(this.skewMs)
    clock.lag(this.lagMs)
    const endpoint = network.endpoint(this.nodeId)
    const life: Life = { clock, store: new MemoryLogStore({ disk: this.logDisk, clock }), raft: new GatedRaftLog(this.raftDisk) }
    this.life = life
    this.starts++
    let ids = 0
    const incarnation = this.starts
    const handle = await startNode({
      config: this.config,
      clock,
      random: world.rng.fork(),
      logger: this.logger,
      connector: endpoint.connector,
      durable: life.raft,
      logStore: life.store,
      newId: () => `n${this.nodeId}i${incarnation}id${ids++}`,
      serve: simServe(endpoint),
    })
    if (this.life === life) this.handle = handle
  }

  /** kill -9: nothing of this process runs or writes again. */
  crash(): void {
    const life = this.life
    if (!life) return
    this.life = null
    this.handle = null
    life.clock.kill()
    life.store.crash()
    life.raft.crash()
    this.o.network.crash(this.nodeId)
  }

  /** The OS writes its dirty pages back every WRITEBACK_MS, whether the process lives or not. */
  private writeback(): void {
    this.o.world.schedule(this.o.world.now + WRITEBACK_MS, WORLD, 'writeback', () => {
      this.logDisk.sync()
      this.writeback()
    })
  }

  /** The machine loses power: the process dies and the partition store keeps `fraction` of its unsynced writes (a prefix). */
  powerLoss(fraction: number): number {
    this.crash()
    this.onLostWrites()
    const kept = Math.floor(fraction * (this.logDisk.unsynced + 1))
    const lost = this.logDisk.unsynced - kept
    this.logDisk.powerLoss(kept)
    return lost
  }

  /** The node stalls: its timers fire `ms` late and its frames take `ms` longer (0: it recovers). */
  slow(ms: number): void {
    this.life?.clock.lag(ms)
    this.lagMs = ms
    this.o.network.slow(this.nodeId, ms)
  }

  /** The machine's wall clock steps by `ms` (timers keep their pace). */
  jumpClock(ms: number): void {
    this.skewMs += ms
    this.life?.clock.jump(ms)
  }

  isController(): boolean {
    return this.handle?.isController() ?? false
  }
}

/** The broker's listener on the simulated network: each connection served by the broker's own connection loop. */
function simServe(endpoint: SimEndpoint): ServeFn {
  return async (opts) => {
    const deps: ConnectionDeps = {
      handlers: opts.handlers, metrics: opts.metrics, logger: opts.logger, authenticator: opts.authenticator!,
      listener: opts.listener ?? null, inFlightPerConnectionMax: opts.inFlightPerConnectionMax, frameBytesMax: opts.frameBytesMax,
    }
    let connections = 0
    let nextId = 1
    const stopListening = endpoint.listen(`ws://${opts.host}:${opts.port}`, (transport, remoteAddress) => {
      if (serveTransport(transport, { remoteAddress, tls: false }, nextId++, deps, () => connections--)) connections++
    })
    const server: NodeServer = {
      port: opts.port,
      connectionCount: () => connections,
      reloadTls: () => ({ ok: false, error: 'the port does not speak TLS' }),
      close: async () => stopListening(),
    }
    return server
  }
}

/** A durable Raft log that dies with its process: after `crash` no write lands and no promise resolves. */
class GatedRaftLog implements DurableRaftLog {
  private dead = false
  constructor(private readonly disk: MemoryRaftLog) {}

  crash(): void {
    this.dead = true
  }

  private gate<T>(op: () => Promise<T>): Promise<T> {
    return this.dead ? new Promise<T>(() => {}) : op()
  }

  load(): ReturnType<DurableRaftLog['load']> { return this.gate(() => this.disk.load()) }
  entries(lo: number, hi: number, maxBytes: number): ReturnType<DurableRaftLog['entries']> { return this.gate(() => this.disk.entries(lo, hi, maxBytes)) }
  append(entries: Parameters<DurableRaftLog['append']>[0]): Promise<void> { return this.gate(() => this.disk.append(entries)) }
  truncateFrom(index: number): Promise<void> { return this.gate(() => this.disk.truncateFrom(index)) }
  setHardState(hs: Parameters<DurableRaftLog['setHardState']>[0]): Promise<void> { return this.gate(() => this.disk.setHardState(hs)) }
  saveSnapshot(s: Parameters<DurableRaftLog['saveSnapshot']>[0]): Promise<void> { return this.gate(() => this.disk.saveSnapshot(s)) }
  close(): Promise<void> { return this.gate(() => Promise.resolve()) }
}
