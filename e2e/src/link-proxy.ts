/**
 * A TCP proxy for one directed link between two nodes (from → to). The fault
 * suite gives every node its own view of the voter list, naming a proxy per
 * link, so the proxy for 1→2 carries every connection node 1 opens to node 2
 * (its Raft sends, follower fetches, controller requests) and the answers node
 * 2 sends back on them. Each proxied connection has two directions: forward
 * (opener → target) and backward (target → opener).
 *
 * Modes:
 * - 'pass' forwards.
 * - 'cut' resets every connection and refuses new ones (a peer that is down).
 * - 'blackhole' goes silent: open connections stop delivering bytes either way
 *   but stay open; what is written meanwhile is held (read and queued, up to
 *   HELD_BYTES_MAX per direction, then the sender is paused as by a full TCP
 *   window) and flows again, in order, when the mode changes, as TCP
 *   retransmits after a link comes back. New connections are accepted and never
 *   reach the target (reset when the mode changes: their handshake has long
 *   timed out).
 * - 'blackhole-forward' / 'blackhole-backward' hold only one direction of every
 *   connection (new ones included) while the other flows: bytes are delayed,
 *   never dropped, reordered or corrupted, which any asynchronous network may
 *   do. Dropping bytes of a stream would corrupt it, not model a lossy link.
 * - 'delay' forwards each chunk delayMs after it arrived, in order (latency,
 *   not a bandwidth cap).
 */
import net from 'node:net'

export type LinkMode = 'pass' | 'cut' | 'blackhole' | 'blackhole-forward' | 'blackhole-backward' | 'delay'

export interface LinkProxy {
  readonly port: number
  readonly mode: LinkMode
  set(mode: LinkMode, delayMs?: number): void
  /** Bytes read from one side and not yet written to the other (held or delayed), over every open connection. */
  queuedBytes(): number
  close(): Promise<void>
}

/** Sockets one proxy keeps open at once; beyond it new connections are refused. */
export const PROXY_CONNECTIONS_MAX = 256
/** Bytes one direction of a connection may hold (delayed or blackholed); past it the sender is paused. */
export const HELD_BYTES_MAX = 8 * 1024 * 1024

type Direction = 'forward' | 'backward'

/** One direction of a proxied connection. */
interface Pipe {
  dir: Direction
  from: net.Socket
  to: net.Socket
  /** chunks not yet written, with the time each is due */
  queue: Array<{ at: number; chunk: Buffer }>
  queuedBytes: number
  timer: NodeJS.Timeout | null
  /** waiting for `to` to drain */
  blocked: boolean
}

/** Whether `mode` holds the bytes of direction `dir`. */
export function holds(mode: LinkMode, dir: Direction): boolean {
  return mode === 'blackhole' || mode === `blackhole-${dir}`
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

  const afterDrain = (p: Pipe) => {
    p.blocked = true
    p.to.once('drain', () => { p.blocked = false; drain(p) })
  }

  /** Write what is due (nothing while held); re-arm for the next chunk; resume the sender below the bound. */
  const drain = (p: Pipe) => {
    if (p.timer) clearTimeout(p.timer)
    p.timer = null
    if (p.blocked || holds(mode, p.dir)) return
    const now = Date.now()
    while (p.queue.length > 0 && p.queue[0]!.at <= now) {
      const { chunk } = p.queue.shift()!
      p.queuedBytes -= chunk.length
      if (!p.to.write(chunk)) return afterDrain(p)
    }
    if (p.queue.length > 0) p.timer = setTimeout(() => drain(p), p.queue[0]!.at - now)
    if (p.queuedBytes <= HELD_BYTES_MAX && p.from.isPaused()) p.from.resume()
  }

  const forward = (dir: Direction, from: net.Socket, to: net.Socket) => {
    const p: Pipe = { dir, from, to, queue: [], queuedBytes: 0, timer: null, blocked: false }
    pipes.add(p)
    from.on('close', () => { if (p.timer) clearTimeout(p.timer); pipes.delete(p) })
    from.on('data', (chunk: Buffer) => {
      const holding = holds(mode, dir)
      if (!holding && mode !== 'delay' && p.queue.length === 0 && !p.blocked) {
        if (!to.write(chunk)) {
          from.pause()
          afterDrain(p)
        }
        return
      }
      p.queue.push({ at: Date.now() + (mode === 'delay' ? delayMs : 0), chunk })
      p.queuedBytes += chunk.length
      if (p.queuedBytes > HELD_BYTES_MAX) from.pause()
      if (!p.timer && !p.blocked && !holding) p.timer = setTimeout(() => drain(p), Math.max(0, p.queue[0]!.at - Date.now()))
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
    forward('forward', client, upstream)
    forward('backward', upstream, client)
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
      for (const p of pipes) drain(p)
    },
    queuedBytes: () => [...pipes].reduce((n, p) => n + p.queuedBytes, 0),
    close: () => new Promise<void>((resolve) => {
      destroyAll()
      server.close(() => resolve())
    }),
  }
}
