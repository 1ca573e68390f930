/**
 * Issue #16's attacks, scripted from a raw WebSocket with no credentials,
 * against real broker processes that share a cluster secret (as `tributary dev`
 * and docker-compose configure): cluster-internal APIs answer
 * CLUSTER_AUTHORIZATION_FAILED and apply nothing. Then a node with a wrong
 * secret tries to join, and the cluster keeps serving.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { ApiKey, ErrorCode, type DescribeClusterResponse, type DescribeQuorumResponse } from '@tributary/protocol'
import { attacks } from './attacks.js'
import { freePort, rpc, spawnBroker, startCluster, type TestCluster } from './cluster.js'

let cluster: TestCluster
let dir: string
let secretFile: string
let secret: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-auth-'))
  secret = randomBytes(32).toString('hex')
  secretFile = path.join(dir, 'cluster.secret')
  await writeFile(secretFile, `${secret}\n`, { mode: 0o600 })
  cluster = await startCluster({ nodes: 3, clusterSecretFile: secretFile, logDir: path.join(dir, 'logs') })
}, 60_000)

afterAll(async () => {
  await cluster?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

async function quorum(): Promise<DescribeQuorumResponse> {
  return cluster.waitFor(async () => {
    const r = await cluster.request<DescribeQuorumResponse>(1, ApiKey.DescribeQuorum, {})
    return r.errorCode === 0 && r.body.leaderId > 0 ? r.body : undefined
  }, { message: 'a quorum leader' })
}

async function brokerIds(): Promise<number[]> {
  return (await cluster.metadata(1)).brokers.map((b) => b.nodeId).sort()
}

/** Each registered broker's id and epoch: an unregister + re-register would bump the epoch. */
async function registrations(): Promise<string> {
  const r = await cluster.request<DescribeClusterResponse>(1, ApiKey.DescribeCluster, {})
  expect(r.errorCode).toBe(0)
  return r.body.brokers.map((b) => `${b.nodeId}@${b.brokerEpoch}${b.fenced ? ' fenced' : ''}`).join(',')
}

test('every cluster-internal API answers CLUSTER_AUTHORIZATION_FAILED to a connection without credentials, and nothing moves', async () => {
  const before = await quorum()
  const leaderId = before.leaderId
  const follower = [1, 2, 3].find((id) => id !== leaderId)!
  expect(await brokerIds()).toEqual([1, 2, 3])
  const registered = await registrations()
  for (const target of [leaderId, follower]) {
    const c = await rpc(cluster.node(target).url)
    try {
      for (const a of attacks(before.leaderEpoch + 1000, leaderId, follower)) {
        const r = await c.request(a.apiKey, a.body)
        expect({ attack: a.name, errorCode: r.errorCode }).toEqual({ attack: a.name, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED })
      }
    } finally {
      c.close()
    }
  }
  // Nothing applied: a heartbeat round later the epoch is the same and every broker is still registered.
  const after = await cluster.waitFor(async () => {
    const q = await quorum()
    return q.voters.every((v) => v.lastFetchTimestamp > Date.now() - 1000) ? q : undefined
  }, { message: 'fresh follower contact' })
  expect(after.leaderEpoch).toBe(before.leaderEpoch)
  expect(after.leaderId).toBe(leaderId)
  expect(await registrations()).toBe(registered)
  // Counted, and logged once per connection with the remote address.
  const metrics = (await cluster.http(follower, '/metrics')).text
  expect(metrics).toMatch(/tributary_cluster_authorization_failures_total\{api="UnregisterBroker"[^}]*\} 1/)
  const refusals = cluster.node(follower).logs.filter((l) => l.includes('cluster-internal API refused'))
  expect(refusals).toHaveLength(1)
  expect(refusals[0]).toContain('"remoteAddress":"127.0.0.1"')
})

test('clients still do what clients do on a secured cluster', async () => {
  const r = await cluster.request(2, ApiKey.CreateTopics, { topics: [{ name: 'plain', numPartitions: 1, replicationFactor: 3 }], timeoutMs: 10_000 })
  expect(r.body.topics[0].errorCode).toBe(ErrorCode.NONE)
  const m = await cluster.waitFor(async () => (await cluster.metadata(3)).topics.find((t) => t.name === 'plain' && t.partitions[0]?.isr.length === 3))
  expect(m.partitions[0]!.leader).toBeGreaterThan(0)
})

