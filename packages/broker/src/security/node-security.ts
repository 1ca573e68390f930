/**
 * How a node's configuration becomes its authentication: which mechanisms it
 * serves, whether clients must authenticate, whether cluster-internal APIs are
 * reserved to brokers, and the start-up warnings when they are not.
 */
import type { Logger } from 'pino'
import type { BrokerConfig } from '../config.js'
import type { BrokerMetrics } from '../metrics.js'
import type { Clock } from '../seams.js'
import { Authenticator } from './authenticator.js'
import { brokerMechanismProvider } from './broker-mechanism.js'
import type { SaslMechanismProvider } from './sasl.js'

/**
 * Whether brokers have an identity to prove: a cluster secret, or a cluster CA
 * that verifies peer certificates (with --tls-client-auth none nobody presents one).
 */
export function clusterProtected(config: BrokerConfig, hasSecret: boolean): boolean {
  return hasSecret || (config.tlsCa !== null && config.tlsClientAuth !== 'none')
}

/** The providers for config.saslMechanisms, in that order; throws (at start-up, before anything opens) when one is missing. */
export function clientMechanisms(config: BrokerConfig, provided: SaslMechanismProvider[] = []): SaslMechanismProvider[] {
  const byName = new Map(provided.map((m) => [m.name, m]))
  const missing = config.saslMechanisms.filter((name) => !byName.has(name))
  if (missing.length > 0) throw new Error(`--sasl-mechanisms: ${missing.join(', ')} not available in this build`)
  return config.saslMechanisms.map((name) => byName.get(name)!)
}

export interface NodeSecurity {
  config: BrokerConfig
  /** from clientMechanisms */
  mechanisms: SaslMechanismProvider[]
  /** the key derived from the cluster secret (clusterKey), if there is one */
  clusterKey: Uint8Array | undefined
  clock: Clock
  metrics: BrokerMetrics
  logger: Logger
}

/** Client mechanisms plus TRIBUTARY-BROKER when there is a cluster secret. */
export function createAuthenticator(s: NodeSecurity): Authenticator {
  const { config } = s
  const mechanisms = [...s.mechanisms]
  if (s.clusterKey) mechanisms.push(brokerMechanismProvider(s.clusterKey, config.nodeId))
  return new Authenticator({
    mechanisms,
    saslRequired: config.saslMechanisms.length > 0,
    clusterProtected: clusterProtected(config, s.clusterKey !== undefined),
    saslHandshakeTimeoutMs: config.saslHandshakeTimeoutMs,
    failedAuthenticationDelayMs: config.failedAuthenticationDelayMs,
    unauthenticatedConnectionsPerAddressMax: config.unauthenticatedConnectionsPerAddressMax,
    clock: s.clock,
    metrics: s.metrics,
    logger: s.logger,
  })
}

/** One warn line when clients are not authenticated; a second, louder one when cluster-internal APIs are open. */
export function warnIfOpen(logger: Logger, config: BrokerConfig, clusterProtected: boolean): void {
  if (config.saslMechanisms.length === 0) {
    logger.warn('client authentication is off (no --sasl-mechanisms): anyone who can reach this port can act as a client')
  }
  if (!clusterProtected) {
    logger.warn('SECURITY WARNING: CLUSTER-INTERNAL APIS ARE OPEN: no --cluster-secret-file and no cluster CA, so anyone who can reach this port can act as a broker (vote in Raft, unregister brokers, change ISRs, read any replica). Give every node the same --cluster-secret-file (see SECURITY.md)')
  }
}
