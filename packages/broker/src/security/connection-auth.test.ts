/**
 * The server's side of authentication over a real socket: the SASL state
 * machine, admission before authentication, the broker gate, and the defences
 * (failed-authentication delay, handshake timeout, per-address cap, expiry).
 * Time is a ManualClock, so delays and timeouts are stepped, not slept.
 */
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { ApiKey, authenticate, ErrorCode, RpcConnection, type SaslClientMechanism } from '@tributary/protocol'
import { BrokerMetrics } from '../metrics.js'
import { Handlers } from '../net/handler-registry.js'
import { startServer, type NodeServer } from '../net/server.js'
import { wsConnector } from '../net/ws-transport.js'
import type { RequestContext, Session } from '../seams.js'
import { ManualClock } from '../testing/manual-clock.js'
import { Authenticator, type AuthenticatorOptions } from './authenticator.js'
import { BrokerClientMechanism, brokerMechanismProvider, clusterKey } from './broker-mechanism.js'
import type { SaslMechanismProvider } from './sasl.js'

const zero = () => 0
const gauges = {
  raftTerm: zero, raftCommitIndex: zero, raftLeaderId: zero, metadataOffset: zero, fencedBrokers: zero,
  activeController: () => false, clusterPartitions: zero, clusterUnderReplicatedPartitions: zero, clusterOfflinePartitions: zero,
}
const KEY = clusterKey(new TextEncoder().encode('a cluster secret of some length'))
const DELAY_MS = 100
const TIMEOUT_MS = 10_000
const enc = new TextEncoder()

/** TOKEN: one message "user:password"; alice/secret and bob/hunter2 pass. `ttl=N` in the message gives the session N ms. */
function tokenProvider(clock: ManualClock): SaslMechanismProvider {
  return {
    name: 'TOKEN',
    create: () => ({
      async step(message) {
        const [cred, ttl] = new TextDecoder().decode(message).split(' ttl=')
        const [user, password] = cred!.split(':')
        if (!((user === 'alice' && password === 'secret') || (user === 'bob' && password === 'hunter2'))) return { kind: 'failed', reason: `bad password for ${user}` }
        const session: Session = { principal: `User:${user}`, authenticated: true, mechanism: 'TOKEN' }
        if (ttl) session.expiresAtMs = clock.now() + Number(ttl)
        return { kind: 'done', session }
      },
    }),
  }
}

const token = (text: string): SaslClientMechanism => ({ name: 'TOKEN', start: async () => enc.encode(text), step: async () => undefined })

interface World {
  server: NodeServer
  clock: ManualClock
  metrics: BrokerMetrics
  seen: RequestContext[]
  logs: string[]
  url: string
  connect(): Promise<RpcConnection>
}

const worlds: World[] = []
const conns: RpcConnection[] = []

async function world(opts: Partial<AuthenticatorOptions> = {}): Promise<World> {
  const clock = new ManualClock()
  const logs: string[] = []
  const logger = pino({ level: 'info' }, new Writable({ write(chunk, _enc, done) { logs.push(String(chunk)); done() } }))
  const metrics = new BrokerMetrics(1, { gauges })
  const seen: RequestContext[] = []
  const handlers = new Handlers()
  handlers.register(ApiKey.ApiVersions, () => ({ errorCode: 0, body: { apiKeys: [] } }))
  handlers.register(ApiKey.Metadata, (_b, ctx) => { seen.push(ctx); return { errorCode: 0, body: {} } })
  handlers.register(ApiKey.UnregisterBroker, (_b, ctx) => { seen.push(ctx); return { errorCode: 0, body: {} } }, { clusterInternal: true })
  const authenticator = new Authenticator({
    mechanisms: [tokenProvider(clock), brokerMechanismProvider(KEY, 1)],
    saslRequired: true, clusterProtected: true,
    saslHandshakeTimeoutMs: TIMEOUT_MS, failedAuthenticationDelayMs: DELAY_MS, unauthenticatedConnectionsPerAddressMax: 8,
    clock, metrics, logger,
    ...opts,
  })
  const server = await startServer({
    host: '127.0.0.1', port: 0, maxConnections: 64, inFlightPerConnectionMax: 16, frameBytesMax: 64 * 1024,
    handlers, metrics, logger, authenticator, readiness: () => ({ ready: true, reason: 'ready' }),
  })
  const url = `ws://127.0.0.1:${server.port}`
  const w: World = {
    server, clock, metrics, seen, logs, url,
    async connect() {
      const c = new RpcConnection(await wsConnector()(url), { requestTimeoutMs: 5000 })
      conns.push(c)
      return c
    },
  }
  worlds.push(w)
  return w
}

