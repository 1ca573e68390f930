/**
 * One WebSocket connection of the native protocol: frames in, one response per
 * request out. Each frame is decoded (a bad one is answered INVALID_REQUEST with
 * its correlation id, or closes the connection when none can be read), checked
 * against the API table (UNSUPPORTED_VERSION), the in-flight bound
 * (TOO_MANY_IN_FLIGHT), the connection's admission (authenticate first) and, for a
 * cluster-internal API, the broker gate (CLUSTER_AUTHORIZATION_FAILED); only then
 * does its handler run. A handler that throws is answered UNKNOWN_SERVER_ERROR.
 */
import type net from 'node:net'
import type { WebSocket } from 'ws'
import type { Logger } from 'pino'
import { ApiKey, apiName, decodeRequest, encodeResponse, ErrorCode, errorName, isSupported, type Transport } from '@tributary/protocol'
import type { Handlers } from './handler-registry.js'
import type { BrokerMetrics } from '../metrics.js'
import type { HandlerResult, RequestContext, RequestHandler } from '../seams.js'
import type { Authenticator } from '../security/authenticator.js'
import type { ConnectionAuth } from '../security/connection-auth.js'
import { wsTransport } from './ws-transport.js'
import { connectionTls, type ServerTls } from './tls.js'

/** WebSocket close codes we use. */
export const CloseCode = { NORMAL: 1000, GOING_AWAY: 1001, PROTOCOL_ERROR: 1002, UNSUPPORTED_DATA: 1003, INVALID_PAYLOAD: 1007, POLICY_VIOLATION: 1008, TRY_AGAIN_LATER: 1013 } as const

/** Malformed-frame log lines per connection, so a fuzzer cannot flood the log. */
const BAD_FRAME_LOGS_PER_CONNECTION_MAX = 3

export interface ConnectionDeps {
  handlers: Handlers
  metrics: BrokerMetrics
  logger: Logger
  authenticator: Authenticator
  inFlightPerConnectionMax: number
  frameBytesMax: number
  /** the named listener the connection came in on (null: the primary) */
  listener: string | null
  tls?: ServerTls
}

/** Serve `ws` until it closes (then `onClosed`); false when the authenticator refused it (the socket is closed). */
export function serveConnection(ws: WebSocket, socket: net.Socket, connectionId: number, deps: ConnectionDeps, onClosed: () => void): boolean {
  return serveTransport(wsTransport(ws), { remoteAddress: socket.remoteAddress ?? '?', ...connectionTls(socket, deps.tls) }, connectionId, deps, onClosed)
}

/** Who is on the other end of a served transport, as the socket tells it. */
export type TransportPeer = Pick<RequestContext, 'remoteAddress' | 'tls' | 'peerCertificate'>

/**
 * Serve any transport the way a WebSocket is served (the simulation's in-memory
 * connections come in here); false when the authenticator refused it (closed).
 */
export function serveTransport(transport: Transport, peer: TransportPeer, connectionId: number, deps: ConnectionDeps, onClosed: () => void): boolean {
  const { remoteAddress, tls, peerCertificate } = peer
  const auth = deps.authenticator.open({ remoteAddress, tls, peerCertificate, close: (reason) => transport.close(CloseCode.POLICY_VIOLATION, reason) })
  if (!auth) {
    transport.close(CloseCode.TRY_AGAIN_LATER, 'too many unauthenticated connections from this address')
    return false
  }
  const connection = new Connection(deps, auth, {
    connectionId, remoteAddress, tls, peerCertificate,
    send: (frame) => transport.send(frame),
    close: (reason) => transport.close(CloseCode.PROTOCOL_ERROR, reason),
  })
  transport.onFrame = (frame) => connection.receive(frame)
  transport.onClose = () => {
    connection.closed()
    onClosed()
  }
  return true
}

interface Link extends Pick<RequestContext, 'connectionId' | 'remoteAddress' | 'tls' | 'peerCertificate'> {
  send(frame: Uint8Array): void
  /** close for a frame no correlation id can be read from */
  close(reason: string): void
}

class Connection {
  private readonly abort = new AbortController()
  private inFlight = 0
  private badFrames = 0
  private readonly saslHandshake: RequestHandler
  private readonly saslAuthenticate: RequestHandler

  constructor(private readonly deps: ConnectionDeps, private readonly auth: ConnectionAuth, private readonly link: Link) {
    this.saslHandshake = (body) => auth.handshake(body)
    this.saslAuthenticate = (body) => auth.authenticate(body)
  }

