/**
 * SCRAM's four messages (RFC 5802 §7), parsed and formatted once for both
 * sides: the broker's server mechanism and the SDK's client (Node and
 * browsers). Pure string work, no crypto: parsing rejects what the RFC
 * forbids before any key is computed, with a reason a log line can carry.
 *
 *   client-first  n,,n=<user>,r=<c-nonce>
 *   server-first  r=<c-nonce><s-nonce>,s=<base64 salt>,i=<iterations>
 *   client-final  c=biws,r=<c-nonce><s-nonce>,p=<base64 proof>
 *   server-final  v=<base64 server signature>   (or e=<error>)
 *
 * Channel binding is not supported (no SCRAM-*-PLUS): the GS2 header is `n,,`
 * (or `y,,`, "the client could bind but thinks we can't", which is true).
 */
import { fail, ok, type Result } from '../errors.js'
import { ErrorCode } from '../errors.js'

/** The GS2 header this implementation sends: no channel binding, no authzid. */
export const GS2_HEADER = 'n,,'
/** Nonces longer than this are refused: a nonce is ~24-32 chars, a megabyte is an attack. */
export const SCRAM_NONCE_CHARS_MAX = 256
/** User names longer than this are refused before any lookup. */
export const SCRAM_USERNAME_CHARS_MAX = 1024

export interface ClientFirst { gs2Header: string; username: string; nonce: string; bare: string }
export interface ServerFirst { nonce: string; salt: Uint8Array; iterations: number; raw: string }
export interface ClientFinal { channelBinding: string; nonce: string; proof: Uint8Array; withoutProof: string }
export type ServerFinal = { ok: true; signature: Uint8Array } | { ok: false; error: string }

const bad = <T>(message: string): Result<T> => fail(ErrorCode.INVALID_REQUEST, message)

/** RFC 5802 §5.1: ',' and '=' in a name travel as '=2C' and '=3D'. */
export function escapeUsername(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C')
}

/** The inverse of escapeUsername; any other '=' sequence is malformed. */
export function unescapeUsername(s: string): Result<string> {
  if (/=(?!2C|3D)/.test(s)) return bad('user name has a bad =XX escape')
  return ok(s.replace(/=2C/g, ',').replace(/=3D/g, '='))
}

/**
 * SASLprep (RFC 4013), the part this implementation supports: printable ASCII
 * passes unchanged (it is its own SASLprep output), as do other characters
 * outside the prohibited sets below. Not supported: the NFKC normalisation and
 * the "mapped to nothing" / non-ASCII-space mappings, so a non-ASCII password
 * is used as its UTF-8 bytes as given (both sides here do the same, so they
 * agree; another SCRAM client may normalise differently). Control characters
 * are refused, as RFC 4013 §2.3 prohibits them.
 */
export function saslPrep(s: string): Result<string> {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(s)) return bad('control characters are not allowed (SASLprep)')
  return ok(s)
}

/** RFC 5802 printable: %x21-2B / %x2D-7E (no ',' and no space). */
export function isValidNonce(nonce: string): boolean {
  return nonce.length > 0 && nonce.length <= SCRAM_NONCE_CHARS_MAX && /^[\x21-\x2b\x2d-\x7e]+$/.test(nonce)
}

/** `a=x,b=y,...` → attributes in order; a value may contain '='. */
function attributes(s: string): Array<[string, string]> | undefined {
  const out: Array<[string, string]> = []
  for (const part of s.split(',')) {
    if (part.length < 2 || part[1] !== '=' || !/^[a-zA-Z]$/.test(part[0]!)) return undefined
    out.push([part[0]!, part.slice(2)])
  }
  return out
}

export function formatClientFirst(username: string, nonce: string): string {
  return `${GS2_HEADER}${clientFirstBare(username, nonce)}`
}

export function clientFirstBare(username: string, nonce: string): string {
  return `n=${escapeUsername(username)},r=${nonce}`
}

