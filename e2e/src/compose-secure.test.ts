/**
 * docker-compose.secure.yml (TLS + SCRAM + cluster secret + ACLs) can't be run
 * here (no Docker engine). It is checked as docker-compose.yml is: statically
 * against the broker's config schema, and by launching the same topology as
 * local broker processes — hosts and ports remapped to loopback, /certs to
 * certificates made by scripts/make-certs.sh, the secret files to temp files —
 * that must all become ready over https://, as the image's own health check sees
 * it. Its `acls` service's script then runs against them (twice, and again after
 * every node restarts), and the three users must be able to do exactly what the
 * file promises.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { parse } from 'yaml'
import { BROKER_OPTIONS, namedListeners, resolveBrokerConfig, type BrokerConfig } from '@tributary/broker'
import { Tributary, text, type ClientConfig } from '@tributary/client'
import { aclOperationName, aclResourceTypeName, anyAclFilter, ErrorCode } from '@tributary/protocol'
import { makeCerts } from './certs.js'
import { BROKER_BIN, freePort, httpsGet, REPO_ROOT, tlsMaterial } from './cluster.js'

interface Service {
  hostname?: string; environment: Record<string, string>; ports?: string[]; volumes?: string[]; secrets?: string[]; profiles?: string[]; image?: string
  depends_on?: Record<string, { condition: string }>; entrypoint?: string[]; command?: string[]; restart?: string
}
interface Compose { services: Record<string, Service>; volumes: Record<string, unknown>; secrets: Record<string, { file: string }> }

/**
 * Flags of the authentication work (cluster secret, SASL) that this file already
 * uses; they are accepted here until the broker's schema has them, then checked like the rest.
 */
const AUTH_ENV = new Set(['TRIBUTARY_CLUSTER_SECRET_FILE', 'TRIBUTARY_SASL_MECHANISMS', 'TRIBUTARY_SUPER_USERS', 'TRIBUTARY_BOOTSTRAP_SCRAM_USERS'])
/** Non-Tributary variables the file may set. */
const OTHER_ENV = new Set(['NODE_EXTRA_CA_CERTS'])
const FORM_TIMEOUT_MS = 30_000
/** Services that are not brokers. */
const TOOL_SERVICES = new Set(['cli', 'acls'])
/** Where the Dockerfile puts the repository's scripts/ in the image. */
const IMAGE_APP_DIR = '/app/'

async function loadCompose(): Promise<Compose> {
  return parse(await readFile(path.join(REPO_ROOT, 'docker-compose.secure.yml'), 'utf8'), { merge: true })
}

function configOf(svc: Service): BrokerConfig {
  const r = resolveBrokerConfig({ env: svc.environment })
  if (!r.ok) throw new Error(r.message)
  return r.value
}

/** The broker services (every service but the CLI's and the ACL setup's). */
function nodeServices(compose: Compose): Array<[string, Service]> {
  return Object.entries(compose.services).filter(([name]) => !TOOL_SERVICES.has(name))
}

function external(cfg: BrokerConfig): { listen: string; advertise: string } {
  const ext = namedListeners(cfg).find((l) => l.name === 'external')
  if (!ext) throw new Error(`node ${cfg.nodeId} has no external listener`)
  return ext
}

