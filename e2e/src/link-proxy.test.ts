import net from 'node:net'
import { startLinkProxy, type LinkProxy } from './link-proxy.js'

/** A target that echoes what it receives and records, per accepted connection, its socket and every byte it got. */
interface Accepted { socket: net.Socket; received: string }
let echo: net.Server
let echoPort: number
const accepted: Accepted[] = []
let proxy: LinkProxy
const clients = new Set<net.Socket>()

beforeAll(async () => {
  echo = net.createServer((socket) => {
    const a: Accepted = { socket, received: '' }
    accepted.push(a)
    socket.on('error', () => {})
    socket.on('data', (d: Buffer) => { a.received += d.toString(); socket.write(d) })
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
  for (const a of accepted) a.socket.destroy()
  accepted.length = 0
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

/** Poll `cond` until true; fail with `what` at the deadline (a condition to wait for, not a sleep). */
async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** Everything `s` receives from now on, as it arrives. */
function collect(s: net.Socket): { text: string } {
  const got = { text: '' }
  s.on('data', (d: Buffer) => { got.text += d.toString() })
  return got
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
  const held = await connect()
  held.write('lost')
  proxy.set('pass') // drops the held connection (a mode change ends blackholed sockets) ...
  await closed(held)
  const s = await connect() // ... and a passing round trip proves the target saw only this one
  s.write('x')
  await readBytes(s, 1)
  expect(accepted.map((a) => a.received)).toEqual(['x'])
})

test('blackhole keeps an open connection: what is written meanwhile is held, then arrives, in order, once it lifts', async () => {
  const s = await connect()
  s.write('1')
  expect(await readBytes(s, 1)).toBe('1')
  const got = collect(s)
  proxy.set('blackhole')
  s.write('2')
  s.write('3')
  await until(() => proxy.queuedBytes() === 2, 'the proxy to hold 2 bytes')
  expect(accepted.map((a) => a.received)).toEqual(['1']) // the target saw nothing new ...
  accepted[0]!.socket.write('b') // ... and what it sends is held too
  await until(() => proxy.queuedBytes() === 3, 'the proxy to hold the answer')
  expect(got.text).toBe('')
  proxy.set('pass')
  s.write('4')
  await until(() => got.text.length === 4, 'everything held to arrive')
  expect(got.text).toBe('b234')
  expect(accepted.map((a) => a.received)).toEqual(['1234'])
  expect(proxy.queuedBytes()).toBe(0)
})

test('blackhole-forward holds what the opener sends while the target\'s bytes flow back', async () => {
  const s = await connect()
  const got = collect(s)
  await until(() => accepted.length === 1, 'the target to accept')
  proxy.set('blackhole-forward')
  s.write('req')
  accepted[0]!.socket.write('news')
  await until(() => got.text === 'news' && proxy.queuedBytes() === 3, 'the answer through, the request held')
  expect(accepted[0]!.received).toBe('')
  proxy.set('pass')
  await until(() => got.text === 'newsreq', 'the held request to reach the target and come back')
  expect(accepted[0]!.received).toBe('req')
})

test('blackhole-backward lets the opener\'s bytes (new connections too) reach the target and holds what comes back', async () => {
  proxy.set('blackhole-backward')
  const s = await connect()
  const got = collect(s)
  s.write('ab')
  await until(() => accepted.length === 1 && accepted[0]!.received === 'ab', 'the target to receive')
  await until(() => proxy.queuedBytes() === 2, 'the echo to be held')
  expect(got.text).toBe('')
  s.write('c')
  await until(() => accepted[0]!.received === 'abc' && proxy.queuedBytes() === 3, 'the next byte through and its echo held')
  proxy.set('pass')
  await until(() => got.text.length === 3, 'the held echo to arrive')
  expect(got.text).toBe('abc')
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
