/** Browser builds map transport-node.js here: the native WebSocket is used instead, and TLS is the browser's own. */
import type { Connector } from '@tributary/protocol'
import { browserConnector } from './transport-browser.js'

export const nodeConnector: Connector = browserConnector
export const createNodeConnector = (): Connector => browserConnector
