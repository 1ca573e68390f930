/**
 * Client authentication end to end against a real 3-node cluster that requires
 * SASL (SCRAM-SHA-256/512, PLAIN, OAUTHBEARER) and shares a cluster secret (the harness's):
 * the SDK and the CLI log in, bad credentials fail alike, a storm of failures
 * leaves the node serving others, sessions expire and re-authenticate, a
 * deleted user loses its connection's right to send requests, and no password
 * or token appears in any log line or metadata output.
 */
import { createHmac, randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { ScramClient, Tributary, type ClientConfig } from '@tributary/client'
import { ApiKey, authenticate, ErrorCode, type RpcConnection, type SaslClientMechanism } from '@tributary/protocol'
import { runCli } from './cli-process.js'
import { rpc, startCluster, type TestCluster } from './cluster.js'

const ADMIN_PASSWORD = `admin-${randomBytes(6).toString('hex')}`
const ALICE_PASSWORD = `alice-${randomBytes(6).toString('hex')}`
const BOB_PASSWORD = `bob-${randomBytes(6).toString('hex')}`
const JWT_SECRET = randomBytes(32).toString('hex')
const SESSION_MS = 5000

let cluster: TestCluster
let dir: string
const clients: Tributary[] = []
const tokens: string[] = []

function jwt(claims: Record<string, unknown>, secret = JWT_SECRET): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ aud: 'tributary', exp: Math.floor(Date.now() / 1000) + 600, ...claims })}`
  const token = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
  tokens.push(token)
  return token
}

function client(sasl: ClientConfig['sasl'] | undefined, extra: Partial<ClientConfig> = {}, node?: number): Tributary {
  const c = new Tributary({ brokers: node ? [cluster.node(node).url] : cluster.bootstrap, sasl, retry: { retries: 2, maxRetryTimeMs: 200 }, ...extra })
  clients.push(c)
  return c
}
const scram = (mechanism: 'scram-sha-256' | 'scram-sha-512', username: string, password: string) => ({ mechanism, username, password })
const admin = () => client(scram('scram-sha-512', 'admin', ADMIN_PASSWORD)).admin()

/** Credentials commit on the controller first: wait until every node's image has them (each answers DescribeUserScramCredentials from its own). */
async function knownEverywhere(users: string[]): Promise<void> {
  for (const node of [1, 2, 3]) {
    const a = client(scram('scram-sha-512', 'admin', ADMIN_PASSWORD), {}, node).admin()
    await cluster.waitFor(async () => (await a.describeUsers(users).catch(() => undefined))?.length === users.length, { message: `node ${node} to know ${users.join(', ')}` })
  }
}

async function roundTrip(c: Tributary, topic: string, value: string): Promise<void> {
  await c.producer().send({ topic, messages: [{ value }] })
  const offsets = await c.admin().fetchTopicOffsets(topic)
  expect(offsets[0]!.high).toBeGreaterThan(0)
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-sasl-'))
  await writeFile(path.join(dir, 'users'), `admin:scram-sha-512:${ADMIN_PASSWORD}\n`, { mode: 0o600 })
  await writeFile(path.join(dir, 'jwt.secret'), `${JWT_SECRET}\n`, { mode: 0o600 })
  cluster = await startCluster({
    nodes: 3,
    logDir: path.join(dir, 'logs'),
    brokerArgs: [
      '--sasl-mechanisms', 'scram-sha-256,scram-sha-512,plain,oauthbearer',
      '--bootstrap-scram-users', path.join(dir, 'users'),
      '--super-users', 'User:admin',
      '--oauth-jwt-secret-file', path.join(dir, 'jwt.secret'),
      '--oauth-audience', 'tributary',
      '--sasl-session-max-ms', String(SESSION_MS),
    ],
  })
  const a = admin()
  await cluster.waitFor(async () => (await a.describeUsers().catch(() => [])).length > 0, { message: 'the bootstrap admin user' })
  await a.createTopic({ topic: 'orders', partitions: 1, replicationFactor: 3 })
}, 90_000)

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()))
  await cluster?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

test('SCRAM-SHA-256 and SCRAM-SHA-512 users created through the SDK produce and read', async () => {
  await admin().upsertScramCredentials([
    { user: 'alice', mechanism: 'scram-sha-256', password: ALICE_PASSWORD },
    { user: 'bob', mechanism: 'scram-sha-512', password: BOB_PASSWORD },
  ])
  await knownEverywhere(['alice', 'bob'])
  await roundTrip(client(scram('scram-sha-256', 'alice', ALICE_PASSWORD)), 'orders', 'from alice')
  await roundTrip(client(scram('scram-sha-512', 'bob', BOB_PASSWORD)), 'orders', 'from bob')
}, 60_000)

test('no credentials: refused before anything else, saying authentication is required', async () => {
  await expect(client(undefined).admin().listTopics()).rejects.toMatchObject({ code: ErrorCode.SASL_AUTHENTICATION_FAILED, message: expect.stringMatching(/requires authentication first/) })
})

test('a wrong password and an unknown user get the same error (58)', async () => {
  const wrong = await client(scram('scram-sha-256', 'alice', 'not-the-password')).admin().listTopics().catch((e: Error) => e)
  const unknown = await client(scram('scram-sha-256', 'mallory', 'whatever')).admin().listTopics().catch((e: Error) => e)
  expect(wrong).toMatchObject({ code: ErrorCode.SASL_AUTHENTICATION_FAILED })
  expect((unknown as Error).message).toBe((wrong as Error).message)
  // alice's SHA-256 credential does not log in as SHA-512 (another mechanism is another credential).
  await expect(client(scram('scram-sha-512', 'alice', ALICE_PASSWORD)).admin().listTopics()).rejects.toMatchObject({ message: (wrong as Error).message.replace('SCRAM-SHA-256', 'SCRAM-SHA-512') })
})

test('an unknown mechanism is UNSUPPORTED_SASL_MECHANISM naming the ones offered; PLAIN without TLS says why', async () => {
  const gssapi: SaslClientMechanism = { name: 'GSSAPI', start: async () => new Uint8Array(0), step: async () => undefined }
  await expect(client(undefined, { saslMechanism: () => gssapi }).admin().listTopics()).rejects.toMatchObject({
    code: ErrorCode.UNSUPPORTED_SASL_MECHANISM, message: expect.stringMatching(/SCRAM-SHA-256, SCRAM-SHA-512, PLAIN, OAUTHBEARER/),
  })
  await expect(client({ mechanism: 'plain', username: 'alice', password: ALICE_PASSWORD }).admin().listTopics()).rejects.toMatchObject({
    code: ErrorCode.SASL_AUTHENTICATION_FAILED, message: expect.stringMatching(/without TLS/),
  })
})

test('only --super-users (and brokers) may alter users, on any node; others are refused with 31', async () => {
  const alice = client(scram('scram-sha-256', 'alice', ALICE_PASSWORD)).admin()
  await expect(alice.upsertScramCredentials([{ user: 'alice2', mechanism: 'scram-sha-256', password: 'x' }])).rejects.toMatchObject({ code: ErrorCode.CLUSTER_AUTHORIZATION_FAILED })
  expect((await admin().describeUsers()).map((u) => u.user)).toEqual(['admin', 'alice', 'bob'])
  // The admin through a node that is not (necessarily) the controller: forwarded on the broker's own session.
  for (const node of [1, 2, 3]) {
    const a = client(scram('scram-sha-512', 'admin', ADMIN_PASSWORD), {}, node).admin()
    await a.upsertScramCredentials([{ user: `via-${node}`, mechanism: 'scram-sha-256', password: 'pw' }])
    await a.deleteScramCredentials([{ user: `via-${node}`, mechanism: 'scram-sha-256' }])
  }
}, 60_000)

test('OAUTHBEARER: a valid token works; expired, wrong audience, wrong signature and alg none are refused saying why', async () => {
  await roundTrip(client({ mechanism: 'oauthbearer', token: async () => jwt({ sub: 'svc-reports' }) }), 'orders', 'from a token')
  const refused = async (token: string) => client({ mechanism: 'oauthbearer', token: async () => token }).admin().listTopics().catch((e: Error) => e)
  expect(await refused(jwt({ sub: 'x', exp: Math.floor(Date.now() / 1000) - 3600 }))).toMatchObject({ code: ErrorCode.SASL_AUTHENTICATION_FAILED, message: expect.stringMatching(/expired/) })
  expect(await refused(jwt({ sub: 'x', aud: 'other' }))).toMatchObject({ message: expect.stringMatching(/audience/) })
  expect(await refused(jwt({ sub: 'x' }, 'another-secret-another-secret-another'))).toMatchObject({ message: expect.stringMatching(/signature/) })
  const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', aud: 'tributary', exp: 4e9 })).toString('base64url')}.`
  tokens.push(none)
  expect(await refused(none)).toMatchObject({ message: expect.stringMatching(/alg none/) })
}, 60_000)

