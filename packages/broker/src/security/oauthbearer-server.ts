/**
 * The broker's OAUTHBEARER mechanism (RFC 7628 as Kafka uses it, KIP-255): one
 * client message `n,,\x01auth=Bearer <jwt>\x01\x01` (optional key=value pairs
 * between the \x01s), a signed JWT verified by jwt.ts. The session ends when
 * the token does, or at the session maximum if that comes first (KIP-368).
 */
import type { Clock } from '../seams.js'
import { verifyJwt, type JwtKeys, type JwtPolicy } from './jwt.js'
import type { Session } from '../seams.js'
import type { SaslMechanismProvider, SaslServerMechanism, SaslStep } from './sasl.js'

/** An OAUTHBEARER message longer than this is refused before parsing (tokens are KiBs). */
const MESSAGE_BYTES_MAX = 32 * 1024

export interface OAuthBearerDeps {
  keys: JwtKeys
  policy: JwtPolicy
  clock: Pick<Clock, 'now'>
  /** The session a valid token opens; expiresAtMs is the token's exp. */
  session(user: string, tokenExpiresAtMs: number): Session
}

/** The bearer token of a client message, or why there is none. */
export function parseOAuthBearerMessage(msg: string): { token: string } | { error: string } {
  // eslint-disable-next-line no-control-regex -- \x01 is RFC 7628's separator
  const m = /^([ny]),(a=[^,\x01]*)?,\x01(.*)\x01\x01$/s.exec(msg)
  if (!m) return { error: 'OAUTHBEARER message is not n,,\\x01auth=Bearer <token>\\x01\\x01' }
  let token: string | undefined
  for (const kv of m[3]!.split('\x01')) {
    const eq = kv.indexOf('=')
    if (eq <= 0) return { error: 'OAUTHBEARER message has a malformed key=value' }
    if (kv.slice(0, eq) === 'auth') {
      const a = /^Bearer +(\S+)$/i.exec(kv.slice(eq + 1))
      if (!a) return { error: 'OAUTHBEARER auth is not "Bearer <token>"' }
      token = a[1]
    }
  }
  return token ? { token } : { error: 'OAUTHBEARER message has no auth=Bearer' }
}

class OAuthBearerServer implements SaslServerMechanism {
  private done = false
  constructor(private readonly deps: OAuthBearerDeps) {}

  async step(message: Uint8Array): Promise<SaslStep> {
    if (this.done) return { kind: 'failed', reason: 'OAUTHBEARER exchange already finished' }
    this.done = true
    if (message.byteLength > MESSAGE_BYTES_MAX) return { kind: 'failed', reason: 'OAUTHBEARER message too long' }
    const parsed = parseOAuthBearerMessage(new TextDecoder().decode(message))
    if ('error' in parsed) return { kind: 'failed', reason: parsed.error, clientMessage: parsed.error }
    const v = verifyJwt(parsed.token, this.deps.keys, this.deps.policy, this.deps.clock.now())
    // The token's holder may learn why it was refused (expired, audience, ...): it says nothing about other users.
    if (!v.ok) return { kind: 'failed', reason: v.message, clientMessage: v.message }
    return { kind: 'done', session: this.deps.session(v.value.subject, v.value.expiresAtMs) }
  }
}

export function oauthBearerProvider(deps: OAuthBearerDeps): SaslMechanismProvider {
  return { name: 'OAUTHBEARER', create: () => new OAuthBearerServer(deps) }
}
