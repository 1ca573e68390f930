/**
 * One connection's authentication: its Session, the SASL exchange state
 * machine (SaslHandshake → SaslAuthenticate* → done, and again for
 * re-authentication), and the per-request admission check.
 *
 *   none ──SaslHandshake──▶ chosen ──SaslAuthenticate──▶ stepping ─continue─▶ chosen
 *                                                          ├─done──▶ done (SaslHandshake again: re-authenticate)
 *                                                          └─failed─▶ failed (answered after the delay, then closed)
 *
 * After the exchange, admission is field checks only: nothing is looked up per request.
 */
import { ApiKey, ErrorCode, type SaslAuthenticateResponse, type SaslHandshakeResponse } from '@tributary/protocol'
import type { HandlerResult, Session } from '../seams.js'
import type { Authenticator, ConnectionInfo } from './authenticator.js'
import type { SaslServerMechanism, SaslStep } from './sasl.js'
import { initialSession } from './session.js'

type State = 'none' | 'chosen' | 'stepping' | 'done' | 'failed'

const EMPTY = new Uint8Array(0)

/** A refusal the server sends instead of running the handler. */
export interface Refusal { errorCode: number; errorMessage: string }

export class ConnectionAuth {
  session: Session
  /** see RequestContext.clusterAccess */
  clusterAccess: boolean
  private state: State = 'none'
  private mechanismName = ''
  private exchange: SaslServerMechanism | undefined
  private holdsSlot = false
  private cancelTimeout: (() => void) | undefined
  private deniedLogged = false

  constructor(private readonly auth: Authenticator, private readonly conn: ConnectionInfo) {
    this.session = initialSession(conn.peerCertificate)
    this.clusterAccess = this.accessFor(this.session)
  }

  /** A mechanism was chosen and its exchange has not finished: the next client message is one of its tokens. */
  get exchanging(): boolean {
    return this.state === 'chosen' || this.state === 'stepping'
  }

  /** Counts this connection against its address's cap and starts the handshake timeout. */
  holdUnauthenticatedSlot(): void {
    this.holdsSlot = true
    const { clock, saslHandshakeTimeoutMs } = this.auth.opts
    this.cancelTimeout = clock.setTimeout(() => {
      if (this.session.authenticated) return
      this.auth.opts.metrics.unauthenticatedConnectionsRejected.inc()
      this.conn.close(`no authentication within ${saslHandshakeTimeoutMs} ms`)
    }, saslHandshakeTimeoutMs)
  }

  /**
   * Whether a request may go to its handler; undefined = yes. The common case
   * (authenticated or not required, no expiry) is two field reads.
   */
  admit(apiKey: number): Refusal | undefined {
    if (this.session.expiresAtMs === undefined && (this.session.authenticated || !this.auth.opts.saslRequired)) return undefined
    if (apiKey === ApiKey.ApiVersions || apiKey === ApiKey.SaslHandshake || apiKey === ApiKey.SaslAuthenticate) return undefined
    if (this.session.expiresAtMs !== undefined && this.auth.opts.clock.now() >= this.session.expiresAtMs) {
      return { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: 'the session expired: re-authenticate (SaslHandshake) before sending requests' }
    }
    if (this.session.authenticated || !this.auth.opts.saslRequired) return undefined
    return {
      errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
      errorMessage: `this broker requires authentication first (SaslHandshake with one of: ${this.auth.mechanismNames.join(', ')})`,
    }
  }

  /** A cluster-internal request refused: counted always, logged once per connection. */
  denied(api: string): void {
    this.auth.opts.metrics.clusterAuthorizationFailures.inc({ api })
    if (this.deniedLogged) return
    this.deniedLogged = true
    this.auth.opts.logger.warn({ remoteAddress: this.conn.remoteAddress, principal: this.session.principal, api },
      'cluster-internal API refused: the connection is not an authenticated broker of this cluster (logged once per connection)')
  }

  handshake(body: unknown): HandlerResult {
    const mechanisms = [...this.auth.mechanismNames]
    if (this.state !== 'none' && this.state !== 'done') {
      return refuse(ErrorCode.ILLEGAL_SASL_STATE, `SaslHandshake while an exchange is ${this.state === 'failed' ? 'failed' : 'in progress'}`, { mechanisms })
    }
    const name = (body as { mechanism?: unknown } | null)?.mechanism
    const provider = typeof name === 'string' ? this.auth.mechanisms.get(name.toUpperCase()) : undefined
    if (!provider) {
      const asked = typeof name === 'string' ? `'${name.slice(0, 64)}'` : 'no mechanism'
      return refuse(ErrorCode.UNSUPPORTED_SASL_MECHANISM, `${asked} is not enabled here; enabled: ${mechanisms.join(', ') || 'none'}`, { mechanisms })
    }
    this.mechanismName = provider.name
    this.exchange = provider.create({ remoteAddress: this.conn.remoteAddress, tls: this.conn.tls })
    this.state = 'chosen'
    const response: SaslHandshakeResponse = { mechanisms }
    return { errorCode: ErrorCode.NONE, body: response }
  }