test('100 failed logins in a row leave the node serving others', async () => {
  for (let i = 0; i < 100; i++) {
    const c = new Tributary({ brokers: [cluster.node(1).url], sasl: scram('scram-sha-256', i % 2 ? 'alice' : `nobody-${i}`, 'wrong'), retry: { retries: 0 } })
    await expect(c.admin().describeCluster()).rejects.toMatchObject({ code: ErrorCode.SASL_AUTHENTICATION_FAILED })
    await c.close()
  }
  const ok = client(scram('scram-sha-256', 'alice', ALICE_PASSWORD), {}, 1)
  expect((await ok.admin().describeCluster()).brokers.length).toBe(3)
  await roundTrip(ok, 'orders', 'after the storm')
}, 120_000)

/** A raw connection logged in as alice with SCRAM, re-authenticating never. */
async function rawLogin(): Promise<{ conn: RpcConnection; lifetimeMs: number }> {
  const conn = await rpc(cluster.node(1).url)
  await conn.request(ApiKey.ApiVersions, {})
  const out = await authenticate(conn, new ScramClient({ params: { name: 'SCRAM-SHA-256', webHash: 'SHA-256' }, username: 'alice', password: ALICE_PASSWORD }))
  return { conn, lifetimeMs: out.sessionLifetimeMs }
}

