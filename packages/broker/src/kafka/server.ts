/**
 * The Kafka listener: a TCP server speaking Kafka's binary protocol in front of
 * the same Handlers registry as the WebSocket listener. Each frame is decoded
 * from the schema table, translated to our request shape, handled with a
 * RequestContext on listener `kafka` (so Metadata lists Kafka addresses), and
 * the answer translated back.
 *
 * Per connection, responses leave in request order (Kafka clients match them by
 * order as well as correlation id); acks=0 produce gets none. Reading pauses
 * while `inFlightPerConnectionMax` requests wait, rather than failing them: Kafka
 * clients have no "too many in flight" error. A frame that cannot be split or
 * decoded closes the connection with a (rate-limited) log line; an API or
 * version we do not serve gets UNSUPPORTED_VERSION. Nothing a client sends can
 * throw out of here.
 *
 * Security is the WebSocket listener's: each connection has a ConnectionAuth
 * from the node's Authenticator (SaslHandshake v1 + SaslAuthenticate, or v0 and
 * bare token frames, with the node's mechanisms; with --sasl-mechanisms nothing but ApiVersions and the
 * handshake is served before it succeeds), the session it yields is every
 * request's identity, and the handlers are the guarded ones, so ACLs apply
 * identically. With `tls` the port speaks TLS with the node's certificate
 * (Kafka's SSL / SASL_SSL), client certificates included.
 */
import net from 'node:net'
import tls from 'node:tls'
import type { Logger } from 'pino'
import {
  decodeKafkaRequest, encodeKafkaErrorResponse, encodeKafkaResponse, encodeKafkaResponsePieces, errorName, ErrorCode, FrameSplitter, KAFKA_APIS, KafkaApiKey,
  type KafkaObject, type KafkaRequestHeader,
} from '@tributary/protocol'
import type { Handlers } from '../net/handler-registry.js'
import type { BrokerMetrics } from '../metrics.js'
import type { HandlerResult, RequestContext, RequestHandler } from '../seams.js'
import type { Authenticator } from '../security/authenticator.js'
import type { ConnectionAuth } from '../security/connection-auth.js'
import { certificateSummary, checkedContext, connectionTls, refusedClientCertificate, type ServerTls } from '../net/tls.js'
import { NOT_TLS, type TlsReload } from '../net/server.js'
import { KAFKA_LISTENER } from './endpoint.js'
import { LogLimiter } from './log-limiter.js'
import { OrderedResponses, type ResponseFrame } from './ordered-responses.js'
import { TRANSLATIONS } from './translate.js'

export interface KafkaServerOptions {
  host: string
  port: number
  maxConnections: number
  inFlightPerConnectionMax: number
  frameBytesMax: number
  handlers: Handlers
  metrics: BrokerMetrics
  logger: Logger
  /** The node's: mechanisms, whether SASL is required, who may call cluster-internal APIs. */
  authenticator: Authenticator
  /** Set: the port speaks TLS with the node's certificate (--kafka-tls). */
  tls?: ServerTls
}

export interface KafkaServer {
  readonly port: number
  connectionCount(): number
  /** Swap in the certificate files' current contents for new connections (SIGHUP). */
  reloadTls(): TlsReload
  close(): Promise<void>
}

/** After a failed authentication's answer is written, the socket is ended; this long later it is destroyed whatever the peer does. */
const CLOSE_GRACE_MS = 1000

/** Bad-frame log lines per minute for the whole listener, so a fuzzer cannot flood the log. */
const BAD_FRAME_LOGS_PER_MINUTE = 10
const LOG_WINDOW_MS = 60_000

/** The versions ApiVersions advertises: every API with a schema and a translation (and ApiVersions itself). */
export function advertisedApis(): Array<{ apiKey: number; minVersion: number; maxVersion: number }> {
  return [...KAFKA_APIS.values()]
    .filter((a) => a.apiKey === KafkaApiKey.ApiVersions || TRANSLATIONS.has(a.apiKey))
    .map((a) => ({ apiKey: a.apiKey, minVersion: a.request.versions.min, maxVersion: a.request.versions.max }))
}

