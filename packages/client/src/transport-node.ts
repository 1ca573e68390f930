/**
 * Node's transport, on the `ws` package. Only loaded by a dynamic import in
 * transport.ts, and replaced by transport-node-stub.ts in browser bundles
 * (package.json "browser" field), so `ws` never reaches a browser build.
 */
import { FRAME_BYTES_MAX_DEFAULT, type Connector } from '@tributary/protocol'
import WebSocket from 'ws'
import { openWebSocket, type WebSocketLike } from './transport-browser.js'

const zeroMask = (mask: Buffer): void => {
  mask.fill(0)
}

export const nodeConnector: Connector = (url, opts) =>
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
      }) as unknown as WebSocketLike,
    'nodebuffer',
    opts?.connectTimeoutMs,
  )