test('the server refuses requests on a session past its lifetime, with a clear error, until it re-authenticates', async () => {
  const { conn, lifetimeMs } = await rawLogin()
  try {
    expect(lifetimeMs).toBeGreaterThan(0)
    expect(lifetimeMs).toBeLessThanOrEqual(SESSION_MS)
    expect((await conn.request(ApiKey.Metadata, {})).errorCode).toBe(ErrorCode.NONE)
    const expired = await cluster.waitFor(async () => {
      const r = await conn.request(ApiKey.Metadata, {})
      return r.errorCode !== ErrorCode.NONE ? r : undefined
    }, { timeoutMs: SESSION_MS * 3, intervalMs: 200, message: 'the session to expire' })
    expect(expired).toMatchObject({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, body: { errorMessage: expect.stringMatching(/session expired/) } })
    // Refused before processing: a write sent on the expired session changes nothing.
    const create = await conn.request(ApiKey.CreateTopics, { topics: [{ name: 'after-expiry', numPartitions: 1, replicationFactor: 1, configs: {}, assignments: null }], timeoutMs: 5000, validateOnly: false })
    expect(create.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED)
    await authenticate(conn, new ScramClient({ params: { name: 'SCRAM-SHA-256', webHash: 'SHA-256' }, username: 'alice', password: ALICE_PASSWORD }))
    const metadata = await conn.request<{ topics: Array<{ name: string; errorCode: number }> }>(ApiKey.Metadata, { topics: ['after-expiry'] })
    expect(metadata.errorCode).toBe(ErrorCode.NONE)
    expect(metadata.body.topics).toEqual([expect.objectContaining({ name: 'after-expiry', errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })])
  } finally {
    conn.close()
  }
}, 60_000)

test('the SDK re-authenticates before its session ends: a client stays usable across several lifetimes', async () => {
  const c = client(scram('scram-sha-512', 'bob', BOB_PASSWORD), {}, 1)
  const a = c.admin()
  const until = Date.now() + SESSION_MS * 2.5
  let calls = 0
  while (Date.now() < until) {
    await a.describeCluster()
    calls++
    await new Promise((r) => setTimeout(r, 250))
  }
  expect(calls).toBeGreaterThan(10)
}, 60_000)

test('a user deleted while connected can no longer send requests once re-authentication is due', async () => {
  const alice = client(scram('scram-sha-256', 'alice', ALICE_PASSWORD), {}, 1)
  await roundTrip(alice, 'orders', 'before the deletion')
  await admin().deleteScramCredentials([{ user: 'alice', mechanism: 'scram-sha-256' }])
  const err = await cluster.waitFor(async () => alice.admin().describeCluster().then(() => undefined, (e: Error) => e), {
    timeoutMs: SESSION_MS * 3, intervalMs: 200, message: 'alice to be refused after her deletion',
  })
  expect(err).toMatchObject({ code: ErrorCode.SASL_AUTHENTICATION_FAILED })
  // A raw connection that logged in before the deletion can't re-authenticate either.
  await expect(rawLogin()).rejects.toMatchObject({ code: ErrorCode.SASL_AUTHENTICATION_FAILED })
}, 60_000)

