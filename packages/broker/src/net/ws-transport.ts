/**
 * The Transport seam over Node's `ws`: one binary frame per message. Text frames
 * are a protocol violation (close 1003); everything else is the RPC layer's job.
 */
import WebSocket from 'ws'
import { explainConnectFailure, type Connector, type Transport } from '@tributary/protocol'

export const CONNECT_TIMEOUT_MS_DEFAULT = 5000

export function wsTransport(ws: WebSocket): Transport {
  let closed = false
  const t: Transport = {
    send(frame) {
      if (closed || ws.readyState !== WebSocket.OPEN) return
      ws.send(frame, { binary: true })
    },
    close(code = 1000, reason = '') {
      if (ws.readyState === WebSocket.CLOSED || ws.readyState === WebSocket.CLOSING) return
      try {
        ws.close(code, reason.slice(0, 120))
      } catch {
        ws.terminate()
      }
    },
    bufferedAmount: () => ws.bufferedAmount,
    onFrame: () => {},
    onClose: () => {},
  }
  ws.on('message', (data, isBinary) => {
    if (closed) return
    if (!isBinary) {
      t.close(1003, 'binary frames only')
      return
    }
    const frame = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data
    t.onFrame(frame)
  })
  ws.on('close', (code, reason) => {
    if (closed) return
    closed = true
    t.onClose(code, reason.toString())
  })
  ws.on('error', () => {
    // 'close' follows every 'error' in ws; the owner hears about it there.
  })
  return t
}

/** What a wss:// connection trusts and presents (PEM). */
export interface ClientTlsOptions {
  ca?: Buffer
  cert?: Buffer
  key?: Buffer
}

export interface WsConnectorOptions {
  /** Largest frame this side accepts (bytes). */
  maxPayload?: number
  /** For wss:// URLs, read at each connect (certificates rotate). */
  tls?: () => ClientTlsOptions
}

/** Opens a client WebSocket; rejects with the cause in words when it cannot connect. */
export function wsConnector(defaults: WsConnectorOptions = {}): Connector {
  return (url, opts = {}) =>
    new Promise<Transport>((resolve, reject) => {
      const tls = url.startsWith('wss:') ? defaults.tls?.() : undefined
      const ws = new WebSocket(url, { maxPayload: defaults.maxPayload, perMessageDeflate: false, handshakeTimeout: opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS_DEFAULT, ...tls })
      const onError = (err: Error & { code?: string; status?: number }) => {
        ws.removeAllListeners()
        ws.on('error', () => {})
        ws.terminate()
        reject(new Error(explainConnectFailure(url, { code: err.code, message: err.message, status: err.status })))
      }
      ws.once('error', onError)
      ws.once('unexpected-response', (_req, res) => onError(Object.assign(new Error(`HTTP ${res.statusCode} on upgrade`), { status: res.statusCode })))
      ws.once('open', () => {
        ws.off('error', onError)
        resolve(wsTransport(ws))
      })
    })
}
