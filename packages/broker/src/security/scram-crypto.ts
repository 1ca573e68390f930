/**
 * SCRAM's arithmetic (RFC 5802 §3) on node:crypto, for the broker:
 *
 *   SaltedPassword  = Hi(password, salt, i)          (PBKDF2-HMAC-H)
 *   ClientKey       = HMAC(SaltedPassword, "Client Key")
 *   StoredKey       = H(ClientKey)
 *   ServerKey       = HMAC(SaltedPassword, "Server Key")
 *   ClientSignature = HMAC(StoredKey, AuthMessage)
 *   ClientProof     = ClientKey XOR ClientSignature
 *   ServerSignature = HMAC(ServerKey, AuthMessage)
 *
 * The broker keeps StoredKey and ServerKey only: they verify a proof and sign
 * the answer, but cannot be used to log in (that needs ClientKey).
 * 'sha1' is here for RFC 5802's own test vector; no mechanism uses it.
 */
import { createHash, createHmac, pbkdf2, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'

export type ScramHash = 'sha1' | 'sha256' | 'sha512'

const pbkdf2Async = promisify(pbkdf2)
const KEY_BYTES: Record<ScramHash, number> = { sha1: 20, sha256: 32, sha512: 64 }

export interface ScramKeys { storedKey: Uint8Array; serverKey: Uint8Array }

/** Hi(): PBKDF2 off the event loop (4096+ iterations is milliseconds of CPU). */
export async function saltedPassword(hash: ScramHash, password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  return new Uint8Array(await pbkdf2Async(Buffer.from(password, 'utf8'), salt, iterations, KEY_BYTES[hash], hash))
}

export function hmac(hash: ScramHash, key: Uint8Array, data: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHmac(hash, key).update(data).digest())
}

export function digest(hash: ScramHash, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(hash).update(data).digest())
}

export function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length)
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!
  return out
}

/** StoredKey and ServerKey from a salted password (what AlterUserScramCredentials sends). */
export function scramKeys(hash: ScramHash, salted: Uint8Array): ScramKeys {
  const clientKey = hmac(hash, salted, 'Client Key')
  return { storedKey: digest(hash, clientKey), serverKey: hmac(hash, salted, 'Server Key') }
}

/** Does the proof come from someone who knows ClientKey? Constant time in the compared bytes. */
export function verifyClientProof(hash: ScramHash, storedKey: Uint8Array, authMessage: string, proof: Uint8Array): boolean {
  if (proof.length !== KEY_BYTES[hash] || storedKey.length !== KEY_BYTES[hash]) return false
  const clientKey = xor(proof, hmac(hash, storedKey, authMessage))
  return timingSafeEqual(digest(hash, clientKey), storedKey)
}

export function serverSignature(hash: ScramHash, serverKey: Uint8Array, authMessage: string): Uint8Array {
  return hmac(hash, serverKey, authMessage)
}

/** The client side of the arithmetic (tests and PLAIN's check against SCRAM credentials). */
export function clientProof(hash: ScramHash, salted: Uint8Array, authMessage: string): Uint8Array {
  const clientKey = hmac(hash, salted, 'Client Key')
  return xor(clientKey, hmac(hash, digest(hash, clientKey), authMessage))
}
