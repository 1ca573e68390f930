/**
 * ACLs against real broker processes with real principals (SCRAM users, the
 * harness's cluster secret for the brokers): for each API, a principal holding
 * exactly the ACL it needs succeeds and one without gets Kafka's code; DENY
 * beats ALLOW; PREFIXED `ord` covers `orders` and not `audit`; `User:*` and
 * host rules; a `/.*\/` consumer only ever receives topics it may Read; a group
 * it may not Read is refused before it joins.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {
  AclOperationTypes as Op, AclPermissionTypes as Perm, AclResourceTypes as Res, ResourcePatternTypes as Pattern,
  Tributary, text, type AclBinding, type ClientConfig,
} from '@tributary/client'
import { ErrorCode } from '@tributary/protocol'
import { startCluster, type TestCluster } from './cluster.js'

const PASSWORD = `pw-${randomBytes(8).toString('hex')}`
const USERS = ['admin', 'alice', 'bob', 'carol']

let cluster: TestCluster
let dir: string
const clients: Tributary[] = []

function client(user: string, extra: Partial<ClientConfig> = {}): Tributary {
  const c = new Tributary({ brokers: cluster.bootstrap, clientId: `acl-${user}`, sasl: { mechanism: 'scram-sha-256', username: user, password: PASSWORD }, retry: { retries: 2, initialRetryTimeMs: 20, maxRetryTimeMs: 100 }, ...extra })
  clients.push(c)
  return c
}
let admin: ReturnType<Tributary['admin']>

const acl = (principal: string, resourceType: number, resourceName: string, operation: number, over: Partial<AclBinding> = {}): AclBinding => ({
  resourceType, resourceName, resourcePatternType: Pattern.LITERAL, principal, host: '*', operation, permissionType: Perm.ALLOW, ...over,
} as AclBinding)

/** Grants and waits until every node applied them (DescribeAcls is answered from each node's image). */
async function grant(...bindings: AclBinding[]): Promise<void> {
  await admin.createAcls({ acl: bindings })
  await everyNodeHas(bindings.length, bindings[0]!.principal)
}
async function everyNodeHas(atLeast: number, principal: string): Promise<void> {
  await cluster.waitFor(async () => {
    for (const n of cluster.nodes) {
      const c = new Tributary({ brokers: [n.url], sasl: { mechanism: 'scram-sha-256', username: 'admin', password: PASSWORD } })
      try {
        const r = await c.admin().describeAcls({ resourceType: Res.ANY, resourcePatternType: Pattern.ANY, principal, operation: Op.ANY, permissionType: Perm.ANY })
        if (r.resources.reduce((s, x) => s + x.acls.length, 0) < atLeast) return false
      } finally {
        c.close()
      }
    }
    return true
  }, { timeoutMs: 5000, message: `every node to hold ${principal}'s ACLs` })
}

const code = (p: Promise<unknown>) => p.then(() => ErrorCode.NONE, (err: { code?: number }) => err.code ?? -1)

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-acl-'))
  await writeFile(path.join(dir, 'users'), USERS.map((u) => `${u}:scram-sha-256:${PASSWORD}\n`).join(''), { mode: 0o600 })
  cluster = await startCluster({
    nodes: 3,
    brokerArgs: ['--authorizer', 'acl', '--super-users', 'User:admin', '--sasl-mechanisms', 'scram-sha-256', '--bootstrap-scram-users', path.join(dir, 'users')],
  })
  admin = client('admin').admin()
  await cluster.waitFor(async () => (await admin.describeUsers().catch(() => [])).length === USERS.length, { message: 'bootstrap users' })
  for (const topic of ['orders', 'audit', 'ord-eu']) await admin.createTopic({ topic, partitions: 2, replicationFactor: 3 })
  await client('admin').producer().send({ topic: 'audit', messages: [{ value: 'secret' }] })
}, 90_000)

