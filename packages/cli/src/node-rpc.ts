/**
 * Probes of one specific node, for `dev`'s status line: DescribeQuorum (one
 * client per node URL, kept for the process's lifetime; closeProbes() ends
 * them) and GET /healthz on the node's port.
 */
import type { Tributary } from '@tributary/client'
import type { DescribeQuorumResponse } from '@tributary/protocol'
import { newClient } from './connect.js'

export type QuorumProbe = DescribeQuorumResponse

const clients = new Map<string, Tributary>()

export async function probeQuorum(url: string, timeoutMs: number): Promise<QuorumProbe> {
  let c = clients.get(url)
  if (!c) {
    c = newClient({ bootstrap: [url], timeoutMs }, { pinned: true, clientId: 'tributary-dev' })
    clients.set(url, c)
  }
  return c.admin().describeQuorum()
}

export async function closeProbes(): Promise<void> {
  const all = [...clients.values()]
  clients.clear()
  await Promise.all(all.map((c) => Promise.resolve(c.close()).catch(() => {})))
}

/** GET /healthz on the node's one port (ws:// → http://): true when its process serves. */
export async function probeHealth(url: string, timeoutMs: number): Promise<boolean> {
  const u = new URL(url)
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:'
  u.pathname = '/healthz'
  const res = await fetch(u, { signal: AbortSignal.timeout(timeoutMs) })
  await res.body?.cancel()
  return res.ok
}
