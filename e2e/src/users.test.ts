/**
 * SCRAM users through the CLI and the SDK against a real node: bootstrap users
 * from --bootstrap-scram-users, `users create|alter|delete|list`, and no
 * credential material in `metadata log` / `metadata image`, live or --offline.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Tributary } from '@tributary/client'
import { runCli } from './cli-process.js'
import { startCluster, type TestCluster } from './cluster.js'

const BOOT_PASSWORD = 'boot-Pa55word-xyzzy'
const BOB_PASSWORD = 'bob-Pa55word-plugh'
const BOB_PASSWORD_2 = 'bob-Pa55word-second'

let cluster: TestCluster
let dir: string
let client: Tributary
const env = () => ({ TRIBUTARY_BOOTSTRAP: cluster.bootstrap.join(',') })

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-users-'))
  await writeFile(path.join(dir, 'users.txt'), `# first users\nadmin:scram-sha-256:${BOOT_PASSWORD}\nadmin:SCRAM-SHA-512:${BOOT_PASSWORD}\n`)
  await writeFile(path.join(dir, 'bob.pw'), `${BOB_PASSWORD}\n`)
  cluster = await startCluster({ nodes: 1, logLevel: 'info', brokerArgs: ['--bootstrap-scram-users', path.join(dir, 'users.txt')] })
  client = new Tributary({ brokers: cluster.bootstrap })
}, 60_000)

afterAll(async () => {
  await client?.close()
  await cluster?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

test('the bootstrap file\'s users exist once the cluster is formed', async () => {
  await cluster.waitFor(async () => (await client.admin().describeUsers().catch(() => [])).length > 0, { message: 'bootstrap users' })
  expect(await client.admin().describeUsers()).toEqual([{ user: 'admin', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }, { mechanism: 'SCRAM-SHA-512', iterations: 4096 }] }])
})

test('users create / alter / list / delete through the CLI', async () => {
  const created = await runCli(['users', 'create', 'bob', '--mechanism', 'scram-sha-512', '--new-password-file', path.join(dir, 'bob.pw')], { env: env() })
  expect(created).toMatchObject({ code: 0, stdout: 'created user bob (SCRAM-SHA-512)\n' })
  const again = await runCli(['users', 'create', 'bob', '--mechanism', 'scram-sha-512', '--new-password', 'x'], { env: env() })
  expect(again.code).toBe(1)
  expect(again.stderr).toMatch(/already has a SCRAM-SHA-512 credential/)
  // The password read from stdin when it is not a terminal.
  const altered = await runCli(['users', 'alter', 'bob', '--mechanism', 'scram-sha-512', '--iterations', '8192'], { env: env(), input: `${BOB_PASSWORD_2}\n` })
  expect(altered).toMatchObject({ code: 0, stdout: 'altered user bob (SCRAM-SHA-512)\n' })
  const noSuch = await runCli(['users', 'alter', 'carol', '--new-password', 'x'], { env: env() })
  expect(noSuch.code).toBe(1)
  const list = await runCli(['users', 'list', '--json'], { env: env() })
  expect(JSON.parse(list.stdout)).toEqual([{ user: 'admin', mechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-512'] }, { user: 'bob', mechanisms: ['SCRAM-SHA-512'] }])
  expect((await client.admin().describeUsers(['bob']))[0]!.credentials).toEqual([{ mechanism: 'SCRAM-SHA-512', iterations: 8192 }])
  const bad = await runCli(['users', 'create', 'dave', '--mechanism', 'md5', '--new-password', 'x'], { env: env() })
  expect(bad.code).toBe(2)
})

test('the SDK refuses credentials the controller would not take, with Kafka\'s codes', async () => {
  await expect(client.admin().upsertScramCredentials([{ user: 'eve', mechanism: 'scram-sha-256', password: 'pw', iterations: 1000 }])).rejects.toThrow(/iterations/)
  await expect(client.admin().deleteScramCredentials([{ user: 'nobody', mechanism: 'scram-sha-256' }])).rejects.toMatchObject({ type: 'RESOURCE_NOT_FOUND' })
  await expect(client.admin().describeUsers(['nobody'])).rejects.toMatchObject({ type: 'RESOURCE_NOT_FOUND' })
})

test('no password or key material in metadata log / image, live and --offline', async () => {
  const live = [
    await runCli(['metadata', 'log', '--json'], { env: env() }),
    await runCli(['metadata', 'log'], { env: env() }),
    await runCli(['metadata', 'image', '--json'], { env: env() }),
    await runCli(['metadata', 'image'], { env: env() }),
  ]
  for (const r of live) expect(r.code).toBe(0)
  const rows = live[0]!.stdout.trim().split('\n').map((l) => JSON.parse(l))
  const creds = rows.filter((r) => r.type === 'UserScramCredential')
  expect(creds.length).toBe(4) // admin x2, bob create, bob alter
  for (const c of creds) expect(c.record).toMatchObject({ salt: '<redacted>', storedKey: '<redacted>', serverKey: '<redacted>' })
  expect(JSON.parse(live[2]!.stdout).image.users).toEqual([
    { name: 'admin', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }, { mechanism: 'SCRAM-SHA-512', iterations: 4096 }] },
    { name: 'bob', credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 8192 }] },
  ])

  const deleted = await runCli(['users', 'delete', 'bob'], { env: env() })
  expect(deleted).toMatchObject({ code: 0, stdout: 'deleted SCRAM-SHA-512 for user bob\n' })

  await cluster.kill(1, 'SIGTERM')
  const dataDir = cluster.node(1).dataDir
  const offline = [
    await runCli(['metadata', 'log', '--offline', '--data-dir', dataDir, '--json']),
    await runCli(['metadata', 'image', '--offline', '--data-dir', dataDir, '--json']),
    await runCli(['metadata', 'image', '--offline', '--data-dir', dataDir]),
  ]
  for (const r of offline) expect(r.code).toBe(0)
  expect(offline[0]!.stdout).toContain('RemoveUserScramCredential')
  expect(JSON.parse(offline[1]!.stdout).image.users).toEqual([{ name: 'admin', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }, { mechanism: 'SCRAM-SHA-512', iterations: 4096 }] }])
  const all = [...live, ...offline, { stdout: cluster.node(1).logs.join('\n'), stderr: '' }]
  for (const r of all) {
    for (const secret of [BOOT_PASSWORD, BOB_PASSWORD, BOB_PASSWORD_2]) {
      expect(r.stdout).not.toContain(secret)
      expect(r.stderr).not.toContain(secret)
    }
    expect(r.stdout).not.toMatch(/"(salt|storedKey|serverKey|saltedPassword)":"(?!<redacted>)/)
  }
}, 60_000)

test('users survive a restart, and the bootstrap file is not applied again', async () => {
  await cluster.restart(1)
  const c = new Tributary({ brokers: cluster.bootstrap })
  try {
    const users = await cluster.waitFor(async () => c.admin().describeUsers().catch(() => undefined), { message: 'users after the restart' })
    // bob was deleted before the restart and stays deleted; admin is there once, with its original iterations.
    expect(users).toEqual([{ user: 'admin', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }, { mechanism: 'SCRAM-SHA-512', iterations: 4096 }] }])
    const log = await runCli(['metadata', 'log', '--json', '--type', 'UserScramCredential'], { env: env() })
    expect(log.stdout.trim().split('\n').filter((l) => l.includes('"admin"'))).toHaveLength(2)
  } finally {
    await c.close()
  }
}, 60_000)

test('users survive in a metadata snapshot: read back --offline and after a restart', async () => {
  // A node of its own that snapshots every 2 entries: its users come back from the snapshot, not from the log.
  const own = await startCluster({ nodes: 1, logLevel: 'warn', brokerArgs: ['--metadata-snapshot-interval-entries', '2'] })
  const c = new Tributary({ brokers: own.bootstrap })
  try {
    for (const user of ['u1', 'u2', 'u3']) await c.admin().upsertScramCredentials([{ user, mechanism: 'scram-sha-256', password: `${user}-pw` }])
    await c.close()
    await own.kill(1, 'SIGTERM')
    const dataDir = own.node(1).dataDir
    const snaps = JSON.parse((await runCli(['metadata', 'snapshots', '--offline', '--data-dir', dataDir, '--json'])).stdout)
    expect(snaps.length).toBeGreaterThan(0)
    const image = JSON.parse((await runCli(['metadata', 'image', '--offline', '--data-dir', dataDir, '--json'])).stdout)
    expect(image.image.users.map((u: { name: string }) => u.name)).toEqual(['u1', 'u2', 'u3'])
    await own.restart(1)
    const again = new Tributary({ brokers: own.bootstrap })
    try {
      const users = await own.waitFor(async () => again.admin().describeUsers().catch(() => undefined), { message: 'users after the restart' })
      expect(users.map((u) => u.user)).toEqual(['u1', 'u2', 'u3'])
    } finally {
      await again.close()
    }
  } finally {
    await c.close()
    await own.stop()
  }
}, 90_000)
