import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { publicKeyFromPem, publicKeysFromJwks, verifyJwt, type JwtKeys, type JwtPolicy } from './jwt.js'
import { oauthBearerProvider, parseOAuthBearerMessage } from './oauthbearer-server.js'

const NOW_MS = 1_800_000_000_000
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
const secret = Buffer.from('a-shared-secret-of-at-least-32-bytes!!')
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const otherEc = generateKeyPairSync('ec', { namedCurve: 'P-256' })

function token(alg: string, claims: Record<string, unknown>, key?: KeyObject | Buffer, header: Record<string, unknown> = {}): string {
  const input = `${b64({ alg, typ: 'JWT', ...header })}.${b64(claims)}`
  let sig = Buffer.alloc(0)
  if (alg === 'HS256') sig = createHmac('sha256', key as Buffer).update(input).digest()
  if (alg === 'RS256') sig = sign('sha256', Buffer.from(input), key as KeyObject)
  if (alg === 'ES256') sig = sign('sha256', Buffer.from(input), { key: key as KeyObject, dsaEncoding: 'ieee-p1363' })
  return `${input}.${sig.toString('base64url')}`
}

const claims = (over: Record<string, unknown> = {}) => ({ sub: 'alice', aud: 'tributary', iss: 'https://idp.example', exp: NOW_MS / 1000 + 600, ...over })
const policy: JwtPolicy = { audience: 'tributary', issuer: 'https://idp.example', principalClaim: 'sub' }
const pemKey = publicKeyFromPem(rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string)
const jwks = publicKeysFromJwks(JSON.stringify({ keys: [{ ...ec.publicKey.export({ format: 'jwk' }), kid: 'ec-1', use: 'sig' }] }))
const keys: JwtKeys = { hmacSecret: secret, publicKeys: [{ key: pemKey }, ...jwks] }
const check = (t: string, k: JwtKeys = keys, p: JwtPolicy = policy) => verifyJwt(t, k, p, NOW_MS)

