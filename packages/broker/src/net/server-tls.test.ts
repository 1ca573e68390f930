/**
 * The one port over TLS, in process on loopback: wss:// and https:// work, a
 * client that speaks the wrong scheme gets a sentence rather than a hang, client
 * certificates become a connection's identity only when they verify, and a
 * reload serves new certificates to new connections while open ones carry on.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { rm, writeFile } from 'node:fs/promises'
import https from 'node:https'
import path from 'node:path'
import tls from 'node:tls'
import { pino } from 'pino'
import { ApiKey, PLAIN_PORT_MESSAGE, RpcConnection, TLS_PORT_MESSAGE } from '@tributary/protocol'
import type { TlsClientAuth } from '../config.js'
import { BrokerMetrics } from '../metrics.js'
import { makeTestCerts } from '../testing/test-certs.js'
import { Handlers } from './handler-registry.js'
import { parsePrincipalMapping } from './principal-mapping.js'
import { startServer, type NodeServer } from './server.js'
import { readTlsFiles } from './tls.js'
import { wsConnector, type ClientTlsOptions } from './ws-transport.js'

const zero = () => 0
const gauges = {
  raftTerm: zero, raftCommitIndex: zero, raftLeaderId: zero, metadataOffset: zero, fencedBrokers: zero,
  activeController: () => false, clusterPartitions: zero, clusterUnderReplicatedPartitions: zero, clusterOfflinePartitions: zero,
}

let certs: string
let otherCa: string
const servers: NodeServer[] = []
const pem = (name: string, dir = certs) => readFileSync(path.join(dir, name))

beforeAll(async () => {
  certs = await makeTestCerts({ nodes: 2, clients: ['client', 'alice'] })
  otherCa = await makeTestCerts({ nodes: 1, clients: ['mallory'] })
}, 60_000)

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
  await rm(certs, { recursive: true, force: true })
  await rm(otherCa, { recursive: true, force: true })
})

/** A server whose Metadata handler answers with what the connection's context says about TLS. */
async function serve(opts: { tls?: boolean; clientAuth?: TlsClientAuth; mapping?: string; dir?: string; metrics?: BrokerMetrics } = {}): Promise<NodeServer> {
  const handlers = new Handlers()
  handlers.register(ApiKey.Metadata, (_body, ctx) => ({ errorCode: 0, body: { tls: ctx.tls, peer: ctx.peerCertificate ?? null } }))
  const mapper = parsePrincipalMapping(opts.mapping ?? null)
  if (!mapper.ok) throw new Error(mapper.message)
  const dir = opts.dir ?? certs
  const files = { cert: path.join(dir, 'broker-1.crt'), key: path.join(dir, 'broker-1.key'), ca: path.join(dir, 'ca.crt') }
  const server = await startServer({
    host: '127.0.0.1', port: 0, maxConnections: 16, inFlightPerConnectionMax: 8, frameBytesMax: 64 * 1024,
    handlers, metrics: opts.metrics ?? new BrokerMetrics(1, { gauges }), logger: pino({ level: 'silent' }),
    readiness: () => ({ ready: true, reason: 'ready' }),
    tls: opts.tls === false ? undefined : { load: () => readTlsFiles(files), clientAuth: opts.clientAuth ?? 'none', mapper: mapper.value },
  })
  servers.push(server)
  return server
}

const trustCa = (): ClientTlsOptions => ({ ca: pem('ca.crt') })
async function rpc(url: string, tlsOpts: ClientTlsOptions = trustCa()): Promise<RpcConnection> {
  return new RpcConnection(await wsConnector({ tls: () => tlsOpts })(url, { connectTimeoutMs: 5000 }), { requestTimeoutMs: 5000 })
}
async function ask(url: string, tlsOpts?: ClientTlsOptions): Promise<{ tls: boolean; peer: unknown }> {
  const c = await rpc(url, tlsOpts)
  try {
    return (await c.request<{ tls: boolean; peer: unknown }>(ApiKey.Metadata, {})).body
  } finally {
    c.close()
  }
}
const failure = (p: Promise<unknown>): Promise<string> => p.then(() => 'connected', (err: Error) => err.message)

