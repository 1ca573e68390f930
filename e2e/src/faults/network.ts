/**
 * The fault suite's network: a proxy per directed broker link (from → to) and
 * a proxy per node for client traffic. Node i's --voters names itself at its
 * real URL and each peer j through the proxy for i→j, so every connection i
 * opens to j (Raft, follower fetch, controller requests) crosses that proxy.
 * Nodes advertise their client proxy, so producers and consumers reach every
 * broker through it and "clients cut from leaders" is one proxy switch.
 */
import type { ClusterNode } from '../cluster.js'
import { startLinkProxy, type LinkMode, type LinkProxy } from '../link-proxy.js'

export interface FaultNetwork {
  /** The proxy carrying connections that node `from` opens to node `to`. */
  link(from: number, to: number): LinkProxy
  /** The proxy clients use to reach node `nodeId`. */
  client(nodeId: number): LinkProxy
  /** Client bootstrap URLs (the client proxies). */
  readonly bootstrap: string[]
  /** For startCluster's beforeStart: start one proxy per link and per node. */
  start(nodes: readonly ClusterNode[]): Promise<void>
  votersFor(nodeId: number, nodes: readonly ClusterNode[]): string
  advertiseFor(nodeId: number): string
  /** Links and client proxies not in 'pass' now, e.g. ["1→2 cut", "client→3 blackhole"]. */
  faulty(): string[]
  /** Every proxy back to pass. */
  heal(): void
  close(): Promise<void>
}

/** `scheme` wss when the brokers serve TLS: the proxies carry bytes, so TLS runs end to end through them. */
export function createFaultNetwork(scheme: 'ws' | 'wss' = 'ws'): FaultNetwork {
  const links = new Map<string, LinkProxy>()
  const clients = new Map<number, LinkProxy>()
  const ids: number[] = []
  const key = (from: number, to: number): string => `${from}→${to}`
  const all = (): Array<[string, LinkProxy]> => [...links, ...[...clients].map(([id, p]) => [`client→${id}`, p] as [string, LinkProxy])]
  const get = <K>(m: Map<K, LinkProxy>, k: K, what: string): LinkProxy => {
    const p = m.get(k)
    if (!p) throw new Error(`no proxy for ${what}`)
    return p
  }
  return {
    link: (from, to) => get(links, key(from, to), `link ${key(from, to)}`),
    client: (id) => get(clients, id, `clients of node ${id}`),
    get bootstrap() { return ids.map((id) => `${scheme}://127.0.0.1:${get(clients, id, `clients of node ${id}`).port}`) },
    async start(nodes) {
      for (const to of nodes) {
        ids.push(to.nodeId)
        clients.set(to.nodeId, await startLinkProxy(to.port))
        for (const from of nodes) {
          if (from.nodeId !== to.nodeId) links.set(key(from.nodeId, to.nodeId), await startLinkProxy(to.port))
        }
      }
    },
    votersFor(nodeId, nodes) {
      return nodes.map((n) => `${n.nodeId}@${n.nodeId === nodeId ? n.url : `${scheme}://127.0.0.1:${get(links, key(nodeId, n.nodeId), 'link').port}`}`).join(',')
    },
    advertiseFor: (nodeId) => `${scheme}://127.0.0.1:${get(clients, nodeId, `clients of node ${nodeId}`).port}`,
    faulty: () => all().filter(([, p]) => p.mode !== 'pass').map(([name, p]) => `${name} ${p.mode}`),
    heal() {
      for (const [, p] of all()) if (p.mode !== 'pass') p.set('pass')
    },
    async close() {
      await Promise.all(all().map(([, p]) => p.close()))
      links.clear()
      clients.clear()
    },
  }
}

export type { LinkMode }
