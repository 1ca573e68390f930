/**
 * The client side of SASL inside our envelope, shared by the SDK's
 * BrokerConnection and the brokers' peer connections (so it lives here, below
 * both): SaslHandshake picks a mechanism, then SaslAuthenticate carries the
 * mechanism's messages until it is done. Browser-safe: no node:* imports.
 */
import { ApiKey, type SaslAuthenticateResponse, type SaslHandshakeResponse } from './api.js'
import { ErrorCode, TributaryError } from './errors.js'
import type { RpcConnection } from './rpc.js'

/** One authentication exchange, client side. A fresh instance per connection (it holds nonces). */
export interface SaslClientMechanism {
  /** The name sent in SaslHandshake, e.g. 'SCRAM-SHA-256'. */
  readonly name: string
  /** The first client message. */
  start(): Promise<Uint8Array>
  /**
   * The server's next challenge → the next client message, or undefined when the
   * exchange is complete on this side. The server's final message arrives here too:
   * verify it (mutual authentication) and throw when it does not check out.
   */
  step(challenge: Uint8Array): Promise<Uint8Array | undefined>
}

/** Client messages one exchange may send: SCRAM needs 2, TRIBUTARY-BROKER 2; a server that keeps asking is broken. */
export const SASL_STEPS_MAX = 8

export interface SaslOutcome {
  /** 0 = never expires; else re-authenticate before this many ms have passed (KIP-368). */
  sessionLifetimeMs: number
}

/**
 * Run one SASL exchange on `rpc`. Rejects with a TributaryError carrying the
 * server's code (UNSUPPORTED_SASL_MECHANISM, SASL_AUTHENTICATION_FAILED, ...),
 * or SASL_AUTHENTICATION_FAILED when the server's final message does not verify.
 */
export async function authenticate(rpc: RpcConnection, mechanism: SaslClientMechanism, opts: { timeoutMs?: number } = {}): Promise<SaslOutcome> {
  const hs = await rpc.request<SaslHandshakeResponse>(ApiKey.SaslHandshake, { mechanism: mechanism.name }, opts)
  if (hs.errorCode !== ErrorCode.NONE) {
    const offered = Array.isArray(hs.body?.mechanisms) ? ` (the broker offers: ${hs.body.mechanisms.join(', ') || 'none'})` : ''
    throw new TributaryError(hs.errorCode, `${messageOf(hs.body) ?? `SASL mechanism ${mechanism.name} refused`}${offered}`)
  }
  let message: Uint8Array | undefined = await mechanism.start()
  for (let steps = 0; message !== undefined; steps++) {
    if (steps >= SASL_STEPS_MAX) throw new TributaryError(ErrorCode.ILLEGAL_SASL_STATE, `${mechanism.name}: more than ${SASL_STEPS_MAX} steps`)
    const r = await rpc.request<SaslAuthenticateResponse>(ApiKey.SaslAuthenticate, { authBytes: message }, opts)
    if (r.errorCode !== ErrorCode.NONE) throw new TributaryError(r.errorCode, messageOf(r.body) ?? 'authentication failed')
    const challenge = r.body?.authBytes instanceof Uint8Array ? r.body.authBytes : new Uint8Array(0)
    let next: Uint8Array | undefined
    try {
      next = await mechanism.step(challenge)
    } catch (err) {
      throw err instanceof TributaryError ? err : new TributaryError(ErrorCode.SASL_AUTHENTICATION_FAILED, `${mechanism.name}: ${(err as Error).message}`)
    }
    if (next === undefined) return { sessionLifetimeMs: Number.isSafeInteger(r.body?.sessionLifetimeMs) ? r.body.sessionLifetimeMs : 0 }
    message = next
  }
  throw new TributaryError(ErrorCode.ILLEGAL_SASL_STATE, `${mechanism.name} ended without an exchange`)
}

function messageOf(body: unknown): string | undefined {
  const m = (body as { errorMessage?: unknown } | undefined)?.errorMessage
  return typeof m === 'string' ? m : undefined
}