describe('a TLS port', () => {
  test('speaks wss:// and tells handlers the connection is TLS, with no client certificate asked for by default', async () => {
    const s = await serve()
    expect(await ask(`wss://127.0.0.1:${s.port}`)).toEqual({ tls: true, peer: null })
  })

  test('serves /healthz, /readyz and /metrics over https://', async () => {
    const s = await serve()
    const get = (p: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
      https.get({ host: '127.0.0.1', port: s.port, path: p, ca: pem('ca.crt') }, (res) => {
        let body = ''
        res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode!, body }))
      }).once('error', reject)
    })
    expect(await get('/healthz')).toEqual({ status: 200, body: 'ok\n' })
    expect((await get('/readyz')).status).toBe(200)
    expect((await get('/metrics')).body).toContain('tributary_')
  })

  test('a ws:// client is told to use wss:// (426 Upgrade Required), not left hanging', async () => {
    const s = await serve()
    expect(await failure(rpc(`ws://127.0.0.1:${s.port}`))).toBe(TLS_PORT_MESSAGE)
    const res = await fetch(`http://127.0.0.1:${s.port}/healthz`)
    expect(res.status).toBe(426)
    expect(res.headers.get('upgrade')).toMatch(/^TLS\//)
    expect(await res.text()).toContain('use wss:// or https://')
  })

  test('a wss:// client on a plain port is told the port does not speak TLS', async () => {
    const s = await serve({ tls: false })
    expect(await failure(rpc(`wss://127.0.0.1:${s.port}`))).toBe(PLAIN_PORT_MESSAGE)
    expect(await ask(`ws://127.0.0.1:${s.port}`)).toEqual({ tls: false, peer: null })
  })

  test('a client that does not trust the CA gets an untrusted-certificate error', async () => {
    const s = await serve()
    expect(await failure(rpc(`wss://127.0.0.1:${s.port}`, { ca: pem('ca.crt', otherCa) }))).toMatch(/^untrusted certificate/)
  })
})

