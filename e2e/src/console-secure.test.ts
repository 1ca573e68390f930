/**
 * The web console on a cluster that requires SCRAM and checks ACLs
 * (`--authorizer acl`): it asks for a login, keeps the credentials out of the
 * URL and the browser's storage, shows a read-only user only the topics it may
 * Describe, disables Produce and Delete with the reason, and when the user
 * forces the buttons anyway the broker refuses.
 */
import { createHmac, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {
  AclOperationTypes as Op, AclPermissionTypes as Perm, AclResourceTypes as Res, ResourcePatternTypes as Pattern, Tributary, type AclBinding,
} from '@tributary/client'
import { goto, openConsole, screenshot, seriousViolations, waitForText, type ConsoleBrowser } from './console-driver.js'
import { freePort, spawnBroker, startCluster, type TestCluster } from './cluster.js'

const PASSWORD = `pw-${randomBytes(8).toString('hex')}`
const JWT_SECRET = randomBytes(32).toString('hex')

let cluster: TestCluster
let dir: string
let browser: ConsoleBrowser
let admin: Tributary

const allow = (principal: string, resourceName: string, operation: number): AclBinding => ({
  resourceType: Res.TOPIC, resourceName, resourcePatternType: Pattern.LITERAL, principal, host: '*', operation, permissionType: Perm.ALLOW,
} as AclBinding)

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-console-secure-'))
  await writeFile(path.join(dir, 'users'), ['admin', 'reader'].map((u) => `${u}:scram-sha-256:${PASSWORD}\n`).join(''), { mode: 0o600 })
  await writeFile(path.join(dir, 'jwt.secret'), JWT_SECRET, { mode: 0o600 })
  cluster = await startCluster({
    nodes: 1, logLevel: 'warn',
    brokerArgs: ['--authorizer', 'acl', '--super-users', 'User:admin', '--sasl-mechanisms', 'scram-sha-256,oauthbearer', '--bootstrap-scram-users', path.join(dir, 'users'), '--oauth-jwt-secret-file', path.join(dir, 'jwt.secret')],
  })
  admin = new Tributary({ brokers: cluster.bootstrap, sasl: { mechanism: 'scram-sha-256', username: 'admin', password: PASSWORD } })
  await cluster.waitFor(async () => (await admin.admin().describeUsers().catch(() => [])).length === 2, { message: 'bootstrap users' })
  await admin.admin().createTopics({ topics: [{ topic: 'guarded', partitions: 1 }, { topic: 'hidden', partitions: 1 }] })
  await admin.producer().send({ topic: 'guarded', messages: [{ key: 'a', value: 'readable' }] })
  await admin.admin().createAcls({ acl: [allow('User:reader', 'guarded', Op.DESCRIBE), allow('User:reader', 'guarded', Op.READ)] })
  browser = await openConsole(cluster.node(1).url)
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await admin?.close()
  await cluster?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
}, 30_000)

test('the console asks for a login; a wrong password is refused in place; the right one is kept nowhere but memory', async () => {
  const { page } = browser
  await page.waitForSelector('#login-username')
  expect(await seriousViolations(page)).toEqual([])
  await screenshot(page, 'login')
  await page.fill('#login-username', 'reader')
  await page.fill('#login-password', 'wrong')
  await page.click('form button[type="submit"]')
  await waitForText(page, 'main .error', /authentication failed|invalid credentials/)
  await page.fill('#login-password', PASSWORD)
  await page.click('form button[type="submit"]')
  await waitForText(page, '#who', /Signed in as reader/)
  const stored = await page.evaluate(() => ({ url: location.href, local: localStorage.length, session: sessionStorage.length, cookie: document.cookie }))
  expect(stored.url).not.toContain(PASSWORD)
  expect(stored).toMatchObject({ local: 0, session: 0, cookie: '' })
})

