/**
 * The broker's PLAIN mechanism (RFC 4616): one message
 * `[authzid] NUL user NUL password`, checked against the user's SCRAM
 * credentials (PBKDF2 of the password with the stored salt must give the
 * stored key), so one `tributary users create` serves SCRAM and PLAIN alike.
 * The password crosses the wire as it is: the mechanism is refused on a
 * connection without TLS unless the broker runs with --allow-plaintext-passwords.
 */
import { timingSafeEqual } from 'node:crypto'
import { saslPrep, SCRAM_ITERATIONS_DEFAULT, scramByName } from '@tributary/protocol'
import type { CredentialSource } from './credentials.js'
import type { Session } from '../seams.js'
import type { SaslMechanismProvider, SaslServerMechanism, SaslStep } from './sasl.js'
import { digest, hmac, saltedPassword, type ScramHash } from './scram-crypto.js'

/** Longer PLAIN messages are refused before parsing. */
const MESSAGE_BYTES_MAX = 4096

export interface PlainDeps {
  credentials: CredentialSource
  allowPlaintextPasswords: boolean
  session(user: string): Session
}

/** An unknown user costs the same PBKDF2 as a known one, so timing does not tell them apart. */
const DUMMY_SALT = new Uint8Array(16)

async function passwordMatches(deps: PlainDeps, user: string, password: string): Promise<boolean> {
  const credentials = deps.credentials.scramAll(user)
  if (credentials.length === 0) await saltedPassword('sha256', password, DUMMY_SALT, SCRAM_ITERATIONS_DEFAULT)
  for (const { mechanism, credential } of credentials) {
    const hash = scramByName(mechanism)!.nodeHash as ScramHash
    const salted = await saltedPassword(hash, password, credential.salt, credential.iterations)
    const stored = digest(hash, hmac(hash, salted, 'Client Key'))
    if (stored.length === credential.storedKey.length && timingSafeEqual(stored, credential.storedKey)) return true
  }
  return false
}

class PlainServer implements SaslServerMechanism {
  private done = false
  constructor(private readonly deps: PlainDeps, private readonly tls: boolean) {}

  async step(message: Uint8Array): Promise<SaslStep> {
    if (this.done) return { kind: 'failed', reason: 'PLAIN exchange already finished' }
    this.done = true
    if (!this.tls && !this.deps.allowPlaintextPasswords) {
      const why = 'PLAIN is refused on a connection without TLS (the broker allows it with --allow-plaintext-passwords)'
      return { kind: 'failed', reason: why, clientMessage: why }
    }
    if (message.byteLength > MESSAGE_BYTES_MAX) return { kind: 'failed', reason: 'PLAIN message too long' }
    const parts = new TextDecoder().decode(message).split('\u0000')
    if (parts.length !== 3) return { kind: 'failed', reason: 'PLAIN message is not authzid NUL user NUL password' }
    const [authzid, user, password] = parts as [string, string, string]
    if (user === '') return { kind: 'failed', reason: 'PLAIN user is empty' }
    if (authzid !== '' && authzid !== user) return { kind: 'failed', reason: 'an authorization id other than the user is not supported' }
    const prepped = saslPrep(password)
    if (!prepped.ok || !(await passwordMatches(this.deps, user, prepped.value))) {
      return { kind: 'failed', reason: `wrong password or unknown user ${JSON.stringify(user)} (PLAIN)` }
    }
    return { kind: 'done', session: this.deps.session(user) }
  }
}

export function plainProvider(deps: PlainDeps): SaslMechanismProvider {
  return { name: 'PLAIN', create: (conn) => new PlainServer(deps, conn.tls) }
}