describe('client certificates', () => {
  test('required: a client without a certificate is refused with a clear error', async () => {
    const s = await serve({ clientAuth: 'required' })
    expect(await failure(rpc(`wss://127.0.0.1:${s.port}`))).toMatch(/refused this client's certificate.*requires a client certificate/)
  })

  test('required: a certificate from another CA is refused', async () => {
    const s = await serve({ clientAuth: 'required' })
    const msg = await failure(rpc(`wss://127.0.0.1:${s.port}`, { ca: pem('ca.crt'), cert: pem('mallory.crt', otherCa), key: pem('mallory.key', otherCa) }))
    expect(msg).toMatch(/requires client certificates.*not signed by its CA/)
  })

  test('required: a verified certificate gives its subject, the DEFAULT principal, and no broker id for a user', async () => {
    const s = await serve({ clientAuth: 'required' })
    const r = await ask(`wss://127.0.0.1:${s.port}`, { ca: pem('ca.crt'), cert: pem('alice.crt'), key: pem('alice.key') })
    expect(r).toEqual({ tls: true, peer: { subject: 'CN=alice,OU=clients,O=Tributary', principal: 'User:CN=alice,OU=clients,O=Tributary' } })
  })

  test('a broker-<id> certificate from the cluster CA names that broker; the mapping rules give the principal', async () => {
    const s = await serve({ clientAuth: 'required', mapping: 'RULE:^CN=([^,]+),OU=clients,.*$/$1/L,RULE:^CN=(broker-[0-9]+),.*$/$1/' })
    const broker = await ask(`wss://127.0.0.1:${s.port}`, { ca: pem('ca.crt'), cert: pem('broker-2.crt'), key: pem('broker-2.key') })
    expect(broker.peer).toEqual({ subject: 'CN=broker-2,O=Tributary', principal: 'User:broker-2', brokerId: 2 })
    const alice = await ask(`wss://127.0.0.1:${s.port}`, { ca: pem('ca.crt'), cert: pem('alice.crt'), key: pem('alice.key') })
    expect(alice.peer).toEqual({ subject: 'CN=alice,OU=clients,O=Tributary', principal: 'User:alice' })
  })

  test('no mapping rule matching leaves the certificate without a principal', async () => {
    const s = await serve({ clientAuth: 'required', mapping: 'RULE:^CN=admin,.*$/root/' })
    const r = await ask(`wss://127.0.0.1:${s.port}`, { ca: pem('ca.crt'), cert: pem('alice.crt'), key: pem('alice.key') })
    expect(r.peer).toEqual({ subject: 'CN=alice,OU=clients,O=Tributary' })
  })

  test('requested: no certificate is fine (anonymous), a verified one identifies, one from another CA is refused', async () => {
    const s = await serve({ clientAuth: 'requested' })
    const url = `wss://127.0.0.1:${s.port}`
    expect(await ask(url)).toEqual({ tls: true, peer: null })
    expect((await ask(url, { ca: pem('ca.crt'), cert: pem('client.crt'), key: pem('client.key') })).peer).toMatchObject({ principal: 'User:CN=client,OU=clients,O=Tributary' })
    expect(await failure(ask(url, { ca: pem('ca.crt'), cert: pem('mallory.crt', otherCa), key: pem('mallory.key', otherCa) }))).not.toBe('connected')
  })
})

test('refused connections are counted by reason in /metrics', async () => {
  const metrics = new BrokerMetrics(1, { gauges })
  const s = await serve({ clientAuth: 'required', metrics })
  const url = `wss://127.0.0.1:${s.port}`
  await fetch(`http://127.0.0.1:${s.port}/healthz`).then((r) => r.text())
  await failure(rpc(url, { ca: pem('ca.crt'), cert: pem('mallory.crt', otherCa), key: pem('mallory.key', otherCa) }))
  await failure(rpc(url, { ca: pem('ca.crt'), cert: pem('mallory.crt', otherCa), key: pem('mallory.key', otherCa) }))
  await failure(rpc(url))
  const counts = async () => Object.fromEntries((await metrics.tlsHandshakeFailures.get()).values.map((v) => [v.labels.reason, v.value]))
  // The server's side of a refusal may land just after the client's.
  const deadline = Date.now() + 5000
  while (JSON.stringify(await counts()) !== JSON.stringify({ plaintext: 1, 'client-certificate': 3 }) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  expect(await counts()).toEqual({ plaintext: 1, 'client-certificate': 3 })
})

describe('certificate rotation (reloadTls, what SIGHUP does)', () => {
  test('new connections get the new certificate, an open connection keeps working, bad files keep the current one', async () => {
    const dir = await makeTestCerts({ nodes: 1, clients: [] })
    try {
      const server = await serve({ dir })
      const files = { cert: path.join(dir, 'broker-1.crt'), ca: path.join(dir, 'ca.crt') }
      const url = `wss://127.0.0.1:${server.port}`
      const ca = readFileSync(files.ca)
      const serial = () => new Promise<string>((resolve, reject) => {
        const sock = tls.connect({ host: '127.0.0.1', port: server.port, ca }, () => { resolve(sock.getPeerX509Certificate()!.serialNumber); sock.end() })
        sock.once('error', reject)
      })
      const before = await serial()
      const open = await rpc(url, { ca })
      expect((await open.request(ApiKey.Metadata, {})).errorCode).toBe(0)

      await makeTestCerts({ dir, nodes: 1, clients: [] }) // same CA, new leaf
      const reloaded = server.reloadTls()
      expect(reloaded).toMatchObject({ ok: true })
      const after = await serial()
      expect(after).not.toBe(before)
      expect(reloaded.ok && reloaded.serialNumber).toBe(after)
      expect((await open.request(ApiKey.Metadata, {})).errorCode).toBe(0)

      await writeFile(files.cert, 'not a certificate\n')
      const bad = server.reloadTls()
      expect(bad.ok).toBe(false)
      expect(await serial()).toBe(after)
      expect((await open.request(ApiKey.Metadata, {})).errorCode).toBe(0)
      open.close()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 60_000)

  test('a plain port has nothing to reload', async () => {
    const s = await serve({ tls: false })
    expect(s.reloadTls()).toEqual({ ok: false, error: 'the port does not speak TLS' })
  })
})
