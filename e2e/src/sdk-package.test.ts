/**
 * The SDK used from another project, as packages/client/README.md tells: `npm
 * pack` of @tributary/protocol and @tributary/client, both tarballs installed
 * into a fresh project outside the repository (its other dependencies come
 * from the npm cache that `npm ci` filled: --prefer-offline), then a plain
 * `node` script there produces and consumes against a real broker. The same
 * install type-checks a TypeScript user of the SDK and bundles it for the
 * browser without `ws`.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { build } from 'esbuild'
import { partitionForKey } from '@tributary/client'
import { REPO_ROOT, startCluster, type TestCluster } from './cluster.js'

const exec = promisify(execFile)
const NPM_TIMEOUT_MS = 120_000
const MESSAGES = 30

/** What a user's project runs: create a topic, produce keyed messages, read them back as a group. */
const APP = `
import { Tributary, text } from '@tributary/client'

const t = new Tributary({ brokers: process.env.TRIBUTARY_BOOTSTRAP.split(','), clientId: 'outside' })
try {
  await t.admin().createTopic({ topic: 'outside', partitions: 3, replicationFactor: 1, ifNotExists: true })
  const producer = t.producer()
  const sent = await producer.send({ topic: 'outside', messages: Array.from({ length: ${MESSAGES} }, (_, i) => ({ key: 'k' + (i % 5), value: 'v' + i })) })
  const consumer = t.consumer({ groupId: 'outside', fromBeginning: true, maxWaitTimeInMs: 100 })
  await consumer.subscribe({ topics: ['outside'] })
  const got = []
  for await (const m of consumer) {
    got.push({ key: text(m.key), value: text(m.value), partition: m.partition })
    if (got.length === sent.length) break
  }
  console.log(JSON.stringify({ sent: sent.length, got }))
} finally {
  await t.close()
}
`

/** A TypeScript user: the package's types must resolve through its exports. */
const TYPED = `
import { Tributary, ClosedError, type ConsumerEvents, type CreatedTopic } from '@tributary/client'
const t = new Tributary({ brokers: ['ws://127.0.0.1:1'] })
const created: Promise<CreatedTopic> = t.admin().createTopic({ topic: 'x', ifNotExists: true })
const onCommit = (e: ConsumerEvents['commit']): number => e.offsets.length
t.consumer({ groupId: 'g' }).on('commit', onCommit)
export { created, ClosedError }
`

let cluster: TestCluster | undefined
let dir: string | undefined

afterAll(async () => {
  await cluster?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
}, 30_000)

async function pack(pkg: string, into: string): Promise<string> {
  const { stdout } = await exec('npm', ['pack', '--json', '--pack-destination', into], { cwd: path.join(REPO_ROOT, 'packages', pkg), timeout: NPM_TIMEOUT_MS })
  const [{ filename, files }] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>
  const paths = files.map((f) => f.path)
  expect(paths).toContain('dist/index.js')
  expect(paths).toContain('dist/index.d.ts')
  expect(paths.filter((p) => /\.test\.|tsbuildinfo|(^|\/)(testing|bench|fixtures)\//.test(p))).toEqual([])
  return path.join(into, filename)
}

test('packed protocol + client install into a project outside the repo and produce and consume there with plain node', async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-sdk-user-'))
  expect(path.relative(REPO_ROOT, dir).startsWith('..')).toBe(true)
  const tarballs = [await pack('protocol', dir), await pack('client', dir)]
  const project = path.join(dir, 'app')
  await mkdir(project)
  await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'sdk-user', private: true, type: 'module' }))
  await exec('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...tarballs], { cwd: project, timeout: NPM_TIMEOUT_MS })

  // One protocol, from our tarball, shared by the client (not fetched from a registry, not nested).
  const installed = path.join(project, 'node_modules', '@tributary')
  expect((await readdir(installed)).sort()).toEqual(['client', 'protocol'])
  expect(existsSync(path.join(installed, 'client', 'node_modules', '@tributary'))).toBe(false)
  const lock = JSON.parse(await readFile(path.join(project, 'package-lock.json'), 'utf8'))
  expect(lock.packages['node_modules/@tributary/protocol'].resolved).toMatch(/^file:.*tributary-protocol-0\.1\.0\.tgz$/)

  cluster = await startCluster({ nodes: 1, logLevel: 'warn' })
  await writeFile(path.join(project, 'app.mjs'), APP)
  const { stdout } = await exec(process.execPath, ['app.mjs'], { cwd: project, timeout: 60_000, env: { ...process.env, TRIBUTARY_BOOTSTRAP: cluster.bootstrap.join(',') } })
  const r = JSON.parse(stdout.trim().split('\n').pop()!) as { sent: number; got: Array<{ key: string; value: string; partition: number }> }
  expect(r.sent).toBe(MESSAGES)
  expect(r.got.map((m) => m.value).sort()).toEqual(Array.from({ length: MESSAGES }, (_, i) => `v${i}`).sort())
  for (const m of r.got) expect(m.partition).toBe(partitionForKey(m.key, 3))

  // Types through the package's exports, as a TypeScript project sees them (a missing or
  // wrong declaration fails here; skipLibCheck only spares re-checking @types/node).
  await writeFile(path.join(project, 'typed.ts'), TYPED)
  const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  await exec(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--types', 'node', '--typeRoots', path.join(REPO_ROOT, 'node_modules', '@types'), 'typed.ts'], { cwd: project, timeout: 60_000 }).catch((e: { stdout: string }) => {
    throw new Error(`the installed SDK does not type-check:\n${e.stdout}`)
  })

  // The browser build: a bundler honouring the package's `browser` field leaves ws and node:* out.
  const bundle = await build({ entryPoints: [path.join(project, 'app.mjs')], bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent', absWorkingDir: project })
  const inputs = Object.keys(bundle.metafile.inputs)
  expect(inputs.filter((i) => /node_modules\/ws\/|^node:|transport-node\.js$/.test(i) && !i.startsWith('(disabled)'))).toEqual([])
  expect(inputs).toContain('node_modules/@tributary/client/dist/transport-node-stub.js')
}, 240_000)
