/**
 * A browser app limited to one topic (docs/authorization.md's recipe, run for
 * real): headless Chromium loads the SDK bundled for platform=browser, logs in
 * with an OAUTHBEARER token whose `sub` is `dashboard`, and holds exactly the
 * ACLs a read-only dashboard needs: Read on `orders` and Read on its own group
 * `dashboard`. It reads `orders` through its group; Produce, CreateTopics,
 * DeleteTopics, another topic and another group are refused with Kafka's codes
 * (29, 30), and Metadata lists only `orders`. The brokers run with
 * `--authorizer acl` and default-deny.
 */
import { createHmac, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { build } from 'esbuild'
import {
  AclOperationTypes as Op, AclPermissionTypes as Perm, AclResourceTypes as Res, ResourcePatternTypes as Pattern,
  Tributary, type AclBinding,
} from '@tributary/client'
import { ErrorCode } from '@tributary/protocol'
import { openScriptPage, runPageFunction, type ScriptPage } from './chromium.js'
import { REPO_ROOT, startCluster, type TestCluster } from './cluster.js'

const ADMIN_PASSWORD = `admin-${randomBytes(8).toString('hex')}`
const JWT_SECRET = randomBytes(32).toString('hex')
const ORDERS = Array.from({ length: 12 }, (_, i) => `order-${i}`)

/**
 * What the page does with its token: everything a dashboard would try, each
 * attempt reported as ok or the error code it got. Consuming stops after the
 * records the test wrote (or the deadline: then `read` is short and the test fails).
 */
const PAGE_SCRIPT = `
import { Tributary, text } from '@tributary/client'
const outcome = (p) => p.then((value) => ({ ok: true, value }), (e) => ({ ok: false, code: e.code, message: e.message }))
async function consumeAll(t, groupId, topic, count, deadlineMs) {
  const consumer = t.consumer({ groupId, fromBeginning: true, maxWaitTimeInMs: 100 })
  const values = []
  try {
    await consumer.subscribe({ topics: [topic] })
    const crashed = new Promise((_, reject) => consumer.on('crash', (e) => reject(e.error)))
    const done = new Promise((resolve) => {
      void consumer.run({ eachMessage: async ({ message }) => { values.push(text(message.value)); if (values.length >= count) resolve() } })
    })
    const timeout = new Promise((resolve) => setTimeout(resolve, deadlineMs))
    await Promise.race([done, crashed, timeout])
    return values
  } finally {
    await consumer.disconnect().catch(() => {})
  }
}
window.runTest = async (brokers, token, count) => {
  const t = new Tributary({ brokers, clientId: 'dashboard', sasl: { mechanism: 'oauthbearer', token: async () => token }, retry: { retries: 1, maxRetryTimeMs: 100 } })
  try {
    const admin = t.admin()
    return {
      read: await outcome(consumeAll(t, 'dashboard', 'orders', count, 20000)),
      listTopics: await outcome(admin.listTopics()),
      produce: await outcome(t.producer({ idempotent: false }).send({ topic: 'orders', messages: [{ value: 'from the page' }] })),
      idempotentProduce: await outcome(t.producer({ idempotent: true }).send({ topic: 'orders', messages: [{ value: 'from the page' }] })),
      createTopic: await outcome(admin.createTopic({ topic: 'page-made', partitions: 1, replicationFactor: 1 })),
      deleteTopic: await outcome(admin.deleteTopic('orders')),
      otherTopicOffsets: await outcome(admin.fetchTopicOffsets('audit')),
      otherTopicRead: await outcome(consumeAll(t, 'dashboard', 'audit', 1, 5000)),
      otherGroup: await outcome(consumeAll(t, 'billing', 'orders', 1, 5000)),
      ordersOffsets: await outcome(admin.fetchTopicOffsets('orders')),
    }
  } finally {
    await t.close()
  }
}
window.ready = true
`

let cluster: TestCluster | undefined
let opened: ScriptPage | undefined
let dir: string | undefined
let adminClient: Tributary | undefined

afterAll(async () => {
  await opened?.close()
  adminClient?.close()
  await cluster?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
}, 30_000)

function token(sub: string): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, exp: Math.floor(Date.now() / 1000) + 600 })}`
  return `${input}.${createHmac('sha256', JWT_SECRET).update(input).digest('base64url')}`
}

const allow = (resourceType: number, resourceName: string, operation: number): AclBinding => ({
  resourceType, resourceName, resourcePatternType: Pattern.LITERAL, principal: 'User:dashboard', host: '*', operation, permissionType: Perm.ALLOW,
} as AclBinding)

test('headless Chromium with the read-only dashboard token reads orders and is refused Produce, CreateTopics, other topics and other groups', async () => {
  const bundle = await build({
    stdin: { contents: PAGE_SCRIPT, resolveDir: REPO_ROOT, sourcefile: 'page.js', loader: 'js' },
    bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent',
  })
  const js = bundle.outputFiles[0]!.text

  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-browser-acl-'))
  await writeFile(path.join(dir, 'users'), `admin:scram-sha-256:${ADMIN_PASSWORD}\n`, { mode: 0o600 })
  await writeFile(path.join(dir, 'jwt.secret'), JWT_SECRET, { mode: 0o600 })
  cluster = await startCluster({
    nodes: 1, logLevel: 'warn',
    brokerArgs: [
      '--authorizer', 'acl', '--super-users', 'User:admin',
      '--sasl-mechanisms', 'scram-sha-256,oauthbearer', '--bootstrap-scram-users', path.join(dir, 'users'), '--oauth-jwt-secret-file', path.join(dir, 'jwt.secret'),
    ],
    harnessAuth: 'broker',
  })
  adminClient = new Tributary({ brokers: cluster.bootstrap, clientId: 'browser-acl-admin', sasl: { mechanism: 'scram-sha-256', username: 'admin', password: ADMIN_PASSWORD } })
  const admin = adminClient.admin()
  await cluster.waitFor(async () => (await admin.describeUsers().catch(() => [])).length > 0, { message: 'the bootstrap admin user' })
  for (const topic of ['orders', 'audit']) await admin.createTopic({ topic, partitions: 2, replicationFactor: 1 })
  await adminClient.producer().send({ topic: 'orders', messages: ORDERS.map((value) => ({ key: value, value })) })
  await adminClient.producer().send({ topic: 'audit', messages: [{ value: 'not for the dashboard' }] })
  // The recipe's two ACLs, nothing else.
  await admin.createAcls({ acl: [allow(Res.TOPIC, 'orders', Op.READ), allow(Res.GROUP, 'dashboard', Op.READ)] })
  await cluster.waitFor(async () => (await admin.describeAcls({ resourceType: Res.ANY, resourcePatternType: Pattern.ANY, principal: 'User:dashboard', operation: Op.ANY, permissionType: Perm.ANY })).resources.length === 2, { message: 'the dashboard ACLs' })

  opened = await openScriptPage(js, path.join(dir, 'profile'), 'dashboard')
  const { page, errors } = opened
  const r = await runPageFunction(page, 'runTest', [cluster.bootstrap, token('dashboard'), ORDERS.length])
  expect(errors).toEqual([])

  // What it may do.
  expect(r.read.ok).toBe(true)
  expect([...r.read.value].sort()).toEqual([...ORDERS].sort())
  expect(r.listTopics).toEqual({ ok: true, value: ['orders'] })
  expect(r.ordersOffsets.ok).toBe(true)
  // What it may not, with Kafka's codes.
  expect(r.produce).toMatchObject({ ok: false, code: ErrorCode.TOPIC_AUTHORIZATION_FAILED })
  expect(r.idempotentProduce).toMatchObject({ ok: false, code: ErrorCode.CLUSTER_AUTHORIZATION_FAILED })
  expect(r.createTopic).toMatchObject({ ok: false, code: ErrorCode.TOPIC_AUTHORIZATION_FAILED })
  expect(r.deleteTopic).toMatchObject({ ok: false, code: ErrorCode.TOPIC_AUTHORIZATION_FAILED })
  expect(r.otherTopicOffsets).toMatchObject({ ok: false, code: ErrorCode.TOPIC_AUTHORIZATION_FAILED })
  expect(r.otherTopicRead).toMatchObject({ ok: false, code: ErrorCode.TOPIC_AUTHORIZATION_FAILED })
  expect(r.otherGroup).toMatchObject({ ok: false, code: ErrorCode.GROUP_AUTHORIZATION_FAILED })

  // And the broker agrees: nothing the page tried landed.
  expect((await admin.listTopics()).filter((t) => !t.startsWith('__'))).toEqual(['audit', 'orders'])
  expect((await admin.fetchTopicOffsets('orders')).reduce((s, o) => s + o.high, 0)).toBe(ORDERS.length)
}, 120_000)
