/**
 * The server side of a SASL mechanism, as every mechanism plugs in (SCRAM,
 * PLAIN, OAUTHBEARER, TRIBUTARY-BROKER). A provider makes one fresh
 * SaslServerMechanism per exchange; the exchange feeds it each client message.
 */
import type { Session } from '../seams.js'

export type SaslStep =
  | { kind: 'continue'; challenge: Uint8Array }
  | { kind: 'done'; session: Session; finalMessage?: Uint8Array }
  /**
   * reason is logged, never sent: the client learns only that authentication
   * failed, or clientMessage when the mechanism sets one: for failures that say
   * nothing about which users exist or what their passwords are (an expired or
   * malformed token, PLAIN without TLS), so the client can say what failed.
   */
  | { kind: 'failed'; reason: string; clientMessage?: string }

export interface SaslServerMechanism {
  step(clientMessage: Uint8Array): Promise<SaslStep>
}

export interface SaslMechanismProvider {
  /** 'SCRAM-SHA-256', 'PLAIN', 'OAUTHBEARER', 'TRIBUTARY-BROKER' */
  readonly name: string
  create(conn: { remoteAddress: string; tls: boolean }): SaslServerMechanism
}
