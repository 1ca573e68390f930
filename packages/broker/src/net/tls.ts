/**
 * TLS on the node's one port (docs/tls.md): the certificate material, the server's
 * secure context, what a connection's client certificate says, and the first-byte
 * check that answers a plaintext client on a TLS port in words.
 *
 * A client certificate identifies someone only when it verified against --tls-ca.
 * Its RFC 2253 subject is mapped by --tls-principal-mapping to `User:<name>`; a
 * CN of `broker-<id>` signed by the cluster CA names broker <id> of this cluster
 * (the `auth` layer turns either into the connection's Session).
 */
import { readFileSync } from 'node:fs'
import type https from 'node:https'
import type net from 'node:net'
import tls from 'node:tls'
import { X509Certificate } from 'node:crypto'
import type { Logger } from 'pino'
import type { TlsClientAuth } from '../config.js'
import type { PrincipalMapper } from './principal-mapping.js'

/** PEM bytes as read from the configured files. */
export interface TlsMaterial {
  cert: Buffer
  key: Buffer
  ca?: Buffer
}

export interface TlsFiles {
  cert: string
  key: string
  ca?: string | null
}

/** One PEM file; the error names the flag and the file. */
export function readPemFile(flag: string, file: string): Buffer {
  try {
    return readFileSync(file)
  } catch (err) {
    throw new Error(`${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err })
  }
}

/** Read the PEM files now (start-up and every SIGHUP); throws with the file named. */
export function readTlsFiles(files: TlsFiles): TlsMaterial {
  return { cert: readPemFile('--tls-cert', files.cert), key: readPemFile('--tls-key', files.key), ca: files.ca ? readPemFile('--tls-ca', files.ca) : undefined }
}

/** The port's TLS settings, as startServer takes them. */
export interface ServerTls {
  /** Reads the current certificate files (at start and on every reload). */
  load(): TlsMaterial
  clientAuth: TlsClientAuth
  mapper: PrincipalMapper
}

/**
 * Secure-context options. `requested` asks for a certificate without requiring one,
 * so OpenSSL must not reject the unverified; the connection handler does that
 * for a certificate that is presented but does not verify.
 */
export function serverContextOptions(m: TlsMaterial, clientAuth: TlsClientAuth): tls.TlsOptions {
  return {
    cert: m.cert,
    key: m.key,
    ca: m.ca,
    requestCert: clientAuth !== 'none',
    rejectUnauthorized: clientAuth === 'required',
    minVersion: 'TLSv1.2',
  }
}

/** Build (and so validate: key matches cert, PEM parses) a context; throws on bad material. */
export function checkedContext(m: TlsMaterial, clientAuth: TlsClientAuth): tls.TlsOptions {
  const options = serverContextOptions(m, clientAuth)
  tls.createSecureContext(options)
  return options
}

/** SHA-256 fingerprint and serial of the first certificate in a PEM chain (for logs and tests). */
export function certificateSummary(pem: Buffer): { fingerprint256: string; serialNumber: string; subject: string; validTo: string } {
  const x = new X509Certificate(pem)
  return { fingerprint256: x.fingerprint256, serialNumber: x.serialNumber, subject: rfc2253(x.subject), validTo: x.validTo }
}

/** What a verified client certificate says about the connection. */
export interface PeerCertificate {
  /** RFC 2253 subject, most specific first: `CN=alice,OU=eng,O=Acme` */
  subject: string
  /** `User:<mapped name>`; undefined when no --tls-principal-mapping rule matches */
  principal?: string
  /** set when the CN is `broker-<id>` and the certificate chains to --tls-ca */
  brokerId?: number
}

/** How a connection arrived: over TLS or not, and the verified client certificate if any. */
export interface ConnectionTls {
  tls: boolean
  peerCertificate?: PeerCertificate
}

const BROKER_CN = /^broker-([1-9][0-9]{0,9})$/
/** The largest --node-id (config.ts). */
const NODE_ID_MAX = 2 ** 31 - 1

/** Node prints a subject one RDN per line, least specific first, values RFC 2253-escaped. */
export function rfc2253(nodeSubject: string): string {
  return nodeSubject.split('\n').filter(Boolean).reverse().join(',')
}

/**
 * Computed once per connection. Only a certificate that verified against the
 * configured CA counts: with `requested`, an unverified one was refused already.
 */
export function connectionTls(socket: net.Socket, settings: ServerTls | undefined): ConnectionTls {
  if (!settings || !(socket instanceof tls.TLSSocket)) return { tls: false }
  if (!socket.authorized) return { tls: true }
  const x = socket.getPeerX509Certificate()
  if (!x) return { tls: true }
  const subject = rfc2253(x.subject)
  const name = settings.mapper.map(subject)
  const cn = x.subject.split('\n').reverse().find((rdn) => rdn.startsWith('CN='))?.slice(3)
  const brokerMatch = cn === undefined ? null : BROKER_CN.exec(cn)
  const peerCertificate: PeerCertificate = { subject }
  if (name !== undefined) peerCertificate.principal = `User:${name}`
  if (brokerMatch && Number(brokerMatch[1]) <= NODE_ID_MAX) peerCertificate.brokerId = Number(brokerMatch[1])
  return { tls: true, peerCertificate }
}

/** First byte of a TLS handshake record. */
const TLS_HANDSHAKE_RECORD = 0x16
/** A connection that sends nothing is dropped after this long. */
export const FIRST_BYTE_TIMEOUT_MS = 10_000

const TLS_REQUIRED_BODY = 'this port speaks TLS: use wss:// or https://\n'
const TLS_REQUIRED_REPLY =
  'HTTP/1.1 426 Upgrade Required\r\nUpgrade: TLS/1.3, HTTP/1.1\r\nConnection: close\r\nContent-Type: text/plain\r\n' +
  `Content-Length: ${Buffer.byteLength(TLS_REQUIRED_BODY)}\r\n\r\n${TLS_REQUIRED_BODY}`

/**
 * A TLS port peeks at each connection's first byte: a TLS handshake goes on to
 * the https server's own TLS wrapper (which then reads straight from the socket,
 * so nothing is added per byte afterwards); anything else — a ws:// or http://
 * client — gets 426 Upgrade Required (RFC 2817) naming the fix instead of a
 * dropped connection. Returns a way to drop connections still waiting for their
 * first byte (at shutdown).
 */
export function answerPlaintextOnTlsPort(server: https.Server, logger: Logger, onPlaintext: () => void): { destroyPending(): void } {
  const wrappers = server.listeners('connection')
  // tls.Server wraps each socket in its one 'connection' listener; anything else means Node changed under us.
  if (wrappers.length !== 1) throw new Error(`expected one TLS 'connection' listener on the https server, found ${wrappers.length}`)
  const wrapTls = wrappers[0] as (socket: net.Socket) => void
  server.removeAllListeners('connection')
  const pending = new Set<net.Socket>()
  server.on('connection', (socket: net.Socket) => {
    pending.add(socket)
    socket.on('error', () => {})
    socket.setTimeout(FIRST_BYTE_TIMEOUT_MS, () => socket.destroy())
    socket.once('close', () => pending.delete(socket))
    socket.once('data', (chunk: Buffer) => {
      pending.delete(socket)
      socket.pause()
      socket.setTimeout(0)
      if (chunk[0] === TLS_HANDSHAKE_RECORD) {
        socket.unshift(chunk)
        wrapTls.call(server, socket)
        return
      }
      logger.debug({ remoteAddress: socket.remoteAddress }, 'plaintext client on the TLS port: answered 426')
      onPlaintext()
      socket.end(TLS_REQUIRED_REPLY)
    })
  })
  return { destroyPending: () => { for (const s of pending) s.destroy() } }
}

/** One log line per this many ms at most for refused handshakes: a misconfigured peer retries every few seconds, forever. */
export const HANDSHAKE_FAILURE_LOG_INTERVAL_MS = 10_000

/**
 * Logs refused handshakes, at most one line per interval (the metric counts them
 * all): the first refusal of a misconfigured peer or client shows in the log.
 */
export function handshakeFailureLogger(logger: Logger, now: () => number): (remoteAddress: string | undefined, reason: string) => void {
  let lastMs = -Infinity
  let suppressed = 0
  return (remoteAddress, reason) => {
    const t = now()
    if (t - lastMs < HANDSHAKE_FAILURE_LOG_INTERVAL_MS) {
      suppressed++
      return
    }
    lastMs = t
    logger.warn({ remoteAddress, reason, suppressedSinceLast: suppressed }, 'TLS connection refused')
    suppressed = 0
  }
}

/**
 * With `requested`, a certificate that is presented must still verify: refuse the
 * connection (an absent one is fine). Returns the reason when refused.
 */
export function refusedClientCertificate(socket: tls.TLSSocket, clientAuth: TlsClientAuth): string | undefined {
  if (clientAuth !== 'requested' || socket.authorized) return undefined
  const presented = socket.getPeerX509Certificate() !== undefined
  return presented ? String(socket.authorizationError ?? 'certificate did not verify') : undefined
}
