/**
 * DescribeQuorum against one specific node, for `dev`'s status line. One
 * client per node URL, kept for the process's lifetime (closeProbes() ends them).
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