test('a read-only user sees only its topic, with Produce and Delete disabled and why; forcing them, the broker refuses', async () => {
  const { page } = browser
  await goto(page, '#/topics')
  await waitForText(page, 'main table', /guarded/)
  expect(await page.locator('main table').innerText()).not.toContain('hidden')

  await goto(page, '#/topic/guarded')
  await waitForText(page, '#delete-topic-reason', /lacks Delete/)
  expect(await page.isDisabled('#delete-topic')).toBe(true)
  expect(await page.isDisabled('#partitions-add')).toBe(true)
  expect(await seriousViolations(page)).toEqual([])
  await screenshot(page, 'topic-read-only')

  await goto(page, '#/messages/guarded?p=0')
  await waitForText(page, '#msg-count', /^1 records/)
  await waitForText(page, '#produce-send-reason', /lacks Write/)
  expect(await page.isDisabled('#produce-send')).toBe(true)
  expect(await seriousViolations(page)).toEqual([])
  await screenshot(page, 'messages-read-only')

  // Forced: the broker is the one that decides.
  await page.evaluate(() => { for (const id of ['produce-send', 'produce-value']) (document.getElementById(id) as HTMLButtonElement).disabled = false })
  await page.fill('#produce-value', 'forbidden')
  await page.click('#produce-send')
  await waitForText(page, '#produce-status', /authoriz/i, 20_000)

  await goto(page, '#/topic/guarded')
  await waitForText(page, '#delete-topic-reason', /lacks Delete/)
  await page.evaluate(() => { (document.getElementById('delete-topic') as HTMLButtonElement).disabled = false })
  await page.click('#delete-topic')
  await waitForText(page, 'main [role="alert"]', /authoriz/i)
  expect((await admin.admin().fetchTopicOffsets('guarded'))[0].high).toBe(1)
  expect(await admin.admin().listTopics()).toEqual(['guarded', 'hidden'])
}, 60_000)

test('pages the user may not see say so in place (overview without cluster Describe)', async () => {
  const { page } = browser
  await goto(page, '#/overview')
  await waitForText(page, 'main', /Quorum not shown: .*authoriz/i)
  await waitForText(page, '#cluster-id .value', /\w{8,}/)
})

test('signing out asks again; a token logs in too (OAUTHBEARER), as its own principal', async () => {
  const { page } = browser
  await goto(page, '#/topics')
  await page.click('#who button')
  await page.waitForSelector('#login-mechanism')
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'reader', exp: Math.floor(Date.now() / 1000) + 600 })}`
  const token = `${input}.${createHmac('sha256', JWT_SECRET).update(input).digest('base64url')}`
  await page.selectOption('#login-mechanism', 'oauthbearer')
  await page.fill('#login-token', token)
  await page.click('form button[type="submit"]')
  await waitForText(page, '#who', /Signed in as token/)
  // The token names User:reader: the same ACLs, the same one topic.
  await waitForText(page, 'main table', /guarded/)
  expect(await page.locator('main table').innerText()).not.toContain('hidden')
  expect(await page.evaluate(() => location.href)).not.toContain(token.slice(-20))
})

test('a node started with --console false serves no console, and still its health and metrics', async () => {
  const port = await freePort()
  const url = `ws://127.0.0.1:${port}`
  const lone = await spawnBroker(['--node-id', '1', '--listen', url, '--data-dir', path.join(dir, 'no-console'), '--voters', `1@${url}`, '--console', 'false', '--log-level', 'warn'])
  try {
    const get = (p: string) => fetch(`http://127.0.0.1:${port}${p}`).then(async (r) => ({ status: r.status, text: await r.text() }), () => undefined)
    await cluster.waitFor(async () => (await get('/healthz'))?.status === 200, { message: 'the lone broker to serve /healthz' })
    expect(await get('/')).toEqual({ status: 404, text: 'not found\n' })
    expect((await get('/app.js'))?.status).toBe(404)
    expect((await get('/metrics'))?.status).toBe(200)
  } finally {
    await lone.stop()
  }
})