describe('JWT verification', () => {
  test.each([
    ['HS256 with the shared secret', () => token('HS256', claims(), secret)],
    ['RS256 with a PEM public key', () => token('RS256', claims(), rsa.privateKey)],
    ['ES256 with a JWKS key (kid)', () => token('ES256', claims(), ec.privateKey, { kid: 'ec-1' })],
  ])('a valid token is accepted: %s', (_what, make) => {
    expect(check(make())).toEqual({ ok: true, value: { subject: 'alice', expiresAtMs: NOW_MS + 600_000 } })
  })

  test.each([
    ['expired', () => token('HS256', claims({ exp: NOW_MS / 1000 - 120 }), secret), /expired/],
    ['not yet valid (nbf)', () => token('HS256', claims({ nbf: NOW_MS / 1000 + 120 }), secret), /not valid before/],
    ['for another audience', () => token('HS256', claims({ aud: ['other'] }), secret), /audience/],
    ['from another issuer', () => token('HS256', claims({ iss: 'https://evil.example' }), secret), /issuer/],
    ['without exp', () => token('HS256', claims({ exp: undefined }), secret), /no exp/],
    ['without the principal claim', () => token('HS256', claims({ sub: undefined }), secret), /principal/],
    ['signed with another secret', () => token('HS256', claims(), Buffer.from('wrong-secret')), /signature/],
    ['signed by another EC key', () => token('ES256', claims(), otherEc.privateKey, { kid: 'ec-1' }), /signature/],
    ['whose payload was changed after signing', () => {
      const [h, , s] = token('RS256', claims(), rsa.privateKey).split('.')
      return `${h}.${b64(claims({ sub: 'admin' }))}.${s}`
    }, /signature/],
    ['unsigned (alg none)', () => `${b64({ alg: 'none' })}.${b64(claims())}.`, /alg none/],
    ['unsigned (alg NONE)', () => `${b64({ alg: 'NONE' })}.${b64(claims())}.`, /alg none/],
    ['with an unknown alg (HS512)', () => token('HS512', claims(), secret), /not accepted/],
    ['with a kid no key has', () => token('ES256', claims(), ec.privateKey, { kid: 'nope' }), /no configured ES256/],
    ['not a JWT at all', () => 'hello', /not a JWS/],
    ['with critical header extensions', () => token('HS256', claims(), secret, { crit: ['x'] }), /crit/],
  ])('a token %s is refused', (_what, make, why) => {
    const r = check(make())
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.message).toMatch(why)
  })

  test('HS256 "signed" with the RSA public key is refused when no secret is configured (alg confusion)', () => {
    const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' }) as Buffer
    const r = check(token('HS256', claims(), Buffer.from(pem)), { publicKeys: [{ key: pemKey }] })
    expect(r).toMatchObject({ ok: false, message: expect.stringMatching(/HS256 tokens are not accepted/) })
  })

  test('clock skew: a token that expired 10 s ago or starts in 10 s is still accepted', () => {
    expect(check(token('HS256', claims({ exp: NOW_MS / 1000 - 10 }), secret)).ok).toBe(true)
    expect(check(token('HS256', claims({ nbf: NOW_MS / 1000 + 10 }), secret)).ok).toBe(true)
  })

  test('the principal comes from the configured claim', () => {
    const r = check(token('HS256', claims({ preferred_username: 'bob' }), secret), keys, { ...policy, principalClaim: 'preferred_username' })
    expect(r).toMatchObject({ ok: true, value: { subject: 'bob' } })
  })

  test('no aud / iss configured: any audience and issuer pass', () => {
    expect(check(token('HS256', claims({ aud: 'x', iss: 'y' }), secret), keys, { principalClaim: 'sub' }).ok).toBe(true)
  })

  test('a JWKS without signing keys is a configuration error', () => {
    expect(() => publicKeysFromJwks(JSON.stringify({ keys: [{ kty: 'oct', k: 'abc' }] }))).toThrow(/no RSA or EC signing key/)
    expect(() => publicKeysFromJwks('{}')).toThrow(/"keys" array/)
  })
})

describe('OAUTHBEARER server', () => {
  const enc = (s: string) => new TextEncoder().encode(s)
  const provider = oauthBearerProvider({
    keys, policy, clock: { now: () => NOW_MS },
    session: (user, exp) => ({ principal: `User:${user}`, authenticated: true, mechanism: 'OAUTHBEARER', expiresAtMs: exp }),
  })
  const conn = { remoteAddress: '127.0.0.1', tls: false }

  test('RFC 7628 client message with a valid token opens a session ending with the token', async () => {
    const r = await provider.create(conn).step(enc(`n,,\x01auth=Bearer ${token('HS256', claims(), secret)}\x01\x01`))
    expect(r).toEqual({ kind: 'done', session: { principal: 'User:alice', authenticated: true, mechanism: 'OAUTHBEARER', expiresAtMs: NOW_MS + 600_000 } })
  })

  test('an expired token fails and says so (in the reason)', async () => {
    const r = await provider.create(conn).step(enc(`n,,\x01auth=Bearer ${token('HS256', claims({ exp: 1 }), secret)}\x01\x01`))
    expect(r).toMatchObject({ kind: 'failed', reason: expect.stringMatching(/expired/) })
  })

  test.each([
    ['no GS2 header', '\x01auth=Bearer x\x01\x01'],
    ['no auth', 'n,,\x01host=x\x01\x01'],
    ['not Bearer', 'n,,\x01auth=Basic abc\x01\x01'],
    ['no terminator', 'n,,\x01auth=Bearer abc'],
  ])('a malformed message (%s) is refused', (_what, msg) => {
    expect(parseOAuthBearerMessage(msg)).toHaveProperty('error')
  })

  test('extra key=value pairs are allowed', () => {
    expect(parseOAuthBearerMessage('n,,\x01host=h\x01auth=Bearer abc.def.ghi\x01port=1\x01\x01')).toEqual({ token: 'abc.def.ghi' })
  })
})