test('every node is a valid TLS broker config: wss:// everywhere, its own broker-<id> certificate, the CA, the cluster secret and SCRAM', async () => {
  const compose = await loadCompose()
  const { secrets, volumes } = compose
  const known = new Set(BROKER_OPTIONS.map((o) => o.env))
  const nodes = nodeServices(compose)
  expect(nodes).toHaveLength(3)
  const voterLists = new Set<string>()
  for (const [name, svc] of nodes) {
    for (const key of Object.keys(svc.environment)) {
      expect({ service: name, key, known: known.has(key) || AUTH_ENV.has(key) || OTHER_ENV.has(key) }).toEqual({ service: name, key, known: true })
    }
    const cfg = configOf(svc)
    voterLists.add(JSON.stringify(cfg.voters))
    expect(cfg.voters.every((v) => v.endpoint.startsWith('wss://'))).toBe(true)
    // Peers and the compose network reach this node by its hostname (wss://nodeN:909x), the host by the external listener.
    const mine = cfg.voters.find((v) => v.nodeId === cfg.nodeId)!
    expect(new URL(mine.endpoint).hostname).toBe(`node${cfg.nodeId}`)
    expect(svc.hostname).toBe(`node${cfg.nodeId}`)
    expect(cfg.listen).toMatch(/^wss:\/\//)
    expect(cfg.advertise).toBe(mine.endpoint)
    const ext = external(cfg)
    expect(ext.listen).toMatch(/^wss:\/\//)
    const advertised = new URL(ext.advertise)
    expect(advertised.protocol).toBe('wss:')
    expect(advertised.hostname).toBe('localhost')
    expect(svc.ports).toEqual([`${advertised.port}:${new URL(ext.listen).port}`])
    expect(cfg.tlsCert).toBe(`/certs/broker-${cfg.nodeId}.crt`)
    expect(cfg.tlsKey).toBe(`/certs/broker-${cfg.nodeId}.key`)
    expect(cfg.tlsCa).toBe('/certs/ca.crt')
    expect(svc.volumes).toContain('./certs:/certs:ro')
    expect((svc.volumes ?? []).some((v) => v.endsWith(':/data') && v.split(':')[0]! in volumes)).toBe(true)
    expect(svc.environment.TRIBUTARY_CLUSTER_SECRET_FILE).toBe('/run/secrets/cluster_secret')
    expect(svc.secrets).toEqual(['cluster_secret', 'scram_users'])
    expect(svc.environment.TRIBUTARY_SASL_MECHANISMS).toMatch(/scram-sha-256/)
    expect(svc.environment.TRIBUTARY_BOOTSTRAP_SCRAM_USERS).toBe('/run/secrets/scram_users')
    expect(svc.environment.TRIBUTARY_SUPER_USERS).toBe('User:admin')
    expect(cfg.authorizer).toBe('acl')
    expect(cfg.allowEveryoneIfNoAclFound).toBe(false)
  }
  expect(voterLists.size).toBe(1)
  expect(secrets.cluster_secret?.file).toBe('./cluster.secret')
  expect(secrets.scram_users?.file).toBe('./scram-users')
  // The CLI service: on the compose network, trusting the cluster CA, only when asked.
  const cli = compose.services.cli!
  expect(cli.profiles).toEqual(['cli'])
  expect(cli.environment.TRIBUTARY_BOOTSTRAP!.split(',')).toEqual(nodes.map(([, svc]) => configOf(svc).advertise))
  expect(cli.environment.TRIBUTARY_TLS_CA).toBe('/certs/ca.crt')
  expect(cli.volumes).toContain('./certs:/certs:ro')
  // The ACL setup: after every node is healthy, once per `up`, with the users file, a script that is in the image.
  const acls = compose.services.acls!
  expect(acls.depends_on).toEqual(Object.fromEntries(nodes.map(([name]) => [name, { condition: 'service_healthy' }])))
  expect(acls.restart).toBe('no')
  expect(acls.secrets).toEqual(['scram_users'])
  expect(acls.environment.SCRAM_USERS_FILE).toBe('/run/secrets/scram_users')
  expect(acls.environment.TRIBUTARY_BOOTSTRAP).toBe(cli.environment.TRIBUTARY_BOOTSTRAP)
  expect(acls.environment.TRIBUTARY_TLS_CA).toBe('/certs/ca.crt')
  expect(acls.entrypoint).toEqual(['sh'])
  const script = acls.command![0]!
  expect(script.startsWith(IMAGE_APP_DIR)).toBe(true)
  expect(existsSync(path.join(REPO_ROOT, script.slice(IMAGE_APP_DIR.length)))).toBe(true)
  expect(await readFile(path.join(REPO_ROOT, 'Dockerfile'), 'utf8')).toMatch(/^COPY scripts \.\/scripts$/m)
})

/** The three users the file's header tells to put in scram-users. */
const COMPOSE_USERS = ['admin', 'producer', 'dashboard']

test('the same topology, run as local processes with certificates from make-certs.sh, becomes ready on both listeners over https://, passes the image health check, and its acls service gives each user exactly its rights, again after a restart', async () => {
  const compose = await loadCompose()
  const root = await mkdtemp(path.join(os.tmpdir(), 'tributary-compose-secure-'))
  const children: ChildProcess[] = []
  const clients: Tributary[] = []
  try {
    const certs = await makeCerts({ dir: path.join(root, 'certs'), nodes: 3, clients: ['client'] })
    const secretFile = path.join(root, 'cluster-secret')
    // What `openssl rand -hex 32 > cluster.secret` makes, where Docker would mount it.
    await writeFile(secretFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 })
    const passwords = new Map(COMPOSE_USERS.map((u) => [u, randomBytes(16).toString('hex')]))
    const usersFile = path.join(root, 'scram-users')
    await writeFile(usersFile, COMPOSE_USERS.map((u) => `${u}:scram-sha-256:${passwords.get(u)}\n`).join(''), { mode: 0o600 })
    const nodes = nodeServices(compose).map(([name, svc]) => ({ name, svc, cfg: configOf(svc) }))
    const remap = new Map<string, string>([['/certs/', `${certs}/`], ['/run/secrets/cluster_secret', secretFile], ['/run/secrets/scram_users', usersFile]])
    const taken = new Set<number>()
    const port = async (): Promise<number> => {
      let p = await freePort()
      while (taken.has(p)) p = await freePort()
      taken.add(p)
      return p
    }
    // Every listener's host:port becomes 127.0.0.1:<free port> (one for the compose network, one for the host).
    const ports: number[] = []
    const hostBootstrap: string[] = []
    for (const { name, svc, cfg } of nodes) {
      const internalPort = await port()
      const externalPort = await port()
      ports.push(internalPort, externalPort)
      hostBootstrap.push(`wss://127.0.0.1:${externalPort}`)
      const listenPort = new URL(cfg.listen).port
      remap.set(`${svc.hostname ?? name}:${listenPort}`, `127.0.0.1:${internalPort}`)
      remap.set(`0.0.0.0:${listenPort}`, `127.0.0.1:${internalPort}`)
      const ext = external(cfg)
      remap.set(`0.0.0.0:${new URL(ext.listen).port}`, `127.0.0.1:${externalPort}`)
      remap.set(`localhost:${new URL(ext.advertise).port}`, `127.0.0.1:${externalPort}`)
    }
    const rewrite = (v: string) => [...remap].reduce((acc, [from, to]) => acc.split(from).join(to), v)
    const envs = new Map<string, Record<string, string>>()
    for (const { name, svc } of nodes) {
      const env: Record<string, string> = {}
      for (const [k, v] of Object.entries(svc.environment)) env[k] = rewrite(String(v))
      env.TRIBUTARY_DATA_DIR = path.join(root, name)
      env.TRIBUTARY_LOG_LEVEL = 'warn'
      envs.set(name, env)
    }
    const startNodes = () => {
      for (const env of envs.values()) {
        children.push(spawn(process.execPath, [BROKER_BIN, 'broker'], {
          cwd: REPO_ROOT,
          env: { ...process.env, ...env, TRIBUTARY_EXIT_WITH_PARENT: '1' },
          stdio: ['pipe', 'ignore', 'inherit'],
        }))
      }
    }
    const trust = tlsMaterial(certs)
    // Both listeners of every node, over https://.
    const notReadyWithin = async (timeoutMs: number): Promise<number[]> => {
      const deadline = Date.now() + timeoutMs
      let notReady = ports
      while (notReady.length > 0 && Date.now() < deadline) {
        const status = await Promise.all(notReady.map((p) => httpsGet(p, '/readyz', trust).then((r) => r.status, () => 0)))
        notReady = notReady.filter((_, i) => status[i] !== 200)
        if (notReady.length > 0) await new Promise((r) => setTimeout(r, 100))
      }
      return notReady
    }
    startNodes()
    expect(await notReadyWithin(FORM_TIMEOUT_MS)).toEqual([])

    // The Dockerfile's HEALTHCHECK command, run with node1's environment.
    const dockerfile = await readFile(path.join(REPO_ROOT, 'Dockerfile'), 'utf8')
    const check = /CMD node -e "(.*)"\s*$/m.exec(dockerfile)?.[1]
    expect(check).toBeDefined()
    const r = await promisify(execFile)(process.execPath, ['-e', check!], { env: { ...process.env, ...envs.get('node1') } }).then(() => 0, (e: { code?: number }) => e.code ?? 1)
    expect(r).toBe(0)

    // The acls service: its command with its (remapped) environment, and the image's `tributary` on PATH.
    const runAclsService = await aclsService(compose.services.acls!, rewrite, path.join(root, 'bin'))
    const first = await runAclsService()
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' })
    expect(await runAclsService()).toMatchObject({ code: 0, stderr: '' }) // a second `up` changes nothing

    const login = (user: string): Tributary => {
      const sasl: ClientConfig['sasl'] = { mechanism: 'scram-sha-256', username: user, password: passwords.get(user)! }
      const c = new Tributary({ brokers: hostBootstrap, clientId: `compose-${user}`, tls: trust, sasl, retry: { retries: 2, initialRetryTimeMs: 20, maxRetryTimeMs: 100 } })
      clients.push(c)
      return c
    }
    await expectRights(login, 'before restart')

    // A restart of every node (same data): the users are still there, the script passes again and adds nothing.
    await stopAll(children.splice(0), 'SIGTERM')
    startNodes()
    expect(await notReadyWithin(FORM_TIMEOUT_MS)).toEqual([])
    expect(await runAclsService()).toMatchObject({ code: 0, stderr: '' })
    await expectRights(login, 'after restart')
  } finally {
    for (const c of clients) c.close()
    await stopAll(children, 'SIGKILL')
    await rm(root, { recursive: true, force: true })
  }
}, 180_000)

async function stopAll(children: ChildProcess[], signal: NodeJS.Signals): Promise<void> {
  await Promise.all(children.map((c) => new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve()
    c.once('exit', () => resolve())
    c.kill(signal)
  })))
}

