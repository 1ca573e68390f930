/**
 * SCRAM's arithmetic on WebCrypto (`globalThis.crypto.subtle`), so one code
 * path runs in Node 20 and in browsers: PBKDF2, HMAC and SHA-256/512. The
 * broker does the same arithmetic on node:crypto (its scram-crypto.ts); the
 * RFC test vectors pin both.
 */
export type WebHash = 'SHA-1' | 'SHA-256' | 'SHA-512'

const BITS: Record<WebHash, number> = { 'SHA-1': 160, 'SHA-256': 256, 'SHA-512': 512 }

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle
  if (!s) throw new Error('WebCrypto (crypto.subtle) is not available: SCRAM needs a secure context (https or localhost) in browsers, Node 20+ elsewhere')
  return s
}

/** Copies into a fresh ArrayBuffer: WebCrypto refuses views of shared or resizable buffers. */
const buf = (b: Uint8Array): ArrayBuffer => b.slice().buffer as ArrayBuffer
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

export async function pbkdf2(hash: WebHash, password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await subtle().importKey('raw', buf(utf8(password)), 'PBKDF2', false, ['deriveBits'])
  return new Uint8Array(await subtle().deriveBits({ name: 'PBKDF2', hash, salt: buf(salt), iterations }, key, BITS[hash]))
}

export async function hmac(hash: WebHash, key: Uint8Array, data: Uint8Array | string): Promise<Uint8Array> {
  const k = await subtle().importKey('raw', buf(key), { name: 'HMAC', hash }, false, ['sign'])
  return new Uint8Array(await subtle().sign('HMAC', k, buf(typeof data === 'string' ? utf8(data) : data)))
}

export async function digest(hash: WebHash, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest(hash, buf(data)))
}

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n)
  globalThis.crypto.getRandomValues(out)
  return out
}

/** Equal length and bytes, looking at every byte (the server signature check). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}
