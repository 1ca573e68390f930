/**
 * Verifying the signed tokens OAUTHBEARER carries (JWS compact JWTs, RFC 7519):
 * HS256 with a shared secret, RS256 and ES256 with a public key (PEM or a JWKS
 * file). The algorithm must match the kind of key configured for it, so a
 * token cannot pick its own verification (`alg: none`, or HS256 "signed" with
 * a public key, are refused). Claims: `exp` is required; `nbf`, `aud`, `iss`
 * are checked as configured, with a small clock skew allowed either way; the
 * principal comes from a configured claim (default `sub`).
 */
import { createHmac, createPublicKey, timingSafeEqual, verify, type KeyObject } from 'node:crypto'
import { ErrorCode, fail, ok, type Result } from '@tributary/protocol'

/** Clock difference between the token issuer and this node that is forgiven (Kafka's default is 30 s too). */
export const JWT_CLOCK_SKEW_MS = 30_000
/** Longer tokens are refused before any parsing (a JWT is a few hundred bytes to a few KiB). */
export const JWT_CHARS_MAX = 16 * 1024

export interface JwtKeys {
  /** HS256 shared secret */
  hmacSecret?: Uint8Array
  /** RS256 / ES256 public keys; kid from the JWKS, if any */
  publicKeys: Array<{ kid?: string; key: KeyObject }>
}

export interface JwtPolicy {
  audience?: string
  issuer?: string
  /** default 'sub' */
  principalClaim: string
  clockSkewMs?: number
}

export interface VerifiedToken {
  /** the principal claim's value (the user name of `User:<name>`) */
  subject: string
  expiresAtMs: number
}

const refuse = (reason: string): Result<VerifiedToken> => fail(ErrorCode.INVALID_REQUEST, reason)

const B64URL = /^[A-Za-z0-9_-]*$/

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** Is the signature right for this alg with the configured keys? */
function signatureValid(alg: string, kid: unknown, signingInput: string, signature: Buffer, keys: JwtKeys): boolean | string {
  if (alg === 'HS256') {
    if (!keys.hmacSecret) return 'HS256 tokens are not accepted (no --oauth-jwt-secret-file)'
    const expected = createHmac('sha256', keys.hmacSecret).update(signingInput).digest()
    return expected.length === signature.length && timingSafeEqual(expected, signature)
  }
  const type = alg === 'RS256' ? 'rsa' : alg === 'ES256' ? 'ec' : undefined
  if (!type) return `algorithm ${JSON.stringify(alg)} is not accepted (HS256, RS256, ES256 are)`
  const candidates = keys.publicKeys.filter((k) =>
    k.key.asymmetricKeyType === type &&
    (type !== 'ec' || k.key.asymmetricKeyDetails?.namedCurve === 'prime256v1') &&
    (typeof kid !== 'string' || k.kid === undefined || k.kid === kid))
  if (candidates.length === 0) return `no configured ${alg} public key${typeof kid === 'string' ? ` with kid ${JSON.stringify(kid)}` : ''}`
  return candidates.some((k) => verify('sha256', Buffer.from(signingInput), type === 'ec' ? { key: k.key, dsaEncoding: 'ieee-p1363' } : k.key, signature))
}

const seconds = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v * 1000 : undefined)

function checkClaims(claims: Record<string, unknown>, policy: JwtPolicy, nowMs: number): Result<VerifiedToken> {
  const skew = policy.clockSkewMs ?? JWT_CLOCK_SKEW_MS
  const exp = seconds(claims.exp)
  if (exp === undefined) return refuse('token has no exp claim')
  if (nowMs > exp + skew) return refuse(`token expired at ${new Date(exp).toISOString()}`)
  const nbf = claims.nbf === undefined ? undefined : seconds(claims.nbf)
  if (claims.nbf !== undefined && nbf === undefined) return refuse('token nbf is not a number')
  if (nbf !== undefined && nowMs + skew < nbf) return refuse(`token is not valid before ${new Date(nbf).toISOString()}`)
  if (policy.audience !== undefined) {
    const aud = claims.aud
    const auds = Array.isArray(aud) ? aud : [aud]
    if (!auds.includes(policy.audience)) return refuse(`token audience ${JSON.stringify(aud ?? null)} does not include ${JSON.stringify(policy.audience)}`)
  }
  if (policy.issuer !== undefined && claims.iss !== policy.issuer) return refuse(`token issuer ${JSON.stringify(claims.iss ?? null)} is not ${JSON.stringify(policy.issuer)}`)
  const subject = claims[policy.principalClaim]
  if (typeof subject !== 'string' || subject === '') return refuse(`token has no string ${JSON.stringify(policy.principalClaim)} claim for the principal`)
  return ok({ subject, expiresAtMs: exp })
}

/** Verify a compact JWS JWT; the failure message says what failed (it names no secret). */
export function verifyJwt(token: string, keys: JwtKeys, policy: JwtPolicy, nowMs: number): Result<VerifiedToken> {
  if (token.length > JWT_CHARS_MAX) return refuse(`token is longer than ${JWT_CHARS_MAX} characters`)
  const parts = token.split('.')
  if (parts.length !== 3 || !parts.every((p) => B64URL.test(p))) return refuse('token is not a JWS compact JWT (header.payload.signature)')
  const [h, p, s] = parts as [string, string, string]
  const header = decodeJson(h)
  if (!header) return refuse('token header is not a JSON object')
  const alg = header.alg
  if (typeof alg !== 'string') return refuse('token header has no alg')
  if (alg.toLowerCase() === 'none') return refuse('unsigned tokens (alg none) are refused')
  if (header.crit !== undefined) return refuse('token header has critical extensions (crit), which are not supported')
  const valid = signatureValid(alg, header.kid, `${h}.${p}`, Buffer.from(s, 'base64url'), keys)
  if (typeof valid === 'string') return refuse(valid)
  if (!valid) return refuse('token signature is not valid')
  const claims = decodeJson(p)
  if (!claims) return refuse('token payload is not a JSON object')
  return checkClaims(claims, policy, nowMs)
}

/** A PEM public key (RSA or EC P-256), or an X.509 certificate holding one. */
export function publicKeyFromPem(pem: string): KeyObject {
  return createPublicKey(pem)
}

/** The signing keys of a JWKS document ({ keys: [...] }); keys for other uses are skipped. */
export function publicKeysFromJwks(json: string): Array<{ kid?: string; key: KeyObject }> {
  const doc = JSON.parse(json) as { keys?: unknown }
  if (!doc || !Array.isArray(doc.keys)) throw new Error('a JWKS file is a JSON object with a "keys" array')
  const out: Array<{ kid?: string; key: KeyObject }> = []
  for (const jwk of doc.keys as Array<Record<string, unknown>>) {
    if (jwk.use !== undefined && jwk.use !== 'sig') continue
    if (jwk.kty !== 'RSA' && jwk.kty !== 'EC') continue
    out.push({ kid: typeof jwk.kid === 'string' ? jwk.kid : undefined, key: createPublicKey({ key: jwk as never, format: 'jwk' }) })
  }
  if (out.length === 0) throw new Error('the JWKS file has no RSA or EC signing key')
  return out
}
