/**
 * A TCP proxy for one directed link between two nodes (from → to). The fault
 * suite gives every node its own view of the voter list, naming a proxy per
 * link, so cutting the proxy for 1→2 drops what node 1 sends to node 2 while
 * 2→1 keeps flowing: an asymmetric partition.
 *
 * Modes: 'pass' forwards; 'cut' resets every connection and refuses new ones;
 * 'blackhole' accepts and holds connections but forwards nothing (a silent
 * network, as a dead switch port looks); 'delay' forwards after delayMs.
 */
import net from 'node:net'

export type LinkMode = 'pass' | 'cut' | 'blackhole' | 'delay'

export interface LinkProxy {
  readonly port: number
  readonly mode: LinkMode
  set(mode: LinkMode, delayMs?: number): void
  close(): Promise<void>
}

/** Sockets one proxy keeps open at once; beyond it new connections are refused. */
const PROXY_CONNECTIONS_MAX = 256

export async function startLinkProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<LinkProxy> {
  let mode: LinkMode = 'pass'
  let delayMs = 0
  const open = new Set<net.Socket>()

  const destroyAll = () => {
    for (const s of open) s.destroy()
    open.clear()
  }

  const server = net.createServer((client) => {
    if (mode === 'cut' || open.size >= PROXY_CONNECTIONS_MAX) {
      client.destroy()
      return
    }
    open.add(client)
    client.on('close', () => open.delete(client))
    client.on('error', () => client.destroy())
    if (mode === 'blackhole') {
      client.pause() // hold it, read nothing, send nothing
      return
    }
    const upstream = net.connect(targetPort, targetHost)
    open.add(upstream)
    upstream.on('close', () => { open.delete(upstream); client.destroy() })
    upstream.on('error', () => upstream.destroy())
    client.on('close', () => upstream.destroy())
    const forward = (from: net.Socket, to: net.Socket) => {
      from.on('data', (chunk) => {
        if (mode === 'blackhole') return
        if (mode === 'delay' && delayMs > 0) {
          from.pause()
          setTimeout(() => { to.write(chunk); from.resume() }, delayMs)
        } else if (!to.write(chunk)) {
          from.pause()
          to.once('drain', () => from.resume())
        }
      })
    }
    forward(client, upstream)
    forward(upstream, client)
  })
  server.maxConnections = PROXY_CONNECTIONS_MAX
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    get mode() { return mode },
    set(next, ms = 0) {
      mode = next
      delayMs = ms
      // Existing connections must feel the fault too, or a long-lived peer socket would ignore it.
      if (next === 'cut' || next === 'blackhole') destroyAll()
    },
    close: () => new Promise<void>((resolve) => {
      destroyAll()
      server.close(() => resolve())
    }),
  }
}
