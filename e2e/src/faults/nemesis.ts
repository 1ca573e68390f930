/**
 * The nemesis: turns a schedule's faults into actions on real processes and
 * proxies, and heals them. Roles resolve against the live cluster when a step
 * starts (metadata from any reachable node), falling back to a seeded pick when
 * nobody knows (no leader right now).
 */
import type { Admin } from '@tributary/client'
import { ApiKey, type MetadataResponse } from '@tributary/protocol'
import type { TestCluster } from '../cluster.js'
import { ElasticNemesis } from './nemesis-elastic.js'
import type { FaultNetwork } from './network.js'
import type { Prng } from './prng.js'
import { describeFault, type Fault, type Role } from './schedule.js'

/** How long the nemesis waits for one metadata answer while resolving a role. */
export const RESOLVE_TIMEOUT_MS = 2000

export interface Applied {
  /** what was done, with resolved node ids */
  text: string
  /** undo the fault; may say how it ended (e.g. a reassignment completed or reverted) */
  heal(): Promise<string | void>
}

export class Nemesis {
  private readonly paused = new Set<number>()
  /** reassign and voter-change steps, and the shape their heals leave */
  readonly elastic: ElasticNemesis

  constructor(
    private readonly cluster: TestCluster,
    private readonly net: FaultNetwork,
    private readonly topic: string,
    private readonly rng: Prng,
    admin: Admin,
  ) {
    this.elastic = new ElasticNemesis({
      cluster, admin, topic, rng,
      live: (id) => !!cluster.node(id).process && !this.paused.has(id),
      restart: (id) => this.restart(id),
    })
  }

  private ids(): number[] {
    return this.cluster.nodes.map((n) => n.nodeId)
  }

  /** Running and not paused. */
  private live(): number[] {
    return this.cluster.nodes.filter((n) => n.process && !this.paused.has(n.nodeId)).map((n) => n.nodeId)
  }

  private async metadata(): Promise<MetadataResponse | undefined> {
    for (const id of this.live()) {
      try {
        const c = await this.cluster.brokerRpc(id, { requestTimeoutMs: RESOLVE_TIMEOUT_MS })
        try {
          const r = await c.request<MetadataResponse>(ApiKey.Metadata, {})
          if (r.errorCode === 0) return r.body
        } finally {
          c.close()
        }
      } catch {
        // unreachable or slow: ask the next one
      }
    }
    return undefined
  }

  async resolve(r: Role): Promise<number> {
    const ids = this.ids()
    if (r.role === 'node') return ids[r.pick % ids.length]!
    const m = await this.metadata()
    if (r.role === 'controller') return m && m.controllerId > 0 ? m.controllerId : this.rng.pick(ids)
    const p = m?.topics.find((t) => t.name === this.topic)?.partitions.find((x) => x.partition === r.partition)
    if (!p || p.leader <= 0) return this.rng.pick(ids)
    if (r.role === 'leader') return p.leader
    const followers = p.replicas.filter((id) => id !== p.leader)
    return followers.length > 0 ? followers[r.pick % followers.length]! : this.rng.pick(ids)
  }

  async apply(f: Fault): Promise<Applied> {
    const what = describeFault(f)
    const noop = (why: string): Applied => ({ text: `${what}: skipped (${why})`, heal: async () => {} })
    switch (f.type) {
      case 'kill': {
        const id = await this.resolve(f.target)
        if (!this.cluster.node(id).process) return noop(`node ${id} is down already`)
        await this.cluster.kill(id, 'SIGKILL')
        return { text: `${what} → node ${id}`, heal: () => this.restart(id) }
      }
      case 'kill-all': {
        const ids = this.ids()
        await Promise.all(ids.map((id) => this.cluster.kill(id, 'SIGKILL')))
        return { text: what, heal: async () => { for (const id of ids) await this.restart(id) } }
      }
      case 'pause': {
        const id = await this.resolve(f.target)
        if (!this.cluster.node(id).process || this.paused.has(id)) return noop(`node ${id} is down or paused already`)
        this.cluster.pause(id)
        this.paused.add(id)
        return { text: `${what} → node ${id}`, heal: async () => this.resume(id) }
      }
      case 'isolate': {
        const id = await this.resolve(f.target)
        const others = this.ids().filter((x) => x !== id)
        for (const o of others) {
          this.net.link(id, o).set(f.mode)
          this.net.link(o, id).set(f.mode)
        }
        return {
          text: `${what} → node ${id} | ${others.join(',')}`,
          heal: async () => { for (const o of others) { this.net.link(id, o).set('pass'); this.net.link(o, id).set('pass') } },
        }
      }
      case 'link-loss': {
        const id = await this.resolve(f.target)
        const others = this.ids().filter((x) => x !== id)
        const peer = others[f.peerPick % others.length]!
        this.net.link(id, peer).set(f.mode)
        return { text: `${what} → ${id}→${peer}`, heal: async () => this.net.link(id, peer).set('pass') }
      }
      case 'one-way': {
        const id = await this.resolve(f.target)
        const others = this.ids().filter((x) => x !== id)
        const peer = others[f.peerPick % others.length]!
        // id → peer rides two proxies: forward on the connections id opens, backward (answers) on the peer's
        this.net.link(id, peer).set('blackhole-forward')
        this.net.link(peer, id).set('blackhole-backward')
        return {
          text: `${what} → ${id}→${peer} held, ${peer}→${id} flows`,
          heal: async () => { this.net.link(id, peer).set('pass'); this.net.link(peer, id).set('pass') },
        }
      }
      case 'delay': {
        const id = await this.resolve(f.target)
        const others = this.ids().filter((x) => x !== id)
        for (const o of others) {
          this.net.link(id, o).set('delay', f.delayMs)
          this.net.link(o, id).set('delay', f.delayMs)
        }
        return {
          text: `${what} → node ${id}`,
          heal: async () => { for (const o of others) { this.net.link(id, o).set('pass'); this.net.link(o, id).set('pass') } },
        }
      }
      case 'clients-cut': {
        const id = await this.resolve(f.target)
        this.net.client(id).set(f.mode)
        return { text: `${what} → node ${id}`, heal: async () => this.net.client(id).set('pass') }
      }
      case 'reassign':
      case 'voter-change':
        return this.elastic.apply(f)
    }
  }

  private resume(id: number): void {
    this.cluster.resume(id)
    this.paused.delete(id)
  }

  private async restart(id: number): Promise<void> {
    if (this.cluster.node(id).process) return
    await this.cluster.restart(id, { ready: false })
  }

  /** Undo everything still in effect: proxies to pass, paused nodes resumed, dead nodes restarted; then wait for every node's /readyz. */
  async healAll(readyTimeoutMs: number): Promise<string[]> {
    const undone = [...this.net.faulty(), ...[...this.paused].map((id) => `node ${id} paused`), ...this.cluster.nodes.filter((n) => !n.process).map((n) => `node ${n.nodeId} down`)]
    this.net.heal()
    for (const id of [...this.paused]) this.resume(id)
    for (const n of this.cluster.nodes) await this.restart(n.nodeId)
    await Promise.all(this.ids().map((id) => this.cluster.waitReady(id, readyTimeoutMs)))
    return undone
  }
}
