/**
 * The SDK in a real browser: esbuild bundles @tributary/client for
 * platform=browser (the metafile must hold no `ws` and no node:* module), a
 * page served from 127.0.0.1 loads it in headless Chromium, and the page
 * creates a topic, produces and consumes against a local cluster over the
 * browser's native WebSocket, over ws:// and over wss://. Chromium comes from
 * ./chromium.ts (Debian's, else the one npm installed); none is a failure, not a skip.
 */
import { createHash, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { build } from 'esbuild'
import type { BrowserContext } from 'playwright-core'
import { partitionForKey } from '@tributary/client'
import { makeCerts } from './certs.js'
import { findChromium, launchChromium, runPageFunction } from './chromium.js'
import { REPO_ROOT, startCluster, type TestCluster } from './cluster.js'

/** What the page runs: the README's flow, in the browser. */
const PAGE_SCRIPT = `
import { Tributary, text } from '@tributary/client'
window.runTest = async (brokers, extra = {}) => {
  // window.step says where the flow is, so a failure names the step that did not finish
  window.step = 'createTopic'
  const t = new Tributary({ brokers, clientId: 'browser', ...extra })
  try {
    await t.admin().createTopic({ topic: 'web', partitions: 3, replicationFactor: 1 })
    window.step = 'send'
    const producer = t.producer({ lingerMs: 5 })
    const sent = await producer.send({ topic: 'web', messages: Array.from({ length: 60 }, (_, i) => ({ key: 'k' + (i % 12), value: 'v' + i, headers: { n: String(i) } })) })
    window.step = 'producer.close'
    await producer.close()
    window.step = 'subscribe'
    const consumer = t.consumer({ groupId: 'browser-group', fromBeginning: true, maxWaitTimeInMs: 100 })
    await consumer.subscribe({ topics: ['web'] })
    const got = []
    window.step = 'consume 0/60'
    for await (const m of consumer) {
      got.push({ key: text(m.key), value: text(m.value), partition: m.partition, offset: m.offset, n: text(m.headers.n) })
      window.step = 'consume ' + got.length + '/60'
      if (got.length === 60) break
    }
    window.step = 'consumer.disconnect'
    await consumer.disconnect()
    return { sent, got, ua: navigator.userAgent, nativeWebSocket: typeof WebSocket === 'function' }
  } finally {
    window.step += ', then client.close'
    await t.close()
    window.step += ' (closed)'
  }
}
window.ready = true
`

const clusters: TestCluster[] = []
const contexts: BrowserContext[] = []
const profiles: string[] = []
let server: http.Server | undefined
let pageUrl = ''
let certs: string | undefined

beforeAll(async () => {
  const bundle = await build({
    stdin: { contents: PAGE_SCRIPT, resolveDir: REPO_ROOT, sourcefile: 'page.js', loader: 'js' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  })
  const inputs = Object.keys(bundle.metafile.inputs)
  expect(inputs.filter((i) => /(^|\/)node_modules\/ws\/|^node:|transport-node\.js$/.test(i) && !i.startsWith('(disabled)'))).toEqual([])
  expect(inputs).toContain('packages/client/dist/transport-node-stub.js')
  const js = bundle.outputFiles[0].text
  server = http.createServer((req, res) => {
    if (req.url === '/bundle.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' })
      res.end(js)
    } else {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end('<!doctype html><title>tributary</title><script type="module" src="/bundle.js"></script>')
    }
  })
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
  pageUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
}, 60_000)

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {})
  if (server) await new Promise((r) => server!.close(r))
  for (const p of profiles) await rm(p, { recursive: true, force: true })
  for (const c of clusters) await c.stop()
  if (certs) await rm(certs, { recursive: true, force: true })
}, 30_000)

/** Run the page's flow in a fresh headless Chromium (extra command-line flags allowed) against `brokers`. */
async function runInChromium(brokers: string[], extraFlags: string[] = [], clientConfig: Record<string, unknown> = {}): Promise<any> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'tributary-chromium-'))
  profiles.push(profile)
  const binary = await findChromium()
  const launched = await launchChromium(profile, { ...binary, args: [...binary.args, ...extraFlags] })
  contexts.push(launched.context)
  process.stdout.write(`browser test: ${launched.binary.source} Chromium at ${launched.binary.executablePath}\n`)
  const page = await launched.context.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(pageUrl)
  await page.waitForFunction(() => (window as any).ready === true, undefined, { timeout: 10_000 })
  const r = await runPageFunction(page, 'runTest', [brokers, clientConfig])
  expect(errors).toEqual([])
  return r
}

function expectFlowWorked(r: any): void {
  expect(r.nativeWebSocket).toBe(true)
  expect(r.ua).toMatch(/HeadlessChrome|Chrome/)
  expect(r.sent).toHaveLength(60)
  expect(r.got).toHaveLength(60)
  expect(new Set(r.got.map((m: any) => m.value))).toEqual(new Set(Array.from({ length: 60 }, (_, i) => `v${i}`)))
  for (const m of r.got) {
    expect(m.partition).toBe(partitionForKey(m.key, 3))
    expect(m.n).toBe(m.value.slice(1))
  }
  // per key, values arrive in production order
  const byKey = new Map<string, number[]>()
  for (const m of r.got) byKey.set(m.key, [...(byKey.get(m.key) ?? []), Number(m.n)])
  for (const ns of byKey.values()) expect(ns).toEqual([...ns].sort((a, b) => a - b))
}

test('the SDK bundles for the browser and produces and consumes from headless Chromium', async () => {
  const cluster = await startCluster({ nodes: 1, logLevel: 'warn' })
  clusters.push(cluster)
  expectFlowWorked(await runInChromium(cluster.bootstrap))
}, 120_000)

/**
 * TLS in the browser is the browser's own: Chromium trusts exactly the broker's
 * key (its SPKI pinned with --ignore-certificate-errors-spki-list), the way a
 * page trusts a certificate from its system store. A second browser without the
 * pin refuses the same broker, so the pin is what the first one relied on.
 */
test('over wss:// the browser produces and consumes when it trusts the broker certificate, and cannot connect when it does not', async () => {
  certs = await makeCerts({ nodes: 1, clients: [] })
  const cluster = await startCluster({ nodes: 1, logLevel: 'warn', tls: { certsDir: certs } })
  clusters.push(cluster)
  expect(cluster.bootstrap[0]).toMatch(/^wss:\/\//)
  const leafSpki = new X509Certificate(readFileSync(path.join(certs, 'broker-1.crt'))).publicKey.export({ type: 'spki', format: 'der' })
  const pin = createHash('sha256').update(leafSpki).digest('base64')
  expectFlowWorked(await runInChromium(cluster.bootstrap, [`--ignore-certificate-errors-spki-list=${pin}`]))

  const untrusting = await runInChromium(cluster.bootstrap, [], { retry: { retries: 0 }, connectTimeoutMs: 10_000 }).then(() => 'connected', (err: Error) => err.message)
  expect(untrusting).toMatch(/cannot connect to wss:/)
}, 120_000)
