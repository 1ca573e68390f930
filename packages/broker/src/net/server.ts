/**
 * The node's one port: an HTTP server that upgrades to WebSocket for the native
 * protocol (clients, peers, Raft) and answers /healthz, /readyz and /metrics,
 * and serves the web console's static files at / (net/console-files.ts) unless
 * it is turned off.
 *
 * Everything a socket sends is untrusted. A frame either gets a response with its
 * correlation id (INVALID_REQUEST, UNSUPPORTED_VERSION, TOO_MANY_IN_FLIGHT,
 * UNKNOWN_SERVER_ERROR when a handler throws) or, when no correlation id can be
 * read, the connection is closed with a WebSocket close code. Nothing a client
 * sends can throw out of here.
 *
 * With `tls` the same port speaks TLS (wss://, https://; net/tls.ts): the
 * certificate can be swapped at run time (`reloadTls`, SIGHUP in main.ts) for
 * new connections while open ones carry on.
 *
 * Each connection has a ConnectionAuth (security/): SaslHandshake and
 * SaslAuthenticate go to it, every other request first passes its admission
 * (authenticate first, when the node requires it) and, for a cluster-internal
 * API, the broker gate (CLUSTER_AUTHORIZATION_FAILED). Both are field checks.
 */
import http from 'node:http'
import https from 'node:https'
import type net from 'node:net'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { WebSocketServer, type WebSocket } from 'ws'
import type { Logger } from 'pino'
import { ApiKey, apiName, decodeRequest, encodeResponse, ErrorCode, errorName, isSupported } from '@tributary/protocol'
import type { Handlers } from './handler-registry.js'
import type { BrokerMetrics } from '../metrics.js'
import { systemClock, type HandlerResult, type RequestContext, type RequestHandler } from '../seams.js'
import { openAuthenticator, type Authenticator } from '../security/authenticator.js'
import { wsTransport } from './ws-transport.js'
import { consoleFiles } from './console-files.js'
import { certificateSummary, checkedContext, connectionTls, refusedClientCertificate, answerPlaintextOnTlsPort, handshakeFailureLogger, type ServerTls } from './tls.js'

export interface ServerOptions {
  host: string
  port: number
  maxConnections: number
  inFlightPerConnectionMax: number
  frameBytesMax: number
  /** the named listener this server is (null: the primary, --listen): requests carry it */
  listener?: string | null
  handlers: Handlers
  metrics: BrokerMetrics
  logger: Logger
  /** Who connections are and what they may send (default: no authentication, every API open). */
  authenticator?: Authenticator
  /** /readyz: ok, or why not */
  readiness(): { ready: boolean; reason: string }
  /** Serve TLS on the port (wss://, https://). */
  tls?: ServerTls
  /** The web console's built files, served at / (null or absent: no console). */
  consoleDir?: string | null
}

/** reloadTls on a plain listener. */
export const NOT_TLS = 'the port does not speak TLS'

/** The outcome of a certificate reload. */
export type TlsReload = { ok: true; fingerprint256: string; serialNumber: string } | { ok: false; error: string }

export interface NodeServer {
  /** The bound port (useful when listening on port 0). */
  readonly port: number
  connectionCount(): number
  /**
   * Re-read the certificate files and serve them to new connections; open ones
   * keep theirs. Bad new files leave the current certificate in place. Logged
   * either way; never throws.
   */
  reloadTls(): TlsReload
  close(): Promise<void>
}

/** WebSocket close codes we use. */
export const CloseCode = { NORMAL: 1000, GOING_AWAY: 1001, PROTOCOL_ERROR: 1002, UNSUPPORTED_DATA: 1003, INVALID_PAYLOAD: 1007, POLICY_VIOLATION: 1008, TRY_AGAIN_LATER: 1013 } as const

/** The APIs the server itself answers (per-connection state), listed in ApiVersions beside the registered ones. */
export const SERVER_API_KEYS: readonly number[] = [ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]

/** Malformed-frame log lines per connection, so a fuzzer cannot flood the log. */
const BAD_FRAME_LOGS_PER_CONNECTION_MAX = 3

