/**
 * SASL and ACLs on the Kafka listener (issue #18 with the security issues),
 * with KafkaJS 2.2.4 against a real 3-node cluster started with
 * `--sasl-mechanisms scram-sha-256,scram-sha-512 --authorizer acl`: no request
 * is served before SaslHandshake/SaslAuthenticate succeed, a wrong password is
 * refused, and an authenticated principal gets exactly what its ACLs allow,
 * through the same checks as the WebSocket listener (topic Write for Produce,
 * group and topic Read for a consumer group).
 */
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { AclOperationTypes as Op, AclPermissionTypes as Perm, AclResourceTypes as Res, ResourcePatternTypes as Pattern, Tributary, type AclBinding } from '@tributary/client'
import type { TestCluster } from './cluster.js'
import { startKafkaCluster } from './kafka-cluster.js'

const require = createRequire(import.meta.url)
const { Kafka, logLevel } = require('kafkajs')

const PASSWORD = `pw-${randomBytes(8).toString('hex')}`
const USERS = ['admin', 'alice', 'bob']

let cluster: TestCluster
let dir: string
let brokers: string[]
let admin: Tributary

const kafka = (sasl: object | undefined) => new Kafka({ clientId: 'e2e-kafka-sasl', brokers, logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 50 }, ...(sasl ? { sasl } : {}) })
const scram = (username: string, mechanism = 'scram-sha-256', password = PASSWORD) => ({ mechanism, username, password })
const acl = (principal: string, resourceType: number, resourceName: string, operation: number): AclBinding =>
  ({ resourceType, resourceName, resourcePatternType: Pattern.LITERAL, principal, host: '*', operation, permissionType: Perm.ALLOW }) as AclBinding

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-kafka-sasl-'))
  await writeFile(path.join(dir, 'users'), USERS.flatMap((u) => [`${u}:scram-sha-256:${PASSWORD}\n`, `${u}:scram-sha-512:${PASSWORD}\n`]).join(''), { mode: 0o600 })
  ;({ cluster, kafkaBrokers: brokers } = await startKafkaCluster({
    brokerArgs: () => [
      '--authorizer', 'acl', '--super-users', 'User:admin',
      '--sasl-mechanisms', 'scram-sha-256,scram-sha-512', '--bootstrap-scram-users', path.join(dir, 'users'),
    ],
  }))
  admin = new Tributary({ brokers: cluster.bootstrap, clientId: 'e2e-kafka-sasl-admin', sasl: { mechanism: 'scram-sha-256', username: 'admin', password: PASSWORD } })
  await cluster.waitFor(async () => (await admin.admin().describeUsers().catch(() => [])).length === USERS.length, { message: 'bootstrap users' })
  await admin.admin().createTopic({ topic: 'secured', partitions: 2, replicationFactor: 3 })
  const grants = [acl('User:alice', Res.TOPIC, 'secured', Op.READ), acl('User:alice', Res.GROUP, 'alice-group', Op.READ), acl('User:alice', Res.GROUP, 'alice-describe-only', Op.DESCRIBE)]
  await admin.admin().createAcls({ acl: grants })
  // Every node answers from its own image: wait until each has the grants.
  await cluster.waitFor(async () => {
    for (const n of cluster.nodes) {
      const c = new Tributary({ brokers: [n.url], sasl: { mechanism: 'scram-sha-256', username: 'admin', password: PASSWORD } })
      try {
        const r = await c.admin().describeAcls({ resourceType: Res.ANY, resourcePatternType: Pattern.ANY, principal: 'User:alice', operation: Op.ANY, permissionType: Perm.ANY })
        if (r.resources.reduce((s, x) => s + x.acls.length, 0) < grants.length) return false
      } finally {
        c.close()
      }
    }
    return true
  }, { message: 'every node holds alice\'s ACLs' })
}, 90_000)

afterAll(async () => {
  await admin?.close()
  await cluster?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
}, 30_000)

test('without SASL nothing is served; a wrong password is refused', async () => {
  const anonymous = kafka(undefined).admin()
  await expect(anonymous.connect().then(() => anonymous.fetchTopicMetadata({ topics: ['secured'] }))).rejects.toThrow()
  await anonymous.disconnect()
  const wrong = kafka(scram('alice', 'scram-sha-256', 'not-the-password')).admin()
  await expect(wrong.connect()).rejects.toThrow(/SASL|auth/i)
  await wrong.disconnect()
})

