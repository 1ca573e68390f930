import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { readClusterSecret } from './cluster-secret.js'

let dir: string
beforeAll(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-secret-')) })
afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

test('the secret is the file without its trailing newline; an owner-only file is not flagged', async () => {
  const file = path.join(dir, 'ok.secret')
  await writeFile(file, 'a'.repeat(64) + '\n', { mode: 0o600 })
  const r = await readClusterSecret(file)
  expect(r.ok && { text: new TextDecoder().decode(r.value.bytes), others: r.value.readableByOthers }).toEqual({ text: 'a'.repeat(64), others: false })
})

test('a file others may read is flagged', async () => {
  const file = path.join(dir, 'open.secret')
  await writeFile(file, 'b'.repeat(64), { mode: 0o644 })
  const r = await readClusterSecret(file)
  expect(r.ok && r.value.readableByOthers).toBe(true)
})

test('a short secret or a missing file is refused, naming the file and never the content', async () => {
  const short = path.join(dir, 'short.secret')
  await writeFile(short, 'tooshort\n', { mode: 0o600 })
  const r = await readClusterSecret(short)
  expect(!r.ok && r.message).toMatch(/short\.secret: the secret must be at least 16 bytes \(make one with: openssl rand -hex 32/)
  expect(!r.ok && r.message).not.toContain('tooshort')
  const missing = await readClusterSecret(path.join(dir, 'nope.secret'))
  expect(!missing.ok && missing.message).toMatch(/--cluster-secret-file .*nope\.secret: ENOENT/)
})
