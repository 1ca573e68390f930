/**
 * docs/authorization.md's table, row by row, against a real broker process with
 * real SCRAM users: for each API, `User:yes` holding exactly the ACLs the row
 * names succeeds, and `User:no`, holding none, gets the documented code (or,
 * where the table says so, sees the resource left out). Between rows every ACL
 * of `yes` is deleted, so a row cannot pass on a grant made for another.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {
  AclOperationTypes as Op, AclPermissionTypes as Perm, AclResourceTypes as Res, ResourcePatternTypes as Pattern,
  ScramClient, Tributary, text, type AclBinding, type Consumer,
} from '@tributary/client'
import { anyAclFilter, ApiKey, authenticate, CLUSTER_RESOURCE_NAME, ErrorCode } from '@tributary/protocol'
import { rpc, startCluster, type TestCluster } from './cluster.js'

const PASSWORD = `pw-${randomBytes(8).toString('hex')}`
const READ_TIMEOUT_MS = 15_000

let cluster: TestCluster
let dir: string
let adminClient: Tributary
const clients: Tributary[] = []

const client = (user: string): Tributary => {
  const c = new Tributary({ brokers: cluster.bootstrap, clientId: `table-${user}`, sasl: { mechanism: 'scram-sha-256', username: user, password: PASSWORD }, retry: { retries: 1, initialRetryTimeMs: 20, maxRetryTimeMs: 50 } })
  clients.push(c)
  return c
}
const admin = () => adminClient.admin()

const allow = (resourceType: number, resourceName: string, operation: number): AclBinding => ({
  resourceType, resourceName, resourcePatternType: Pattern.LITERAL, principal: 'User:yes', host: '*', operation, permissionType: Perm.ALLOW,
} as AclBinding)
const topic = (name: string, op: number) => allow(Res.TOPIC, name, op)
const group = (name: string, op: number) => allow(Res.GROUP, name, op)
const onCluster = (op: number) => allow(Res.CLUSTER, CLUSTER_RESOURCE_NAME, op)

const countYes = async () => (await admin().describeAcls({ ...anyAclFilter(), principal: 'User:yes' })).resources.reduce((s, r) => s + r.acls.length, 0)

/** Gives `yes` exactly these ACLs (after deleting what it had), applied on the node. */
async function only(...bindings: AclBinding[]): Promise<void> {
  await admin().deleteAcls({ filters: [{ ...anyAclFilter(), principal: 'User:yes' }] })
  if (bindings.length > 0) await admin().createAcls({ acl: bindings })
  await cluster.waitFor(async () => (await countYes()) === bindings.length, { message: `yes to hold ${bindings.length} ACLs` })
}

const outcome = (p: Promise<unknown>): Promise<number> => p.then(() => ErrorCode.NONE, (err: { code?: number }) => err.code ?? -1)

