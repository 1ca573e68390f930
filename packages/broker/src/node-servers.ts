/**
 * A node's listening sockets: the primary WebSocket port, each named listener
 * (--listeners) and the Kafka port, all serving the same guarded handlers.
 */
import type { Authenticator } from './security/authenticator.js'
import type { BrokerMetrics } from './metrics.js'
import type { Handlers } from './net/handler-registry.js'
import { NOT_TLS, startServer, type NodeServer, type ServerOptions, type TlsReload } from './net/server.js'
import { formatKafkaEndpoint, KAFKA_LISTENER, splitHostPort } from './kafka/endpoint.js'
import { startKafkaServer, type KafkaServer } from './kafka/server.js'
import { listenAddress, namedListeners } from './config.js'
import type { NodeDeps } from './node.js'

/** The node's listening sockets: the primary port, each named listener, the Kafka port. */
export interface Servers {
  primary: NodeServer
  named: Map<string, NodeServer>
  kafka: KafkaServer | null
  all(): Array<NodeServer | KafkaServer>
}

/** What the servers serve: the guarded handler table, and the node's metrics, authenticator and readiness. */
export interface ServedParts {
  handlers: Handlers
  metrics: BrokerMetrics
  authenticator: Authenticator
  readiness(): { ready: boolean; reason: string }
  /** the registration's named listener addresses: the Kafka listener's joins once its port is bound (the OS may pick it) */
  endpoints: Record<string, string>
}

/**
 * Opens one WebSocket listener: `startServer` binds a real port; the simulation
 * passes one that serves in-memory connections (NodeDeps.serve).
 */
export type ServeFn = (opts: ServerOptions) => Promise<NodeServer>

/** Bind every listener; on a failure close the ones already bound. */
export async function openServers(deps: Pick<NodeDeps, 'config' | 'logger' | 'tls' | 'consoleDir' | 'serve'>, parts: ServedParts): Promise<Servers> {
  const { config, logger } = deps
  const { handlers, metrics, authenticator } = parts
  const startListener = deps.serve ?? startServer
  // A wss:// listener serves TLS with the node's certificate; a ws:// one stays plain.
  const serve = (listen: string, listener: string | null): Promise<NodeServer> =>
    startListener({
      ...listenAddress(listen),
      listener,
      maxConnections: config.maxConnections,
      inFlightPerConnectionMax: config.inFlightPerConnectionMax,
      frameBytesMax: config.frameBytesMax,
      handlers, metrics, logger, authenticator,
      readiness: parts.readiness,
      tls: listen.startsWith('wss:') ? deps.tls : undefined,
      consoleDir: config.console ? deps.consoleDir : null,
    })
  const named = new Map<string, NodeServer>()
  let kafka: KafkaServer | null = null
  try {
    const primary = await serve(config.listen, null)
    for (const l of namedListeners(config)) named.set(l.name, await serve(l.listen, l.name))
    if (config.kafkaListen !== null) {
      // The same Authenticator and guarded handlers as the WebSocket listeners: the Kafka port opens no other door.
      kafka = await startKafkaServer({
        ...splitHostPort(config.kafkaListen)!,
        maxConnections: config.maxConnections,
        inFlightPerConnectionMax: config.inFlightPerConnectionMax,
        frameBytesMax: config.frameBytesMax,
        handlers, metrics, logger: logger.child({ part: 'kafka' }), authenticator,
        tls: config.kafkaTls ? deps.tls : undefined,
      })
      parts.endpoints[KAFKA_LISTENER] = kafkaAdvertised(config.kafkaAdvertise!, kafka.port)
    }
    const bound = kafka
    return { primary, named, kafka, all: () => [primary, ...named.values(), ...(bound ? [bound] : [])] }
  } catch (err) {
    await Promise.all([...named.values(), ...(kafka ? [kafka] : [])].map((s) => s.close()))
    throw err
  }
}

/** Reload every TLS listener; the first failure, else the first success (every listener serves the same certificate). */
export function reloadAllTls(servers: Array<Pick<NodeServer, 'reloadTls'>>): TlsReload {
  const results = servers.map((s) => s.reloadTls()).filter((r) => r.ok || r.error !== NOT_TLS)
  return results.find((r) => !r.ok) ?? results[0] ?? { ok: false, error: NOT_TLS }
}

/** The advertised Kafka address, with the bound port when the configured one is 0 (the OS picked it). */
function kafkaAdvertised(advertise: string, boundPort: number): string {
  const at = splitHostPort(advertise)!
  return at.port === 0 ? formatKafkaEndpoint(at.host, boundPort) : advertise
}

