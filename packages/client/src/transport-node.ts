/**
 * Node's transport, on the `ws` package. Only loaded by a dynamic import in
 * transport.ts, and replaced by transport-node-stub.ts in browser bundles
 * (package.json "browser" field), so `ws` never reaches a browser build.
 */
import { FRAME_BYTES_MAX_DEFAULT, type Connector } from '@tributary/protocol'
import WebSocket from 'ws'
import { openWebSocket, type WebSocketLike } from './transport-browser.js'
import type { TlsOptions } from './transport.js'

const zeroMask = (mask: Buffer): void => {
  mask.fill(0)
}

const pem = (v: string | Uint8Array): string | Buffer => (typeof v === 'string' ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength))

/** TlsOptions in the shapes Node's tls.connect takes. */
function nodeTls(tls: TlsOptions) {
  return {
    ca: tls.ca === undefined ? undefined : Array.isArray(tls.ca) ? tls.ca.map(pem) : pem(tls.ca),
    cert: tls.cert === undefined ? undefined : pem(tls.cert),
    key: tls.key === undefined ? undefined : pem(tls.key),
    passphrase: tls.passphrase,
    rejectUnauthorized: tls.rejectUnauthorized ?? true,
    servername: tls.servername,
  }
}

/** A connector whose wss:// connections trust `tls.ca` and present `tls.cert`/`tls.key` (mTLS). */
export function createNodeConnector(tls: TlsOptions = {}): Connector {
  const secure = nodeTls(tls)
  return (url, opts) =>
    openWebSocket(
      url,
      () =>
        new WebSocket(url, {
          perMessageDeflate: false, // batches are already compact; deflate would cost CPU on both ends
          // RFC 6455 masking guards browser-driven traffic against poisoning proxy caches; a Node
          // client talking to a broker has no such proxy, and a zero mask lets ws skip XOR-ing
          // every payload byte (the top client-side cost in `bench cluster` profiles).
          generateMask: zeroMask,
          maxPayload: FRAME_BYTES_MAX_DEFAULT,
          handshakeTimeout: opts?.connectTimeoutMs,
          ...(url.startsWith('wss:') ? secure : {}),
        }) as unknown as WebSocketLike,
      'nodebuffer',
      opts?.connectTimeoutMs,
    )
}

export const nodeConnector: Connector = createNodeConnector()
