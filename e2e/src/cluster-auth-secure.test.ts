/**
 * Issue #16's attacks against a secured cluster: TLS on every listener, client
 * SASL (SCRAM) required, brokers sharing a cluster secret. An authenticated user
 * that is not a broker gets CLUSTER_AUTHORIZATION_FAILED from every
 * cluster-internal API; a connection that has not logged in gets nothing past
 * the SASL handshake; in both cases nothing moves.
 */
import { randomBytes } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { ScramClient } from '@tributary/client'
import { ApiKey, authenticate, ErrorCode, type DescribeClusterResponse, type DescribeQuorumResponse, type RpcConnection } from '@tributary/protocol'
import { attacks } from './attacks.js'
import { makeCerts } from './certs.js'
import { rpc, startCluster, type TestCluster } from './cluster.js'

const MALLORY_PASSWORD = randomBytes(12).toString('hex')
let cluster: TestCluster
let certs: string

beforeAll(async () => {
  certs = await makeCerts({ nodes: 3, clients: ['client'] })
  const users = path.join(certs, 'scram-users')
  await writeFile(users, `admin:scram-sha-512:${randomBytes(12).toString('hex')}\nmallory:scram-sha-256:${MALLORY_PASSWORD}\n`, { mode: 0o600 })
  cluster = await startCluster({
    nodes: 3,
    tls: { certsDir: certs, clientAuth: 'requested' },
    brokerArgs: ['--sasl-mechanisms', 'scram-sha-256,scram-sha-512', '--bootstrap-scram-users', users, '--super-users', 'User:admin'],
    harnessAuth: 'broker',
  })
}, 90_000)

afterAll(async () => {
  await cluster?.stop()
  if (certs) await rm(certs, { recursive: true, force: true })
})

async function quorum(): Promise<DescribeQuorumResponse> {
  return cluster.waitFor(async () => {
    const r = await cluster.request<DescribeQuorumResponse>(1, ApiKey.DescribeQuorum, {})
    return r.errorCode === 0 && r.body.leaderId > 0 ? r.body : undefined
  }, { message: 'a quorum leader' })
}

async function registrations(): Promise<string> {
  const r = await cluster.request<DescribeClusterResponse>(1, ApiKey.DescribeCluster, {})
  expect(r.errorCode).toBe(0)
  return r.body.brokers.map((b) => `${b.nodeId}@${b.brokerEpoch}${b.fenced ? ' fenced' : ''}`).join(',')
}

/** A wss:// connection that trusts the cluster's CA and presents no certificate. */
async function connect(nodeId: number): Promise<RpcConnection> {
  const c = await rpc(cluster.node(nodeId).url, { tls: { ca: cluster.clientTls!.ca } })
  expect((await c.request(ApiKey.ApiVersions, {})).errorCode).toBe(ErrorCode.NONE)
  return c
}

async function expectNothingMoved(before: DescribeQuorumResponse, registered: string): Promise<void> {
  const after = await cluster.waitFor(async () => {
    const q = await quorum()
    return q.voters.every((v) => v.lastFetchTimestamp > Date.now() - 1000) ? q : undefined
  }, { message: 'fresh follower contact' })
  expect({ epoch: after.leaderEpoch, leader: after.leaderId }).toEqual({ epoch: before.leaderEpoch, leader: before.leaderId })
  expect(await registrations()).toBe(registered)
}

test('a SCRAM user who is not a broker gets CLUSTER_AUTHORIZATION_FAILED from every cluster-internal API, and nothing moves', async () => {
  // The bootstrap users commit with the cluster id: wait until node 1 lets mallory in.
  const login = async (c: RpcConnection) =>
    authenticate(c, new ScramClient({ params: { name: 'SCRAM-SHA-256', webHash: 'SHA-256' }, username: 'mallory', password: MALLORY_PASSWORD }))
  await cluster.waitFor(async () => {
    const c = await connect(1)
    try {
      return await login(c).then(() => true, () => false)
    } finally {
      c.close()
    }
  }, { message: 'the bootstrap users' })
  const before = await quorum()
  const registered = await registrations()
  const follower = [1, 2, 3].find((id) => id !== before.leaderId)!
  for (const target of [before.leaderId, follower]) {
    const c = await connect(target)
    try {
      await login(c)
      // A user may do what users do...
      expect((await c.request(ApiKey.Metadata, {})).errorCode).toBe(ErrorCode.NONE)
      // ...and nothing a broker does.
      for (const a of attacks(before.leaderEpoch + 1000, before.leaderId, follower)) {
        const r = await c.request(a.apiKey, a.body)
        expect({ attack: a.name, errorCode: r.errorCode }).toEqual({ attack: a.name, errorCode: a.asLoggedInUser ?? ErrorCode.CLUSTER_AUTHORIZATION_FAILED })
      }
    } finally {
      c.close()
    }
  }
  await expectNothingMoved(before, registered)
})

test('a connection that has not logged in gets no cluster-internal API served, and nothing moves', async () => {
  const before = await quorum()
  const registered = await registrations()
  const follower = [1, 2, 3].find((id) => id !== before.leaderId)!
  const c = await connect(follower)
  try {
    for (const a of attacks(before.leaderEpoch + 1000, before.leaderId, follower)) {
      const r = await c.request(a.apiKey, a.body)
      expect({ attack: a.name, refused: ([ErrorCode.SASL_AUTHENTICATION_FAILED, ErrorCode.ILLEGAL_SASL_STATE] as number[]).includes(r.errorCode) }).toEqual({ attack: a.name, refused: true })
    }
  } finally {
    c.close()
  }
  await expectNothingMoved(before, registered)
})
