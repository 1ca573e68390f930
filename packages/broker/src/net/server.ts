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
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { WebSocketServer, type WebSocket } from 'ws'
import type { Logger } from 'pino'
import { ApiKey } from '@tributary/protocol'
import type { Handlers } from './handler-registry.js'
import type { BrokerMetrics } from '../metrics.js'
import { systemClock } from '../seams.js'
import { openAuthenticator, type Authenticator } from '../security/authenticator.js'
import { CloseCode, serveConnection, type ConnectionDeps } from './connection.js'
import { consoleFiles } from './console-files.js'
import { certificateSummary, checkedContext, refusedClientCertificate, answerPlaintextOnTlsPort, handshakeFailureLogger, type ServerTls } from './tls.js'

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

export { CloseCode } from './connection.js'

/** The APIs the server itself answers (per-connection state), listed in ApiVersions beside the registered ones. */
export const SERVER_API_KEYS: readonly number[] = [ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]

export async function startServer(opts: ServerOptions): Promise<NodeServer> {
  const { metrics, logger } = opts
  const authenticator = opts.authenticator ?? openAuthenticator(systemClock, metrics, logger)
  const sockets = new Set<WebSocket>()
  let nextConnectionId = 1

  const serveHttp = httpPaths(opts)
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
  countTlsFailures(httpServer, clientAuth, opts)

  const connectionDeps: ConnectionDeps = {
    handlers: opts.handlers, metrics, logger, authenticator, listener: opts.listener ?? null, tls: opts.tls,
    inFlightPerConnectionMax: opts.inFlightPerConnectionMax, frameBytesMax: opts.frameBytesMax,
  }
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.frameBytesMax, perMessageDeflate: false })
  httpServer.on('upgrade', (req, socket, head) => {
    socket.on('error', () => {})
    if (sockets.size >= opts.maxConnections) {
      metrics.connectionsRejected.inc()
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const closed = () => {
        sockets.delete(ws)
        metrics.connections.set(sockets.size)
      }
      if (!serveConnection(ws, req.socket, nextConnectionId, connectionDeps, closed)) return
      nextConnectionId++
      sockets.add(ws)
      metrics.connections.set(sockets.size)
    })
  })

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject)
    httpServer.listen(opts.port, opts.host, () => {
      httpServer.off('error', reject)
      resolve()
    })
  })
  const port = (httpServer.address() as AddressInfo).port
  if (initialTls) logger.info({ certificate: certificateSummary(initialTls.cert), clientAuth }, 'the port speaks TLS')

  const reloadTls = (): TlsReload => reloadCertificate(httpServer, opts)

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

/** /healthz, /readyz, /metrics and the console's files; everything else 404. */
function httpPaths(opts: ServerOptions): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> {
  const { metrics } = opts
  const webConsole = opts.consoleDir ? consoleFiles(opts.consoleDir) : undefined
  return async (req, res) => {
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
}

/** Count and log (rate-limited) the TLS handshakes the port refuses: a client certificate that does not verify, or none where one is required. */
function countTlsFailures(httpServer: http.Server | https.Server, clientAuth: ServerTls['clientAuth'], opts: Pick<ServerOptions, 'metrics' | 'logger'>): void {
  const { metrics } = opts
  const logRefused = handshakeFailureLogger(opts.logger, () => performance.now())
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
}

/** Serve new connections the certificate files' current contents; a bad file keeps the one being served. Never throws. */
function reloadCertificate(httpServer: http.Server | https.Server, opts: Pick<ServerOptions, 'tls' | 'logger'>): TlsReload {
  if (!opts.tls) return { ok: false, error: NOT_TLS }
  try {
    const material = opts.tls.load()
    ;(httpServer as https.Server).setSecureContext(checkedContext(material, opts.tls.clientAuth))
    const cert = certificateSummary(material.cert)
    opts.logger.info({ certificate: cert }, 'TLS certificate reloaded')
    return { ok: true, fingerprint256: cert.fingerprint256, serialNumber: cert.serialNumber }
  } catch (err) {
    const error = (err as Error).message
    opts.logger.error({ error }, 'TLS certificate reload failed: still serving the previous certificate')
    return { ok: false, error }
  }
}
