/** The SDK's PLAIN client (RFC 4616): one message, `NUL user NUL password`. Use it over TLS only. */
import type { SaslClientMechanism } from '@tributary/protocol'

export class PlainClient implements SaslClientMechanism {
  readonly name = 'PLAIN'
  constructor(private readonly username: string, private readonly password: string) {}

  async start(): Promise<Uint8Array> {
    return new TextEncoder().encode(`\u0000${this.username}\u0000${this.password}`)
  }

  async step(): Promise<Uint8Array | undefined> {
    return undefined
  }
}
