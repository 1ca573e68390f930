/**
 * The simulated network: connections between owners (nodes, clients) whose
 * frames travel as world events with seeded delays. A connection keeps TCP's
 * promises: frames arrive in order, exactly once, or the connection closes (a
 * reset drops what was in flight and tells both ends). Connections differ in
 * delay, so frames across connections reorder.
 *
 * A cut link (partition, one-way or both) holds the frames sent over it, as a
 * TCP connection whose peer went silent does: they arrive, in order, once the
 * link heals (unless the connection is reset first). Connecting across a cut
 * link times out; connecting to an address nobody listens on is refused.
 */
import { apiName, decodeRequest, decodeResponse, errorName, type Connector, type Transport } from '@tributary/protocol'
import type { SeededRandom } from '@tributary/raft'
import { ownerName, type Owner, type SimWorld } from './world.js'

export interface NetworkPlan {
  minDelayMs: number
  maxDelayMs: number
}

/** What a listener is handed for each accepted connection. */
export type Accept = (transport: Transport, remoteAddress: string) => void

/** A process's listeners and dialling (SimNetwork.endpoint). */
export interface SimEndpoint {
  /** Serve `address` (ws://host:port); returns the close. */
  listen(address: string, accept: Accept): () => void
  connector: Connector
}

/** As a WebSocket connect without a timeout of its own. */
const CONNECT_TIMEOUT_MS_DEFAULT = 5000

/** A frame in flight, or the end of the stream (close). */
interface InFlight {
  at: number
  frame: Uint8Array | null
  code: number
  reason: string
}

/** One end of a connection: what its owner holds as a Transport. */
class End implements Transport {
  /** Frames this end sent, on their way to the peer. */
  readonly outgoing: InFlight[] = []
  lastAt = 0
  pumpArmed = false
  /** The owner closed it, or its close was heard: nothing more goes out or comes in. */
  closed = false
  private closeFired = false
  peer!: End

  constructor(readonly conn: SimConnection, readonly owner: Owner, private readonly net: SimNetwork) {}

  onFrame: (frame: Uint8Array) => void = () => {}
  onClose: (code: number, reason: string) => void = () => {}

  send(frame: Uint8Array): void {
    if (this.closed) return
    this.enqueue(frame.slice(), 1000, '')
  }

  close(code = 1000, reason = ''): void {
    if (this.closed) return
    this.closed = true
    // The close frame goes after the data already sent; this end hears its own close now.
    this.enqueue(null, code, reason)
    this.net.world.schedule(this.net.world.now, this.owner, 'closed', () => this.fireClose(code, reason))
  }

  bufferedAmount(): number {
    return 0
  }

  fireClose(code: number, reason: string): void {
    this.closed = true
    if (this.closeFired) return
    this.closeFired = true
    this.onClose(code, reason)
  }

  private enqueue(frame: Uint8Array | null, code: number, reason: string): void {
    const at = Math.max(this.net.world.now + this.net.delay(this.owner, this.peer.owner), this.lastAt)
    this.lastAt = at
    this.outgoing.push({ at, frame, code, reason })
    this.net.arm(this)
  }
}

class SimConnection {
  readonly client: End
  readonly server: End
  constructor(readonly id: number, clientOwner: Owner, serverOwner: Owner, net: SimNetwork) {
    this.client = new End(this, clientOwner, net)
    this.server = new End(this, serverOwner, net)
    this.client.peer = this.server
    this.server.peer = this.client
  }
}

export class SimNetwork {
  private readonly listeners = new Map<string, { owner: Owner; accept: Accept }>()
  private readonly connections = new Set<SimConnection>()
  /** `from>to`: frames from `from` to `to` are held. */
  private readonly cut = new Set<string>()
  /** Ends whose next frame waits for a cut link to heal. */
  private readonly held = new Set<End>()
  private nextId = 1
  /** Each owner's current process; an endpoint of an older one is dead. */
  private readonly incarnations = new Map<Owner, number>()
  /** Counts for the run's report. */
  readonly stats = { connections: 0, frames: 0, resets: 0, refused: 0, timedOut: 0 }