test('a node with a wrong cluster secret cannot join, register or vote; the cluster keeps serving', async () => {
  const before = await quorum()
  const wrongFile = path.join(dir, 'wrong.secret')
  await writeFile(wrongFile, randomBytes(32).toString('hex'), { mode: 0o600 })
  const port = await freePort()
  const voters = [...cluster.nodes.map((n) => `${n.nodeId}@${n.url}`)].join(',')
  const intruder = await spawnBroker(['--node-id', '4', '--listen', `ws://127.0.0.1:${port}`, '--data-dir', path.join(dir, 'node-4'), '--voters', voters, '--cluster-secret-file', wrongFile])
  try {
    // It keeps trying (its peers refuse it: logged on both sides) ...
    await cluster.waitFor(() => intruder.logs.some((l) => l.includes('peer authentication failed')), { message: 'the intruder to be refused' })
    await cluster.waitFor(() => cluster.node(before.leaderId).logs.some((l) => l.includes('authentication failed') && l.includes('TRIBUTARY-BROKER')), { message: 'the leader to log the failed attempt' })
    // ... and never registers, never joins the quorum, never moves the epoch.
    const q = await quorum()
    expect(q.leaderEpoch).toBe(before.leaderEpoch)
    expect(q.observers.map((o) => o.nodeId)).not.toContain(4)
    expect(q.voters.map((v) => v.nodeId).sort()).toEqual([1, 2, 3])
    expect(await brokerIds()).toEqual([1, 2, 3])
    const r = await cluster.request(1, ApiKey.CreateTopics, { topics: [{ name: 'still-serving', numPartitions: 1, replicationFactor: 3 }], timeoutMs: 10_000 })
    expect(r.body.topics[0].errorCode).toBe(ErrorCode.NONE)
  } finally {
    await intruder.stop()
  }
})

/** One sample of a counter on a node's /metrics whose labels include `labels`, 0 when absent. */
async function counter(nodeId: number, name: string, labels: string): Promise<number> {
  const text = (await cluster.http(nodeId, '/metrics')).text
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels))
  return line ? Number(line.split(' ').pop()) : 0
}

test('a voter restarted with a wrong secret cannot vote or re-register; the others keep serving; the right secret brings it back', async () => {
  const before = await quorum()
  const victim = [1, 2, 3].find((id) => id !== before.leaderId)!
  const refusedBefore = await counter(before.leaderId, 'tributary_authentications_total', 'result="failed"')
  const wrongFile = path.join(dir, 'wrong-voter.secret')
  const wrongSecret = randomBytes(32).toString('hex')
  await writeFile(wrongFile, wrongSecret, { mode: 0o600 })
  await cluster.kill(victim)
  const n = cluster.node(victim)
  const voters = cluster.nodes.map((x) => `${x.nodeId}@${x.url}`).join(',')
  const impostor = await spawnBroker(['--node-id', String(victim), '--listen', n.url, '--data-dir', n.dataDir, '--voters', voters, '--cluster-secret-file', wrongFile, '--log-level', 'debug'])
  try {
    // Its campaigns and registration attempts keep being refused ...
    await cluster.waitFor(async () => (await counter(before.leaderId, 'tributary_authentications_total', 'result="failed"')) >= refusedBefore + 3, { timeoutMs: 30_000, message: 'three refused attempts at the leader' })
    // ... so its session lapses (fenced) while the quorum stays where it was.
    await cluster.waitFor(async () => {
      const r = await cluster.request<DescribeClusterResponse>(before.leaderId, ApiKey.DescribeCluster, {})
      return r.body.brokers.find((b) => b.nodeId === victim)?.fenced
    }, { message: `node ${victim} to be fenced` })
    const q = await cluster.waitFor(async () => {
      const r = await cluster.request<DescribeQuorumResponse>(before.leaderId, ApiKey.DescribeQuorum, {})
      return r.errorCode === 0 ? r.body : undefined
    })
    expect({ leader: q.leaderId, epoch: q.leaderEpoch }).toEqual({ leader: before.leaderId, epoch: before.leaderEpoch })
    const r = await cluster.request(before.leaderId, ApiKey.CreateTopics, { topics: [{ name: 'while-impostor', numPartitions: 1, replicationFactor: 2 }], timeoutMs: 10_000 })
    expect(r.body.topics[0].errorCode).toBe(ErrorCode.NONE)
    expect(impostor.logs.some((l) => l.includes('peer authentication failed'))).toBe(true)
    expect(impostor.logs.join('\n')).not.toContain(wrongSecret) // not even at debug level
  } finally {
    await impostor.stop()
  }
  await cluster.restart(victim)
  await cluster.waitFor(async () => {
    const r = await cluster.request<DescribeClusterResponse>(before.leaderId, ApiKey.DescribeCluster, {})
    return r.body.brokers.find((b) => b.nodeId === victim)?.fenced === false
  }, { message: `node ${victim} back, unfenced` })
  expect((await quorum()).leaderEpoch).toBe(before.leaderEpoch)
})

test('the cluster secret appears in no log line of the whole run', async () => {
  const logs = await Promise.all(cluster.nodes.map((n) => readFile(path.join(dir, 'logs', `node-${n.nodeId}.log`), 'utf8')))
  const all = logs.join('\n')
  expect(all.length).toBeGreaterThan(1000)
  expect(all).toContain('broker started') // the real logs, not an empty file
  expect(all).not.toContain(secret)
  expect(all).not.toContain(Buffer.from(secret).toString('base64'))
})