  async authenticate(body: unknown): Promise<HandlerResult> {
    if (this.state !== 'chosen' || !this.exchange) {
      return refuse(ErrorCode.ILLEGAL_SASL_STATE, this.state === 'stepping' ? 'SaslAuthenticate while the previous step is unanswered' : 'SaslAuthenticate before SaslHandshake')
    }
    const bytes = (body as { authBytes?: unknown } | null)?.authBytes
    if (!(bytes instanceof Uint8Array)) return refuse(ErrorCode.INVALID_REQUEST, 'authBytes must be bytes')
    this.state = 'stepping'
    let step: SaslStep
    try {
      step = await this.exchange.step(bytes)
    } catch (err) {
      step = { kind: 'failed', reason: `the mechanism threw: ${(err as Error).message}` }
    }
    if (step.kind === 'continue') {
      this.state = 'chosen'
      return ok({ authBytes: step.challenge, sessionLifetimeMs: 0 })
    }
    // Re-authentication keeps the principal (KIP-368); a certificate's identity may be replaced by SASL's, as on Kafka's SASL_SSL.
    if (step.kind === 'done' && this.session.authenticated && this.session.mechanism !== 'TLS' && step.session.principal !== this.session.principal) {
      step = { kind: 'failed', reason: `re-authentication as ${step.session.principal} on a connection of ${this.session.principal}` }
    }
    if (step.kind === 'failed') return this.failed(step.reason, step.clientMessage)
    return this.succeeded(step.session, step.finalMessage)
  }

  /** The connection closed: give back its slot and stop its timer. */
  closed(): void {
    this.releaseSlot()
  }

  private succeeded(session: Session, finalMessage: Uint8Array | undefined): HandlerResult {
    const { clock, metrics, logger } = this.auth.opts
    this.session = session
    this.clusterAccess = this.accessFor(session)
    this.state = 'done'
    this.exchange = undefined
    this.releaseSlot()
    metrics.authentications.inc({ mechanism: this.mechanismName, result: 'ok' })
    logger.debug({ remoteAddress: this.conn.remoteAddress, principal: session.principal, mechanism: this.mechanismName }, 'authenticated')
    const sessionLifetimeMs = session.expiresAtMs === undefined ? 0 : Math.max(1, session.expiresAtMs - clock.now())
    return ok({ authBytes: finalMessage ?? EMPTY, sessionLifetimeMs })
  }

  /** Answered only after the delay (slows guessing), then the connection is closed, as Kafka does. */
  private async failed(reason: string, clientMessage?: string): Promise<HandlerResult> {
    const { clock, metrics, logger, failedAuthenticationDelayMs } = this.auth.opts
    this.state = 'failed'
    this.exchange = undefined
    metrics.authentications.inc({ mechanism: this.mechanismName, result: 'failed' })
    logger.info({ remoteAddress: this.conn.remoteAddress, mechanism: this.mechanismName, reason }, 'authentication failed')
    if (failedAuthenticationDelayMs > 0) await new Promise<void>((resolve) => clock.setTimeout(resolve, failedAuthenticationDelayMs))
    // Let the answer go out first; the close follows it on the same socket.
    clock.setTimeout(() => this.conn.close('authentication failed'), 0)
    return refuse(ErrorCode.SASL_AUTHENTICATION_FAILED, `authentication failed (${this.mechanismName}): ${clientMessage ?? 'invalid credentials'}`)
  }

  private accessFor(session: Session): boolean {
    return session.brokerId !== undefined || !this.auth.opts.clusterProtected
  }

  private releaseSlot(): void {
    this.cancelTimeout?.()
    this.cancelTimeout = undefined
    if (!this.holdsSlot) return
    this.holdsSlot = false
    this.auth.releaseUnauthenticated(this.conn.remoteAddress)
  }
}

function ok(body: SaslAuthenticateResponse): HandlerResult {
  return { errorCode: ErrorCode.NONE, body }
}

function refuse(errorCode: number, errorMessage: string, extra: object = {}): HandlerResult {
  return { errorCode, body: { errorMessage, ...extra } }
}
