import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { pino } from 'pino'
import { BrokerMetrics } from '../metrics.js'
import { Handlers } from './handler-registry.js'
import { resolveConsolePath } from './console-files.js'
import { startServer, type NodeServer } from './server.js'

const zero = () => 0
const gauges = {
  raftTerm: zero, raftCommitIndex: zero, raftLeaderId: zero, metadataOffset: zero, fencedBrokers: zero,
  activeController: () => false, clusterPartitions: zero, clusterUnderReplicatedPartitions: zero, clusterOfflinePartitions: zero,
}

let dir: string
const servers: NodeServer[] = []

async function serve(consoleDir: string | null): Promise<NodeServer> {
  const s = await startServer({
    host: '127.0.0.1', port: 0, maxConnections: 4, inFlightPerConnectionMax: 3, frameBytesMax: 64 * 1024,
    handlers: new Handlers(), metrics: new BrokerMetrics(1, { gauges }), logger: pino({ level: 'silent' }),
    readiness: () => ({ ready: true, reason: 'ready' }), consoleDir,
  })
  servers.push(s)
  return s
}

/** A raw GET (no URL normalisation by a client library: `..` reaches the server as sent). */
function get(port: number, rawPath: string, method = 'GET'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: rawPath, method }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-console-files-'))
  await mkdir(path.join(dir, 'site', 'assets'), { recursive: true })
  await writeFile(path.join(dir, 'site', 'index.html'), '<!doctype html><title>console</title>')
  await writeFile(path.join(dir, 'site', 'app.js'), 'console.log(1)')
  await writeFile(path.join(dir, 'site', 'assets', 'app.css'), 'body{}')
  await writeFile(path.join(dir, 'site', '.hidden.js'), 'hidden')
  await writeFile(path.join(dir, 'site', 'notes.md'), 'no type for this')
  await writeFile(path.join(dir, 'secret.txt'), 'outside the console directory')
})

afterAll(async () => {
  for (const s of servers) await s.close()
  await rm(dir, { recursive: true, force: true })
})

test('/ is index.html and the files are served with their content types and security headers', async () => {
  const { port } = await serve(path.join(dir, 'site'))
  const index = await get(port, '/')
  expect(index.status).toBe(200)
  expect(index.headers['content-type']).toBe('text/html; charset=utf-8')
  expect(index.body).toContain('<title>console</title>')
  expect(index.headers['content-security-policy']).toContain("script-src 'self'")
  expect(index.headers['x-frame-options']).toBe('DENY')
  expect((await get(port, '/app.js')).headers['content-type']).toBe('text/javascript; charset=utf-8')
  expect((await get(port, '/assets/app.css?v=1')).headers['content-type']).toBe('text/css; charset=utf-8')
  const head = await get(port, '/app.js', 'HEAD')
  expect(head.status).toBe(200)
  expect(head.body).toBe('')
  expect((await get(port, '/app.js', 'POST')).status).toBe(405)
  // The node's own endpoints still answer beside it.
  expect((await get(port, '/healthz')).body).toBe('ok\n')
  const metrics = await get(port, '/metrics')
  expect(metrics.status).toBe(200)
  expect(metrics.headers['access-control-allow-origin']).toBe('*')
})

test('nothing outside the console directory, hidden, or of an unknown type is served', async () => {
  const { port } = await serve(path.join(dir, 'site'))
  for (const p of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/..%5csecret.txt', '/app.js%00.css', '/.hidden.js', '/notes.md', '/missing.js', '/assets', '/%E0%A4%A']) {
    const r = await get(port, p)
    expect([p, r.status]).toEqual([p, 404])
    expect(r.body).not.toContain('outside the console directory')
  }
})

test('with the console off (no directory) / is a 404, and a directory not built says so', async () => {
  const off = await serve(null)
  expect((await get(off.port, '/')).status).toBe(404)
  const unbuilt = await serve(path.join(dir, 'not-built'))
  const r = await get(unbuilt.port, '/')
  expect(r.status).toBe(503)
  expect(r.body).toMatch(/npm run build/)
})

test('resolveConsolePath keeps every path under the root', () => {
  const root = path.join(dir, 'site')
  expect(resolveConsolePath(root, '/')).toBe(path.join(root, 'index.html'))
  expect(resolveConsolePath(root, '/assets/app.css')).toBe(path.join(root, 'assets', 'app.css'))
  expect(resolveConsolePath(root, '/../x')).toBeUndefined()
  expect(resolveConsolePath(root, '/a/../../x')).toBeUndefined()
  expect(resolveConsolePath(root, 'x')).toBeUndefined()
})
