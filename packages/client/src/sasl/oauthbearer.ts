/**
 * The SDK's OAUTHBEARER client (RFC 7628, as Kafka's KIP-255): asks the
 * application for a token at every (re-)authentication, so a refreshed token
 * is picked up, and sends `n,,\x01auth=Bearer <token>\x01\x01`.
 */
import type { SaslClientMechanism } from '@tributary/protocol'
import { SaslAuthenticationError } from './scram.js'

export class OAuthBearerClient implements SaslClientMechanism {
  readonly name = 'OAUTHBEARER'
  constructor(private readonly token: () => Promise<string> | string) {}

  async start(): Promise<Uint8Array> {
    const t = await this.token()
    if (typeof t !== 'string' || !/^[\x21-\x7e]+$/.test(t)) throw new SaslAuthenticationError('sasl.token() must resolve to a non-empty token string without spaces')
    return new TextEncoder().encode(`n,,\x01auth=Bearer ${t}\x01\x01`)
  }

  async step(): Promise<Uint8Array | undefined> {
    return undefined
  }
}
