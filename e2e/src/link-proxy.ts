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
  const proxy = new TcpLinkProxy(targetPort, targetHost)
  await proxy.listen()
  return proxy
}

class TcpLinkProxy implements LinkProxy {
  mode: LinkMode = 'pass'
  port = 0
  private delayMs = 0
  private readonly open = new Set<net.Socket>()
  private readonly pipes = new Set<Pipe>()
  /** Connections accepted in 'blackhole' mode: never connected to the target. */
  private readonly held = new Set<net.Socket>()
  private readonly server: net.Server

  constructor(private readonly targetPort: number, private readonly targetHost: string) {
    this.server = net.createServer((client) => this.accept(client))
    this.server.maxConnections = PROXY_CONNECTIONS_MAX
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(0, '127.0.0.1', () => resolve())
    })
    this.port = (this.server.address() as net.AddressInfo).port
  }

  set(next: LinkMode, ms = 0): void {
    const was = this.mode
    this.mode = next
    this.delayMs = ms
    if (next === 'cut') this.destroyAll()
    if (was === 'blackhole' && next !== 'blackhole') {
      for (const h of this.held) h.destroy()
      this.held.clear()
    }
    for (const p of this.pipes) this.drain(p)
  }

  queuedBytes(): number {
    return [...this.pipes].reduce((n, p) => n + p.queuedBytes, 0)
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.destroyAll()
      this.server.close(() => resolve())
    })
  }

  private accept(client: net.Socket): void {
    if (this.mode === 'cut' || this.open.size >= PROXY_CONNECTIONS_MAX) {
      client.destroy()
      return
    }
    this.open.add(client)
    client.on('close', () => this.open.delete(client))
    client.on('error', () => client.destroy())
    if (this.mode === 'blackhole') {
      client.pause() // hold it, read nothing, send nothing
      this.held.add(client)
      client.on('close', () => this.held.delete(client))
      return
    }
    const upstream = net.connect(this.targetPort, this.targetHost)
    this.open.add(upstream)
    upstream.on('close', () => { this.open.delete(upstream); client.destroy() })
    upstream.on('error', () => upstream.destroy())
    client.on('close', () => upstream.destroy())
    this.forward('forward', client, upstream)
    this.forward('backward', upstream, client)
  }

  private forward(dir: Direction, from: net.Socket, to: net.Socket): void {
    const p: Pipe = { dir, from, to, queue: [], queuedBytes: 0, timer: null, blocked: false }
    this.pipes.add(p)
    from.on('close', () => { if (p.timer) clearTimeout(p.timer); this.pipes.delete(p) })
    from.on('data', (chunk: Buffer) => {
      const holding = holds(this.mode, dir)
      if (!holding && this.mode !== 'delay' && p.queue.length === 0 && !p.blocked) {
        if (!to.write(chunk)) {
          from.pause()
          this.afterDrain(p)
        }
        return
      }
      p.queue.push({ at: Date.now() + (this.mode === 'delay' ? this.delayMs : 0), chunk })
      p.queuedBytes += chunk.length
      if (p.queuedBytes > HELD_BYTES_MAX) from.pause()
      if (!p.timer && !p.blocked && !holding) p.timer = setTimeout(() => this.drain(p), Math.max(0, p.queue[0]!.at - Date.now()))
    })
  }

  /** Write what is due (nothing while held); re-arm for the next chunk; resume the sender below the bound. */
  private drain(p: Pipe): void {
    if (p.timer) clearTimeout(p.timer)
    p.timer = null
    if (p.blocked || holds(this.mode, p.dir)) return
    const now = Date.now()
    while (p.queue.length > 0 && p.queue[0]!.at <= now) {
      const { chunk } = p.queue.shift()!
      p.queuedBytes -= chunk.length
      if (!p.to.write(chunk)) return this.afterDrain(p)
    }
    if (p.queue.length > 0) p.timer = setTimeout(() => this.drain(p), p.queue[0]!.at - now)
    if (p.queuedBytes <= HELD_BYTES_MAX && p.from.isPaused()) p.from.resume()
  }

  private afterDrain(p: Pipe): void {
    p.blocked = true
    p.to.once('drain', () => { p.blocked = false; this.drain(p) })
  }

  private destroyAll(): void {
    for (const s of this.open) s.destroy()
    this.open.clear()
  }
}
