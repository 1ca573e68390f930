/**
 * Picks the WebSocket implementation at runtime. Node has a global WebSocket
 * only from v22 and it lacks `ws`'s options, so Node always uses `ws`; every
 * other runtime with a native WebSocket (browsers, workers, Deno) uses that.
 */
import type { Connector } from '@tributary/protocol'
import { browserConnector } from './transport-browser.js'

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process
  return typeof p?.versions?.node === 'string'
}

/**
 * TLS for wss:// in Node (the options of Node's tls.connect). In browsers TLS is the
 * browser's own: these are ignored there, and the page's trust store decides.
 */
export interface TlsOptions {
  /** CA certificates (PEM) to trust instead of the system's, e.g. the cluster CA */
  ca?: string | Uint8Array | Array<string | Uint8Array>
  /** client certificate chain (PEM), for brokers that require one (mTLS) */
  cert?: string | Uint8Array
  /** private key (PEM) of `cert` */
  key?: string | Uint8Array
  passphrase?: string
  /** default true: verify the broker's certificate; false only for tests */
  rejectUnauthorized?: boolean
  /** name to verify the broker's certificate against (default: the URL's host) */
  servername?: string
}

let nodeConnectorPromise: Promise<Connector> | undefined

export function defaultConnector(tls?: TlsOptions): Promise<Connector> {
  if (typeof globalThis.WebSocket === 'function' && !isNode()) return Promise.resolve(browserConnector)
  if (tls) return import('./transport-node.js').then((m) => m.createNodeConnector(tls))
  nodeConnectorPromise ??= import('./transport-node.js').then((m) => m.nodeConnector)
  return nodeConnectorPromise
}
