/**
 * The node's authentication policy: which SASL mechanisms it serves, whether a
 * client must authenticate before anything but ApiVersions and the handshake,
 * whether cluster-internal APIs are reserved to brokers, and the defences
 * (handshake timeout, per-address cap of unauthenticated connections, the
 * failed-authentication delay). `open` gives each connection its ConnectionAuth.
 */
import type { Logger } from 'pino'
import type { BrokerMetrics } from '../metrics.js'
import type { Clock } from '../seams.js'
import { ConnectionAuth } from './connection-auth.js'
import type { SaslMechanismProvider } from './sasl.js'
import type { PeerCertificate } from './session.js'

export interface AuthenticatorOptions {
  /** every mechanism this node serves (client ones and TRIBUTARY-BROKER), by name */
  mechanisms: SaslMechanismProvider[]
  /** --sasl-mechanisms non-empty: clients must authenticate before any other request */
  saslRequired: boolean
  /** a cluster secret or CA is configured: cluster-internal APIs are served to brokers only */
  clusterProtected: boolean
  saslHandshakeTimeoutMs: number
  failedAuthenticationDelayMs: number
  unauthenticatedConnectionsPerAddressMax: number
  clock: Clock
  metrics: BrokerMetrics
  logger: Logger
}

export interface ConnectionInfo {
  remoteAddress: string
  tls: boolean
  peerCertificate?: PeerCertificate
  /** ends the connection (handshake timeout, failed authentication) */
  close(reason: string): void
}

/** Authentication off and cluster APIs open: every connection may do anything, as before security existed. */
export function openAuthenticator(clock: Clock, metrics: BrokerMetrics, logger: Logger): Authenticator {
  return new Authenticator({
    mechanisms: [], saslRequired: false, clusterProtected: false,
    saslHandshakeTimeoutMs: 0, failedAuthenticationDelayMs: 0, unauthenticatedConnectionsPerAddressMax: Number.MAX_SAFE_INTEGER,
    clock, metrics, logger,
  })
}

export class Authenticator {
  readonly mechanisms: ReadonlyMap<string, SaslMechanismProvider>
  readonly mechanismNames: readonly string[]
  /** unauthenticated connections now, by remote address (only counted when SASL is required) */
  private readonly unauthenticated = new Map<string, number>()

  constructor(readonly opts: AuthenticatorOptions) {
    this.mechanisms = new Map(opts.mechanisms.map((m) => [m.name, m]))
    this.mechanismNames = [...this.mechanisms.keys()]
  }

  /** The connection's authentication state, or undefined when its address is over the cap. */
  open(conn: ConnectionInfo): ConnectionAuth | undefined {
    const auth = new ConnectionAuth(this, conn)
    if (this.opts.saslRequired && !auth.session.authenticated) {
      const n = this.unauthenticated.get(conn.remoteAddress) ?? 0
      if (n >= this.opts.unauthenticatedConnectionsPerAddressMax) {
        this.opts.metrics.unauthenticatedConnectionsRejected.inc()
        return undefined
      }
      this.unauthenticated.set(conn.remoteAddress, n + 1)
      auth.holdUnauthenticatedSlot()
    }
    return auth
  }

  /** Called once per held slot, when the connection authenticates or closes. */
  releaseUnauthenticated(remoteAddress: string): void {
    const n = (this.unauthenticated.get(remoteAddress) ?? 1) - 1
    if (n <= 0) this.unauthenticated.delete(remoteAddress)
    else this.unauthenticated.set(remoteAddress, n)
  }
}
