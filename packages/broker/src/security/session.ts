/**
 * Sessions: who a connection is. A connection starts as User:ANONYMOUS (or as
 * whoever its verified TLS client certificate names) and changes only by
 * authenticating; no frame field ever sets it.
 */
import type { PeerCertificate } from '../net/tls.js'
import type { Session } from '../seams.js'

export type { PeerCertificate }

export const ANONYMOUS_PRINCIPAL = 'User:ANONYMOUS'

export function anonymousSession(): Session {
  return { principal: ANONYMOUS_PRINCIPAL, authenticated: false }
}

export function brokerPrincipal(nodeId: number): string {
  return `Broker:${nodeId}`
}

export function brokerSession(nodeId: number, mechanism: string): Session {
  return { principal: brokerPrincipal(nodeId), brokerId: nodeId, authenticated: true, mechanism }
}

/** The session a connection starts with: a broker certificate is an authenticated broker, a mapped one an authenticated user. */
export function initialSession(peerCertificate?: PeerCertificate): Session {
  if (peerCertificate?.brokerId !== undefined) return brokerSession(peerCertificate.brokerId, 'TLS')
  if (peerCertificate?.principal !== undefined) return { principal: peerCertificate.principal, authenticated: true, mechanism: 'TLS' }
  return anonymousSession()
}