/** Runs the compose `acls` service's command as its container would: `sh <script>`, the image's CLI shim first on PATH. */
async function aclsService(svc: Service, rewrite: (v: string) => string, binDir: string): Promise<() => Promise<{ code: number; stdout: string; stderr: string }>> {
  await mkdir(binDir, { recursive: true })
  const shim = path.join(binDir, 'tributary')
  await writeFile(shim, `#!/bin/sh\nexec "${process.execPath}" "${BROKER_BIN}" "$@"\n`)
  await chmod(shim, 0o755)
  const env: Record<string, string> = { ...process.env as Record<string, string>, PATH: `${binDir}:${process.env.PATH}` }
  for (const [k, v] of Object.entries(svc.environment)) env[k] = rewrite(String(v))
  const [entry, ...entryArgs] = svc.entrypoint!
  const script = svc.command![0]!.replace(IMAGE_APP_DIR, `${REPO_ROOT}/`)
  return () => promisify(execFile)(entry!, [...entryArgs, script], { env, timeout: 60_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
  )
}

const code = (p: Promise<unknown>) => p.then(() => ErrorCode.NONE, (err: { code?: number }) => err.code ?? -1)

/** What the header promises: admin manages, producer writes orders idempotently, dashboard only reads orders in its group. */
async function expectRights(login: (user: string) => Tributary, when: string): Promise<void> {
  const admin = login('admin').admin()
  const acls = await admin.describeAcls(anyAclFilter())
  const flat = acls.resources.flatMap((r) => r.acls.map((a) => `${a.principal} ${aclOperationName(a.operation)} ${aclResourceTypeName(r.resourceType)}:${r.resourceName}`)).sort()
  expect({ when, flat }).toEqual({ when, flat: ['User:dashboard Read Group:dashboard', 'User:dashboard Read Topic:orders', 'User:producer IdempotentWrite Cluster:kafka-cluster', 'User:producer Write Topic:orders'] })
  const value = `${when}-${randomBytes(4).toString('hex')}`
  const producer = login('producer')
  await producer.producer({ idempotent: true, acks: 'all' }).send({ topic: 'orders', messages: [{ key: 'k', value }] })
  expect(await code(producer.admin().createTopic({ topic: `made-by-producer-${randomBytes(3).toString('hex')}`, partitions: 1, replicationFactor: 1 }))).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)

  const dashboard = login('dashboard')
  expect(await dashboard.admin().listTopics()).toEqual(['orders'])
  expect(await code(dashboard.producer({ idempotent: false }).send({ topic: 'orders', messages: [{ value: 'from the dashboard' }] }))).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
  const consumer = dashboard.consumer({ groupId: 'dashboard', fromBeginning: true, maxWaitTimeInMs: 100 })
  await consumer.subscribe({ topics: ['orders'] })
  const seen = new Set<string>()
  const got = new Promise<void>((resolve, reject) => {
    consumer.on('crash', (e) => reject((e as { error: Error }).error))
    void consumer.run({ eachMessage: async ({ message }) => { seen.add(text(message.value)!); if (seen.has(value)) resolve() } })
  })
  const deadline = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${when}: the dashboard did not read ${value}`)), 20_000).unref())
  try {
    await Promise.race([got, deadline])
  } finally {
    await consumer.disconnect()
  }
  expect(seen.has('from the dashboard')).toBe(false)
}
