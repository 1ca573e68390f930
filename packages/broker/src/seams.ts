/**
 * The seams every broker part takes as parameters (docs/ARCHITECTURE.md,
 * "Seams and wiring"). Only
 * main.ts wires the real ones (Date.now, timers, ws, LevelDB); tests pass
 * memory or simulated versions.
 */
import type { Clock, RpcResponse } from '@tributary/protocol'
import type { PeerCertificate } from './net/tls.js'

export { systemClock, type Clock } from '@tributary/protocol'

/** Resolves after `ms` on `clock` (a simulated clock moves it, not the wall). */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise<void>((resolve) => clock.setTimeout(resolve, ms))
}

/** The logging a broker part needs: pino's Logger fits, tests pass a silent one. The one logger type of the broker's parts. */
export interface PartLogger {
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

export interface Random {
  /** Uniform in [0, 1). */
  next(): number
}

export const systemRandom: Random = { next: () => Math.random() }

/**
 * Who is on the other end of a connection, Kafka-style. Set by the connection's
 * authentication (SASL, or a verified TLS client certificate), never by a frame.
 */
export interface Session {
  /** 'User:alice', 'User:ANONYMOUS' (unauthenticated), or 'Broker:<id>' */
  principal: string
  /** set only when the connection authenticated as a broker of this cluster */
  brokerId?: number
  authenticated: boolean
  mechanism?: string
  /** ms epoch after which the session must re-authenticate (undefined = never) */
  expiresAtMs?: number
}

/** What a handler learns about the request it serves. */
export interface RequestContext {
  connectionId: number
  remoteAddress: string
  apiKey: number
  apiVersion: number
  correlationId: number
  /** the named listener the connection came in on; null for the primary one (--listen) */
  listener?: string | null
  /** aborted when the connection closes: long polls should stop waiting */
  signal: AbortSignal
  /** the connection's identity when this request arrived */
  session: Session
  /** whether the connection is TLS */
  tls: boolean
  /**
   * Whether this connection may call cluster-internal APIs (Raft, broker
   * lifecycle, follower and debug reads, internal-topic writes): it
   * authenticated as a broker of this cluster, or the cluster configures
   * neither a cluster secret nor a CA (then every connection may, as before).
   * A field computed once per session, so the gate costs nothing per request.
   */
  clusterAccess: boolean
  /** the client's certificate, when one was presented and verified against --tls-ca (net/tls.ts) */
  peerCertificate?: PeerCertificate
  /**
   * Set by a handler that parks (a Fetch long poll): milliseconds spent waiting for data,
   * which /metrics reports apart from the time spent working on the request.
   */
  parkedMs?: number
}

/** undefined = send no response (acks=0 produce, one-way Raft messages). */
export type HandlerResult = { errorCode: number; body: unknown } | undefined

/** A request handler: body is the decoded (untrusted!) msgpack map; validate before use. */
export type RequestHandler = (body: any, ctx: RequestContext) => Promise<HandlerResult> | HandlerResult

export interface HandlerOptions {
  /**
   * Served only to connections with `clusterAccess`; anyone else gets
   * CLUSTER_AUTHORIZATION_FAILED before the handler runs. APIs whose
   * internal-ness depends on the body (Fetch replicaId, Produce to an internal
   * topic) check `ctx.clusterAccess` themselves. 'unless-authenticated': also
   * served to an authenticated (non-broker) principal, whom the handler then
   * checks itself (UnregisterBroker: an operator's, for a fenced broker).
   */
  clusterInternal?: boolean | 'unless-authenticated'
}

export interface HandlerRegistry {
  register(apiKey: number, handler: RequestHandler, opts?: HandlerOptions): void
}

/** Connections to other brokers by node id (Raft, follower fetch, controller requests). */
export interface PeerClients {
  /** Rejects with a TributaryError (NETWORK_EXCEPTION, REQUEST_TIMED_OUT, BROKER_NOT_AVAILABLE) when unreachable. */
  request<B = any>(nodeId: number, apiKey: number, body: unknown, opts?: { timeoutMs?: number }): Promise<RpcResponse<B>>
  /** One-way message; dropped silently if the peer is unreachable. */
  send(nodeId: number, apiKey: number, body: unknown): void
}

/** Routes a request to whichever node is the controller now (Raft leader), retrying NOT_CONTROLLER within the timeout. */
export interface ControllerChannel {
  request<B = any>(apiKey: number, body: unknown, opts?: { timeoutMs?: number }): Promise<RpcResponse<B>>
}
