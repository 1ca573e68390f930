/**
 * The broker's SCRAM-SHA-256 / SCRAM-SHA-512 mechanism (RFC 5802, RFC 7677,
 * Kafka's KIP-84): two round trips, verified against the StoredKey and
 * ServerKey in the metadata image.
 *
 * An unknown user is not told apart from a wrong password: the server answers
 * the first message with a salt derived from the name (stable, so probing it
 * twice shows nothing) and fails the proof like any wrong one. The reason
 * ('unknown user' / 'wrong password') goes to the log only.
 */
import { randomBytes } from 'node:crypto'
import {
  formatServerFinal, formatServerFirst, parseClientFinal, parseClientFirst, SCRAM_ITERATIONS_DEFAULT,
  type ScramParams,
} from '@tributary/protocol'
import { type CredentialSource, type ScramCredential } from './credentials.js'
import type { Session } from '../seams.js'
import type { SaslMechanismProvider, SaslServerMechanism, SaslStep } from './sasl.js'
import { hmac, serverSignature, verifyClientProof, type ScramHash } from './scram-crypto.js'

/** Server nonce bytes (base64: 32 characters). */
const SERVER_NONCE_BYTES = 24

export interface ScramServerDeps {
  params: Pick<ScramParams, 'name' | 'nodeHash' | 'keyBytes'>
  credentials: CredentialSource
  /** The session a successful login opens (the framework sets its lifetime). */
  session(user: string): Session
  /** Secret per process: the fake salts of unknown users are HMACs under it. */
  fakeSaltKey: Uint8Array
  nonce?: () => string
}

const text = (b: Uint8Array): string => new TextDecoder('utf-8', { fatal: true }).decode(b)
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const failed = (reason: string): SaslStep => ({ kind: 'failed', reason })

export class ScramServer implements SaslServerMechanism {
  private state: 'first' | 'final' | 'done' = 'first'
  private first!: { gs2Header: string; username: string; bare: string }
  private serverFirst = ''
  private nonce = ''
  private credential: ScramCredential | undefined
  private fake!: ScramCredential

  constructor(private readonly deps: ScramServerDeps) {}

  async step(message: Uint8Array): Promise<SaslStep> {
    let msg: string
    try {
      msg = text(message)
    } catch {
      this.state = 'done'
      return failed('SCRAM message is not UTF-8')
    }
    if (this.state === 'first') return this.onClientFirst(msg)
    if (this.state === 'final') return this.onClientFinal(msg)
    return failed('SCRAM exchange already finished')
  }

  private onClientFirst(msg: string): SaslStep {
    const first = parseClientFirst(msg)
    if (!first.ok) {
      this.state = 'done'
      return failed(first.message)
    }
    this.first = first.value
    const hash = this.deps.params.nodeHash as ScramHash
    this.credential = this.deps.credentials.scram(first.value.username, this.deps.params.name)
    const fakeSalt = hmac(hash, this.deps.fakeSaltKey, `salt:${first.value.username}`).subarray(0, 16)
    this.fake = { salt: fakeSalt, iterations: SCRAM_ITERATIONS_DEFAULT, storedKey: new Uint8Array(this.deps.params.keyBytes), serverKey: new Uint8Array(this.deps.params.keyBytes) }
    const c = this.credential ?? this.fake
    this.nonce = first.value.nonce + (this.deps.nonce?.() ?? randomBytes(SERVER_NONCE_BYTES).toString('base64'))
    this.serverFirst = formatServerFirst(this.nonce, c.salt, c.iterations)
    this.state = 'final'
    return { kind: 'continue', challenge: bytes(this.serverFirst) }
  }

  private onClientFinal(msg: string): SaslStep {
    this.state = 'done'
    const final = parseClientFinal(msg)
    if (!final.ok) return failed(final.message)
    if (final.value.channelBinding !== this.first.gs2Header) return failed('channel binding (c=) does not match the GS2 header')
    // Kafka's ScramSaslServer accepts a nonce that ends with the exchange's: librdkafka (kcat, confluent-kafka)
    // sends its client nonce again in front of it. The proof still covers exactly what the client sent.
    if (!final.value.nonce.endsWith(this.nonce)) return failed('nonce (r=) does not match the exchange')
    const authMessage = `${this.first.bare},${this.serverFirst},${final.value.withoutProof}`
    const hash = this.deps.params.nodeHash as ScramHash
    const c = this.credential ?? this.fake
    const proofOk = verifyClientProof(hash, c.storedKey, authMessage, final.value.proof)
    if (!this.credential) return failed(`unknown user ${JSON.stringify(this.first.username)} (${this.deps.params.name})`)
    if (!proofOk) return failed(`wrong password for user ${JSON.stringify(this.first.username)} (${this.deps.params.name})`)
    return {
      kind: 'done',
      session: this.deps.session(this.first.username),
      finalMessage: bytes(formatServerFinal(serverSignature(hash, c.serverKey, authMessage))),
    }
  }
}

export function scramProvider(deps: Omit<ScramServerDeps, 'session'> & { session(user: string, mechanism: string): Session }): SaslMechanismProvider {
  return {
    name: deps.params.name,
    create: () => new ScramServer({ ...deps, session: (user) => deps.session(user, deps.params.name) }),
  }
}