export function parseClientFirst(msg: string): Result<ClientFirst> {
  const m = /^([ny]|p=[^,]*),(a=[^,]*)?,(.*)$/s.exec(msg)
  if (!m) return bad('client-first-message has no GS2 header')
  if (m[1]!.startsWith('p=')) return bad('channel binding is not supported (SCRAM-*-PLUS)')
  const gs2Header = `${m[1]},${m[2] ?? ''},`
  const bare = m[3]!
  const attrs = attributes(bare)
  if (!attrs || attrs.length < 2) return bad('client-first-message is malformed')
  if (attrs[0]![0] === 'm') return bad('mandatory extensions (m=) are not supported')
  if (attrs[0]![0] !== 'n' || attrs[1]![0] !== 'r') return bad('client-first-message must start n=<user>,r=<nonce>')
  if (attrs[0]![1].length === 0 || attrs[0]![1].length > SCRAM_USERNAME_CHARS_MAX) return bad('user name is empty or too long')
  const username = unescapeUsername(attrs[0]![1])
  if (!username.ok) return username
  if (!isValidNonce(attrs[1]![1])) return bad('client nonce is empty, too long or not printable')
  if (m[2]) {
    const authzid = unescapeUsername(m[2].slice(2))
    if (!authzid.ok || authzid.value !== username.value) return bad('an authorization id other than the user is not supported')
  }
  return ok({ gs2Header, username: username.value, nonce: attrs[1]![1], bare })
}

export function formatServerFirst(nonce: string, salt: Uint8Array, iterations: number): string {
  return `r=${nonce},s=${toBase64(salt)},i=${iterations}`
}

/** The client checks that the server kept its nonce and added its own. */
export function parseServerFirst(msg: string, clientNonce: string, iterationsMax: number): Result<ServerFirst> {
  const attrs = attributes(msg)
  if (!attrs || attrs.length < 3) return bad('server-first-message is malformed')
  if (attrs[0]![0] === 'm') return bad('the server asks for a mandatory extension we do not support')
  const [[rk, nonce], [sk, salt], [ik, iter]] = attrs as [[string, string], [string, string], [string, string]]
  if (rk !== 'r' || sk !== 's' || ik !== 'i') return bad('server-first-message must be r=,s=,i=')
  if (!nonce.startsWith(clientNonce) || nonce.length <= clientNonce.length || !isValidNonce(nonce)) return bad('the server nonce does not extend the client nonce')
  const saltBytes = fromBase64(salt)
  if (!saltBytes || saltBytes.length === 0) return bad('the server salt is not base64')
  if (!/^\d+$/.test(iter)) return bad('the iteration count is not a number')
  const iterations = Number(iter)
  if (iterations < 1 || iterations > iterationsMax) return bad(`the iteration count ${iterations} is outside 1..${iterationsMax}`)
  return ok({ nonce, salt: saltBytes, iterations, raw: msg })
}

export function formatClientFinalWithoutProof(gs2Header: string, nonce: string): string {
  return `c=${toBase64(new TextEncoder().encode(gs2Header))},r=${nonce}`
}

export function parseClientFinal(msg: string): Result<ClientFinal> {
  const i = msg.lastIndexOf(',p=')
  if (i < 0) return bad('client-final-message has no proof')
  const withoutProof = msg.slice(0, i)
  const attrs = attributes(withoutProof)
  if (!attrs || attrs.length < 2 || attrs[0]![0] !== 'c' || attrs[1]![0] !== 'r') return bad('client-final-message must be c=,r=,...,p=')
  const cb = fromBase64(attrs[0]![1])
  const proof = fromBase64(msg.slice(i + 3))
  if (!cb || !proof) return bad('client-final-message has bad base64')
  return ok({ channelBinding: new TextDecoder().decode(cb), nonce: attrs[1]![1], proof, withoutProof })
}

export function formatServerFinal(signature: Uint8Array): string {
  return `v=${toBase64(signature)}`
}

export function parseServerFinal(msg: string): Result<ServerFinal> {
  if (msg.startsWith('e=')) return ok({ ok: false, error: msg.slice(2) })
  const attrs = attributes(msg)
  if (!attrs || attrs[0]![0] !== 'v') return bad('server-final-message must be v=<signature> or e=<error>')
  const signature = fromBase64(attrs[0]![1])
  if (!signature) return bad('server signature is not base64')
  return ok({ ok: true, signature })
}

// ------------------------------------------------------------------ base64 (Node and browsers)

export function toBase64(bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(s)
}

/** undefined when s is not canonical base64. */
export function fromBase64(s: string): Uint8Array | undefined {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s)) return undefined
  const bin = atob(s)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}
