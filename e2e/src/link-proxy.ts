/**
 * A TCP proxy for one directed link between two nodes (from → to). The fault
 * suite gives every node its own view of the voter list, naming a proxy per
 * link, so cutting the proxy for 1→2 drops every connection node 1 opens to
 * node 2 (its Raft sends, follower fetches, controller requests and their
 * answers) while connections 2 opens to 1 keep flowing: an asymmetric partition.
 *
 * Modes:
 * - 'pass' forwards.
 * - 'cut' resets every connection and refuses new ones (a peer that is down).
 * - 'blackhole' goes silent: open connections stop moving bytes but stay open
 *   (held bytes flow again, in order, when the mode changes, as TCP retransmits
 *   after a link comes back), new connections are accepted and never reach the
 *   target (reset when the mode changes: their handshake has long timed out).
 * - 'delay' forwards each chunk delayMs after it arrived, in order (latency,
 *   not a bandwidth cap).
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
export const PROXY_CONNECTIONS_MAX = 256
/** Bytes one direction of a connection may hold (delayed or blackholed); past it the sender is paused. */
export const HELD_BYTES_MAX = 8 * 1024 * 1024

/** One direction of a proxied connection. */
interface Pipe {
  from: net.Socket
  to: net.Socket
  /** chunks not yet written, with the time each is due */
  queue: Array<{ at: number; chunk: Buffer }>
  queuedBytes: number
  timer: NodeJS.Timeout | null
  /** waiting for `to` to drain */
  blocked: boolean
}

export async function startLinkProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<LinkProxy> {
  let mode: LinkMode = 'pass'
  let delayMs = 0
  const open = new Set<net.Socket>()
  const pipes = new Set<Pipe>()
  const held = new Set<net.Socket>()

  const destroyAll = () => {
    for (const s of open) s.destroy()
    open.clear()
  }

  /** Write what is due (nothing while blackholed); re-arm for the next chunk; resume the sender below the bound. */
  const drain = (p: Pipe) => {
    if (p.timer) clearTimeout(p.timer)
    p.timer = null
    if (mode === 'blackhole') return
    const now = Date.now()
    while (p.queue.length > 0 && p.queue[0]!.at <= now) {
      const { chunk } = p.queue.shift()!
      p.queuedBytes -= chunk.length
      if (!p.to.write(chunk)) p.blocked = true
    }
    if (p.blocked) {
      p.to.once('drain', () => { p.blocked = false; drain(p) })
      return
    }
    if (p.queue.length > 0) p.timer = setTimeout(() => drain(p), p.queue[0]!.at - now)
    if (p.queuedBytes <= HELD_BYTES_MAX && p.from.isPaused()) p.from.resume()
  }

  const forward = (from: net.Socket, to: net.Socket) => {
    const p: Pipe = { from, to, queue: [], queuedBytes: 0, timer: null, blocked: false }
    pipes.add(p)
    from.on('close', () => { if (p.timer) clearTimeout(p.timer); pipes.delete(p) })
    from.on('data', (chunk: Buffer) => {
      if (mode === 'pass' && p.queue.length === 0 && !p.blocked) {
        if (!to.write(chunk)) {
          p.blocked = true
          from.pause()
          to.once('drain', () => { p.blocked = false; drain(p) })
        }
        return
      }
      p.queue.push({ at: Date.now() + (mode === 'delay' ? delayMs : 0), chunk })
      p.queuedBytes += chunk.length
      if (p.queuedBytes > HELD_BYTES_MAX || mode === 'blackhole') from.pause()
      if (!p.timer && !p.blocked && mode !== 'blackhole') p.timer = setTimeout(() => drain(p), Math.max(0, p.queue[0]!.at - Date.now()))
    })
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
      held.add(client)
      client.on('close', () => held.delete(client))
      return
    }
    const upstream = net.connect(targetPort, targetHost)
    open.add(upstream)
    upstream.on('close', () => { open.delete(upstream); client.destroy() })
    upstream.on('error', () => upstream.destroy())
    client.on('close', () => upstream.destroy())
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
      const was = mode
      mode = next
      delayMs = ms
      if (next === 'cut') destroyAll()
      if (was === 'blackhole' && next !== 'blackhole') {
        for (const h of held) h.destroy()
        held.clear()
      }
      if (next === 'blackhole') {
        for (const p of pipes) p.from.pause()
      } else {
        for (const p of pipes) drain(p)
      }
    },
    close: () => new Promise<void>((resolve) => {
      destroyAll()
      server.close(() => resolve())
    }),
  }
}
