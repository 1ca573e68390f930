import { fromBase64, SCRAM_MECHANISMS, toBase64, type ScramMechanismName } from '@tributary/protocol'
import type { CredentialSource, ScramCredential } from './credentials.js'
import { clientProof, saltedPassword, scramKeys, serverSignature } from './scram-crypto.js'
import { ScramServer } from './scram-server.js'

const SHA256 = SCRAM_MECHANISMS[0]!
const enc = (s: string) => new TextEncoder().encode(s)
const dec = (b: Uint8Array) => new TextDecoder().decode(b)

async function credential(hash: 'sha256' | 'sha512', password: string, salt: Uint8Array, iterations = 4096): Promise<ScramCredential> {
  return { salt, iterations, ...scramKeys(hash, await saltedPassword(hash, password, salt, iterations)) }
}

function source(users: Record<string, ScramCredential>, mechanism: ScramMechanismName = 'SCRAM-SHA-256'): CredentialSource {
  return {
    scram: (u, m) => (m === mechanism ? users[u] : undefined),
    scramAll: (u) => (users[u] ? [{ mechanism, credential: users[u]! }] : []),
  }
}

function server(users: Record<string, ScramCredential>, nonce?: string): ScramServer {
  return new ScramServer({
    params: SHA256,
    credentials: source(users),
    session: (user) => ({ principal: `User:${user}`, authenticated: true, mechanism: 'SCRAM-SHA-256' }),
    fakeSaltKey: new Uint8Array(32).fill(7),
    nonce: nonce ? () => nonce : undefined,
  })
}

describe('SCRAM arithmetic', () => {
  // Reference: RFC 5802 §5 (SCRAM-SHA-1): the same arithmetic with SHA-1.
  test('RFC 5802 SHA-1 example: client proof and server signature', async () => {
    const salted = await saltedPassword('sha1', 'pencil', fromBase64('QSXCR+Q6sek8bf92')!, 4096)
    const authMessage = 'n=user,r=fyko+d2lbbFgONRv9qkxdawL,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096,c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j'
    expect(toBase64(clientProof('sha1', salted, authMessage))).toBe('v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=')
    expect(toBase64(serverSignature('sha1', scramKeys('sha1', salted).serverKey, authMessage))).toBe('rmF9pqV8S7suAoZWja4dJRkFsKQ=')
  })
})

