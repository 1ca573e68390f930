/**
 * PeerClients over WebSocket: one RpcConnection per peer node, opened lazily,
 * reopened after a failure with capped exponential backoff. Endpoints come from
 * `resolve` (the voters list, then the metadata image), so a restarted peer on a
 * new address is found again. With `authenticate` (a cluster secret), a new
 * connection is used only once it has proved both sides are brokers of this cluster.
 */
import { ErrorCode, RpcConnection, TributaryError, type Connector, type RpcResponse } from '@tributary/protocol'
import type { Logger } from 'pino'
import { systemRandom, type Clock, type PeerClients, type Random } from '../seams.js'

export const PEER_BACKOFF_MS_MIN = 50
export const PEER_BACKOFF_MS_MAX = 2000
/** Requests to one peer waiting at once; beyond it the RpcConnection queues. */
export const PEER_IN_FLIGHT_MAX = 1024
/** Answers that mean the peer (or we) refused the cluster secret exchange, as opposed to a broken connection. */
const AUTHENTICATION_REFUSALS: ReadonlySet<number> = new Set([ErrorCode.SASL_AUTHENTICATION_FAILED, ErrorCode.UNSUPPORTED_SASL_MECHANISM, ErrorCode.ILLEGAL_SASL_STATE])
/** Bytes queued on a peer socket past which one-way sends are dropped (Raft retries them). */
export const PEER_SEND_BUFFER_BYTES_MAX = 64 * 1024 * 1024

interface Peer {
  endpoint: string
  rpc: RpcConnection | null
  connecting: Promise<RpcConnection> | null
  failures: number
  /** no new connect attempt before this time */
  retryAt: number
}

export interface WsPeerClientsOptions {
  nodeId: number
  connector: Connector
  clock: Clock
  /** Jitter for reconnect backoff (default Math.random). */
  random?: Random
  logger: Logger
  resolve(nodeId: number): string | undefined
  requestTimeoutMs: number
  connectTimeoutMs?: number
  /** Runs on each new connection before any request (TRIBUTARY-BROKER); rejects when the peer is not one of ours. */
  authenticate?(rpc: RpcConnection, nodeId: number): Promise<void>
}

export class WsPeerClients implements PeerClients {
  private readonly peers = new Map<number, Peer>()
  private closed = false

  constructor(private readonly opts: WsPeerClientsOptions) {}

  async request<B = any>(nodeId: number, apiKey: number, body: unknown, reqOpts: { timeoutMs?: number } = {}): Promise<RpcResponse<B>> {
    const rpc = await this.connection(nodeId, true)
    return rpc.request<B>(apiKey, body, { timeoutMs: reqOpts.timeoutMs ?? this.opts.requestTimeoutMs })
  }

  send(nodeId: number, apiKey: number, body: unknown): void {
    const peer = this.peer(nodeId)
    if (!peer) return
    if (peer.rpc && !peer.rpc.closed) {
      if (peer.rpc.bufferedAmount() > PEER_SEND_BUFFER_BYTES_MAX) return
      try {
        peer.rpc.send(apiKey, body)
      } catch {
        // closed between the check and the send: dropped, as documented
      }
      return
    }
    void this.connection(nodeId, false).catch(() => {})
  }

  /** Whether a live connection to the peer exists now. */
  isConnected(nodeId: number): boolean {
    const rpc = this.peers.get(nodeId)?.rpc
    return !!rpc && !rpc.closed
  }

  close(): void {
    this.closed = true
    for (const p of this.peers.values()) p.rpc?.close()
    this.peers.clear()
  }

  private peer(nodeId: number): Peer | undefined {
    if (this.closed || nodeId === this.opts.nodeId) return undefined
    const endpoint = this.opts.resolve(nodeId)
    if (!endpoint) return undefined
    let p = this.peers.get(nodeId)
    if (!p || p.endpoint !== endpoint) {
      p?.rpc?.close()
      p = { endpoint, rpc: null, connecting: null, failures: 0, retryAt: 0 }
      this.peers.set(nodeId, p)
    }
    return p
  }

  /** `wait`: when backing off, wait for the next attempt instead of failing fast. */
  private async connection(nodeId: number, wait: boolean): Promise<RpcConnection> {
    const p = this.peer(nodeId)
    if (!p) throw new TributaryError(ErrorCode.BROKER_NOT_AVAILABLE, `no endpoint known for node ${nodeId}`)
    if (p.rpc && !p.rpc.closed) return p.rpc
    if (p.connecting) return p.connecting
    const delay = p.retryAt - this.opts.clock.now()
    if (delay > 0) {
      if (!wait) throw new TributaryError(ErrorCode.BROKER_NOT_AVAILABLE, `node ${nodeId} is backing off`)
      await new Promise<void>((resolve) => this.opts.clock.setTimeout(resolve, delay))
      return this.connection(nodeId, wait)
    }
    p.connecting = this.open(nodeId, p)
    try {
      return await p.connecting
    } finally {
      p.connecting = null
    }
  }

  private async open(nodeId: number, p: Peer): Promise<RpcConnection> {
    try {
      const transport = await this.opts.connector(p.endpoint, { connectTimeoutMs: this.opts.connectTimeoutMs ?? 2000 })
      if (this.closed || this.peers.get(nodeId) !== p) {
        transport.close(1000, 'peer clients closed')
        throw new TributaryError(ErrorCode.BROKER_NOT_AVAILABLE, 'peer clients closed')
      }
      // Request timeouts on the node's clock: a simulated node's must move with virtual time.
      const rpc = new RpcConnection(transport, { inFlightMax: PEER_IN_FLIGHT_MAX, requestTimeoutMs: this.opts.requestTimeoutMs, clock: this.opts.clock })
      if (this.opts.authenticate) {
        try {
          await this.opts.authenticate(rpc, nodeId)
        } catch (err) {
          rpc.close()
          // A refusal is worth a warning; a peer that went away mid-exchange is just unreachable (logged below).
          const refused = err instanceof TributaryError && AUTHENTICATION_REFUSALS.has(err.code)
          if (refused && (p.failures === 0 || (p.failures + 1) % 20 === 0)) {
            this.opts.logger.warn({ peer: nodeId, endpoint: p.endpoint, err: err.message }, 'peer authentication failed (is the cluster secret the same on every node?)')
          }
          throw err
        }
        if (this.closed || this.peers.get(nodeId) !== p) {
          rpc.close()
          throw new TributaryError(ErrorCode.BROKER_NOT_AVAILABLE, 'peer clients closed')
        }
      }
      rpc.onClose = () => {
        if (p.rpc === rpc) p.rpc = null
      }
      p.rpc = rpc
      if (p.failures > 0) this.opts.logger.info({ peer: nodeId, endpoint: p.endpoint }, 'peer connected')
      p.failures = 0
      return rpc
    } catch (err) {
      p.failures++
      const backoff = Math.min(PEER_BACKOFF_MS_MAX, PEER_BACKOFF_MS_MIN * 2 ** Math.min(p.failures - 1, 10))
      p.retryAt = this.opts.clock.now() + backoff * (0.5 + (this.opts.random ?? systemRandom).next() * 0.5)
      if (p.failures === 1 || p.failures % 20 === 0) {
        this.opts.logger.debug({ peer: nodeId, endpoint: p.endpoint, failures: p.failures, err: (err as Error).message }, 'peer unreachable')
      }
      throw err instanceof TributaryError ? err : new TributaryError(ErrorCode.BROKER_NOT_AVAILABLE, `node ${nodeId} at ${p.endpoint}: ${(err as Error).message}`)
    }
  }
}