describe('the CLI', () => {
  const env = () => ({ TRIBUTARY_BOOTSTRAP: cluster.bootstrap.join(',') })

  test('logs in with --user/--password-file, env twins and --command-config; users commands as the admin', async () => {
    await writeFile(path.join(dir, 'admin.pw'), `${ADMIN_PASSWORD}\n`)
    await writeFile(path.join(dir, 'carol.pw'), 'carol-password-1\n')
    const asAdmin = ['--user', 'admin', '--password-file', path.join(dir, 'admin.pw'), '--sasl-mechanism', 'scram-sha-512']
    const created = await runCli(['users', 'create', 'carol', '--mechanism', 'scram-sha-512', '--new-password-file', path.join(dir, 'carol.pw'), ...asAdmin], { env: env() })
    expect(created).toMatchObject({ code: 0, stdout: 'created user carol (SCRAM-SHA-512)\n' })
    await knownEverywhere(['carol'])
    const list = await runCli(['users', 'list', '--json'], { env: { ...env(), TRIBUTARY_USER: 'admin', TRIBUTARY_PASSWORD_FILE: path.join(dir, 'admin.pw'), TRIBUTARY_SASL_MECHANISM: 'SCRAM-SHA-512' } })
    expect(JSON.parse(list.stdout)).toContainEqual({ user: 'carol', mechanisms: ['SCRAM-SHA-512'] })
    await writeFile(path.join(dir, 'carol.properties'), 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="carol" password="carol-password-1";\n')
    const produced = await runCli(['produce', 'orders', '--command-config', path.join(dir, 'carol.properties')], { env: env(), input: 'from the cli\n' })
    expect(produced.code).toBe(0)
    const consumed = await runCli(['consume', 'orders', '--from-beginning', '--max-messages', '1', '--command-config', path.join(dir, 'carol.properties')], { env: env() })
    expect(consumed).toMatchObject({ code: 0 })
    expect(consumed.stdout.trim().length).toBeGreaterThan(0)
  }, 90_000)

  test('SCRAM-SHA-256 and OAUTHBEARER (--token-file) through the CLI', async () => {
    const asAdmin = ['--user', 'admin', '--password-file', path.join(dir, 'admin.pw'), '--sasl-mechanism', 'scram-sha-512']
    await writeFile(path.join(dir, 'dave.pw'), 'dave-password-1\n')
    expect((await runCli(['users', 'create', 'dave', '--new-password-file', path.join(dir, 'dave.pw'), ...asAdmin], { env: env() })).code).toBe(0)
    await knownEverywhere(['dave'])
    const dave = await runCli(['topics', 'list', '--user', 'dave', '--password-file', path.join(dir, 'dave.pw')], { env: env() })
    expect(dave).toMatchObject({ code: 0, stdout: expect.stringContaining('orders') })
    await writeFile(path.join(dir, 'token'), `${jwt({ sub: 'cli-bot' })}\n`)
    const bot = await runCli(['topics', 'list', '--token-file', path.join(dir, 'token')], { env: env() })
    expect(bot).toMatchObject({ code: 0, stdout: expect.stringContaining('orders') })
    await writeFile(path.join(dir, 'token'), `${jwt({ sub: 'cli-bot', exp: 1 })}\n`)
    const expired = await runCli(['topics', 'list', '--token-file', path.join(dir, 'token')], { env: env() })
    expect(expired.code).toBe(1)
    expect(expired.stderr).toMatch(/SASL_AUTHENTICATION_FAILED.*token expired/)
  }, 60_000)

  test('a wrong password is exit 1 with the SASL error on one line; carol may not alter users', async () => {
    const wrong = await runCli(['topics', 'list', '--user', 'carol', '--password', 'nope', '--sasl-mechanism', 'scram-sha-512'], { env: env() })
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(/^error: .*SASL_AUTHENTICATION_FAILED.*invalid credentials/)
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1)
    const refused = await runCli(['users', 'delete', 'admin', '--command-config', path.join(dir, 'carol.properties')], { env: env() })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/CLUSTER_AUTHORIZATION_FAILED/)
  }, 60_000)

  test('no password or token in any log line of the run or in metadata log / image', async () => {
    const asAdmin = ['--user', 'admin', '--password-file', path.join(dir, 'admin.pw'), '--sasl-mechanism', 'scram-sha-512']
    const outputs = [
      await runCli(['metadata', 'log', '--json', ...asAdmin], { env: env() }),
      await runCli(['metadata', 'image', '--json', ...asAdmin], { env: env() }),
    ]
    for (const o of outputs) expect(o.code).toBe(0)
    expect(outputs[0]!.stdout).toContain('UserScramCredential')
    const logDir = path.join(dir, 'logs')
    const logs = (await Promise.all((await readdir(logDir)).map((f) => readFile(path.join(logDir, f), 'utf8')))).join('\n')
    expect(logs).toContain('authentication failed') // the run did log failures: the check below is not vacuous
    const secrets = [ADMIN_PASSWORD, ALICE_PASSWORD, BOB_PASSWORD, 'carol-password-1', 'dave-password-1', JWT_SECRET, ...tokens]
    for (const text of [logs, ...outputs.map((o) => o.stdout + o.stderr)]) for (const s of secrets) expect(text).not.toContain(s)
  }, 60_000)
})
