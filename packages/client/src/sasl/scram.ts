/**
 * The SDK's SCRAM-SHA-256 / SCRAM-SHA-512 client (RFC 5802 / 7677): start()
 * sends client-first, step(server-first) answers with the proof,
 * step(server-final) checks the server's signature, so a server that does not
 * hold this user's ServerKey is refused even when it accepts us.
 */
import {
  clientFirstBare, formatClientFinalWithoutProof, GS2_HEADER, parseServerFinal, parseServerFirst, saslPrep,
  SCRAM_ITERATIONS_MAX, toBase64, ErrorCode, TributaryError, type ScramParams,
} from '@tributary/protocol'
import type { SaslClientMechanism } from '@tributary/protocol'
import { digest, hmac, pbkdf2, randomBytes, sameBytes, type WebHash } from './web-crypto.js'

/** Client nonce bytes (base64: 32 characters). */
const CLIENT_NONCE_BYTES = 24

export interface ScramClientOptions {
  params: Pick<ScramParams, 'name'> & { webHash: WebHash }
  username: string
  password: string
  /** Tests pin the nonce (RFC vectors); otherwise random. */
  nonce?: string
}

/** The client side of an exchange refused the server's answer, or could not start (bad password text, no token). */
export class SaslAuthenticationError extends TributaryError {
  constructor(message: string) {
    super(ErrorCode.SASL_AUTHENTICATION_FAILED, message)
    this.name = 'SaslAuthenticationError'
  }
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b)
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)

export class ScramClient implements SaslClientMechanism {
  readonly name: string
  private readonly nonce: string
  private state: 'start' | 'first' | 'final' | 'done' = 'start'
  private expectedServerSignature: Uint8Array | undefined

  constructor(private readonly opts: ScramClientOptions) {
    this.name = opts.params.name
    this.nonce = opts.nonce ?? toBase64(randomBytes(CLIENT_NONCE_BYTES))
  }

  async start(): Promise<Uint8Array> {
    if (this.state !== 'start') throw new SaslAuthenticationError('SCRAM exchange already started')
    this.state = 'first'
    return bytes(`${GS2_HEADER}${this.bare()}`)
  }

  async step(challenge: Uint8Array): Promise<Uint8Array | undefined> {
    if (this.state === 'first') return this.onServerFirst(text(challenge))
    if (this.state === 'final') {
      this.onServerFinal(text(challenge))
      return undefined
    }
    throw new SaslAuthenticationError(`unexpected SCRAM challenge in state ${this.state}`)
  }

  private bare(): string {
    return clientFirstBare(this.opts.username, this.nonce)
  }

  private async onServerFirst(msg: string): Promise<Uint8Array> {
    this.state = 'final'
    const first = parseServerFirst(msg, this.nonce, SCRAM_ITERATIONS_MAX)
    if (!first.ok) throw new SaslAuthenticationError(first.message)
    const password = saslPrep(this.opts.password)
    if (!password.ok) throw new SaslAuthenticationError(`password: ${password.message}`)
    const hash = this.opts.params.webHash
    const withoutProof = formatClientFinalWithoutProof(GS2_HEADER, first.value.nonce)
    const authMessage = `${this.bare()},${msg},${withoutProof}`
    const salted = await pbkdf2(hash, password.value, first.value.salt, first.value.iterations)
    const clientKey = await hmac(hash, salted, 'Client Key')
    const clientSignature = await hmac(hash, await digest(hash, clientKey), authMessage)
    const proof = clientKey.map((b, i) => b ^ clientSignature[i]!)
    this.expectedServerSignature = await hmac(hash, await hmac(hash, salted, 'Server Key'), authMessage)
    return bytes(`${withoutProof},p=${toBase64(proof)}`)
  }

  private onServerFinal(msg: string): void {
    this.state = 'done'
    const final = parseServerFinal(msg)
    if (!final.ok) throw new SaslAuthenticationError(final.message)
    if (!final.value.ok) throw new SaslAuthenticationError(`server refused: ${final.value.error}`)
    if (!sameBytes(final.value.signature, this.expectedServerSignature!)) {
      throw new SaslAuthenticationError('the server\'s SCRAM signature is wrong: it does not hold this user\'s credentials')
    }
  }
}

/** The salted password AlterUserScramCredentials sends (the password itself never leaves the SDK). */
export async function scramSaltedPassword(webHash: WebHash, password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const p = saslPrep(password)
  if (!p.ok) throw new SaslAuthenticationError(`password: ${p.message}`)
  return pbkdf2(webHash, p.value, salt, iterations)
}