export async function startServer(opts: ServerOptions): Promise<NodeServer> {
  const { handlers, metrics, logger } = opts
  const authenticator = opts.authenticator ?? openAuthenticator(systemClock, metrics, logger)
  const sockets = new Set<WebSocket>()
  let nextConnectionId = 1

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    void serveHttp(req, res).catch((err) => {
      logger.error({ err }, 'http handler failed')
      if (!res.headersSent) res.writeHead(500)
      res.end()
    })
  }
  const initialTls = opts.tls?.load()
  const httpServer = opts.tls && initialTls ? https.createServer(checkedContext(initialTls, opts.tls.clientAuth), onRequest) : http.createServer(onRequest)
  // A TLS port peeks at each connection's first byte to answer plaintext clients in words (426).
  const plaintextOnTls = opts.tls ? answerPlaintextOnTlsPort(httpServer as https.Server, logger, () => metrics.tlsHandshakeFailures.inc({ reason: 'plaintext' })) : undefined
  const clientAuth = opts.tls?.clientAuth ?? 'none'
  const logRefused = handshakeFailureLogger(logger, () => performance.now())
  httpServer.on('secureConnection', (socket: TLSSocket) => {
    const refused = refusedClientCertificate(socket, clientAuth)
    if (refused === undefined) return
    metrics.tlsHandshakeFailures.inc({ reason: 'client-certificate' })
    logRefused(socket.remoteAddress, `client certificate: ${refused}`)
    socket.destroy()
  })
  // A required client certificate that is missing or does not verify ends here (Node refuses it itself).
  httpServer.on('tlsClientError', (err: Error & { code?: string }, socket: TLSSocket) => {
    // Not verified (authorizationError), or not sent at all (ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE).
    const why = socket.authorizationError ?? (/CERTIFICATE/.test(err.code ?? '') ? err.code : undefined)
    metrics.tlsHandshakeFailures.inc({ reason: why ? 'client-certificate' : 'handshake' })
    logRefused(socket.remoteAddress, why ? `client certificate: ${String(why)}` : err.code ?? err.message)
  })
  const webConsole = opts.consoleDir ? consoleFiles(opts.consoleDir) : undefined
  const serveHttp = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n')
    } else if (path === '/readyz') {
      const r = opts.readiness()
      res.writeHead(r.ready ? 200 : 503, { 'content-type': 'text/plain' }).end(`${r.reason}\n`)
    } else if (path === '/metrics') {
      const body = await metrics.render()
      // Readable by the console of any node (its rate charts read every node's /metrics); nothing here needs a login.
      res.writeHead(200, { 'content-type': metrics.registry.contentType, 'access-control-allow-origin': '*' }).end(body)
    } else if (webConsole && (await webConsole.serve(path, req, res))) {
      // served
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
    }
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.frameBytesMax, perMessageDeflate: false })
  httpServer.on('upgrade', (req, socket, head) => {
    socket.on('error', () => {})
    if (sockets.size >= opts.maxConnections) {
      metrics.connectionsRejected.inc()
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, req.socket))
  })

  const onConnection = (ws: WebSocket, socket: net.Socket): void => {
    const remoteAddress = socket.remoteAddress ?? '?'
    const { tls, peerCertificate } = connectionTls(socket, opts.tls)
    const transport = wsTransport(ws)
    const auth = authenticator.open({ remoteAddress, tls, peerCertificate, close: (reason) => transport.close(CloseCode.POLICY_VIOLATION, reason) })
    if (!auth) {
      transport.close(CloseCode.TRY_AGAIN_LATER, 'too many unauthenticated connections from this address')
      return
    }
    const connectionId = nextConnectionId++
    sockets.add(ws)
    metrics.connections.set(sockets.size)
    const saslHandshake: RequestHandler = (body) => auth.handshake(body)
    const saslAuthenticate: RequestHandler = (body) => auth.authenticate(body)
    const abort = new AbortController()
    let inFlight = 0
    let badFrames = 0
    const reply = (correlationId: number, errorCode: number, body: unknown): void => {
      let frame: Uint8Array
      try {
        frame = encodeResponse(correlationId, errorCode, body ?? {})
      } catch (err) {
        logger.error({ err }, 'response could not be encoded')
        frame = encodeResponse(correlationId, ErrorCode.UNKNOWN_SERVER_ERROR, { errorMessage: 'response could not be encoded' })
      }
      metrics.bytesOut.inc(frame.byteLength)
      transport.send(frame)
    }
    const badFrame = (message: string): void => {
      if (++badFrames <= BAD_FRAME_LOGS_PER_CONNECTION_MAX) logger.debug({ connectionId, remoteAddress, message }, 'bad frame')
    }
    transport.onFrame = (frame) => {
      metrics.bytesIn.inc(frame.byteLength)
      const decoded = decodeRequest(frame, opts.frameBytesMax)
      if (!decoded.ok) {
        badFrame(decoded.message)
        metrics.requests.inc({ api: 'invalid', error: errorName(decoded.code) })
        if (decoded.correlationId !== undefined) reply(decoded.correlationId, decoded.code, { errorMessage: decoded.message })
        else transport.close(CloseCode.PROTOCOL_ERROR, decoded.message)
        return
      }
      const { apiKey, apiVersion, correlationId, body } = decoded.value
      const api = apiName(apiKey)
      const entry = handlers.entry(apiKey)
      const handler = apiKey === ApiKey.SaslHandshake ? saslHandshake : apiKey === ApiKey.SaslAuthenticate ? saslAuthenticate : entry?.handler
      if (!handler || !isSupported(apiKey, apiVersion)) {
        badFrame(`unsupported ${api} v${apiVersion}`)
        metrics.requests.inc({ api: handler ? api : 'unknown', error: 'UNSUPPORTED_VERSION' })
        reply(correlationId, ErrorCode.UNSUPPORTED_VERSION, { errorMessage: `${api} v${apiVersion} is not supported` })
        return
      }
      if (inFlight >= opts.inFlightPerConnectionMax) {
        metrics.requests.inc({ api, error: 'TOO_MANY_IN_FLIGHT' })
        reply(correlationId, ErrorCode.TOO_MANY_IN_FLIGHT, { errorMessage: `more than ${opts.inFlightPerConnectionMax} requests in flight` })
        return
      }
      const refused = auth.admit(apiKey)
      if (refused) {
        metrics.requests.inc({ api, error: errorName(refused.errorCode) })
        reply(correlationId, refused.errorCode, { errorMessage: refused.errorMessage })
        return
      }
      if (entry?.clusterInternal && !auth.clusterAccess && (entry.clusterInternal === true || !auth.session.authenticated)) {
        auth.denied(api)
        metrics.requests.inc({ api, error: 'CLUSTER_AUTHORIZATION_FAILED' })
        // Raft too, though it is one-way: brokers never get here, and whoever does should hear why.
        reply(correlationId, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, { errorMessage: `${api} is served only to brokers of this cluster` })
        return
      }
      inFlight++
      const ctx: RequestContext = {
        connectionId, remoteAddress, apiKey, apiVersion, correlationId, listener: opts.listener ?? null, signal: abort.signal,
        tls, peerCertificate, session: auth.session, clusterAccess: auth.clusterAccess,
      }
      const started = process.hrtime.bigint()
      const finish = (result: HandlerResult): void => {
        inFlight--
        metrics.observeRequest(api, Number(process.hrtime.bigint() - started) / 1e6, ctx.parkedMs ?? 0)
        metrics.requests.inc({ api, error: errorName(result?.errorCode ?? 0) })
        if (result?.errorCode === ErrorCode.CLUSTER_AUTHORIZATION_FAILED) auth.denied(api)
        if (result !== undefined && !abort.signal.aborted) reply(correlationId, result.errorCode, result.body)
      }
      const fail = (err: unknown): void => {
        logger.error({ err, api, connectionId }, 'handler threw')
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
    transport.onClose = () => {
      auth.closed()
      abort.abort()
      sockets.delete(ws)
      metrics.connections.set(sockets.size)
    }
  }

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject)
    httpServer.listen(opts.port, opts.host, () => {
      httpServer.off('error', reject)
      resolve()
    })
  })
  const port = (httpServer.address() as AddressInfo).port
  if (initialTls) logger.info({ certificate: certificateSummary(initialTls.cert), clientAuth }, 'the port speaks TLS')

  const reloadTls = (): TlsReload => {
    if (!opts.tls) return { ok: false, error: NOT_TLS }
    try {
      const material = opts.tls.load()
      ;(httpServer as https.Server).setSecureContext(checkedContext(material, opts.tls.clientAuth))
      const cert = certificateSummary(material.cert)
      logger.info({ certificate: cert }, 'TLS certificate reloaded')
      return { ok: true, fingerprint256: cert.fingerprint256, serialNumber: cert.serialNumber }
    } catch (err) {
      const error = (err as Error).message
      logger.error({ error }, 'TLS certificate reload failed: still serving the previous certificate')
      return { ok: false, error }
    }
  }

  return {
    port,
    connectionCount: () => sockets.size,
    reloadTls,
    async close() {
      for (const ws of sockets) ws.close(CloseCode.GOING_AWAY, 'broker shutting down')
      await new Promise<void>((resolve) => {
        wss.close(() => resolve())
      })
      const force = setTimeout(() => { for (const ws of sockets) ws.terminate() }, 1000)
      plaintextOnTls?.destroyPending()
      await new Promise<void>((resolve) => httpServer.close(() => resolve()))
      clearTimeout(force)
      httpServer.closeAllConnections?.()
    },
  }
}
