/**
 * The SASL mechanism names and SCRAM parameters both sides agree on. SCRAM
 * mechanism numbers are Kafka's (AlterUserScramCredentials / Describe...:
 * 1 = SCRAM-SHA-256, 2 = SCRAM-SHA-512), as are the iteration bounds.
 */
export const SaslMechanism = {
  SCRAM_SHA_256: 'SCRAM-SHA-256',
  SCRAM_SHA_512: 'SCRAM-SHA-512',
  PLAIN: 'PLAIN',
  OAUTHBEARER: 'OAUTHBEARER',
} as const
export type SaslMechanismName = (typeof SaslMechanism)[keyof typeof SaslMechanism]

export type ScramMechanismName = typeof SaslMechanism.SCRAM_SHA_256 | typeof SaslMechanism.SCRAM_SHA_512

export interface ScramParams {
  name: ScramMechanismName
  /** Kafka's ScramMechanism type byte on the wire */
  type: 1 | 2
  /** WebCrypto / node:crypto digest names */
  webHash: 'SHA-256' | 'SHA-512'
  nodeHash: 'sha256' | 'sha512'
  keyBytes: 32 | 64
}

export const SCRAM_MECHANISMS: readonly ScramParams[] = [
  { name: 'SCRAM-SHA-256', type: 1, webHash: 'SHA-256', nodeHash: 'sha256', keyBytes: 32 },
  { name: 'SCRAM-SHA-512', type: 2, webHash: 'SHA-512', nodeHash: 'sha512', keyBytes: 64 },
]

/** Kafka's minimum (RFC 7677 asks for at least 4096 too). */
export const SCRAM_ITERATIONS_MIN = 4096
/** Kafka's maximum: bounds the PBKDF2 work one request can demand of either side. */
export const SCRAM_ITERATIONS_MAX = 16384
export const SCRAM_ITERATIONS_DEFAULT = 4096
/** Salt length the SDK generates (RFC 5802 leaves it open; 16 bytes is common practice). */
export const SCRAM_SALT_BYTES = 16

export function scramByName(name: string): ScramParams | undefined {
  const upper = name.toUpperCase()
  return SCRAM_MECHANISMS.find((m) => m.name === upper)
}

export function scramByType(type: number): ScramParams | undefined {
  return SCRAM_MECHANISMS.find((m) => m.type === type)
}
