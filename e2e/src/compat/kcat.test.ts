/**
 * librdkafka through Debian's kcat against a real 3-node cluster's Kafka
 * listeners (issue #18): `-L` lists every broker at its Kafka address, `-P`
 * produces keyed records with headers, `-C -o beginning -e` reads them back, and
 * the Tributary SDK reads the same records, and `-G` balanced consumers share a
 * topic through a classic group, commit, and a later one resumes from the
 * commits. Run by `npm run test:compat` (not
 * `npm test`); without kcat on PATH it says so and skips.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { Tributary, partitionForKey, text, type ConsumedMessage } from '@tributary/client'
import type { TestCluster } from '../cluster.js'
import { stopClusterAndClient } from '../cluster-client.js'
import { startKafkaClusterAndClient } from '../kafka-cluster.js'

const kcatPath = spawnSync('sh', ['-c', 'command -v kcat'], { encoding: 'utf8' }).stdout.trim()
if (!kcatPath) {
  console.warn('kcat compat tests SKIPPED: kcat is not on PATH (Debian: apt-get install -y kcat)')
}
const describeKcat = kcatPath ? describe : describe.skip

function kcat(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(kcatPath, args, { input, encoding: 'utf8', timeout: 30_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** A kcat left running (a -G member), its stdout lines collected. */
function kcatRunning(args: string[]): { child: ChildProcess; lines: () => string[]; exit: Promise<number | null> } {
  const child = spawn(kcatPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c))
  child.stderr!.resume()
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, lines: () => out.split('\n').filter(Boolean), exit }
}

