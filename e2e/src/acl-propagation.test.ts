/**
 * ACLs on real broker processes: a new ACL and a deleted one take effect on
 * every node within 2 s of `tributary acls` returning, with no restart, while a
 * producer keeps sending; nothing acknowledged is lost.
 *
 * Every connection here is User:ANONYMOUS (no authentication configured), so
 * the cluster runs with --allow-everyone-if-no-acl-found and the ACL under test
 * is a DENY for everyone on one topic: what it changes is what each node answers
 * for that topic.
 */
import { ErrorCode, ApiKey } from '@tributary/protocol'
import { Tributary, text } from '@tributary/client'
import { runNode, startCluster, BROKER_BIN, type TestCluster } from './cluster.js'

let cluster: TestCluster
let client: Tributary

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3, brokerArgs: ['--authorizer', 'acl', '--allow-everyone-if-no-acl-found', 'true'] })
  client = new Tributary({ brokers: cluster.bootstrap, clientId: 'acl-e2e', retry: { retries: 2, initialRetryTimeMs: 20, maxRetryTimeMs: 100 } })
}, 60_000)

afterAll(async () => {
  client?.close()
  await cluster?.stop()
})

const PROPAGATION_MS_MAX = 2000

async function acls(...args: string[]) {
  const r = await runNode([BROKER_BIN, 'acls', ...args, '--bootstrap', cluster.bootstrap.join(',')], 30_000)
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' })
  return r.stdout
}

/** What each node answers for a Metadata request naming the topic. */
async function topicCodes(topic: string): Promise<number[]> {
  return Promise.all(cluster.nodes.map(async (n) => (await cluster.request(n.nodeId, ApiKey.Metadata, { topics: [topic] })).body.topics[0].errorCode))
}

test('a DENY takes effect on every node within 2 s and its deletion too, while a producer keeps sending; no acknowledged record is lost', async () => {
  const admin = client.admin()
  await admin.createTopic({ topic: 'orders', partitions: 3, replicationFactor: 3 })
  const producer = client.producer({ acks: 'all', lingerMs: 0 })
  const acked: string[] = []
  const refusals = new Map<number, number>()
  let stop = false
  let n = 0
  const sending = (async () => {
    while (!stop) {
      const value = `v${n++}`
      try {
        await producer.send({ topic: 'orders', messages: [{ key: value, value }] })
        acked.push(value)
      } catch (err) {
        const code = (err as { code?: number }).code ?? -1
        refusals.set(code, (refusals.get(code) ?? 0) + 1)
        await new Promise((r) => setTimeout(r, 20))
      }
    }
  })()
  await cluster.waitFor(() => acked.length >= 20, { message: 'the producer to get going' })

  await acls('create', '--deny-principal', 'User:*', '--operation', 'All', '--topic', 'orders')
  const added = Date.now()
  await cluster.waitFor(async () => (await topicCodes('orders')).every((c) => c === ErrorCode.TOPIC_AUTHORIZATION_FAILED),
    { timeoutMs: PROPAGATION_MS_MAX, intervalMs: 25, message: 'every node to refuse orders' })
  const tookEffectMs = Date.now() - added
  const ackedBeforeDelete = acked.length
  await cluster.waitFor(() => (refusals.get(ErrorCode.TOPIC_AUTHORIZATION_FAILED) ?? 0) >= 3, { message: 'the producer to be refused' })

  await acls('delete', '--deny-principal', 'User:*', '--operation', 'All', '--topic', 'orders', '--yes')
  const deleted = Date.now()
  await cluster.waitFor(async () => (await topicCodes('orders')).every((c) => c === ErrorCode.NONE),
    { timeoutMs: PROPAGATION_MS_MAX, intervalMs: 25, message: 'every node to serve orders again' })
  const liftedMs = Date.now() - deleted
  await cluster.waitFor(() => acked.length >= ackedBeforeDelete + 20, { message: 'the producer to be accepted again' })
  stop = true
  await sending
  await producer.disconnect()

  // Every acknowledged record is in the topic, exactly once.
  const consumer = client.consumer({ groupId: 'acl-e2e-check', fromBeginning: true })
  await consumer.subscribe({ topics: ['orders'] })
  const seen = new Set<string>()
  const ackedSet = new Set(acked)
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        seen.add(text(message.value)!)
        if ([...ackedSet].every((v) => seen.has(v))) resolve()
      },
    })
  })
  await cluster.waitFor(async () => { await Promise.race([done, new Promise((r) => setTimeout(r, 200))]); return [...ackedSet].every((v) => seen.has(v)) }, { timeoutMs: 30_000, message: 'every acknowledged record to be read back' })
  await consumer.disconnect()
  process.stdout.write(`ACL took effect on every node ${tookEffectMs} ms after the command returned; its deletion ${liftedMs} ms; ${acked.length} records acknowledged\n`)
}, 90_000)