export async function startKafkaServer(opts: KafkaServerOptions): Promise<KafkaServer> {
  const { logger } = opts
  const sockets = new Set<net.Socket>()
  const badFrameLog = new LogLimiter(BAD_FRAME_LOGS_PER_MINUTE, LOG_WINDOW_MS)
  let nextConnectionId = 1
  const onSocket = (socket: net.Socket): void => {
    socket.on('error', () => {})
    if (sockets.size >= opts.maxConnections) {
      opts.metrics.connectionsRejected.inc()
      socket.destroy()
      return
    }
    if (socket instanceof tls.TLSSocket && opts.tls) {
      const refused = refusedClientCertificate(socket, opts.tls.clientAuth)
      if (refused !== undefined) {
        opts.metrics.tlsHandshakeFailures.inc({ reason: 'client-certificate' })
        socket.destroy()
        return
      }
    }
    // As Kafka's brokers (and ws on the WebSocket port): a small answer, or a response's last segment, leaves at once
    // instead of waiting for the client to acknowledge what went before (Nagle).
    socket.setNoDelay(true)
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    serveConnection(socket, nextConnectionId++, opts, badFrameLog)
  }
  const server = opts.tls ? tls.createServer(checkedContext(opts.tls.load(), opts.tls.clientAuth), onSocket) : net.createServer(onSocket)
  if (server instanceof tls.Server) {
    server.on('tlsClientError', () => opts.metrics.tlsHandshakeFailures.inc({ reason: 'handshake' }))
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as net.AddressInfo).port
  logger.debug({ port }, 'kafka listener bound')
  return {
    port,
    connectionCount: () => sockets.size,
    reloadTls: () => {
      if (!opts.tls || !(server instanceof tls.Server)) return { ok: false, error: NOT_TLS }
      try {
        const material = opts.tls.load()
        server.setSecureContext(checkedContext(material, opts.tls.clientAuth))
        const cert = certificateSummary(material.cert)
        return { ok: true, fingerprint256: cert.fingerprint256, serialNumber: cert.serialNumber }
      } catch (err) {
        return { ok: false, error: (err as Error).message }
      }
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const s of sockets) s.destroy()
      await closed
    },
  }
}

function serveConnection(socket: net.Socket, connectionId: number, opts: KafkaServerOptions, badFrameLog: LogLimiter): void {
  const { metrics, logger } = opts
  const remoteAddress = socket.remoteAddress ?? '?'
  const { tls: secure, peerCertificate } = connectionTls(socket, opts.tls)
  const auth = opts.authenticator.open({
    remoteAddress, tls: secure, peerCertificate,
    close: () => {
      socket.end()
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref()
    },
  })
  if (!auth) {
    socket.destroy() // too many unauthenticated connections from this address
    return
  }
  const splitter = new FrameSplitter(opts.frameBytesMax)
  const abort = new AbortController()
  // After SaslHandshake v0 (KIP-43) the mechanism's tokens come as bare size-prefixed frames, answered the same way.
  let rawSaslTokens = false
  const responses = new OrderedResponses(socket, opts.inFlightPerConnectionMax, (bytes) => metrics.bytesOut.inc(bytes))
  const badFrame = (message: string, header: KafkaRequestHeader | null): void => {
    badFrameLog.log((dropped) => logger.warn({ connectionId, remoteAddress, clientId: header?.clientId, message, ...(dropped ? { droppedLogLines: dropped } : {}) }, 'kafka listener: bad frame, closing the connection'))
    metrics.requests.inc({ api: 'kafka:invalid', error: 'INVALID_REQUEST' })
    abort.abort()
    socket.destroy()
  }

  socket.on('data', (chunk: Buffer) => {
    metrics.bytesIn.inc(chunk.byteLength)
    const split = splitter.push(chunk)
    if (!split.ok) return badFrame(split.message, null)
    for (const frame of split.value) {
      if (socket.destroyed) return
      const answer = responses.take()
      if (rawSaslTokens) {
        void rawSaslStep(auth, frame).then((bytes) => {
          rawSaslTokens = auth.exchanging
          answer(bytes)
        })
        continue
      }
      const decoded = decodeKafkaRequest(frame)
      if (!decoded.ok) {
        if (decoded.code !== ErrorCode.UNSUPPORTED_VERSION) return badFrame(decoded.message, decoded.header)
        metrics.requests.inc({ api: 'kafka:unsupported', error: 'UNSUPPORTED_VERSION' })
        answer(unsupported(decoded.header, decoded.correlationId))
        continue
      }
      const ctx: RequestContext = {
        connectionId, remoteAddress, apiKey: decoded.header.apiKey, apiVersion: decoded.header.apiVersion,
        correlationId: decoded.header.correlationId, listener: KAFKA_LISTENER, signal: abort.signal,
        tls: secure, peerCertificate, session: auth.session, clusterAccess: auth.clusterAccess,
      }
      const handled = handle(decoded.header, decoded.body, ctx, opts, auth)
      if (decoded.header.apiKey === KafkaApiKey.SaslHandshake && decoded.header.apiVersion === 0) {
        void handled.then((bytes) => {
          rawSaslTokens = auth.exchanging
          answer(bytes)
        })
      } else {
        void handled.then(answer)
      }
    }
    responses.pauseIfFull()
  })
  socket.on('close', () => {
    auth.closed()
    abort.abort()
  })
}

