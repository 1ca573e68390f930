import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { clientAuthFrom, commandConfigTls, parseProperties } from './auth-flags.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'tributary-auth-flags-'))
const file = (name: string, content: string) => {
  const p = path.join(dir, name)
  writeFileSync(p, content)
  return p
}

describe('CLI login flags', () => {
  test('--user with --password-file: SCRAM-SHA-256 by default, the file\'s first line is the password', () => {
    const pw = file('pw', 'secret\nignored\n')
    expect(clientAuthFrom({ user: 'alice', passwordFile: pw }, {})).toEqual({ sasl: { mechanism: 'scram-sha-256', username: 'alice', password: 'secret' } })
  })

  test('env twins stand in for flags, and flags win', () => {
    const env = { TRIBUTARY_USER: 'env-user', TRIBUTARY_PASSWORD: 'env-pw', TRIBUTARY_SASL_MECHANISM: 'SCRAM-SHA-512' }
    expect(clientAuthFrom({}, env).sasl).toEqual({ mechanism: 'scram-sha-512', username: 'env-user', password: 'env-pw' })
    expect(clientAuthFrom({ user: 'flag-user' }, env).sasl).toMatchObject({ username: 'flag-user' })
  })

  test('--command-config: Kafka properties (simple keys, sasl.jaas.config, ssl.ca.location)', () => {
    const simple = file('a.properties', '# c\nsecurity.protocol=SASL_SSL\nsasl.mechanism=PLAIN\nsasl.username=bob\nsasl.password=pw=with=equals\nssl.ca.location=/ca.pem\n')
    expect(clientAuthFrom({ commandConfig: simple }, {})).toEqual({ sasl: { mechanism: 'plain', username: 'bob', password: 'pw=with=equals' } })
    expect(commandConfigTls({ commandConfig: simple }, {})).toEqual({ 'tls-ca': '/ca.pem', 'tls-cert': undefined, 'tls-key': undefined })
    const jaas = file('b.properties', 'sasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="carol" password="p\\"w";\n')
    expect(clientAuthFrom({ commandConfig: jaas }, {}).sasl).toEqual({ mechanism: 'scram-sha-512', username: 'carol', password: 'p"w' })
    expect(clientAuthFrom({ commandConfig: jaas, user: 'dave', password: 'x' }, {}).sasl).toMatchObject({ username: 'dave', password: 'x' })
  })

  test('--token-file: OAUTHBEARER, the file re-read at every login', async () => {
    const tf = file('token', 'tok-1\n')
    const auth = clientAuthFrom({ tokenFile: tf }, {})
    expect(auth.sasl?.mechanism).toBe('oauthbearer')
    const token = (auth.sasl as { token: () => Promise<string> | string }).token
    expect(await token()).toBe('tok-1')
    writeFileSync(tf, 'tok-2\n')
    expect(await token()).toBe('tok-2')
  })

  test('no login flags: no SASL', () => {
    expect(clientAuthFrom({}, {})).toEqual({})
  })

  test.each([
    [{ user: 'a' }, /needs --password-file/],
    [{ saslMechanism: 'plain', password: 'x' }, /needs --user/],
    [{ saslMechanism: 'gssapi', user: 'a', password: 'x' }, /not one of/],
    [{ saslMechanism: 'oauthbearer' }, /needs --token-file/],
    [{ user: 'a', password: 'x', passwordFile: '/nope' }, /not both/],
    [{ user: 'a', passwordFile: path.join(dir, 'missing') }, /cannot read/],
    [{ commandConfig: path.join(dir, 'missing.properties') }, /--command-config: cannot read/],
  ])('%j is a usage error', (args, why) => {
    expect(() => clientAuthFrom(args, {})).toThrow(why)
  })

  test('properties: comments, both separators, spaces around them', () => {
    expect([...parseProperties('! x\n a = 1\nb:2\n\n#c=3\n')]).toEqual([['a', '1'], ['b', '2']])
  })
})
