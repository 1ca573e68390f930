/**
 * librdkafka (Debian's kcat) through the Kafka listener's security (issue #18
 * with the security issues): SASL_PLAINTEXT with SCRAM-SHA-256 and -512, and
 * SASL_SSL with PLAIN over the node's TLS certificate (--kafka-tls), against a
 * 3-node cluster with --authorizer acl. A wrong password, no SASL, or PLAIN
 * without TLS get nothing; a user without ACLs sees no topic. Run by
 * `npm run test:compat`; skipped with a message when kcat is absent.
 */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Tributary } from '@tributary/client'
import { makeCerts } from '../certs.js'
import { freePort, startCluster, tlsMaterial, type TestCluster } from '../cluster.js'

const kcatPath = spawnSync('sh', ['-c', 'command -v kcat'], { encoding: 'utf8' }).stdout.trim()
if (!kcatPath) console.warn('kcat SASL compat tests SKIPPED: kcat is not on PATH (Debian: apt-get install -y kcat)')
const describeKcat = kcatPath ? describe : describe.skip

const PASSWORD = `pw-${randomBytes(8).toString('hex')}`

function kcat(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(kcatPath, args, { input, encoding: 'utf8', timeout: 30_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

describeKcat('kcat (librdkafka) with SASL and TLS', () => {
  let cluster: TestCluster
  let dir: string
  let certs: string
  let plainPorts: number[]
  let tlsPorts: number[]

  const sasl = (mechanism: string, user: string, password = PASSWORD) => ['-X', `sasl.mechanisms=${mechanism}`, '-X', `sasl.username=${user}`, '-X', `sasl.password=${password}`]
  /** SASL_PLAINTEXT on the plain listeners. */
  const plain = (...rest: string[]) => ['-b', plainPorts.map((p) => `127.0.0.1:${p}`).join(','), '-X', 'security.protocol=SASL_PLAINTEXT', ...rest]
  /** SASL_SSL on the TLS listeners, trusting the cluster CA. */
  const secure = (...rest: string[]) => ['-b', tlsPorts.map((p) => `127.0.0.1:${p}`).join(','), '-X', 'security.protocol=SASL_SSL', '-X', `ssl.ca.location=${path.join(certs, 'ca.crt')}`, ...rest]

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-kcat-sasl-'))
    certs = await makeCerts()
    await writeFile(path.join(dir, 'users'), ['admin', 'nobody'].flatMap((u) => [`${u}:scram-sha-256:${PASSWORD}\n`, `${u}:scram-sha-512:${PASSWORD}\n`]).join(''), { mode: 0o600 })
    const ports: number[] = []
    while (ports.length < 6) {
      const p = await freePort()
      if (!ports.includes(p)) ports.push(p)
    }
    plainPorts = ports.slice(0, 3)
    tlsPorts = ports.slice(3)
    // A node has one Kafka port, TLS or not: this cluster's is TLS (SASL_SSL); SASL_PLAINTEXT has its own below.
    cluster = await startCluster({
      nodes: 3,
      logLevel: 'warn',
      tls: { certsDir: certs },
      brokerArgs: (id) => [
        '--kafka-listen', `127.0.0.1:${tlsPorts[id - 1]}`, '--kafka-tls', '--authorizer', 'acl', '--super-users', 'User:admin',
        '--sasl-mechanisms', 'scram-sha-256,scram-sha-512,plain', '--bootstrap-scram-users', path.join(dir, 'users'),
      ],
    })
  }, 90_000)

  afterAll(async () => {
    await cluster?.stop()
    for (const d of [dir, certs]) if (d) await rm(d, { recursive: true, force: true })
  }, 30_000)

  test('SASL_SSL: PLAIN and SCRAM-SHA-512 over TLS produce and consume; a wrong password and no SASL get nothing', async () => {
    const admin = new Tributary({ brokers: cluster.bootstrap, tls: cluster.clientTls ?? tlsMaterial(certs), sasl: { mechanism: 'scram-sha-256', username: 'admin', password: PASSWORD } })
    try {
      await cluster.waitFor(async () => (await admin.admin().describeUsers().catch(() => [])).length === 2, { message: 'bootstrap users' })
      await admin.admin().createTopic({ topic: 'kcat-sasl', partitions: 2, replicationFactor: 3 })
    } finally {
      await admin.close()
    }
    const lines = Array.from({ length: 10 }, (_, i) => `k${i}:v${i}`)
    const produced = kcat(secure(...sasl('PLAIN', 'admin'), '-P', '-t', 'kcat-sasl', '-K', ':', '-X', 'acks=all'), lines.join('\n') + '\n')
    expect(produced).toMatchObject({ status: 0, stderr: '' })
    const consumed = kcat(secure(...sasl('SCRAM-SHA-512', 'admin'), '-C', '-t', 'kcat-sasl', '-o', 'beginning', '-e', '-f', '%k:%s\\n'))
    expect(consumed.status).toBe(0)
    expect(consumed.stdout.trim().split('\n').sort()).toEqual([...lines].sort())

    const wrong = kcat(secure(...sasl('SCRAM-SHA-256', 'admin', 'wrong'), '-L', '-m', '5'))
    expect(wrong.status).not.toBe(0)
    expect(wrong.stderr).toMatch(/[Aa]uthentication failed|SASL/)
    const none = kcat(['-b', tlsPorts.map((p) => `127.0.0.1:${p}`).join(','), '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${path.join(certs, 'ca.crt')}`, '-L', '-t', 'kcat-sasl', '-m', '5'])
    // Metadata before SASL is answered with the error alone: no broker, no partition.
    expect(none.stdout).toContain(' 0 brokers:')
    expect(none.stdout).toContain('topic "kcat-sasl" with 0 partitions: Broker: SASL Authentication failed')
  })

  test('an authenticated user without ACLs sees no topic', () => {
    const listed = kcat(secure(...sasl('SCRAM-SHA-256', 'nobody'), '-L', '-J', '-m', '10'))
    expect(listed.status).toBe(0)
    const md = JSON.parse(listed.stdout)
    expect(md.brokers).toHaveLength(3)
    expect(md.topics.map((t: any) => t.topic)).not.toContain('kcat-sasl')
  })

  describe('SASL_PLAINTEXT', () => {
    let plainCluster: TestCluster
    beforeAll(async () => {
      plainCluster = await startCluster({
        nodes: 3,
        logLevel: 'warn',
        brokerArgs: (id) => ['--kafka-listen', `127.0.0.1:${plainPorts[id - 1]}`, '--sasl-mechanisms', 'scram-sha-256,scram-sha-512,plain', '--bootstrap-scram-users', path.join(dir, 'users')],
      })
    }, 90_000)
    afterAll(async () => plainCluster?.stop(), 30_000)

    test('SCRAM-SHA-256 and -512 produce and consume; PLAIN without TLS is refused', async () => {
      const admin = new Tributary({ brokers: plainCluster.bootstrap, sasl: { mechanism: 'scram-sha-256', username: 'admin', password: PASSWORD } })
      try {
        await plainCluster.waitFor(async () => (await admin.admin().describeUsers().catch(() => [])).length === 2, { message: 'bootstrap users' })
        await admin.admin().createTopic({ topic: 'kcat-scram', partitions: 1, replicationFactor: 3 })
      } finally {
        await admin.close()
      }
      const produced = kcat(plain(...sasl('SCRAM-SHA-256', 'admin'), '-P', '-t', 'kcat-scram', '-X', 'acks=all'), 'a\nb\nc\n')
      expect(produced).toMatchObject({ status: 0, stderr: '' })
      const consumed = kcat(plain(...sasl('SCRAM-SHA-512', 'admin'), '-C', '-t', 'kcat-scram', '-o', 'beginning', '-e'))
      expect([consumed.status, consumed.stdout.trim().split('\n').sort()]).toEqual([0, ['a', 'b', 'c']])
      const plaintextPassword = kcat(plain(...sasl('PLAIN', 'admin'), '-L', '-m', '5'))
      expect(plaintextPassword.status).not.toBe(0)
    })
  })
})