  constructor(readonly world: SimWorld, private readonly rng: SeededRandom, private readonly plan: NetworkPlan) {}

  /** Extra delay of every frame to or from a slow owner (a node stalling: GC pauses, a starved CPU). */
  private readonly slowMs = new Map<Owner, number>()

  /** A frame's delay from `from` to `to`: the seeded network delay plus either end's slowness. */
  delay(from?: Owner, to?: Owner): number {
    const { minDelayMs, maxDelayMs } = this.plan
    const base = minDelayMs + this.rng.int(maxDelayMs - minDelayMs + 1)
    if (this.slowMs.size === 0) return base
    return base + (from === undefined ? 0 : this.slowMs.get(from) ?? 0) + (to === undefined ? 0 : this.slowMs.get(to) ?? 0)
  }

  /** `owner` turns slow by `ms` per frame it sends or receives (0: fast again). */
  slow(owner: Owner, ms: number): void {
    if (ms > 0) this.slowMs.set(owner, ms)
    else this.slowMs.delete(owner)
    this.world.record(0, 'slow', `${ownerName(owner)} ${ms} ms`)
  }

  /**
   * One process's way onto the network: its listeners and its dialling. Both
   * die with the process (`crash`): a dead process's leftover code can neither
   * listen nor connect (its attempts never complete).
   */
  endpoint(owner: Owner): SimEndpoint {
    const incarnation = (this.incarnations.get(owner) ?? 0) + 1
    this.incarnations.set(owner, incarnation)
    const alive = (): boolean => this.incarnations.get(owner) === incarnation
    return {
      listen: (address, accept) => {
        if (!alive()) return () => {}
        const key = hostPort(address)
        if (this.listeners.has(key)) throw new Error(`${key} is already listened on`)
        const l = { owner, accept }
        this.listeners.set(key, l)
        return () => { if (this.listeners.get(key) === l) this.listeners.delete(key) }
      },
      connector: (url, opts = {}) => (alive() ? this.connect(owner, url, opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS_DEFAULT) : new Promise<Transport>(() => {})),
    }
  }

  private connect(owner: Owner, url: string, timeoutMs: number): Promise<Transport> {
    return new Promise<Transport>((resolve, reject) => {
      this.world.schedule(this.world.now + this.delay(owner), owner, 'connect', () => {
        const l = this.listeners.get(hostPort(url))
        if (!l) {
          this.stats.refused++
          this.world.record(owner, 'refused', url)
          reject(new Error(`cannot connect to ${url}: connection refused`))
        } else if (this.isCut(owner, l.owner) || this.isCut(l.owner, owner)) {
          this.world.schedule(this.world.now + timeoutMs, owner, 'connect', () => {
            this.stats.timedOut++
            this.world.record(owner, 'timeout', url)
            reject(new Error(`cannot connect to ${url}: no connection within ${timeoutMs} ms`))
          })
        } else {
          const conn = new SimConnection(this.nextId++, owner, l.owner, this)
          this.connections.add(conn)
          this.stats.connections++
          this.world.record(owner, 'connected', `#${conn.id} ${ownerName(owner)}>${ownerName(l.owner)} ${url}`)
          l.accept(conn.server, ownerName(owner))
          resolve(conn.client)
        }
      })
    })
  }

  /** Hold frames from `from` to `to` until `heal`. */
  cutLink(from: Owner, to: Owner): void {
    this.cut.add(`${from}>${to}`)
    this.world.record(0, 'cut', `${ownerName(from)}>${ownerName(to)}`)
  }

  isCut(from: Owner, to: Owner): boolean {
    return this.cut.size > 0 && this.cut.has(`${from}>${to}`)
  }

  /** Every link carries again; held frames go on, in order. */
  heal(): void {
    if (this.cut.size === 0) return
    this.cut.clear()
    this.world.record(0, 'heal', '')
    const held = [...this.held]
    this.held.clear()
    for (const end of held) this.arm(end)
  }

