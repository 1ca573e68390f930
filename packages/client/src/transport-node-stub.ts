/** Browser builds map transport-node.js here: the native WebSocket is used instead. */
import type { Connector } from '@tributary/protocol'
import { browserConnector } from './transport-browser.js'

export const nodeConnector: Connector = browserConnector
