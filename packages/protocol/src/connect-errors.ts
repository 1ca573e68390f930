/**
 * Why a WebSocket could not open, in words a user can act on. Node's `ws` and
 * TLS stack report causes as codes (ECONNREFUSED, ERR_SSL_WRONG_VERSION_NUMBER,
 * UNABLE_TO_VERIFY_LEAF_SIGNATURE, ...); the scheme mismatches are the ones that
 * otherwise read as a mystery, so they are named outright:
 *
 * - ws:// to a TLS port: a broker answers 426 Upgrade Required (RFC 2817);
 *   anything else speaking TLS drops the connection during the upgrade.
 * - wss:// to a plain port: the "TLS" reply is an HTTP 400, which the TLS stack
 *   reads as a record with a wrong version number.
 */

/** What the socket layer said (any may be missing). */
export interface ConnectFailure {
  /** Node/OpenSSL error code, e.g. ECONNRESET, ERR_SSL_WRONG_VERSION_NUMBER */
  code?: string
  message?: string
  /** HTTP status of a refused upgrade */
  status?: number
}

export const TLS_PORT_MESSAGE = 'the port speaks TLS: use wss://'
export const PLAIN_PORT_MESSAGE = 'the port does not speak TLS: use ws://'

const UNTRUSTED_CERT_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE', 'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_REVOKED', 'INVALID_CA',
])

/** Alerts a server sends when it refuses the client's certificate (or the lack of one). */
const CLIENT_CERT_ALERTS = new Set([
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED', 'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN', 'ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR',
])

/** A sentence for `cannot connect to <url>: <this>`. */
export function explainConnectFailure(url: string, f: ConnectFailure): string {
  const secure = url.startsWith('wss:')
  const code = f.code ?? ''
  // A browser's WebSocket error event carries no cause at all (its console does).
  if (!code && !f.message && f.status === undefined) {
    return secure
      ? 'connection failed (a browser does not say why: an untrusted certificate, a port without TLS, or an unreachable broker; its console shows which)'
      : 'connection failed (a browser does not say why: a port that speaks TLS (use wss://) or an unreachable broker; its console shows which)'
  }
  const said = f.message || code
  // `ws` reports a refused upgrade only in its message.
  const status = f.status ?? Number(/Unexpected server response: (\d{3})/.exec(said)?.[1] ?? NaN)
  f = { ...f, status: Number.isNaN(status) ? undefined : status }
  if (f.status === 426 && !secure) return TLS_PORT_MESSAGE
  if (secure && (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' || /wrong version number|packet length too long/i.test(said))) {
    return PLAIN_PORT_MESSAGE
  }
  if (!secure && (code === 'ECONNRESET' || /socket hang up/i.test(said))) {
    return `the connection was closed during the WebSocket upgrade (${code || said}); if the port speaks TLS, use wss://`
  }
  if (secure && (code === 'ECONNRESET' || /socket hang up/i.test(said))) {
    // A broker that verifies client certificates in Node drops a connection whose certificate is not from its CA.
    return `the connection was closed during the TLS handshake or upgrade (${code || said}); a broker that requires client certificates does that when the certificate is not signed by its CA (tls.cert + tls.key, --tls-cert/--tls-key)`
  }
  if (UNTRUSTED_CERT_CODES.has(code)) return `untrusted certificate (${code}: ${said}); trust the broker's CA (tls.ca, --tls-ca)`
  if (CLIENT_CERT_ALERTS.has(code)) {
    return `the broker refused this client's certificate (${code}); it requires a client certificate signed by its CA (tls.cert + tls.key, --tls-cert/--tls-key)`
  }
  if (f.status !== undefined) return `HTTP ${f.status} on upgrade`
  return code || said
}
