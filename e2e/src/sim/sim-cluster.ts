/**
 * N simulated nodes (every one a voter) on one world and network, plus what
 * the fault suite's reads need (final-read.ts `ClusterReads`): connections to
 * any node over the simulated network, and its metadata.
 */
import { ApiKey, RpcConnection, type Connector, type MetadataResponse } from '@tributary/protocol'
import type { MetadataImage } from '@tributary/broker'
import type { ClusterReads } from '../faults/final-read.js'
import type { SimNetwork } from './network.js'
import { SimNode } from './sim-node.js'
import { HARNESS_OWNER, type OwnerClock, type SimWorld } from './world.js'

/** The harness's own owner id on the network (clients are 101 and up). */
export const HARNESS = HARNESS_OWNER
const HARNESS_REQUEST_TIMEOUT_MS = 5000

export class SimCluster implements ClusterReads {
  readonly nodes: SimNode[]
  /** The harness's clock: its waits and request timeouts. */
  readonly clock: OwnerClock
  private readonly connector: Connector

  constructor(readonly world: SimWorld, readonly network: SimNetwork, count: number, logs = false) {
    const ids = Array.from({ length: count }, (_, i) => i + 1)
    this.nodes = ids.map((nodeId) => new SimNode({ nodeId, voterIds: ids, world, network, logs }))
    this.clock = world.clockFor(HARNESS)
    this.connector = network.endpoint(HARNESS).connector
  }

  get bootstrap(): string[] {
    return this.nodes.map((n) => n.address)
  }

  node(nodeId: number): SimNode {
    const n = this.nodes.find((x) => x.nodeId === nodeId)
    if (!n) throw new Error(`no node ${nodeId}`)
    return n
  }

  async brokerRpc(nodeId: number, opts: { requestTimeoutMs?: number } = {}): Promise<RpcConnection> {
    const transport = await this.connector(this.node(nodeId).address)
    return new RpcConnection(transport, { requestTimeoutMs: opts.requestTimeoutMs ?? HARNESS_REQUEST_TIMEOUT_MS, clock: this.clock })
  }

  async metadata(nodeId: number): Promise<MetadataResponse> {
    const c = await this.brokerRpc(nodeId)
    try {
      const r = await c.request<MetadataResponse>(ApiKey.Metadata, {})
      if (r.errorCode !== 0) throw new Error(`Metadata from node ${nodeId}: error ${r.errorCode}`)
      return r.body
    } finally {
      c.close()
    }
  }

  /**
   * Whether every partition's ISR holds all its replicas, as the controller has
   * committed it (the latest image among the live nodes). False when no node is up.
   */
  isrsFull(): boolean {
    const latest = this.latestImage()
    if (!latest) return false
    for (const t of latest.topicsById.values()) for (const p of t.partitions) if (p.isr.length < p.replicas.length) return false
    return true
  }

  /**
   * Whether the cluster is whole again after a loss: every node up, registered in
   * its current process (its incarnation, unfenced) and in every ISR, as the latest
   * committed metadata says. A node that lost writes is counted in the ISRs at its
   * old process's log end until then.
   */
  settled(): boolean {
    const latest = this.latestImage()
    if (!latest || !this.isrsFull()) return false
    return this.nodes.every((n) => {
      const r = latest.brokers.get(n.nodeId)
      return n.up && r !== undefined && !r.fenced && r.incarnationId.startsWith(`n${n.nodeId}i${n.starts}id`)
    })
  }

  private latestImage(): MetadataImage | null {
    let latest: MetadataImage | null = null
    for (const n of this.nodes) {
      const image = n.handle?.metadata.image() ?? null
      if (image && (!latest || image.offset > latest.offset)) latest = image
    }
    return latest
  }

  /** Resolves after `ms` of virtual time. */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => this.clock.setTimeout(resolve, ms))
  }

  /** Poll `cond` every `intervalMs` of virtual time until it holds; false at the deadline. */
  async waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<boolean> {
    const deadline = this.clock.now() + timeoutMs
    for (;;) {
      if (await cond()) return true
      if (this.clock.now() >= deadline) return false
      await this.sleep(intervalMs)
    }
  }
}