describe('SCRAM-SHA-256 server', () => {
  // Reference: RFC 7677 §3, the SCRAM-SHA-256 exchange, byte for byte.
  test('RFC 7677 test vector: server-first, proof accepted, server-final', async () => {
    const salt = fromBase64('W22ZaJ0SNY7soEsUEjb6gQ==')!
    const s = server({ user: await credential('sha256', 'pencil', salt) }, '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0')
    const first = await s.step(enc('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'))
    expect(first.kind).toBe('continue')
    expect(dec((first as { challenge: Uint8Array }).challenge)).toBe('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096')
    const final = await s.step(enc('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='))
    expect(final.kind).toBe('done')
    if (final.kind !== 'done') return
    expect(final.session.principal).toBe('User:user')
    expect(dec(final.finalMessage!)).toBe('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')
  })

  const rfcFinal = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='
  const rfcServer = async (password = 'pencil') => server({ user: await credential('sha256', password, fromBase64('W22ZaJ0SNY7soEsUEjb6gQ==')!) }, '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0')

  test('a wrong password fails the proof', async () => {
    const s = await rfcServer('not-pencil')
    await s.step(enc('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'))
    const r = await s.step(enc(rfcFinal))
    expect(r).toEqual({ kind: 'failed', reason: expect.stringContaining('wrong password') })
  })

  test('an unknown user gets a server-first like a known one (stable fake salt, 4096) and then fails', async () => {
    const a = server({})
    const b = server({})
    const fa = dec(((await a.step(enc('n,,n=ghost,r=abc'))) as { challenge: Uint8Array }).challenge)
    const fb = dec(((await b.step(enc('n,,n=ghost,r=abc'))) as { challenge: Uint8Array }).challenge)
    expect(fa).toMatch(/^r=abc[^,]+,s=[A-Za-z0-9+/=]+,i=4096$/)
    expect(fa.split(',')[1]).toBe(fb.split(',')[1]) // the same salt every time for the same name
    const nonce = fa.split(',')[0]!.slice(2)
    const r = await a.step(enc(`c=biws,r=${nonce},p=${toBase64(new Uint8Array(32))}`))
    expect(r).toEqual({ kind: 'failed', reason: expect.stringContaining('unknown user') })
  })

  test('a client-final with another nonce is refused', async () => {
    const s = await rfcServer()
    await s.step(enc('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'))
    const r = await s.step(enc(rfcFinal.replace('k0,p=', 'k1,p=')))
    expect(r).toEqual({ kind: 'failed', reason: expect.stringContaining('nonce') })
  })

  test("librdkafka's client-final (its client nonce again in front of the exchange's) is accepted, as Kafka accepts it; a nonce not ending with the exchange's is not", async () => {
    const password = 'pencil'
    const salt = fromBase64('W22ZaJ0SNY7soEsUEjb6gQ==')!
    const s = server({ user: await credential('sha256', password, salt) }, 'SERVERPART')
    await s.step(enc('n,,n=user,r=CLIENT'))
    const withoutProof = 'c=biws,r=CLIENTCLIENTSERVERPART'
    const authMessage = `n=user,r=CLIENT,r=CLIENTSERVERPART,s=${toBase64(salt)},i=4096,${withoutProof}`
    const proof = clientProof('sha256', await saltedPassword('sha256', password, salt, 4096), authMessage)
    expect((await s.step(enc(`${withoutProof},p=${toBase64(proof)}`))).kind).toBe('done')
    const other = server({ user: await credential('sha256', password, salt) }, 'SERVERPART')
    await other.step(enc('n,,n=user,r=CLIENT'))
    const r = await other.step(enc(`c=biws,r=CLIENTSERVERPARTX,p=${toBase64(proof)}`))
    expect(r).toEqual({ kind: 'failed', reason: expect.stringContaining('nonce') })
  })

  test('channel binding: c= must carry the GS2 header the client sent; p= (PLUS) is refused', async () => {
    const s = await rfcServer()
    await s.step(enc('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'))
    const r = await s.step(enc(rfcFinal.replace('c=biws', `c=${toBase64(enc('y,,'))}`)))
    expect(r).toEqual({ kind: 'failed', reason: expect.stringContaining('channel binding') })
    const plus = await server({}).step(enc('p=tls-unique,,n=user,r=abc'))
    expect(plus).toEqual({ kind: 'failed', reason: expect.stringContaining('channel binding') })
  })

  test.each([
    ['no GS2 header', 'n=user,r=abc'],
    ['empty nonce', 'n,,n=user,r='],
    ['a nonce with a comma-free but non-printable char', 'n,,n=user,r=a\u0001b'],
    ['a mandatory extension', 'n,,m=ext,n=user,r=abc'],
    ['a bad escape in the name', 'n,,n=us=41er,r=abc'],
    ['another authorization id', 'n,a=admin,n=user,r=abc'],
  ])('client-first with %s is refused', async (_what, msg) => {
    expect((await server({}).step(enc(msg))).kind).toBe('failed')
  })

  test('escaped names (=2C, =3D) are looked up unescaped', async () => {
    const salt = new Uint8Array(16).fill(1)
    const s = server({ 'a,b=c': await credential('sha256', 'pw', salt) })
    const first = await s.step(enc('n,,n=a=2Cb=3Dc,r=abc'))
    expect(dec((first as { challenge: Uint8Array }).challenge)).toContain(`s=${toBase64(salt)}`)
  })

  test('a message after the exchange ended is refused', async () => {
    const s = server({})
    await s.step(enc('garbage'))
    expect((await s.step(enc('n,,n=user,r=abc'))).kind).toBe('failed')
  })
})
