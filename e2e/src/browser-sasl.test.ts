/**
 * SASL from a real browser: the SDK bundled for platform=browser logs in to a
 * node that requires SASL from headless Chromium, with SCRAM-SHA-256 and
 * SCRAM-SHA-512 computed on the browser's WebCrypto, and with an OAUTHBEARER
 * token handed over by the page (as an app's backend would); a wrong password
 * is refused with SASL_AUTHENTICATION_FAILED. Chromium comes from the shared
 * launcher (Debian's, else the npm one).
 */
import { createHmac, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { build } from 'esbuild'
import { openScriptPage, runPageFunction, type ScriptPage } from './chromium.js'
import { REPO_ROOT, startCluster, type TestCluster } from './cluster.js'

const PASSWORD = `web-${randomBytes(6).toString('hex')}`
const JWT_SECRET = randomBytes(32).toString('hex')

const PAGE_SCRIPT = `
import { Tributary } from '@tributary/client'
async function attempt(brokers, sasl, topic) {
  const t = new Tributary({ brokers, clientId: 'browser-sasl', sasl, retry: { retries: 1, maxRetryTimeMs: 100 } })
  try {
    if (topic) {
      await t.admin().createTopic({ topic, partitions: 1, replicationFactor: 1 })
      await t.producer().send({ topic, messages: [{ value: 'from the browser' }] })
      return { ok: true, high: (await t.admin().fetchTopicOffsets(topic))[0].high }
    }
    await t.admin().listTopics()
    return { ok: true }
  } catch (e) {
    return { ok: false, code: e.code, message: e.message }
  } finally {
    await t.close()
  }
}
window.runTest = async (brokers, password, token) => ({
  subtle: typeof crypto.subtle?.deriveBits === 'function',
  sha256: await attempt(brokers, { mechanism: 'scram-sha-256', username: 'web', password }, 'web-256'),
  sha512: await attempt(brokers, { mechanism: 'scram-sha-512', username: 'web', password }, 'web-512'),
  wrong: await attempt(brokers, { mechanism: 'scram-sha-256', username: 'web', password: password + 'x' }),
  token: await attempt(brokers, { mechanism: 'oauthbearer', token: async () => token }, 'web-token'),
})
window.ready = true
`

let cluster: TestCluster | undefined
let opened: ScriptPage | undefined
let dir: string | undefined

afterAll(async () => {
  await opened?.close()
  await cluster?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
}, 30_000)

test('headless Chromium logs in with SCRAM-SHA-256/512 on WebCrypto and with a token; a wrong password is refused', async () => {
  const bundle = await build({
    stdin: { contents: PAGE_SCRIPT, resolveDir: REPO_ROOT, sourcefile: 'page.js', loader: 'js' },
    bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent',
  })
  expect(Object.keys(bundle.metafile.inputs).filter((i) => /^node:|node_modules\/ws\//.test(i) && !i.startsWith('(disabled)'))).toEqual([])
  const js = bundle.outputFiles[0]!.text

  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-browser-sasl-'))
  await writeFile(path.join(dir, 'users'), `web:scram-sha-256:${PASSWORD}\nweb:scram-sha-512:${PASSWORD}\n`)
  await writeFile(path.join(dir, 'jwt.secret'), JWT_SECRET)
  cluster = await startCluster({
    nodes: 1, logLevel: 'warn',
    brokerArgs: ['--sasl-mechanisms', 'scram-sha-256,scram-sha-512,oauthbearer', '--bootstrap-scram-users', path.join(dir, 'users'), '--oauth-jwt-secret-file', path.join(dir, 'jwt.secret')],
  })
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'web-app', exp: Math.floor(Date.now() / 1000) + 600 })}`
  const token = `${input}.${createHmac('sha256', JWT_SECRET).update(input).digest('base64url')}`

  opened = await openScriptPage(js, path.join(dir, 'profile'), 'sasl')
  const { page, errors } = opened
  const r = await runPageFunction(page, 'runTest', [cluster.bootstrap, PASSWORD, token])
  expect(errors).toEqual([])
  expect(r.subtle).toBe(true)
  expect(r.sha256).toEqual({ ok: true, high: 1 })
  expect(r.sha512).toEqual({ ok: true, high: 1 })
  expect(r.token).toEqual({ ok: true, high: 1 })
  expect(r.wrong).toMatchObject({ ok: false, code: 58, message: expect.stringMatching(/invalid credentials/) })
}, 120_000)
