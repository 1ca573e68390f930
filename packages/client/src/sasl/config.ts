/**
 * The SDK's `sasl` option and the mechanism it makes for each (re-)authentication:
 *
 *   sasl: { mechanism: 'scram-sha-256' | 'scram-sha-512' | 'plain', username, password }
 *       | { mechanism: 'oauthbearer', token: () => Promise<string> }
 */
import { scramByName } from '@tributary/protocol'
import { ArgumentError } from '../errors.js'
import type { SaslClientMechanism } from '@tributary/protocol'
import { OAuthBearerClient } from './oauthbearer.js'
import { PlainClient } from './plain.js'
import { ScramClient } from './scram.js'

export type SaslConfig =
  | { mechanism: 'scram-sha-256' | 'scram-sha-512' | 'plain'; username: string; password: string }
  | { mechanism: 'oauthbearer'; token: () => Promise<string> | string }

/** Validate once, at `new Tributary(...)`: a bad option fails there, not at the first request. */
export function checkSaslConfig(sasl: unknown): SaslConfig {
  const s = sasl as Record<string, unknown> | null
  if (!s || typeof s !== 'object') throw new ArgumentError('sasl must be { mechanism, username, password } or { mechanism: \'oauthbearer\', token }')
  const mechanism = typeof s.mechanism === 'string' ? s.mechanism.toLowerCase() : s.mechanism
  if (mechanism === 'oauthbearer') {
    if (typeof s.token !== 'function') throw new ArgumentError('sasl.token must be a function returning the token (a string or a promise of one)')
    return { mechanism, token: s.token as () => Promise<string> }
  }
  if (mechanism !== 'scram-sha-256' && mechanism !== 'scram-sha-512' && mechanism !== 'plain') {
    throw new ArgumentError(`sasl.mechanism must be scram-sha-256, scram-sha-512, plain or oauthbearer, got ${JSON.stringify(s.mechanism)}`)
  }
  if (typeof s.username !== 'string' || s.username === '') throw new ArgumentError('sasl.username must be a non-empty string')
  if (typeof s.password !== 'string') throw new ArgumentError('sasl.password must be a string')
  return { mechanism, username: s.username, password: s.password }
}

/** A fresh mechanism per exchange (each holds one exchange's nonces). */
export function saslClientFor(sasl: SaslConfig): SaslClientMechanism {
  if (sasl.mechanism === 'oauthbearer') return new OAuthBearerClient(sasl.token)
  if (sasl.mechanism === 'plain') return new PlainClient(sasl.username, sasl.password)
  const params = scramByName(sasl.mechanism)!
  return new ScramClient({ params, username: sasl.username, password: sasl.password })
}

/** The option checked now (a bad one fails at `new Tributary`), a fresh mechanism per exchange later. */
export function saslMechanismFactory(sasl: SaslConfig | undefined): (() => SaslClientMechanism) | undefined {
  if (sasl === undefined) return undefined
  const checked = checkSaslConfig(sasl)
  return () => saslClientFor(checked)
}
