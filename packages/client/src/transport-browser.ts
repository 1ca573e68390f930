/**
 * A Transport over a WebSocket with the WHATWG API: the browser's native
 * WebSocket, and (through transport-node.ts) the `ws` package, which offers the
 * same surface. No Node module is imported here, so browser bundles stay clean.
 */
import { ErrorCode, explainConnectFailure, TributaryError, type Connector, type Transport } from '@tributary/protocol'

/** The part of the WebSocket API we use; both the DOM's and `ws`'s satisfy it. */
export interface WebSocketLike {
  binaryType: string
  readonly bufferedAmount: number
  readonly readyState: number
  send(data: Uint8Array): void
  close(code?: number, reason?: string): void
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (ev: any) => void): void
}

const OPEN = 1
export const CONNECT_TIMEOUT_MS_DEFAULT = 10_000

/** Browsers accept only 1000 and 3000-4999 from script; other codes become 4000 + code % 1000. */
function scriptCloseCode(code: number): number {
  return code === 1000 || (code >= 3000 && code <= 4999) ? code : 4000 + (code % 1000)
}

export function webSocketTransport(ws: WebSocketLike): Transport {
  let closed = false
  const t: Transport = {
    send(frame) {
      if (closed || ws.readyState !== OPEN) return
      ws.send(frame)
    },
    close(code = 1000, reason = '') {
      if (closed) return
      try {
        ws.close(scriptCloseCode(code), reason.slice(0, 120))
      } catch {
        ws.close()
      }
      finish(code, reason)
    },
    bufferedAmount: () => ws.bufferedAmount,
    onFrame: () => {},
    onClose: () => {},
  }
  const finish = (code: number, reason: string): void => {
    if (closed) return
    closed = true
    t.onClose(code, reason)
  }
  ws.addEventListener('message', (ev: { data: unknown }) => {
    const data = ev.data
    if (data instanceof ArrayBuffer) t.onFrame(new Uint8Array(data))
    else if (data instanceof Uint8Array) t.onFrame(data)
    else t.close(1003, 'text frames are not part of the protocol')
  })
  ws.addEventListener('close', (ev: { code?: number; reason?: string }) => finish(ev.code ?? 1006, ev.reason ?? ''))
  ws.addEventListener('error', (ev: { message?: string }) => finish(1006, ev.message ?? 'socket error'))
  return t
}

/** Wait for `open` (or fail with NETWORK_EXCEPTION naming the URL), then wrap the socket. */
export function openWebSocket(url: string, create: () => WebSocketLike, binaryType: string, connectTimeoutMs = CONNECT_TIMEOUT_MS_DEFAULT): Promise<Transport> {
  return new Promise((resolve, reject) => {
    let ws: WebSocketLike
    try {
      ws = create()
    } catch (err) {
      reject(new TributaryError(ErrorCode.NETWORK_EXCEPTION, `cannot connect to ${url}: ${(err as Error).message}`))
      return
    }
    ws.binaryType = binaryType
    let settled = false
    const fail = (why: string): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      try {
        ws.close()
      } catch {
        // never opened
      }
      reject(new TributaryError(ErrorCode.NETWORK_EXCEPTION, `cannot connect to ${url}: ${why}`))
    }
    const timer = setTimeout(() => fail(`no connection within ${connectTimeoutMs} ms`), connectTimeoutMs)
    ws.addEventListener('error', (ev: { message?: string; error?: { code?: string; message?: string } }) =>
      fail(explainConnectFailure(url, { code: ev.error?.code, message: ev.error?.message ?? ev.message })))
    ws.addEventListener('close', (ev: { code?: number; reason?: string }) => fail(`closed during handshake (${ev.code ?? 1006}${ev.reason ? ` ${ev.reason}` : ''})`))
    ws.addEventListener('open', () => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(webSocketTransport(ws))
    })
  })
}

/** The browser's native WebSocket. */
export const browserConnector: Connector = (url, opts) =>
  openWebSocket(url, () => new WebSocket(url) as unknown as WebSocketLike, 'arraybuffer', opts?.connectTimeoutMs)