/** The first record `consumer` delivers once `start` placed it; rejects with the consumer's crash (or after READ_TIMEOUT_MS). */
async function firstRecord(consumer: Consumer, start: () => Promise<void> | void, what: string): Promise<string> {
  try {
    await start()
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nothing read from ${what} in ${READ_TIMEOUT_MS} ms`)), READ_TIMEOUT_MS)
      consumer.on('crash', (e) => { clearTimeout(timer); reject((e as { error: Error }).error) })
      void consumer.run({ eachMessage: async ({ message }) => { clearTimeout(timer); resolve(text(message.value)!) } }).catch(reject)
    })
  } finally {
    await consumer.disconnect().catch(() => {})
  }
}

/** Partition 0 of `topicName` by assignment: Fetch only, no group. */
function readFirst(t: Tributary, topicName: string): Promise<string> {
  const consumer = t.consumer({ maxWaitTimeInMs: 100 })
  return firstRecord(consumer, () => consumer.assign([{ topic: topicName, partition: 0, offset: 0 }]), topicName)
}

/** As a member of `groupId` subscribed to `topicName`. */
function joinAndRead(t: Tributary, groupId: string, topicName: string): Promise<string> {
  const consumer = t.consumer({ groupId, fromBeginning: true, maxWaitTimeInMs: 100 })
  return firstRecord(consumer, () => consumer.subscribe({ topics: [topicName] }), `${topicName} in ${groupId}`)
}

/** One raw request on a connection that logged in as `user` (for APIs the SDK calls only as part of something else). */
async function raw(user: string, apiKey: number, body: unknown): Promise<{ errorCode: number; body: any }> {
  const c = await rpc(cluster.nodes[0]!.url)
  try {
    await authenticate(c, new ScramClient({ params: { name: 'SCRAM-SHA-256', webHash: 'SHA-256' }, username: user, password: PASSWORD }))
    return await c.request(apiKey, body)
  } finally {
    c.close()
  }
}

/** OffsetForLeaderEpoch has no SDK call; the partition's error code. */
async function offsetForLeaderEpoch(user: string, topicName: string): Promise<number> {
  const r = await raw(user, ApiKey.OffsetForLeaderEpoch, { replicaId: -1, topics: [{ topic: topicName, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] })
  return r.errorCode !== ErrorCode.NONE ? r.errorCode : r.body.topics[0].partitions[0].errorCode
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-acl-table-'))
  await writeFile(path.join(dir, 'users'), ['admin', 'yes', 'no'].map((u) => `${u}:scram-sha-256:${PASSWORD}\n`).join(''), { mode: 0o600 })
  cluster = await startCluster({
    nodes: 1, logLevel: 'error',
    brokerArgs: ['--authorizer', 'acl', '--super-users', 'User:admin', '--sasl-mechanisms', 'scram-sha-256', '--bootstrap-scram-users', path.join(dir, 'users'), '--offsets-topic-partitions', '1'],
  })
  adminClient = new Tributary({ brokers: cluster.bootstrap, clientId: 'table-admin', sasl: { mechanism: 'scram-sha-256', username: 'admin', password: PASSWORD } })
  await cluster.waitFor(async () => (await admin().describeUsers().catch(() => [])).length === 3, { message: 'bootstrap users' })
  await admin().createTopic({ topic: 'orders', partitions: 1, replicationFactor: 1 })
  await adminClient.producer().send({ topic: 'orders', messages: [{ value: 'first' }] })
  // A group with committed offsets, and no members, for the group rows.
  await admin().setOffsets({ groupId: 'billing', topic: 'orders', partitions: [{ partition: 0, offset: 0 }] })
}, 90_000)

afterEach(async () => {
  for (const c of clients.splice(0)) c.close()
})

afterAll(async () => {
  adminClient?.close()
  await cluster?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('each API: the needed ACL lets it through, none gets the documented code', () => {
  test('Produce: Write on the topic, else TOPIC_AUTHORIZATION_FAILED', async () => {
    await only(topic('orders', Op.WRITE))
    expect(await outcome(client('yes').producer({ idempotent: false }).send({ topic: 'orders', messages: [{ value: 'by-yes' }] }))).toBe(ErrorCode.NONE)
    expect(await outcome(client('no').producer({ idempotent: false }).send({ topic: 'orders', messages: [{ value: 'by-no' }] }))).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
  })

  test('InitProducerId (idempotent producer): IdempotentWrite on the cluster or Write on a topic, else CLUSTER_AUTHORIZATION_FAILED', async () => {
    // The SDK's idempotent producer looks the topic up first (29 without Describe): InitProducerId alone, raw.
    await only(onCluster(Op.IDEMPOTENT_WRITE))
    expect((await raw('yes', ApiKey.InitProducerId, {})).errorCode).toBe(ErrorCode.NONE)
    await only(topic('orders', Op.WRITE))
    expect((await raw('yes', ApiKey.InitProducerId, {})).errorCode).toBe(ErrorCode.NONE)
    expect((await raw('no', ApiKey.InitProducerId, {})).errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
    await only(onCluster(Op.IDEMPOTENT_WRITE), topic('orders', Op.WRITE))
    expect(await outcome(client('yes').producer({ idempotent: true }).send({ topic: 'orders', messages: [{ value: 'by-yes' }] }))).toBe(ErrorCode.NONE)
  })

  test('Fetch: Read on the topic, else TOPIC_AUTHORIZATION_FAILED', async () => {
    await only(topic('orders', Op.READ))
    expect(await readFirst(client('yes'), 'orders')).toBe('first')
    expect(await outcome(readFirst(client('no'), 'orders'))).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
  })

  test('ListOffsets and OffsetForLeaderEpoch: Describe on the topic, else TOPIC_AUTHORIZATION_FAILED', async () => {
    await only(topic('orders', Op.DESCRIBE))
    expect(await outcome(client('yes').admin().fetchTopicOffsets('orders'))).toBe(ErrorCode.NONE)
    expect(await outcome(client('no').admin().fetchTopicOffsets('orders'))).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
    expect(await offsetForLeaderEpoch('yes', 'orders')).toBe(ErrorCode.NONE)
    expect(await offsetForLeaderEpoch('no', 'orders')).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
  })

  test('Metadata: Describe on the topic; without it the topic is left out of a listing and refused by name', async () => {
    await only(topic('orders', Op.DESCRIBE))
    expect(await client('yes').admin().listTopics()).toEqual(['orders'])
    expect(await client('no').admin().listTopics()).toEqual([])
    expect(await outcome(client('no').admin().describeTopic('orders'))).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
  })

  test('CreateTopics: Create on the cluster or on the topic, else TOPIC_AUTHORIZATION_FAILED', async () => {
    await only(onCluster(Op.CREATE))
    expect(await outcome(client('yes').admin().createTopic({ topic: 'made-by-cluster-acl', partitions: 1, replicationFactor: 1, waitForLeaders: false }))).toBe(ErrorCode.NONE)
    await only(topic('made-by-topic-acl', Op.CREATE))
    expect(await outcome(client('yes').admin().createTopic({ topic: 'made-by-topic-acl', partitions: 1, replicationFactor: 1, waitForLeaders: false }))).toBe(ErrorCode.NONE)
    expect(await outcome(client('no').admin().createTopic({ topic: 'made-by-no', partitions: 1, replicationFactor: 1, waitForLeaders: false }))).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
    expect(await admin().listTopics()).not.toContain('made-by-no')
  })

  test('DeleteTopics: Delete on the topic, else TOPIC_AUTHORIZATION_FAILED', async () => {
    await admin().createTopic({ topic: 'doomed', partitions: 1, replicationFactor: 1 })
    expect(await outcome(client('no').admin().deleteTopic('doomed'))).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
    await only(topic('doomed', Op.DELETE))
    expect(await outcome(client('yes').admin().deleteTopic('doomed'))).toBe(ErrorCode.NONE)
  })

  test('CreatePartitions: Alter on the topic, else TOPIC_AUTHORIZATION_FAILED', async () => {
    await admin().createTopic({ topic: 'growing', partitions: 1, replicationFactor: 1 })
    await only(topic('growing', Op.ALTER))
    expect(await outcome(client('no').admin().createPartitions({ topicPartitions: [{ topic: 'growing', count: 2 }] }))).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
    expect(await outcome(client('yes').admin().createPartitions({ topicPartitions: [{ topic: 'growing', count: 2 }] }))).toBe(ErrorCode.NONE)
  })

  test('AlterConfigs / DescribeConfigs: on the topic (29 without), on the cluster for broker configs (31 without)', async () => {
    await only(topic('orders', Op.ALTER_CONFIGS))
    const alter = (t: Tributary) => t.admin().alterConfigs({ resources: [{ type: 'topic', name: 'orders', configs: [{ name: 'retention.ms', value: '3600000' }] }] })
    expect(await outcome(alter(client('yes')))).toBe(ErrorCode.NONE)
    expect(await outcome(alter(client('no')))).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
    await only(topic('orders', Op.DESCRIBE_CONFIGS), onCluster(Op.DESCRIBE_CONFIGS))
    for (const resource of [{ type: 'topic' as const, name: 'orders' }, { type: 'broker' as const, name: String(cluster.nodes[0]!.nodeId) }]) {
      expect(await outcome(client('yes').admin().describeConfigs({ resources: [resource] }))).toBe(ErrorCode.NONE)
      expect(await outcome(client('no').admin().describeConfigs({ resources: [resource] }))).toBe(resource.type === 'topic' ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
    }
  })

  test('ConsumerGroupHeartbeat: Read on the group (30 without) and on the topic (29 without)', async () => {
    await only(topic('orders', Op.READ), group('yes-group', Op.READ))
    expect(await joinAndRead(client('yes'), 'yes-group', 'orders')).toBe('first')
    expect(await outcome(joinAndRead(client('no'), 'yes-group', 'orders'))).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED)
    await only(group('yes-group', Op.READ))
    expect(await outcome(joinAndRead(client('yes'), 'yes-group', 'orders'))).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
  })

  test('OffsetCommit (offset resets too): Read on the group and topic, else GROUP_AUTHORIZATION_FAILED', async () => {
    await only(group('billing', Op.READ), topic('orders', Op.READ))
    expect(await outcome(client('yes').admin().setOffsets({ groupId: 'billing', topic: 'orders', partitions: [{ partition: 0, offset: 1 }] }))).toBe(ErrorCode.NONE)
    expect(await outcome(client('yes').admin().resetOffsets({ groupId: 'billing', topic: 'orders', to: 'earliest' }))).toBe(ErrorCode.NONE)
    expect(await outcome(client('no').admin().setOffsets({ groupId: 'billing', topic: 'orders', partitions: [{ partition: 0, offset: 1 }] }))).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED)
    expect((await admin().fetchOffsets({ groupId: 'billing', topics: ['orders'] }))[0]!.offset).toBe(0)
  })

  test('OffsetFetch: Describe on the group and topic, else GROUP_AUTHORIZATION_FAILED', async () => {
    await only(group('billing', Op.DESCRIBE), topic('orders', Op.DESCRIBE))
    expect((await client('yes').admin().fetchOffsets({ groupId: 'billing', topics: ['orders'] })).map((o) => o.partition)).toEqual([0])
    expect(await outcome(client('no').admin().fetchOffsets({ groupId: 'billing', topics: ['orders'] }))).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED)
  })

  test('DescribeGroups: Describe on the group, else GROUP_AUTHORIZATION_FAILED; ListGroups leaves out the others', async () => {
    await only(group('billing', Op.DESCRIBE), topic('orders', Op.DESCRIBE))
    expect((await client('yes').admin().describeGroup('billing')).groupId).toBe('billing')
    expect(await outcome(client('no').admin().describeGroup('billing'))).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED)
    expect((await client('yes').admin().listGroups()).map((g) => g.groupId)).toEqual(['billing'])
    expect(await client('no').admin().listGroups()).toEqual([])
  })

  test('DeleteGroups: Delete on the group, else GROUP_AUTHORIZATION_FAILED', async () => {
    await admin().setOffsets({ groupId: 'old-group', topic: 'orders', partitions: [{ partition: 0, offset: 0 }] })
    expect(await outcome(client('no').admin().deleteGroup('old-group'))).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED)
    await only(group('old-group', Op.DELETE))
    expect(await outcome(client('yes').admin().deleteGroup('old-group'))).toBe(ErrorCode.NONE)
    expect((await admin().listGroups()).map((g) => g.groupId)).not.toContain('old-group')
  })

  test('DeleteRecords: Delete on the topic, else TOPIC_AUTHORIZATION_FAILED', async () => {
    await admin().createTopic({ topic: 'trim', partitions: 1, replicationFactor: 1 })
    await adminClient.producer().send({ topic: 'trim', messages: [{ value: 'a' }, { value: 'b' }] })
    expect(await outcome(client('no').admin().deleteRecords({ topic: 'trim', partitions: [{ partition: 0, offset: 1 }] }))).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
    await only(topic('trim', Op.DELETE))
    expect(await client('yes').admin().deleteRecords({ topic: 'trim', partitions: [{ partition: 0, offset: 1 }] })).toEqual([{ partition: 0, lowWatermark: 1 }])
  })

  test('OffsetDelete: Delete on the group and Read on the topic, else GROUP_AUTHORIZATION_FAILED / TOPIC_AUTHORIZATION_FAILED', async () => {
    await admin().setOffsets({ groupId: 'trimmed-group', topic: 'orders', partitions: [{ partition: 0, offset: 0 }] })
    const del = (user: string) => outcome(client(user).admin().deleteGroupOffsets({ groupId: 'trimmed-group', topic: 'orders', partitions: [0] }))
    expect(await del('no')).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED)
    await only(group('trimmed-group', Op.DELETE))
    expect(await del('yes')).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
    await only(group('trimmed-group', Op.DELETE), topic('orders', Op.READ))
    expect(await del('yes')).toBe(ErrorCode.NONE)
    expect(await admin().fetchOffsets({ groupId: 'trimmed-group' })).toEqual([])
  })

  test('cluster inspection (DescribeQuorum, DescribeCluster, MetadataLog, MetadataImage, MetadataSnapshots): Describe on the cluster, else CLUSTER_AUTHORIZATION_FAILED', async () => {
    await only(onCluster(Op.DESCRIBE))
    const calls = (t: Tributary) => {
      const a = t.admin()
      return [a.describeQuorum(), a.describeCluster(), a.metadataLog({ maxRecords: 10 }), a.metadataImage(), a.metadataSnapshots()]
    }
    expect(await Promise.all(calls(client('yes')).map(outcome))).toEqual([0, 0, 0, 0, 0])
    expect(await Promise.all(calls(client('no')).map(outcome))).toEqual(Array(5).fill(ErrorCode.CLUSTER_AUTHORIZATION_FAILED))
  })

  test('ACL and user APIs: Describe on the cluster to list, Alter to change, else CLUSTER_AUTHORIZATION_FAILED', async () => {
    const grantSelf = (t: Tributary) => t.admin().createAcls({ acl: [topic('self-granted', Op.READ)] })
    const removeSelf = (t: Tributary) => t.admin().deleteAcls({ filters: [{ ...anyAclFilter(), principal: 'User:yes', resourceName: 'self-granted' }] })
    const addUser = (t: Tributary, name: string) => t.admin().upsertScramCredentials([{ user: name, mechanism: 'scram-sha-256', password: PASSWORD }])
    await only(onCluster(Op.DESCRIBE))
    expect(await outcome(client('yes').admin().describeAcls(anyAclFilter()))).toBe(ErrorCode.NONE)
    expect(await outcome(client('yes').admin().describeUsers())).toBe(ErrorCode.NONE)
    expect(await outcome(client('no').admin().describeAcls(anyAclFilter()))).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
    expect(await outcome(client('no').admin().describeUsers())).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
    expect(await outcome(grantSelf(client('yes')))).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED) // Describe is not Alter
    await only(onCluster(Op.ALTER))
    expect(await outcome(grantSelf(client('yes')))).toBe(ErrorCode.NONE)
    expect(await outcome(removeSelf(client('yes')))).toBe(ErrorCode.NONE)
    expect(await outcome(addUser(client('yes'), 'made-by-yes'))).toBe(ErrorCode.NONE)
    expect(await outcome(grantSelf(client('no')))).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
    expect(await outcome(removeSelf(client('no')))).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
    expect(await outcome(addUser(client('no'), 'made-by-no'))).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
    expect((await admin().describeUsers()).map((u) => u.user).sort()).toEqual(['admin', 'made-by-yes', 'no', 'yes'])
  })

  test('AddRaftVoter, RemoveRaftVoter and an operator\'s UnregisterBroker: Alter on the cluster, else CLUSTER_AUTHORIZATION_FAILED', async () => {
    // Authorized, each gets past the check to the request's own refusal (node 99 is nobody).
    const calls = (t: Tributary) => {
      const a = t.admin()
      return [a.addRaftVoter({ voterId: 99, timeoutMs: 2000 }), a.removeRaftVoter({ voterId: 99, timeoutMs: 2000 }), a.unregisterBroker(99)]
    }
    await only(onCluster(Op.ALTER))
    expect(await Promise.all(calls(client('yes')).map(outcome))).toEqual([ErrorCode.INVALID_REQUEST, ErrorCode.VOTER_NOT_FOUND, ErrorCode.BROKER_ID_NOT_REGISTERED])
    expect(await Promise.all(calls(client('no')).map(outcome))).toEqual(Array(3).fill(ErrorCode.CLUSTER_AUTHORIZATION_FAILED))
  })
})