  receive(frame: Uint8Array): void {
    const { metrics } = this.deps
    metrics.bytesIn.inc(frame.byteLength)
    const decoded = decodeRequest(frame, this.deps.frameBytesMax)
    if (!decoded.ok) {
      this.badFrame(decoded.message)
      metrics.requests.inc({ api: 'invalid', error: errorName(decoded.code) })
      if (decoded.correlationId !== undefined) this.reply(decoded.correlationId, decoded.code, { errorMessage: decoded.message })
      else this.link.close(decoded.message)
      return
    }
    const { apiKey, apiVersion, correlationId, body } = decoded.value
    const entry = this.deps.handlers.entry(apiKey)
    const handler = apiKey === ApiKey.SaslHandshake ? this.saslHandshake : apiKey === ApiKey.SaslAuthenticate ? this.saslAuthenticate : entry?.handler
    const refused = this.refusal(apiKey, apiVersion, handler, entry?.clusterInternal ?? false)
    if (refused) {
      metrics.requests.inc({ api: refused.api, error: refused.error })
      this.reply(correlationId, refused.errorCode, { errorMessage: refused.errorMessage })
      return
    }
    this.run(handler!, body, {
      connectionId: this.link.connectionId, remoteAddress: this.link.remoteAddress, apiKey, apiVersion, correlationId,
      listener: this.deps.listener, signal: this.abort.signal, tls: this.link.tls, peerCertificate: this.link.peerCertificate,
      session: this.auth.session, clusterAccess: this.auth.clusterAccess,
    })
  }

  closed(): void {
    this.auth.closed()
    this.abort.abort()
  }

  /** Why a decoded request is not handed to its handler (metric labels and the answer), or undefined. */
  private refusal(apiKey: number, apiVersion: number, handler: RequestHandler | undefined, clusterInternal: boolean | 'unless-authenticated'):
    { api: string; error: string; errorCode: number; errorMessage: string } | undefined {
    const api = apiName(apiKey)
    if (!handler || !isSupported(apiKey, apiVersion)) {
      this.badFrame(`unsupported ${api} v${apiVersion}`)
      return { api: handler ? api : 'unknown', error: 'UNSUPPORTED_VERSION', errorCode: ErrorCode.UNSUPPORTED_VERSION, errorMessage: `${api} v${apiVersion} is not supported` }
    }
    const max = this.deps.inFlightPerConnectionMax
    if (this.inFlight >= max) return { api, error: 'TOO_MANY_IN_FLIGHT', errorCode: ErrorCode.TOO_MANY_IN_FLIGHT, errorMessage: `more than ${max} requests in flight` }
    const admission = this.auth.admit(apiKey)
    if (admission) return { api, error: errorName(admission.errorCode), ...admission }
    if (clusterInternal && !this.auth.clusterAccess && (clusterInternal === true || !this.auth.session.authenticated)) {
      this.auth.denied(api)
      // Raft too, though it is one-way: brokers never get here, and whoever does should hear why.
      return { api, error: 'CLUSTER_AUTHORIZATION_FAILED', errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: `${api} is served only to brokers of this cluster` }
    }
    return undefined
  }

  private run(handler: RequestHandler, body: unknown, ctx: RequestContext): void {
    const { metrics, logger } = this.deps
    const api = apiName(ctx.apiKey)
    this.inFlight++
    const started = process.hrtime.bigint()
    const finish = (result: HandlerResult): void => {
      this.inFlight--
      metrics.observeRequest(api, Number(process.hrtime.bigint() - started) / 1e6, ctx.parkedMs ?? 0)
      metrics.requests.inc({ api, error: errorName(result?.errorCode ?? 0) })
      if (result?.errorCode === ErrorCode.CLUSTER_AUTHORIZATION_FAILED) this.auth.denied(api)
      if (result !== undefined && !this.abort.signal.aborted) this.reply(ctx.correlationId, result.errorCode, result.body)
    }
    const fail = (err: unknown): void => {
      logger.error({ err, api, connectionId: ctx.connectionId }, 'handler threw')
      finish({ errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, body: { errorMessage: `${api} failed: ${(err as Error)?.message ?? String(err)}` } })
    }
    try {
      const out = handler(body, ctx)
      if (out instanceof Promise) out.then(finish, fail)
      else finish(out)
    } catch (err) {
      fail(err)
    }
  }

  private reply(correlationId: number, errorCode: number, body: unknown): void {
    let frame: Uint8Array
    try {
      frame = encodeResponse(correlationId, errorCode, body ?? {})
    } catch (err) {
      this.deps.logger.error({ err }, 'response could not be encoded')
      frame = encodeResponse(correlationId, ErrorCode.UNKNOWN_SERVER_ERROR, { errorMessage: 'response could not be encoded' })
    }
    this.deps.metrics.bytesOut.inc(frame.byteLength)
    this.link.send(frame)
  }

  private badFrame(message: string): void {
    if (++this.badFrames <= BAD_FRAME_LOGS_PER_CONNECTION_MAX) this.deps.logger.debug({ connectionId: this.link.connectionId, remoteAddress: this.link.remoteAddress, message }, 'bad frame')
  }
}
