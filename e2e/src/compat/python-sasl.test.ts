/**
 * kafka-python's admin (Debian's python3-kafka, its own protocol code) through the
 * Kafka listener's security (issue #18): SASL_SSL with SCRAM-SHA-512 over the
 * node's TLS certificate, against a 3-node cluster with --authorizer acl. As the
 * super user it creates, describes and deletes ACLs and lists groups; the ACLs are
 * the ones the Tributary SDK sees, and a user without ACLs may not create them.
 * (Debian's python3-confluent-kafka 1.7 has no ACL or SCRAM admin calls; kcat's
 * SASL runs are in kcat-sasl.test.ts.) Run by `npm run test:compat`; skipped with
 * a message when kafka-python is absent.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { AclOperationTypes as Op, AclResourceTypes as Res, anyAclFilter } from '@tributary/protocol'
import { Tributary } from '@tributary/client'
import { makeCerts } from '../certs.js'
import { tlsMaterial, type TestCluster } from '../cluster.js'
import { startKafkaCluster } from '../kafka-cluster.js'
import { interpreterWith, runScript } from './python-run.js'

const kafkaPython = interpreterWith('kafka')
if (!kafkaPython) console.warn('kafka-python SASL compat test SKIPPED: no python3 with the kafka module (Debian: apt-get install -y python3-kafka)')
const describePython = kafkaPython ? describe : describe.skip

const PASSWORD = `pw-${randomBytes(8).toString('hex')}`

describePython('kafka-python admin over SASL_SSL (SCRAM)', () => {
  let cluster: TestCluster
  let admin: Tributary
  let brokers: string
  let dir: string
  let certs: string

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-py-sasl-'))
    certs = await makeCerts()
    await writeFile(path.join(dir, 'users'), ['admin', 'nobody'].flatMap((u) => [`${u}:scram-sha-256:${PASSWORD}\n`, `${u}:scram-sha-512:${PASSWORD}\n`]).join(''), { mode: 0o600 })
    let kafkaBrokers: string[]
    ;({ cluster, kafkaBrokers } = await startKafkaCluster({
      tls: { certsDir: certs },
      brokerArgs: () => [
        '--kafka-tls', '--authorizer', 'acl', '--super-users', 'User:admin',
        '--sasl-mechanisms', 'scram-sha-256,scram-sha-512', '--bootstrap-scram-users', path.join(dir, 'users'),
      ],
    }))
    brokers = kafkaBrokers.join(',')
    admin = new Tributary({ brokers: cluster.bootstrap, tls: cluster.clientTls ?? tlsMaterial(certs), sasl: { mechanism: 'scram-sha-256', username: 'admin', password: PASSWORD } })
    await cluster.waitFor(async () => (await admin.admin().describeUsers().catch(() => [])).length === 2, { message: 'bootstrap users' })
  }, 90_000)

  afterAll(async () => {
    await admin?.close()
    await cluster?.stop()
    for (const d of [dir, certs]) if (d) await rm(d, { recursive: true, force: true })
  }, 30_000)

  const carolAcls = async () => (await admin.admin().describeAcls({ ...anyAclFilter(), principal: 'User:carol' })).resources
    .flatMap((r) => r.acls.map((a) => [r.resourceType, r.resourceName, a.operation]))

  test('the super user creates, describes and deletes ACLs and lists groups; the SDK sees the same ACLs; a user without ACLs is refused', async () => {
    const ca = path.join(certs, 'ca.crt')
    const r = await runScript(kafkaPython!, 'kafka_python_acls.py', [brokers, ca, 'admin', PASSWORD, 'py-secured', 'py-group'])
    const readTopic = 'User:carol ALLOW READ TOPIC:py-secured'
    const readGroup = 'User:carol ALLOW READ GROUP:py-group'
    expect(r).toMatchObject({ created: [readGroup, readTopic], createFailed: [], described: [readGroup, readTopic], describeError: 'NoError', deleted: [readTopic], left: [readGroup] })
    expect(Array.isArray(r.groups)).toBe(true)
    // What kafka-python left is what the WebSocket listener's admin lists.
    expect(await carolAcls()).toEqual([[Res.GROUP, 'py-group', Op.READ]])

    // 'nobody' logs in but has no Alter on the cluster: its CreateAcls is refused per ACL.
    const refused = await runScript(kafkaPython!, 'kafka_python_acls.py', [brokers, ca, 'nobody', PASSWORD, 'py-other', 'py-other-group']).catch((err: Error) => err)
    const text = refused instanceof Error ? refused.message : JSON.stringify(refused.createFailed)
    expect(text).toMatch(/ClusterAuthorizationFailed|CLUSTER_AUTHORIZATION_FAILED/i)
    expect(await carolAcls()).toEqual([[Res.GROUP, 'py-group', Op.READ]])
  }, 120_000)
})