describeKcat('kcat (librdkafka)', () => {
  let cluster: TestCluster
  let client: Tributary
  let brokers: string

  beforeAll(async () => {
    let kafkaBrokers: string[]
    ;({ cluster, client, kafkaBrokers } = await startKafkaClusterAndClient('e2e-kcat'))
    brokers = kafkaBrokers.join(',')
  }, 60_000)

  afterAll(() => stopClusterAndClient(client, cluster), 30_000)

  test('kcat -L lists every broker at its Kafka address and the topic with its partitions', async () => {
    await client.admin().createTopic({ topic: 'kcat-list', partitions: 3, replicationFactor: 3 })
    const r = kcat(['-b', brokers, '-L', '-J', '-t', 'kcat-list'])
    expect(r.stderr).toBe('')
    const md = JSON.parse(r.stdout)
    expect(md.brokers.map((b: any) => [b.id, b.name]).sort()).toEqual(brokers.split(',').map((b, i) => [i + 1, b]))
    expect(md.topics[0].topic).toBe('kcat-list')
    expect(md.topics[0].partitions).toHaveLength(3)
    for (const p of md.topics[0].partitions) expect(p.replicas.map((x: any) => x.id).sort()).toEqual([1, 2, 3])
    // The plain listing a user reads.
    const plain = kcat(['-b', brokers, '-L'])
    expect(plain.stdout).toContain(' 3 brokers:')
    expect(plain.stdout).toContain('topic "kcat-list" with 3 partitions:')
  })

  test('kcat -P keyed records with headers (acks all); kcat -C and the SDK read them back', async () => {
    const topic = 'kcat-io'
    await client.admin().createTopic({ topic, partitions: 3, replicationFactor: 3 })
    const lines = Array.from({ length: 20 }, (_, i) => `key-${i % 6}:value-${i}`)
    const produced = kcat(['-b', brokers, '-P', '-t', topic, '-K', ':', '-H', 'source=kcat', '-X', 'acks=all', '-X', 'partitioner=murmur2_random'], lines.join('\n') + '\n')
    expect(produced).toMatchObject({ status: 0, stderr: '' })

    const consumed = kcat(['-b', brokers, '-C', '-t', topic, '-o', 'beginning', '-e', '-J'])
    expect(consumed.status).toBe(0)
    const got = consumed.stdout.trim().split('\n').map((l) => JSON.parse(l))
    expect(got.map((m) => `${m.key}:${m.payload}`).sort()).toEqual([...lines].sort())
    for (const m of got) {
      expect(m.partition).toBe(partitionForKey(m.key, 3)) // librdkafka's murmur2_random is Java's murmur2 for keyed records
      expect(m.headers).toEqual(['source', 'kcat'])
    }

    const sdk: ConsumedMessage[] = []
    const consumer = client.consumer({ fromBeginning: true, maxWaitTimeInMs: 100 })
    await consumer.subscribe({ topics: [topic] })
    await consumer.run({ eachMessage: async ({ message }) => void sdk.push(message) })
    try {
      await cluster.waitFor(() => sdk.length >= lines.length, { message: `${lines.length} records through the SDK (have ${sdk.length})` })
    } finally {
      await consumer.disconnect()
    }
    const byKcat = new Map(got.map((m) => [`${m.partition}/${m.offset}`, m]))
    for (const m of sdk) {
      const k = byKcat.get(`${m.partition}/${m.offset}`)
      expect(k).toBeDefined()
      expect([text(m.key!), text(m.value!), text(m.headers.source!)]).toEqual([k.key, k.payload, 'kcat'])
    }
  })

  test('records the SDK writes (gzip, headers) are read by kcat -C with the same keys, values, headers, partitions and offsets', async () => {
    const topic = 'kcat-from-sdk'
    await client.admin().createTopic({ topic, partitions: 3, replicationFactor: 3 })
    const producer = client.producer({ compression: 'gzip' })
    const sent = Array.from({ length: 9 }, (_, i) => ({ key: `sdk-${i % 4}`, value: `from-sdk-${i}`, headers: { n: String(i) } }))
    const meta = await producer.send({ topic, messages: sent })
    await producer.disconnect()
    const consumed = kcat(['-b', brokers, '-C', '-t', topic, '-o', 'beginning', '-e', '-J'])
    expect(consumed.status).toBe(0)
    const got = consumed.stdout.trim().split('\n').map((l) => JSON.parse(l))
    expect(got).toHaveLength(sent.length)
    const byValue = new Map(got.map((m) => [m.payload, m]))
    sent.forEach((s, i) => {
      const m = byValue.get(s.value)
      expect([m.key, m.partition, m.offset, m.headers]).toEqual([s.key, meta[i]!.partition, meta[i]!.offset, ['n', String(i)]])
    })
  })

  test('kcat -G: two balanced members share the partitions and commit; a later member resumes from the commits', async () => {
    const topic = 'kcat-group-topic'
    const group = 'kcat-group'
    await client.admin().createTopic({ topic, partitions: 4, replicationFactor: 3 })
    const producer = client.producer({ acks: 'all' })
    await producer.send({ topic, messages: Array.from({ length: 40 }, (_, i) => ({ partition: i % 4, value: `g-${i}` })) })
    const member = () => kcatRunning(['-b', brokers, '-G', group, '-u', '-X', 'auto.offset.reset=earliest', '-f', '%p %s\\n', '-X', 'session.timeout.ms=10000', topic])
    const a = member()
    const b = member()
    try {
      const values = () => new Set([...a.lines(), ...b.lines()].map((l) => l.split(' ')[1]))
      const partitionsOf = (m: typeof a) => new Set(m.lines().map((l) => l.split(' ')[0]))
      await cluster.waitFor(() => values().size === 40 && partitionsOf(a).size > 0 && partitionsOf(b).size > 0, {
        timeoutMs: 60_000, message: `both kcat members consume (a ${[...partitionsOf(a)]}, b ${[...partitionsOf(b)]}, ${values().size} values)`,
      })
      // Balanced: no partition read by both (each member's partitions are its own for the whole generation).
      const both = [...partitionsOf(a)].filter((p) => partitionsOf(b).has(p))
      expect(both).toEqual([])
      const described = await client.admin().describeGroup(group)
      expect([described.state, described.members.length]).toEqual(['stable', 2])
    } finally {
      // SIGINT: kcat closes its consumer, which commits what it read and leaves the group.
      a.child.kill('SIGINT')
      b.child.kill('SIGINT')
      await Promise.all([a.exit, b.exit])
    }
    // (-o would override the commits in -G mode: kcat applies it to every assignment; auto.offset.reset applies only without one.)
    await cluster.waitFor(async () => (await client.admin().fetchOffsets({ groupId: group })).filter((o) => o.offset === 10).length === 4, {
      timeoutMs: 30_000, message: 'kcat committed offset 10 on every partition',
    })

    await producer.send({ topic, messages: Array.from({ length: 8 }, (_, i) => ({ partition: i % 4, value: `g-${40 + i}` })) })
    await producer.close()
    const later = kcat(['-b', brokers, '-G', group, '-X', 'auto.offset.reset=earliest', '-c', '8', '-f', '%s\\n', topic])
    expect(later.status).toBe(0)
    expect(later.stdout.trim().split('\n').sort()).toEqual(Array.from({ length: 8 }, (_, i) => `g-${40 + i}`).sort())
  })

  test('every codec both ways: kcat -z gzip|snappy|lz4|zstd batches are read by the SDK; SDK snappy and lz4 batches by kcat', async () => {
    for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
      const topic = `kcat-z-${codec}`
      await client.admin().createTopic({ topic, partitions: 1, replicationFactor: 3 })
      const lines = Array.from({ length: 50 }, (_, i) => `${codec}-${i}-${'x'.repeat(i)}`)
      const produced = kcat(['-b', brokers, '-P', '-t', topic, '-z', codec, '-X', 'acks=all', '-X', 'linger.ms=50'], lines.join('\n') + '\n')
      expect([codec, produced.status, produced.stderr]).toEqual([codec, 0, ''])
      const sdk: ConsumedMessage[] = []
      const consumer = client.consumer({ fromBeginning: true, maxWaitTimeInMs: 100 })
      await consumer.subscribe({ topics: [topic] })
      await consumer.run({ eachMessage: async ({ message }) => void sdk.push(message) })
      try {
        await cluster.waitFor(() => sdk.length >= lines.length, { message: `${codec}: ${lines.length} records through the SDK (have ${sdk.length})` })
      } finally {
        await consumer.disconnect()
      }
      expect(sdk.map((m) => text(m.value!))).toEqual(lines)
    }
    for (const compression of ['snappy', 'lz4'] as const) {
      const topic = `sdk-z-${compression}`
      await client.admin().createTopic({ topic, partitions: 1, replicationFactor: 3 })
      const producer = client.producer({ compression })
      const values = Array.from({ length: 30 }, (_, i) => `${compression}-${i}`.repeat(5))
      await producer.send({ topic, messages: values.map((value) => ({ value })) })
      await producer.close()
      const consumed = kcat(['-b', brokers, '-C', '-t', topic, '-o', 'beginning', '-e'])
      expect([compression, consumed.status, consumed.stdout.trim().split('\n')]).toEqual([compression, 0, values])
    }
  })
})
