/**
 * TLS against real broker processes on loopback (issue #16): a 3-node cluster
 * whose voters are wss:// and that requires client certificates (peers present
 * their own), the SDK producing and consuming and the CLI over wss://, clear
 * errors for a client without a certificate and for a plaintext client, and
 * certificate rotation by SIGHUP.
 */
import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import tls from 'node:tls'
import { ApiKey, ErrorCode, type DescribeQuorumResponse } from '@tributary/protocol'
import { Tributary, text } from '@tributary/client'
import { makeCerts } from './certs.js'
import { BROKER_BIN, freePort, rpc, runNode, startCluster, tlsBrokerArgs, tlsMaterial, type TestCluster } from './cluster.js'

let certs: string
/** A second CA's certificates: a node presenting one is not a broker of this cluster. */
let otherCa: string
/** Nodes that present otherCa's broker certificate from their next (re)start. */
const rogue = new Set<number>()
let cluster: TestCluster
const clients: Tributary[] = []

beforeAll(async () => {
  certs = await makeCerts({ nodes: 3, clients: ['client'] })
  otherCa = await makeCerts({ nodes: 3, clients: [] })
  cluster = await startCluster({
    nodes: 3, logLevel: 'info',
    tls: { certsDir: certs, clientAuth: 'required', nodeCertsDir: (id) => (rogue.has(id) ? otherCa : certs) },
  })
}, 90_000)

afterAll(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
  await cluster?.stop()
  if (certs) await rm(certs, { recursive: true, force: true })
  if (otherCa) await rm(otherCa, { recursive: true, force: true })
}, 30_000)

/** An SDK client trusting the test CA and presenting `identity`'s certificate (none when null). */
function client(identity: string | null, extra: Partial<ConstructorParameters<typeof Tributary>[0]> = {}): Tributary {
  const c = new Tributary({ brokers: cluster.bootstrap, clientId: 'tls-e2e', tls: tlsMaterial(certs, identity ?? undefined), ...extra })
  clients.push(c)
  return c
}

/** The serial number of the certificate a fresh TLS connection to `port` is served. */
function servedSerial(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ...tlsMaterial(certs, 'client') }, () => {
      resolve(s.getPeerX509Certificate()!.serialNumber)
      s.end()
    })
    s.once('error', reject)
  })
}

test('a cluster whose voters are wss:// (mutual TLS between peers) forms a quorum and replicates acks=all writes to every node', async () => {
  expect(cluster.bootstrap.every((u) => u.startsWith('wss://'))).toBe(true)
  const t = client('client')
  await t.admin().createTopic({ topic: 'secure', partitions: 3, replicationFactor: 3 })
  const producer = t.producer({ acks: 'all', lingerMs: 2 })
  await producer.send({ topic: 'secure', messages: Array.from({ length: 90 }, (_, i) => ({ key: `k${i % 9}`, value: `v${i}` })) })
  await producer.close()

  const consumer = t.consumer({ groupId: 'tls-group', fromBeginning: true, maxWaitTimeInMs: 100 })
  await consumer.subscribe({ topics: ['secure'] })
  const got: string[] = []
  for await (const m of consumer) {
    got.push(text(m.value)!)
    if (got.length === 90) break
  }
  await consumer.disconnect()
  expect(new Set(got)).toEqual(new Set(Array.from({ length: 90 }, (_, i) => `v${i}`)))

  // Every partition's ISR holds all three brokers, and every voter has the whole metadata log.
  const topic = await t.admin().describeTopic('secure')
  for (const p of topic.partitions) expect([...p.isr].sort()).toEqual([1, 2, 3])
  await cluster.waitFor(async () => {
    const q = (await cluster.request<DescribeQuorumResponse>(1, ApiKey.DescribeQuorum, {})).body
    return q.leaderId > 0 && q.voters.length === 3 && q.voters.every((v) => v.logEndOffset >= q.highWatermark)
  }, { message: 'every voter caught up' })
}, 90_000)