test('the super user produces through SCRAM-SHA-256; alice (Read on topic and group, SCRAM-SHA-512) consumes in a group; bob is refused', async () => {
  const producer = kafka(scram('admin')).producer()
  await producer.connect()
  try {
    await producer.send({ topic: 'secured', acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `s-${i}` })) })
  } finally {
    await producer.disconnect()
  }

  const seen = new Set<string>()
  const consumer = kafka(scram('alice', 'scram-sha-512')).consumer({ groupId: 'alice-group', maxWaitTimeInMs: 200 })
  await consumer.connect()
  try {
    await consumer.subscribe({ topic: 'secured', fromBeginning: true })
    await consumer.run({ eachMessage: async ({ message }: any) => void seen.add(message.value.toString()) })
    await cluster.waitFor(() => seen.size === 10, { timeoutMs: 30_000, message: `alice reads the 10 records (${seen.size})` })
  } finally {
    await consumer.disconnect()
  }

  // alice may not write, nor read in a group she has no ACL for; bob may not even see the topic: Kafka's codes.
  const aliceProducer = kafka(scram('alice')).producer({ retry: { retries: 0 } })
  await aliceProducer.connect()
  await expect(aliceProducer.send({ topic: 'secured', messages: [{ value: 'x' }] })).rejects.toMatchObject({ type: 'TOPIC_AUTHORIZATION_FAILED' })
  await aliceProducer.disconnect()
  const elsewhere = kafka(scram('alice')).consumer({ groupId: 'alice-describe-only', retry: { retries: 0 } })
  await elsewhere.connect()
  await elsewhere.subscribe({ topic: 'secured' })
  let crash: any = null
  elsewhere.on(elsewhere.events.CRASH, (e: any) => { crash = e.payload.error })
  await elsewhere.run({ eachMessage: async () => {} })
  // Describe lets FindCoordinator through; JoinGroup needs Read on the group.
  await cluster.waitFor(() => crash, { timeoutMs: 30_000, message: 'the consumer of a group alice may not Read stops' })
  expect(crash.type).toBe('GROUP_AUTHORIZATION_FAILED')
  await elsewhere.disconnect()
  const bob = kafka(scram('bob')).consumer({ groupId: 'alice-group', retry: { retries: 0 } })
  await bob.connect()
  await expect(bob.subscribe({ topic: 'secured' })).rejects.toMatchObject({ type: 'TOPIC_AUTHORIZATION_FAILED' })
  await bob.disconnect()
})

test('KafkaJS admin manages ACLs through the Kafka port: the super user creates, lists and deletes; alice is refused; the SDK sees the same bindings', async () => {
  const superAdmin = kafka(scram('admin')).admin()
  const alice = kafka(scram('alice')).admin()
  await superAdmin.connect()
  await alice.connect()
  try {
    const binding = { resourceType: Res.TOPIC, resourceName: 'kafka-acl-topic', resourcePatternType: Pattern.LITERAL, principal: 'User:bob', host: '*', operation: Op.WRITE, permissionType: Perm.ALLOW }
    await superAdmin.createAcls({ acl: [binding] })
    const filter = { resourceType: Res.TOPIC, resourceName: 'kafka-acl-topic', resourcePatternType: Pattern.LITERAL, principal: 'User:bob', host: '*', operation: Op.ANY, permissionType: Perm.ANY }
    // Created on the controller: each node's image has it once the record is applied.
    await cluster.waitFor(async () => (await superAdmin.describeAcls(filter)).resources.length === 1, { message: 'the new ACL is described on the Kafka port' })
    expect((await superAdmin.describeAcls(filter)).resources[0].acls).toEqual([{ principal: 'User:bob', host: '*', operation: Op.WRITE, permissionType: Perm.ALLOW }])
    // The SDK may ask another node, whose image applies the record a moment later.
    const sdkPrincipals = async (): Promise<string[]> =>
      (await admin.admin().describeAcls({ resourceType: Res.TOPIC, resourceName: 'kafka-acl-topic', resourcePatternType: Pattern.ANY, operation: Op.ANY, permissionType: Perm.ANY })).resources.flatMap((r) => r.acls.map((a) => a.principal))
    await cluster.waitFor(async () => (await sdkPrincipals()).length > 0, { message: 'the new ACL is described through the SDK' })
    expect(await sdkPrincipals()).toEqual(['User:bob'])

    // alice has no Alter (nor Describe) on the cluster: the same check as on the WebSocket port.
    await expect(alice.createAcls({ acl: [{ ...binding, principal: 'User:alice' }] })).rejects.toMatchObject({ type: 'CLUSTER_AUTHORIZATION_FAILED' })
    await expect(alice.describeAcls(filter)).rejects.toMatchObject({ type: 'CLUSTER_AUTHORIZATION_FAILED' })

    const deleted = await superAdmin.deleteAcls({ filters: [filter] })
    expect(deleted.filterResponses[0].matchingAcls.map((a: any) => [a.errorCode, a.principal, a.operation])).toEqual([[0, 'User:bob', Op.WRITE]])
    await cluster.waitFor(async () => (await superAdmin.describeAcls(filter)).resources.length === 0, { message: 'the ACL is gone' })
  } finally {
    await alice.disconnect()
    await superAdmin.disconnect()
  }
})
