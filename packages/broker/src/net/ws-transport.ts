/**
 * The Transport seam over Node's `ws`: one binary frame per message. Text frames
 * are a protocol violation (close 1003); everything else is the RPC layer's job.
 */
import WebSocket from 'ws'
import type { Connector, Transport } from '@tributary/protocol'

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

export interface WsConnectorOptions {
  /** Largest frame this side accepts (bytes). */
  maxPayload?: number
}

/** Opens a client WebSocket; rejects with the socket error when it cannot connect. */
export function wsConnector(defaults: WsConnectorOptions = {}): Connector {
  return (url, opts = {}) =>
    new Promise<Transport>((resolve, reject) => {
      const ws = new WebSocket(url, { maxPayload: defaults.maxPayload, perMessageDeflate: false, handshakeTimeout: opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS_DEFAULT })
      const onError = (err: Error) => {
        ws.removeAllListeners()
        ws.on('error', () => {})
        ws.terminate()
        reject(err)
      }
      ws.once('error', onError)
      ws.once('unexpected-response', (_req, res) => onError(new Error(`HTTP ${res.statusCode} on upgrade`)))
      ws.once('open', () => {
        ws.off('error', onError)
        resolve(wsTransport(ws))
      })
    })
}