afterAll(async () => {
  for (const c of clients) c.close()
  await cluster?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

test('Produce: Write on the topic; a batch to two topics fails only where it may not write', async () => {
  const bob = client('bob').producer({ acks: 'all', idempotent: false })
  expect(await code(bob.send({ topic: 'orders', messages: [{ value: 'x' }] }))).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
  await grant(acl('User:alice', Res.TOPIC, 'orders', Op.WRITE))
  // Describe on audit (not Write): the SDK finds audit's leaders and sends, the broker refuses that topic only.
  await grant(acl('User:alice', Res.TOPIC, 'audit', Op.DESCRIBE))
  const alice = client('alice').producer({ acks: 'all' })
  await alice.send({ topic: 'orders', messages: [{ key: 'k', value: 'by-alice' }] })
  const both = await code(alice.sendBatch({ topicMessages: [{ topic: 'orders', messages: [{ value: 'ok-part' }] }, { topic: 'audit', messages: [{ value: 'refused-part' }] }] }))
  expect(both).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
  // The batch's rejection may come back before its orders part is acknowledged: wait for that part, then check nothing more.
  const ordersHigh = async () => (await admin.fetchTopicOffsets('orders')).reduce((s, o) => s + o.high, 0)
  await cluster.waitFor(async () => (await ordersHigh()) >= 2, { message: 'the orders part of the batch' })
  expect(await ordersHigh()).toBe(2) // by-alice and ok-part; nothing in audit from alice
  expect((await admin.fetchTopicOffsets('audit')).reduce((s, o) => s + o.high, 0)).toBe(1)
})

test('Metadata lists only describable topics; Fetch needs Read; ListOffsets needs Describe', async () => {
  const carol = client('carol')
  expect(await carol.admin().listTopics()).toEqual([])
  await grant(acl('User:carol', Res.TOPIC, 'ord', Op.DESCRIBE, { resourcePatternType: Pattern.PREFIXED }))
  expect(await carol.admin().listTopics()).toEqual(['ord-eu', 'orders'])
  expect((await carol.admin().fetchTopicOffsets('orders')).length).toBe(2)
  expect(await code(carol.admin().fetchTopicOffsets('audit'))).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
})

test('groups: Read on the group and the topic to consume; without the group ACL it is refused before joining', async () => {
  await grant(acl('User:bob', Res.TOPIC, 'orders', Op.READ))
  const refused = client('bob').consumer({ groupId: 'bob-group', fromBeginning: true })
  const crashed = new Promise<number>((resolve) => refused.on('crash', (e) => resolve((e as { error: { code?: number } }).error.code ?? -1)))
  await refused.subscribe({ topics: ['orders'] })
  void refused.run({ eachMessage: async () => {} }).catch(() => {})
  expect(await crashed).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED)
  await refused.disconnect().catch(() => {})
  await grant(acl('User:bob', Res.GROUP, 'bob-group', Op.READ))
  const consumer = client('bob').consumer({ groupId: 'bob-group', fromBeginning: true })
  await consumer.subscribe({ topics: ['orders'] })
  const got: string[] = []
  void consumer.run({ eachMessage: async ({ message }) => { got.push(text(message.value)!) } })
  await cluster.waitFor(() => got.length >= 2, { message: 'bob to read orders' })
  await consumer.disconnect()
  const listed = (await client('bob').admin().listGroups()).map((g) => g.groupId)
  expect(listed).toEqual(['bob-group'])
})

test('a /.*/ subscription only ever receives topics the principal may Read', async () => {
  await grant(acl('User:carol', Res.GROUP, 'carol-re', Op.READ), acl('User:carol', Res.TOPIC, 'orders', Op.READ))
  const consumer = client('carol').consumer({ groupId: 'carol-re', fromBeginning: true })
  await consumer.subscribe({ topics: [/.*/] })
  const topics = new Set<string>()
  let n = 0
  void consumer.run({ eachMessage: async ({ topic }) => { topics.add(topic); n++ } })
  await cluster.waitFor(() => n >= 2, { message: 'carol to read orders through the regex' })
  await consumer.disconnect()
  expect([...topics]).toEqual(['orders'])
})

test('CreateTopics, DeleteTopics, CreatePartitions, configs: each needs its operation', async () => {
  const bob = client('bob').admin()
  expect(await code(bob.createTopic({ topic: 'bob-new', partitions: 1, replicationFactor: 1 }))).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
  await grant(acl('User:bob', Res.TOPIC, 'bob-', Op.CREATE, { resourcePatternType: Pattern.PREFIXED }))
  // Create alone does not let bob see the topic (as in Kafka), so he does not wait for its leaders.
  await bob.createTopic({ topic: 'bob-new', partitions: 1, replicationFactor: 1, waitForLeaders: false })
  expect(await code(bob.createPartitions({ topicPartitions: [{ topic: 'bob-new', count: 2 }] }))).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
  expect(await code(bob.describeConfigs({ resources: [{ type: 'topic', name: 'bob-new' }] }))).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
  expect(await code(bob.deleteTopic('bob-new'))).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
  await grant(acl('User:bob', Res.TOPIC, 'bob-new', Op.ALTER), acl('User:bob', Res.TOPIC, 'bob-new', Op.ALTER_CONFIGS), acl('User:bob', Res.TOPIC, 'bob-new', Op.DELETE))
  await bob.createPartitions({ topicPartitions: [{ topic: 'bob-new', count: 2 }] })
  await bob.alterConfigs({ resources: [{ type: 'topic', name: 'bob-new', configs: [{ name: 'retention.ms', value: '60000' }] }] })
  expect((await bob.describeConfigs({ resources: [{ type: 'topic', name: 'bob-new' }] }))[0]!.configs.length).toBeGreaterThan(0) // AlterConfigs implies DescribeConfigs
  await bob.deleteTopic('bob-new')
})

test('cluster inspection and ACL management need Describe / Alter on the cluster; an idempotent producer needs IdempotentWrite or Write', async () => {
  const carol = client('carol').admin()
  expect(await code(carol.describeQuorum())).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
  expect(await code(carol.metadataLog())).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
  expect(await code(carol.createAcls({ acl: [acl('User:carol', Res.CLUSTER, 'kafka-cluster', Op.ALL)] }))).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
  expect(await code(client('carol').producer({ idempotent: true }).send({ topic: 'orders', messages: [{ value: 'x' }] }))).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
  await grant(acl('User:carol', Res.CLUSTER, 'kafka-cluster', Op.DESCRIBE))
  expect((await carol.describeQuorum()).leaderId).toBeGreaterThan(0)
})

test('DENY beats ALLOW; User:* applies to everyone; a host rule applies only to that address', async () => {
  await grant(acl('User:*', Res.TOPIC, 'orders', Op.WRITE, { permissionType: Perm.DENY, host: '10.0.0.5' }))
  // Loopback is not 10.0.0.5: alice still writes.
  await client('alice').producer().send({ topic: 'orders', messages: [{ value: 'still' }] })
  await grant(acl('User:*', Res.TOPIC, 'orders', Op.WRITE, { permissionType: Perm.DENY }))
  expect(await code(client('alice').producer({ idempotent: false }).send({ topic: 'orders', messages: [{ value: 'denied' }] }))).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
  // Her only Write ALLOW is now dominated by a DENY: an idempotent producer may not start (Kafka's authorizeByResourceType).
  expect(await code(client('alice').producer({ idempotent: true }).send({ topic: 'orders', messages: [{ value: 'denied' }] }))).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
  // A DENY on Write leaves Describe (implied by alice's Write ALLOW... denied ops imply nothing).
  expect(await client('alice').admin().listTopics()).toContain('orders')
})

test('denials are counted in /metrics by operation and resource type', async () => {
  const text = (await Promise.all(cluster.nodes.map((n) => cluster.http(n.nodeId, '/metrics')))).map((r) => r.text).join('\n')
  const lines = text.split('\n').filter((l) => l.startsWith('tributary_authorization_denials_total{'))
  expect(lines.join('\n')).toMatch(/tributary_authorization_denials_total\{[^}]*operation="Write"[^}]*resource_type="Topic"[^}]*\} [1-9]/)
})
