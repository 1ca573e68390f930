import { fromBase64, toBase64 } from '@tributary/protocol'
import { SaslAuthenticationError, ScramClient, scramSaltedPassword } from './scram.js'

const enc = (s: string) => new TextEncoder().encode(s)
const dec = (b: Uint8Array) => new TextDecoder().decode(b)
const SERVER_FIRST = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'

const client = (over: Partial<ConstructorParameters<typeof ScramClient>[0]> = {}) =>
  new ScramClient({ params: { name: 'SCRAM-SHA-256', webHash: 'SHA-256' }, username: 'user', password: 'pencil', nonce: 'rOprNGfwEbeRWgbNEkqO', ...over })

describe('SCRAM client on WebCrypto', () => {
  // Reference: RFC 7677 §3.
  test('RFC 7677 test vector: client-first, client-final with the proof, server signature checked', async () => {
    const c = client()
    expect(dec(await c.start())).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO')
    expect(dec((await c.step(enc(SERVER_FIRST)))!)).toBe('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=')
    await expect(c.step(enc('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='))).resolves.toBeUndefined()
  })

  // Reference: RFC 5802 §5: the same code with SHA-1 gives the RFC's proof.
  test('RFC 5802 SHA-1 example', async () => {
    const c = client({ params: { name: 'SCRAM-SHA-256', webHash: 'SHA-1' }, nonce: 'fyko+d2lbbFgONRv9qkxdawL' })
    await c.start()
    const final = dec((await c.step(enc('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096')))!)
    expect(final).toBe('c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=')
    await expect(c.step(enc('v=rmF9pqV8S7suAoZWja4dJRkFsKQ='))).resolves.toBeUndefined()
  })

  test('a server that signs wrongly (does not hold the credentials) is refused', async () => {
    const c = client()
    await c.start()
    await c.step(enc(SERVER_FIRST))
    await expect(c.step(enc(`v=${toBase64(new Uint8Array(32))}`))).rejects.toThrow(/signature is wrong/)
  })

  test('a server error (e=) is reported', async () => {
    const c = client()
    await c.start()
    await c.step(enc(SERVER_FIRST))
    await expect(c.step(enc('e=invalid-proof'))).rejects.toThrow(/invalid-proof/)
  })

  test.each([
    ['a nonce that does not extend ours', 'r=someoneElse123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096', /nonce/],
    ['our nonce without a server part', 'r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096', /nonce/],
    ['an iteration count past the maximum', 'r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=100000000', /iteration/],
    ['a salt that is not base64', 'r=rOprNGfwEbeRWgbNEkqOx,s=***,i=4096', /salt/],
  ])('server-first with %s is refused', async (_what, msg, why) => {
    const c = client()
    await c.start()
    const err = await c.step(enc(msg)).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SaslAuthenticationError)
    expect((err as Error).message).toMatch(why)
  })

  test('user names with , and = are escaped (=2C, =3D)', async () => {
    expect(dec(await client({ username: 'a,b=c' }).start())).toBe('n,,n=a=2Cb=3Dc,r=rOprNGfwEbeRWgbNEkqO')
  })

  test('random nonces differ per exchange', async () => {
    const a = dec(await client({ nonce: undefined }).start())
    const b = dec(await client({ nonce: undefined }).start())
    expect(a).not.toBe(b)
  })

  test('the salted password is PBKDF2 of the password (RFC 7677 salt)', async () => {
    const salted = await scramSaltedPassword('SHA-256', 'pencil', fromBase64('W22ZaJ0SNY7soEsUEjb6gQ==')!, 4096)
    expect(salted.length).toBe(32)
    await expect(scramSaltedPassword('SHA-256', 'bad\u0000pw', new Uint8Array(16), 4096)).rejects.toThrow(/control characters/)
  })
})
