import WebSocket from 'ws'
import { pino } from 'pino'
import { ApiKey, decodeResponse, encodeRequest, ErrorCode, RpcConnection } from '@tributary/protocol'
import { BrokerMetrics } from '../metrics.js'
import { Handlers } from './handler-registry.js'
import { startServer, type NodeServer } from './server.js'
import { wsConnector } from './ws-transport.js'

const zero = () => 0
const gauges = {
  raftTerm: zero, raftCommitIndex: zero, raftLeaderId: zero, metadataOffset: zero, fencedBrokers: zero,
  activeController: () => false, clusterPartitions: zero, clusterUnderReplicatedPartitions: zero, clusterOfflinePartitions: zero,
}

let server: NodeServer
let ready = false
const release: Array<() => void> = []
const sockets: WebSocket[] = []

beforeAll(async () => {
  const handlers = new Handlers()
  handlers.register(ApiKey.Metadata, (body) => ({ errorCode: 0, body: { echo: body.n ?? null } }))
  handlers.register(ApiKey.Fetch, () => new Promise((resolve) => release.push(() => resolve({ errorCode: 0, body: {} }))))
  handlers.register(ApiKey.Produce, () => { throw new Error('boom') })
  handlers.register(ApiKey.ListOffsets, async () => { throw new Error('async boom') })
  handlers.register(ApiKey.Raft, () => undefined)
  server = await startServer({
    host: '127.0.0.1', port: 0, maxConnections: 4, inFlightPerConnectionMax: 3, frameBytesMax: 64 * 1024,
    handlers, metrics: new BrokerMetrics(9, { gauges }), logger: pino({ level: 'silent' }),
    readiness: () => ({ ready, reason: ready ? 'ready' : 'not registered' }),
  })
})

afterAll(async () => {
  for (const r of release) r()
  for (const s of sockets) s.terminate()
  await server.close()
})

const url = () => `ws://127.0.0.1:${server.port}`
async function connect(): Promise<RpcConnection> {
  return new RpcConnection(await wsConnector()(url()), { inFlightMax: 100 })
}
function raw(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url())
    sockets.push(ws)
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}
const nextMessage = (ws: WebSocket) => new Promise<Buffer>((resolve) => ws.once('message', (d) => resolve(d as Buffer)))
const closeCode = (ws: WebSocket) => new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))

test('a request is answered with its correlation id', async () => {
  const c = await connect()
  const r = await c.request(ApiKey.Metadata, { n: 5 })
  expect(r).toEqual({ errorCode: 0, body: { echo: 5 } })
  c.close()
})

test('unknown APIs and versions get UNSUPPORTED_VERSION, the connection stays open', async () => {
  const ws = await raw()
  ws.send(encodeRequest(4242, 0, 17, {}))
  const a = decodeResponse(await nextMessage(ws))
  ws.send(encodeRequest(ApiKey.Metadata, 9, 18, {}))
  const b = decodeResponse(await nextMessage(ws))
  expect(a.ok && a.value).toMatchObject({ correlationId: 17, errorCode: ErrorCode.UNSUPPORTED_VERSION })
  expect(b.ok && b.value).toMatchObject({ correlationId: 18, errorCode: ErrorCode.UNSUPPORTED_VERSION })
  ws.close()
})

test('a frame with a readable correlation id but a bad body gets INVALID_REQUEST', async () => {
  const ws = await raw()
  ws.send(Uint8Array.from([0x94, 0x03, 0x00, 0x2a, 0x05])) // [3, 0, 42, 5]: body is not a map
  const r = decodeResponse(await nextMessage(ws))
  expect(r.ok && r.value).toMatchObject({ correlationId: 42, errorCode: ErrorCode.INVALID_REQUEST })
  ws.close()
})

test('bytes with no correlation id close the connection with a protocol error', async () => {
  const ws = await raw()
  const closed = closeCode(ws)
  ws.send(Uint8Array.from([0xc1, 0xff, 0x00]))
  expect(await closed).toBe(1002)
})

test('text frames close the connection with 1003', async () => {
  const ws = await raw()
  const closed = closeCode(ws)
  ws.send('hello')
  expect(await closed).toBe(1003)
})

test('a frame above the limit closes the connection with 1009', async () => {
  const ws = await raw()
  const closed = closeCode(ws)
  ws.send(new Uint8Array(65 * 1024))
  expect(await closed).toBe(1009)
})

test('a handler that throws answers UNKNOWN_SERVER_ERROR and the node keeps serving', async () => {
  const c = await connect()
  expect((await c.request(ApiKey.Produce, {})).errorCode).toBe(ErrorCode.UNKNOWN_SERVER_ERROR)
  expect((await c.request(ApiKey.ListOffsets, {})).errorCode).toBe(ErrorCode.UNKNOWN_SERVER_ERROR)
  expect((await c.request(ApiKey.Metadata, {})).errorCode).toBe(0)
  c.close()
})

test('requests beyond the in-flight bound get TOO_MANY_IN_FLIGHT; one-way requests get nothing', async () => {
  const c = await connect()
  const held = [1, 2, 3].map(() => c.request(ApiKey.Fetch, {}))
  const refused = await c.request(ApiKey.Fetch, {})
  expect(refused.errorCode).toBe(ErrorCode.TOO_MANY_IN_FLIGHT)
  for (const r of release.splice(0)) r()
  expect((await Promise.all(held)).map((r) => r.errorCode)).toEqual([0, 0, 0])
  c.send(ApiKey.Raft, { messages: [] })
  expect((await c.request(ApiKey.Metadata, { n: 1 })).body).toEqual({ echo: 1 })
  c.close()
})

test('connections past the maximum are refused at the upgrade', async () => {
  const open = await Promise.all([raw(), raw(), raw(), raw()])
  await expect(raw()).rejects.toThrow(/503/)
  for (const ws of open) ws.close()
})

test('HTTP: /healthz, /readyz follows readiness, /metrics is per node', async () => {
  const get = (p: string) => fetch(`http://127.0.0.1:${server.port}${p}`)
  expect((await get('/healthz')).status).toBe(200)
  ready = false
  expect((await get('/readyz')).status).toBe(503)
  ready = true
  expect((await get('/readyz')).status).toBe(200)
  const text = await (await get('/metrics')).text()
  expect(text).toMatch(/tributary_requests_total\{api="Metadata",error="NONE",node_id="9"\} \d+/)
  expect(text).toMatch(/tributary_request_duration_seconds_bucket/)
  expect((await get('/nope')).status).toBe(404)
})

test('a request carries the listener its server is (null for the primary one)', async () => {
  const handlers = new Handlers()
  handlers.register(ApiKey.Metadata, (_body, ctx) => ({ errorCode: 0, body: { listener: ctx.listener } }))
  const common = { host: '127.0.0.1', port: 0, maxConnections: 4, inFlightPerConnectionMax: 3, frameBytesMax: 64 * 1024, handlers, metrics: new BrokerMetrics(9, { gauges }), logger: pino({ level: 'silent' }), readiness: () => ({ ready: true, reason: 'ready' }) }
  const [primary, external] = await Promise.all([startServer(common), startServer({ ...common, listener: 'external' })])
  try {
    for (const [s, expected] of [[primary, null], [external, 'external']] as const) {
      const c = new RpcConnection(await wsConnector()(`ws://127.0.0.1:${s.port}`), { inFlightMax: 1 })
      expect((await c.request(ApiKey.Metadata, {})).body).toEqual({ listener: expected })
      c.close()
    }
  } finally {
    await Promise.all([primary.close(), external.close()])
  }
})
