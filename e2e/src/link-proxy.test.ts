import net from 'node:net'
import { startLinkProxy, type LinkProxy } from './link-proxy.js'

/** An echo server on 127.0.0.1:0 that counts the connections it accepted. */
let echo: net.Server
let echoPort: number
let accepted = 0
let proxy: LinkProxy
const clients = new Set<net.Socket>()

beforeAll(async () => {
  echo = net.createServer((s) => {
    accepted++
    s.on('error', () => {})
    s.pipe(s)
  })
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', () => resolve()))
  echoPort = (echo.address() as net.AddressInfo).port
})

beforeEach(async () => {
  proxy = await startLinkProxy(echoPort)
})

afterEach(async () => {
  for (const c of clients) c.destroy()
  clients.clear()
  await proxy.close()
})

afterAll(async () => {
  await new Promise<void>((resolve) => echo.close(() => resolve()))
})

function connect(): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(proxy.port, '127.0.0.1', () => resolve(s))
    clients.add(s)
    s.once('error', reject)
  })
}

/** Resolve with everything read once `bytes` bytes arrived; reject if the socket closes first. */
function readBytes(s: net.Socket, bytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = ''
    const onData = (d: Buffer) => {
      got += d.toString()
      if (got.length >= bytes) { s.off('data', onData); s.off('close', onClose); resolve(got) }
    }
    const onClose = () => reject(new Error(`closed after ${got.length} of ${bytes} bytes`))
    s.on('data', onData)
    s.once('close', onClose)
  })
}

const closed = (s: net.Socket): Promise<void> => new Promise((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())))

test('pass forwards both directions', async () => {
  const s = await connect()
  s.write('hello')
  expect(await readBytes(s, 5)).toBe('hello')
})

test('cut resets open connections and refuses new ones; pass lets new ones through again', async () => {
  const s = await connect()
  s.write('a')
  await readBytes(s, 1)
  proxy.set('cut')
  await closed(s)
  const refused = net.connect(proxy.port, '127.0.0.1')
  clients.add(refused)
  refused.on('error', () => {})
  await closed(refused)
  proxy.set('pass')
  const again = await connect()
  again.write('b')
  expect(await readBytes(again, 1)).toBe('b')
})

test('blackhole holds a connection without ever reaching the target', async () => {
  proxy.set('blackhole')
  const before = accepted
  const held = await connect()
  held.write('lost')
  proxy.set('pass') // drops the held connection (a mode change ends blackholed sockets) ...
  await closed(held)
  const s = await connect() // ... and a passing round trip proves the target saw only this one
  s.write('x')
  await readBytes(s, 1)
  expect(accepted - before).toBe(1)
})

test('blackhole keeps an open connection: what was written meanwhile arrives, in order, once it lifts', async () => {
  const s = await connect()
  s.write('1')
  expect(await readBytes(s, 1)).toBe('1')
  proxy.set('blackhole')
  s.write('2')
  s.write('3')
  proxy.set('pass')
  s.write('4')
  expect(await readBytes(s, 3)).toBe('234')
})

test('delay adds latency per chunk, keeps order, and does not serialise chunks', async () => {
  const delayMs = 150
  proxy.set('delay', delayMs)
  const s = await connect()
  const chunks = 20
  const started = Date.now()
  for (let i = 0; i < chunks; i++) {
    s.write(String.fromCharCode(97 + i))
    await new Promise<void>((resolve) => setImmediate(resolve)) // separate writes, separate chunks
  }
  const got = await readBytes(s, chunks)
  const elapsed = Date.now() - started
  expect(got).toBe('abcdefghijklmnopqrst')
  expect(elapsed).toBeGreaterThanOrEqual(2 * delayMs - 5) // there and back
  expect(elapsed).toBeLessThan(chunks * delayMs) // latency, not one chunk per delay
})