/** One bare SASL token frame (after SaslHandshake v0, KIP-43): the mechanism's answer, size-prefixed the same way. */
async function rawSaslStep(auth: ConnectionAuth, token: Uint8Array): Promise<Uint8Array | null> {
  const r = await auth.authenticate({ authBytes: token })
  // A failure has no answer in this framing: the connection closes (ConnectionAuth does it).
  if (!r || r.errorCode !== ErrorCode.NONE) return null
  const bytes = (r.body as { authBytes: Uint8Array }).authBytes
  const out = new Uint8Array(4 + bytes.byteLength)
  new DataView(out.buffer).setInt32(0, bytes.byteLength)
  out.set(bytes, 4)
  return out
}

/** An API or version we do not serve: ApiVersions answers in v0 with our versions (KIP-511's fallback); others get the error code. */
function unsupported(header: KafkaRequestHeader | null, correlationId: number): Uint8Array {
  if (header?.apiKey === KafkaApiKey.ApiVersions) {
    return encodeKafkaResponse(KafkaApiKey.ApiVersions, 0, correlationId, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: advertisedApis() })
  }
  return encodeKafkaErrorResponse(correlationId, ErrorCode.UNSUPPORTED_VERSION)
}

/** One decoded request → its response frame, or null for none (acks=0). Never rejects. */
async function handle(header: KafkaRequestHeader, body: KafkaObject, ctx: RequestContext, opts: KafkaServerOptions, auth: ConnectionAuth): Promise<ResponseFrame | null> {
  const { apiKey, apiVersion, correlationId } = header
  const name = `kafka:${KAFKA_APIS.get(apiKey)?.name ?? apiKey}`
  if (apiKey === KafkaApiKey.ApiVersions) {
    opts.metrics.requests.inc({ api: name, error: 'NONE' })
    return encodeKafkaResponse(apiKey, apiVersion, correlationId, { errorCode: ErrorCode.NONE, apiKeys: advertisedApis() })
  }
  const t = TRANSLATIONS.get(apiKey)!
  const handler = t.call ? undefined : handlerFor(t.apiKey, opts, auth)
  let result: HandlerResult
  try {
    const refused = auth.admit(t.apiKey)
    if (refused) result = { errorCode: refused.errorCode, body: { errorMessage: refused.errorMessage } }
    else if (t.call) result = await t.call(body, apiVersion, (key, ours) => invoke(handlerFor(key, opts, auth), key, ours, ctx))
    else result = await invoke(handler, t.apiKey, t.request(body, apiVersion, header.clientId), ctx)
  } catch (err) {
    opts.logger.error({ err, api: name, connectionId: ctx.connectionId }, 'kafka listener: handler threw')
    result = { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, body: { errorMessage: `${name} failed: ${(err as Error)?.message ?? String(err)}` } }
  }
  opts.metrics.requests.inc({ api: name, error: errorName(result?.errorCode ?? 0) })
  if (result === undefined) return null // acks=0 produce
  const message = ((result.body as { errorMessage?: string } | null)?.errorMessage ?? null)
  try {
    const out = result.errorCode === ErrorCode.NONE ? t.response(result.body, result.errorCode, null, apiVersion) : t.error(body, result.errorCode, message, apiVersion, result.body)
    return encodeKafkaResponsePieces(apiKey, apiVersion, correlationId, out)
  } catch (err) {
    opts.logger.error({ err, api: name }, 'kafka listener: response could not be encoded')
    return encodeKafkaResponse(apiKey, apiVersion, correlationId, t.error(body, ErrorCode.UNKNOWN_SERVER_ERROR, 'response could not be encoded', apiVersion, null))
  }
}

/** The SASL APIs are the connection's own (its ConnectionAuth); the others are the node's guarded handlers. */
function handlerFor(apiKey: number, opts: KafkaServerOptions, auth: ConnectionAuth): RequestHandler | undefined {
  if (apiKey === KafkaApiKey.SaslHandshake) return (body) => auth.handshake(body)
  if (apiKey === KafkaApiKey.SaslAuthenticate) return (body) => auth.authenticate(body)
  return opts.handlers.get(apiKey)
}

async function invoke(handler: RequestHandler | undefined, apiKey: number, body: unknown, ctx: RequestContext): Promise<HandlerResult> {
  if (!handler) throw new Error(`no handler for API ${apiKey}`)
  return handler(body, ctx)
}