afterEach(async () => {
  for (const c of conns.splice(0)) c.close()
  for (const w of worlds.splice(0)) await w.server.close()
})

const closed = (c: RpcConnection) => new Promise<string>((resolve) => { c.onClose = (err) => resolve(err.message) })

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

test('before authentication only ApiVersions and the handshake are served; nothing else reaches a handler', async () => {
  const w = await world()
  const c = await w.connect()
  expect((await c.request(ApiKey.ApiVersions, {})).errorCode).toBe(0)
  const r = await c.request(ApiKey.Metadata, {})
  expect(r.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED)
  expect(r.body.errorMessage).toMatch(/requires authentication first .*TOKEN, TRIBUTARY-BROKER/)
  expect(w.seen).toEqual([])
})

test('out-of-order SASL requests get ILLEGAL_SASL_STATE; an unknown mechanism gets UNSUPPORTED_SASL_MECHANISM with the list', async () => {
  const w = await world()
  const c = await w.connect()
  expect((await c.request(ApiKey.SaslAuthenticate, { authBytes: enc.encode('alice:secret') })).errorCode).toBe(ErrorCode.ILLEGAL_SASL_STATE)
  const unknown = await c.request(ApiKey.SaslHandshake, { mechanism: 'GSSAPI' })
  expect(unknown).toEqual({ errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, body: expect.objectContaining({ mechanisms: ['TOKEN', 'TRIBUTARY-BROKER'] }) })
  expect((await c.request(ApiKey.SaslHandshake, { mechanism: 'token' })).body).toEqual({ mechanisms: ['TOKEN', 'TRIBUTARY-BROKER'] })
})

test('a good exchange authenticates the connection: handlers see the principal, and only this connection', async () => {
  const w = await world()
  const c = await w.connect()
  expect(await authenticate(c, token('alice:secret'))).toEqual({ sessionLifetimeMs: 0 })
  expect((await c.request(ApiKey.Metadata, {})).errorCode).toBe(0)
  expect(w.seen[0]).toMatchObject({ session: { principal: 'User:alice', authenticated: true }, clusterAccess: false, tls: false })
  const other = await w.connect()
  expect((await other.request(ApiKey.Metadata, {})).errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED)
  expect(await w.metrics.registry.getSingleMetricAsString('tributary_authentications_total')).toMatch(/mechanism="TOKEN",result="ok".* 1/)
})

test('a failed authentication is answered only after the delay, with one message, then the connection is closed', async () => {
  const w = await world()
  const c = await w.connect()
  const gone = closed(c)
  await c.request(ApiKey.SaslHandshake, { mechanism: 'TOKEN' })
  let answer: { errorCode: number; body: any } | undefined
  void c.request(ApiKey.SaslAuthenticate, { authBytes: enc.encode('alice:wrong') }).then((r) => { answer = r })
  // A later request on the same connection is answered while the failure is still held back.
  expect((await c.request(ApiKey.ApiVersions, {})).errorCode).toBe(0)
  expect(answer).toBeUndefined()
  await w.clock.advance(DELAY_MS - 1)
  expect(answer).toBeUndefined()
  await w.clock.advance(1)
  await until(() => answer !== undefined, 'the refusal')
  expect(answer).toEqual({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, body: { errorMessage: 'authentication failed (TOKEN): invalid credentials' } })
  await w.clock.advance(0)
  expect(await gone).toMatch(/1008 authentication failed/)
  // An unknown user gets the very same answer; the reason is logged, never sent.
  const d = await w.connect()
  await d.request(ApiKey.SaslHandshake, { mechanism: 'TOKEN' })
  const unknownUser = d.request(ApiKey.SaslAuthenticate, { authBytes: enc.encode('mallory:secret') })
  await until(() => w.logs.some((l) => l.includes('mallory')), 'the second failure to be logged')
  await w.clock.advance(DELAY_MS)
  expect((await unknownUser).body).toEqual(answer!.body)
  expect(w.logs.filter((l) => l.includes('authentication failed')).join()).toMatch(/bad password for alice.*bad password for mallory/s)
  expect(await w.metrics.registry.getSingleMetricAsString('tributary_authentications_total')).toMatch(/mechanism="TOKEN",result="failed".* 2/)
})

