import { checkSaslConfig, saslClientFor } from './config.js'

const dec = (b: Uint8Array) => new TextDecoder().decode(b)

describe('sasl option', () => {
  test('each mechanism makes its client with its first message', async () => {
    expect(dec(await saslClientFor(checkSaslConfig({ mechanism: 'plain', username: 'u', password: 'p' })).start())).toBe('\u0000u\u0000p')
    expect(dec(await saslClientFor(checkSaslConfig({ mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' })).start())).toMatch(/^n,,n=u,r=[A-Za-z0-9+/=]{32}$/)
    expect(dec(await saslClientFor(checkSaslConfig({ mechanism: 'oauthbearer', token: async () => 'a.b.c' })).start())).toBe('n,,\x01auth=Bearer a.b.c\x01\x01')
    expect(saslClientFor(checkSaslConfig({ mechanism: 'scram-sha-256', username: 'u', password: 'p' })).name).toBe('SCRAM-SHA-256')
  })

  test('the token function is asked again for every exchange (refreshed tokens are used)', async () => {
    let n = 0
    const cfg = checkSaslConfig({ mechanism: 'oauthbearer', token: () => `t${++n}` })
    expect(dec(await saslClientFor(cfg).start())).toContain('Bearer t1')
    expect(dec(await saslClientFor(cfg).start())).toContain('Bearer t2')
  })

  test.each([
    [null, /sasl must be/],
    [{ mechanism: 'gssapi', username: 'u', password: 'p' }, /sasl.mechanism/],
    [{ mechanism: 'plain', password: 'p' }, /username/],
    [{ mechanism: 'scram-sha-256', username: 'u' }, /password/],
    [{ mechanism: 'oauthbearer', token: 'abc' }, /token must be a function/],
  ])('a bad option %j is refused at once', (sasl, why) => {
    expect(() => checkSaslConfig(sasl)).toThrow(why)
  })

  test('a token with spaces or an empty token is refused before it is sent', async () => {
    await expect(saslClientFor(checkSaslConfig({ mechanism: 'oauthbearer', token: async () => '' })).start()).rejects.toThrow(/non-empty token/)
    await expect(saslClientFor(checkSaslConfig({ mechanism: 'oauthbearer', token: async () => 'a b' })).start()).rejects.toThrow(/non-empty token/)
  })
})