test('the CLI works over wss:// with --tls-ca and a client certificate, and names the missing CA without one', async () => {
  const tlsFlags = ['--bootstrap', cluster.bootstrap.join(','), '--tls-ca', path.join(certs, 'ca.crt'), '--tls-cert', path.join(certs, 'client.crt'), '--tls-key', path.join(certs, 'client.key')]
  const created = await runNode([BROKER_BIN, 'topics', 'create', 'cli-secure', '--partitions', '1', '--replication-factor', '3', ...tlsFlags], 30_000)
  expect(created.stderr).toBe('')
  const listed = await runNode([BROKER_BIN, 'topics', 'list', ...tlsFlags], 30_000)
  expect(listed.stdout).toContain('cli-secure')
  const noCa = await runNode([BROKER_BIN, 'topics', 'list', '--bootstrap', cluster.bootstrap[0]!], 30_000)
  expect(noCa.code).toBe(1)
  expect(noCa.stderr).toMatch(/untrusted certificate.*--tls-ca/)
}, 60_000)

test('with client certificates required, a client without one is refused with an error that says so', async () => {
  const t = client(null, { connectTimeoutMs: 20_000, retry: { retries: 0 } })
  const err = await t.admin().listTopics().catch((e: Error & { code?: number }) => e)
  expect(err).toBeInstanceOf(Error)
  expect((err as { code?: number }).code).toBe(ErrorCode.NETWORK_EXCEPTION)
  expect((err as Error).message).toMatch(/requires a client certificate/)
})

test('a plaintext ws:// client on the TLS port is told to use wss:// (an answer, not a connect timeout)', async () => {
  const plain = cluster.bootstrap.map((u) => u.replace('wss://', 'ws://'))
  const t = new Tributary({ brokers: plain, connectTimeoutMs: 30_000, retry: { retries: 0 } })
  clients.push(t)
  const err = await t.admin().listTopics().catch((e: Error) => e)
  expect((err as Error).message).toMatch(/the port speaks TLS: use wss:\/\//)
  expect((err as Error).message).not.toMatch(/within 30000 ms/)
})

test('SIGHUP rotates the certificate: new connections get the new one, open connections keep working', async () => {
  const t = client('client')
  await t.admin().createTopic({ topic: 'rotation', partitions: 1, replicationFactor: 3 })
  const producer = t.producer({ acks: 'all' })
  await producer.send({ topic: 'rotation', messages: [{ key: 'before', value: 'rotation' }] })
  const port = cluster.node(1).port
  // A raw connection never reconnects: if the rotation dropped it, its next request fails.
  const open = await rpc(cluster.node(1).url, { tls: tlsMaterial(certs, 'client') })
  const before = await servedSerial(port)
  expect(before).toBe(new X509Certificate(readFileSync(path.join(certs, 'broker-1.crt'))).serialNumber)

  await makeCerts({ dir: certs, nodes: 3, clients: ['client'] }) // same CA, new keys and serials
  const expected = new X509Certificate(readFileSync(path.join(certs, 'broker-1.crt'))).serialNumber
  expect(expected).not.toBe(before)
  cluster.node(1).process!.kill('SIGHUP')
  await cluster.waitFor(async () => (await servedSerial(port)) === expected, { message: 'node 1 serving the new certificate' })
  expect(cluster.node(1).logs.some((l) => l.includes('TLS certificate reloaded'))).toBe(true)

  // The producer's connections were opened before the rotation and carry on.
  const [sent] = await producer.send({ topic: 'rotation', messages: [{ key: 'after', value: 'rotation' }] })
  expect(sent).toMatchObject({ topic: 'rotation', offset: 1 })
  await producer.close()
  expect((await open.request(ApiKey.ApiVersions, {})).errorCode).toBe(ErrorCode.NONE)
  open.close()
  // A client made now (new connections, new client certificate) works against the rotated node.
  expect(await client('client', { brokers: [cluster.node(1).url] }).admin().listTopics()).toContain('rotation')
  expect(cluster.node(1).process).not.toBeNull()
}, 60_000)

/** A counter's value in a node's /metrics (0 when absent). */
async function metric(nodeId: number, name: string, labels: string): Promise<number> {
  const text = (await cluster.http(nodeId, '/metrics')).text
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels))
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0
}

