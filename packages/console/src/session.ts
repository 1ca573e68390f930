/**
 * The console's one connection to the cluster: a browser `Tributary` client
 * bootstrapped at the node that served the page (same host and port, ws:// or
 * wss:// as the page came over http or https). Credentials live only in this
 * object's memory for as long as the tab is open: never in the URL, never in
 * localStorage or sessionStorage; a reload asks again.
 */
import { ErrorCode, Tributary, type Admin, type SaslConfig } from '@tributary/client'

export type Login = { mechanism: 'scram-sha-256' | 'scram-sha-512'; username: string; password: string } | { mechanism: 'oauthbearer'; token: string }

/** Errors that mean "who are you?": the node wants a (different) login. */
const AUTH_CODES = new Set<number>([ErrorCode.SASL_AUTHENTICATION_FAILED, ErrorCode.ILLEGAL_SASL_STATE, ErrorCode.UNSUPPORTED_SASL_MECHANISM])

export function isAuthError(err: unknown): boolean {
  return typeof (err as { code?: unknown })?.code === 'number' && AUTH_CODES.has((err as { code: number }).code)
}

export function nodeUrl(loc: Location = location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}`
}

export class Session {
  readonly client: Tributary
  readonly admin: Admin
  /** Who the console acts as: the user name, 'token', or null when the cluster asks for no login. */
  readonly principal: string | null

  constructor(readonly bootstrap: string, login: Login | null) {
    const sasl: SaslConfig | undefined = login === null
      ? undefined
      : login.mechanism === 'oauthbearer'
        ? { mechanism: 'oauthbearer', token: () => login.token }
        : { mechanism: login.mechanism, username: login.username, password: login.password }
    this.principal = login === null ? null : login.mechanism === 'oauthbearer' ? 'token' : login.username
    // Few retries: a page shows an error in place (with Retry) sooner than it hangs on a node that is down.
    this.client = new Tributary({ brokers: [bootstrap], clientId: 'tributary-console', sasl, retry: { retries: 2, initialRetryTimeMs: 100, maxRetryTimeMs: 1000 }, connectTimeoutMs: 5000 })
    this.admin = this.client.admin()
  }

  close(): Promise<void> {
    return this.client.close()
  }
}