test('a connection that does not authenticate within the handshake timeout is closed; an authenticated one stays', async () => {
  const w = await world()
  const idle = await w.connect()
  const idleGone = closed(idle)
  const good = await w.connect()
  await authenticate(good, token('bob:hunter2'))
  await w.clock.advance(TIMEOUT_MS)
  expect(await idleGone).toMatch(/1008 no authentication within 10000 ms/)
  expect((await good.request(ApiKey.Metadata, {})).errorCode).toBe(0)
})

test('one address may hold only so many unauthenticated connections; authenticating frees a slot', async () => {
  const w = await world({ unauthenticatedConnectionsPerAddressMax: 2 })
  const a = await w.connect()
  await w.connect()
  const third = await w.connect()
  expect(await closed(third)).toMatch(/1013 too many unauthenticated connections/)
  await authenticate(a, token('alice:secret'))
  const fourth = await w.connect()
  expect((await fourth.request(ApiKey.ApiVersions, {})).errorCode).toBe(0)
  expect(fourth.closed).toBe(false)
})

test('a session past its lifetime may send nothing but a re-authentication, which must keep the principal', async () => {
  const w = await world()
  const c = await w.connect()
  expect(await authenticate(c, token('alice:secret ttl=1000'))).toEqual({ sessionLifetimeMs: 1000 })
  expect((await c.request(ApiKey.Metadata, {})).errorCode).toBe(0)
  await w.clock.advance(1000)
  const expired = await c.request(ApiKey.Metadata, {})
  expect(expired).toMatchObject({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, body: { errorMessage: expect.stringMatching(/expired/) } })
  await authenticate(c, token('alice:secret ttl=1000'))
  expect((await c.request(ApiKey.Metadata, {})).errorCode).toBe(0)
  // As someone else: refused (after the delay) and closed.
  const gone = closed(c)
  const other = authenticate(c, token('bob:hunter2')).catch((e) => e)
  await until(() => w.logs.some((l) => l.includes('re-authentication as User:bob')), 'the refusal to be logged')
  await w.clock.advance(DELAY_MS)
  expect(await other).toMatchObject({ code: ErrorCode.SASL_AUTHENTICATION_FAILED })
  await w.clock.advance(0)
  await gone
})

test('cluster-internal APIs: CLUSTER_AUTHORIZATION_FAILED for a user, logged once per connection; served to a broker', async () => {
  const w = await world()
  const user = await w.connect()
  await authenticate(user, token('alice:secret'))
  for (let i = 0; i < 3; i++) expect((await user.request(ApiKey.UnregisterBroker, { nodeId: 1 })).errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
  expect(w.seen).toEqual([])
  expect(w.logs.filter((l) => l.includes('cluster-internal API refused'))).toHaveLength(1)
  expect(w.logs.find((l) => l.includes('cluster-internal API refused'))).toMatch(/"remoteAddress":"127\.0\.0\.1".*"principal":"User:alice"/)
  expect(await w.metrics.registry.getSingleMetricAsString('tributary_cluster_authorization_failures_total')).toMatch(/api="UnregisterBroker".* 3/)

  const broker = await w.connect()
  await authenticate(broker, new BrokerClientMechanism(KEY, 2, 1))
  expect((await broker.request(ApiKey.UnregisterBroker, { nodeId: 3 })).errorCode).toBe(0)
  expect(w.seen[0]).toMatchObject({ session: { principal: 'Broker:2', brokerId: 2 }, clusterAccess: true })
})

test('without a cluster secret or CA and without SASL, every connection may do everything, as before', async () => {
  const w = await world({ mechanisms: [], saslRequired: false, clusterProtected: false })
  const c = await w.connect()
  expect((await c.request(ApiKey.UnregisterBroker, { nodeId: 1 })).errorCode).toBe(0)
  expect(w.seen[0]).toMatchObject({ session: { principal: 'User:ANONYMOUS', authenticated: false }, clusterAccess: true })
  expect((await c.request(ApiKey.SaslHandshake, { mechanism: 'PLAIN' })).body).toMatchObject({ mechanisms: [] })
})
