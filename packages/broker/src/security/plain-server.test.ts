import { saltedPassword, scramKeys } from './scram-crypto.js'
import type { CredentialSource, ScramCredential } from './credentials.js'
import { plainProvider } from './plain-server.js'

const enc = (s: string) => new TextEncoder().encode(s)

describe('PLAIN server', () => {
  let users: Record<string, ScramCredential>
  beforeAll(async () => {
    const salt = new Uint8Array(16).fill(3)
    users = { alice: { salt, iterations: 4096, ...scramKeys('sha512', await saltedPassword('sha512', 'secret', salt, 4096)) } }
  })
  const source = (): CredentialSource => ({
    scram: (u, m) => (m === 'SCRAM-SHA-512' ? users[u] : undefined),
    scramAll: (u) => (users[u] ? [{ mechanism: 'SCRAM-SHA-512', credential: users[u]! }] : []),
  })
  const provider = (allowPlaintextPasswords: boolean) => plainProvider({
    credentials: source(), allowPlaintextPasswords,
    session: (user) => ({ principal: `User:${user}`, authenticated: true, mechanism: 'PLAIN' }),
  })

  test('the right password (checked against the SCRAM credential) logs in over TLS', async () => {
    const r = await provider(false).create({ remoteAddress: 'a', tls: true }).step(enc('\u0000alice\u0000secret'))
    expect(r).toMatchObject({ kind: 'done', session: { principal: 'User:alice' } })
  })

  test('without TLS PLAIN is refused unless plaintext passwords are allowed', async () => {
    const refused = await provider(false).create({ remoteAddress: 'a', tls: false }).step(enc('\u0000alice\u0000secret'))
    expect(refused).toMatchObject({ kind: 'failed', reason: expect.stringMatching(/without TLS/) })
    const allowed = await provider(true).create({ remoteAddress: 'a', tls: false }).step(enc('\u0000alice\u0000secret'))
    expect(allowed.kind).toBe('done')
  })

  test('a wrong password and an unknown user fail alike', async () => {
    const wrong = await provider(true).create({ remoteAddress: 'a', tls: true }).step(enc('\u0000alice\u0000nope'))
    const unknown = await provider(true).create({ remoteAddress: 'a', tls: true }).step(enc('\u0000mallory\u0000secret'))
    expect(wrong.kind).toBe('failed')
    expect(unknown.kind).toBe('failed')
  })

  test('malformed messages and a foreign authzid are refused', async () => {
    for (const m of ['alice\u0000secret', '\u0000\u0000secret', 'bob\u0000alice\u0000secret']) {
      expect((await provider(true).create({ remoteAddress: 'a', tls: true }).step(enc(m))).kind).toBe('failed')
    }
  })
})