  /** Reset a connection: what was in flight is lost, both ends hear the close. */
  reset(conn: SimConnection, why: string): void {
    if (!this.connections.delete(conn)) return
    this.stats.resets++
    this.world.record(0, 'reset', `#${conn.id} ${why}`)
    for (const end of [conn.client, conn.server]) {
      end.outgoing.length = 0
      this.held.delete(end)
      this.world.schedule(this.world.now, end.owner, 'closed', () => end.fireClose(1006, `connection reset (${why})`))
    }
  }

  /** An open connection, picked by `fraction` in [0, 1) of them in opening order, reset (the fault). */
  resetOne(fraction: number): boolean {
    const open = [...this.connections]
    if (open.length === 0) return false
    this.reset(open[Math.floor(fraction * open.length)]!, 'fault')
    return true
  }

  /** The owner's process died: its endpoint is dead, its listeners go, its connections reset (the kernel closes the sockets). */
  crash(owner: Owner): void {
    this.incarnations.set(owner, (this.incarnations.get(owner) ?? 0) + 1)
    for (const [key, l] of this.listeners) if (l.owner === owner) this.listeners.delete(key)
    for (const conn of [...this.connections]) if (conn.client.owner === owner || conn.server.owner === owner) this.reset(conn, `${ownerName(owner)} crashed`)
  }

  /** Every owner that ever took an endpoint (nodes, clients, the harness). */
  owners(): Owner[] {
    return [...this.incarnations.keys()]
  }

  openConnections(): number {
    return this.connections.size
  }

  /** Deliver `from`'s next frame at its time, unless the link is cut (then hold it). */
  arm(from: End): void {
    if (from.pumpArmed || from.outgoing.length === 0) return
    from.pumpArmed = true
    this.world.schedule(from.outgoing[0]!.at, from.peer.owner, 'deliver', () => {
      from.pumpArmed = false
      this.deliver(from)
    })
  }

  private deliver(from: End): void {
    if (!this.connections.has(from.conn)) return
    const to = from.peer
    if (this.isCut(from.owner, to.owner)) {
      this.held.add(from)
      return
    }
    const next = from.outgoing.shift()
    if (!next) return
    if (next.frame === null) {
      this.world.record(to.owner, 'close', `#${from.conn.id} ${next.code} ${next.reason}`)
      this.connections.delete(from.conn)
      to.fireClose(next.code, next.reason)
    } else if (!to.closed) {
      this.stats.frames++
      const frame = next.frame
      this.world.record(to.owner, 'frame', `#${from.conn.id} ${ownerName(from.owner)}>${ownerName(to.owner)} ${frame.byteLength}B`, frame, () => describeFrame(frame, from === from.conn.client))
      to.onFrame(next.frame)
    }
    this.arm(from)
  }
}

/** A frame in words for the trace: the API of a request, the correlation id and error of a response. */
function describeFrame(frame: Uint8Array, request: boolean): string {
  if (request) {
    const r = decodeRequest(frame, FRAME_BYTES_MAX)
    return r.ok ? `${apiName(r.value.apiKey)} v${r.value.apiVersion} #${r.value.correlationId} ${brief(r.value.body)}` : 'undecodable request'
  }
  const r = decodeResponse(frame)
  return r.ok ? `response #${r.value.correlationId}${r.value.errorCode ? ` error ${errorName(r.value.errorCode)}` : ''} ${brief(r.value.body)}` : 'undecodable response'
}

/** The start of a body as JSON, bytes as their length: enough to follow a conversation. */
function brief(body: unknown): string {
  const json = JSON.stringify(body, (_k, v: unknown) => (v instanceof Uint8Array ? `<${v.byteLength}B>` : v)) ?? ''
  return json.length > TRACE_BODY_CHARS_MAX ? `${json.slice(0, TRACE_BODY_CHARS_MAX)}...` : json
}

const TRACE_BODY_CHARS_MAX = 400

const FRAME_BYTES_MAX = 1 << 30

function hostPort(url: string): string {
  const m = /^wss?:\/\/([^/]+)/.exec(url)
  if (!m) throw new Error(`not a ws:// URL: ${url}`)
  return m[1]!
}
