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

let nodeConnectorPromise: Promise<Connector> | undefined

export function defaultConnector(): Promise<Connector> {
  if (typeof globalThis.WebSocket === 'function' && !isNode()) return Promise.resolve(browserConnector)
  nodeConnectorPromise ??= import('./transport-node.js').then((m) => m.nodeConnector)
  return nodeConnectorPromise
}