test('a node presenting a broker certificate from another CA cannot rejoin, register or move the quorum; the cluster keeps serving', async () => {
  const incarnation = (await client('client').admin().describeCluster()).brokers.find((b) => b.nodeId === 3)!.incarnationId
  // Node 3 restarts as broker-3 still, trusting the cluster CA, but with a certificate the cluster CA did not sign.
  rogue.add(3)
  const refusedMetric = ['tributary_tls_handshake_failures_total', 'reason="client-certificate"'] as const
  const refusedBefore = await metric(1, ...refusedMetric)
  await cluster.restart(3, { ready: false })
  await cluster.waitFor(async () => (await metric(1, ...refusedMetric)) > refusedBefore, { message: 'node 1 refusing the rogue certificate' })
  // Logged once per interval however often the node retries, naming why.
  await cluster.waitFor(() => cluster.node(1).logs.some((l) => l.includes('TLS connection refused') && l.includes('UNABLE_TO_VERIFY_LEAF_SIGNATURE')), { message: 'node 1 logging the refusal' })
  await cluster.waitFor(async () => {
    const brokers = (await client('client').admin().describeCluster()).brokers
    return brokers.find((b) => b.nodeId === 3)?.fenced === true
  }, { message: 'broker 3 fenced (its heartbeats cannot reach the controller)' })

  // The two others serve: a new topic is placed on them and takes acks=all writes.
  const t = client('client')
  await t.admin().createTopic({ topic: 'without-3', partitions: 1, replicationFactor: 2 })
  const [sent] = await t.producer({ acks: 'all' }).send({ topic: 'without-3', messages: [{ value: 'still serving' }] })
  expect(sent).toMatchObject({ offset: 0 })

  // Let the rogue node keep trying (its elections and registrations all need connections the cluster refuses)...
  const before = await cluster.waitFor(async () => {
    const q = (await cluster.request<DescribeQuorumResponse>(1, ApiKey.DescribeQuorum, {})).body
    return q.leaderId === 1 || q.leaderId === 2 ? q : undefined
  }, { message: 'a leader among nodes 1 and 2' })
  const refusedSoFar = await metric(1, ...refusedMetric)
  await cluster.waitFor(async () => (await metric(1, ...refusedMetric)) >= refusedSoFar + 3, { message: 'three more refused attempts from node 3' })
  // ...and nothing moved: same leader and epoch as while it was already trying, node 3 still fenced under its old registration (the new process never registered).
  const after = (await cluster.request<DescribeQuorumResponse>(1, ApiKey.DescribeQuorum, {})).body
  expect({ leaderId: after.leaderId, leaderEpoch: after.leaderEpoch }).toEqual({ leaderId: before.leaderId, leaderEpoch: before.leaderEpoch })
  expect((await client('client').admin().describeCluster()).brokers.find((b) => b.nodeId === 3)).toMatchObject({ fenced: true, incarnationId: incarnation })
  expect(cluster.node(3).process).not.toBeNull()
}, 90_000)

test('a plain primary listener beside a wss:// named one: the named listener speaks TLS, the primary stays plain', async () => {
  const externalPort = await freePort()
  const single = await startCluster({
    nodes: 1, logLevel: 'warn',
    brokerArgs: (id) => [...tlsBrokerArgs(certs, id), '--listeners', `external=wss://127.0.0.1:${externalPort}`],
  })
  try {
    expect(single.bootstrap[0]).toMatch(/^ws:\/\//)
    expect((await single.http(1, '/readyz')).status).toBe(200)
    const t = new Tributary({ brokers: [`wss://127.0.0.1:${externalPort}`], tls: tlsMaterial(certs), retry: { retries: 0 } })
    clients.push(t)
    // Metadata through the external listener names the external address.
    expect((await t.admin().describeCluster()).brokers.map((b) => b.endpoint)).toEqual([`wss://127.0.0.1:${externalPort}`])
    const plain = new Tributary({ brokers: [`ws://127.0.0.1:${externalPort}`], retry: { retries: 0 } })
    clients.push(plain)
    expect((await plain.admin().listTopics().catch((e: Error) => e) as Error).message).toMatch(/the port speaks TLS: use wss:\/\//)
  } finally {
    await single.stop()
  }
}, 60_000)
