/**
 * Python Kafka clients against a real 3-node cluster's Kafka listeners (issue
 * #18): kafka-python (Debian's python3-kafka, pure Python with its own group
 * coordinator code) produces with acks=all and consumes in a group of two with
 * the range and the round-robin assignor, committing what it read;
 * confluent-kafka (python3-confluent-kafka, librdkafka) creates a topic, adds
 * partitions, reads configs, produces idempotently with zstd, consumes in a
 * group, lists groups and deletes the topic. The scripts are in ./python/.
 * Run by `npm run test:compat`; a client that is not installed is reported and
 * skipped.
 */
import { Tributary } from '@tributary/client'
import type { TestCluster } from '../cluster.js'
import { stopClusterAndClient } from '../cluster-client.js'
import { startKafkaClusterAndClient } from '../kafka-cluster.js'
import { interpreterWith, runScript } from './python-run.js'

const kafkaPython = interpreterWith('kafka')
const confluent = interpreterWith('confluent_kafka')
if (!kafkaPython) console.warn('kafka-python compat tests SKIPPED: no python3 with the kafka module (Debian: apt-get install -y python3-kafka)')
if (!confluent) console.warn('confluent-kafka compat tests SKIPPED: no python3 with confluent_kafka (Debian: apt-get install -y python3-confluent-kafka)')
const describeAny = kafkaPython || confluent ? describe : describe.skip

describeAny('Python clients', () => {
  let cluster: TestCluster
  let client: Tributary
  let brokers: string

  beforeAll(async () => {
    let kafkaBrokers: string[]
    ;({ cluster, client, kafkaBrokers } = await startKafkaClusterAndClient('e2e-python'))
    brokers = kafkaBrokers.join(',')
  }, 60_000)

  afterAll(() => stopClusterAndClient(client, cluster), 30_000)

  for (const assignor of ['range', 'roundrobin']) {
    const maybe = kafkaPython ? test : test.skip
    maybe(`kafka-python: acks=all producer; a group of two (${assignor} assignor) shares the partitions and commits`, async () => {
      const topic = `py-${assignor}`
      const group = `py-group-${assignor}`
      await client.admin().createTopic({ topic, partitions: 4, replicationFactor: 3 })
      const r = await runScript(kafkaPython!, 'kafka_python_group.py', [brokers, topic, group, assignor, '40'])
      expect(r.values).toEqual(Array.from({ length: 40 }, (_, i) => `${assignor}-${i}`).sort())
      // Both members hold partitions, none twice, all four covered.
      expect(r.assigned[0].length).toBeGreaterThan(0)
      expect(r.assigned[1].length).toBeGreaterThan(0)
      expect([...r.assigned[0], ...r.assigned[1]].sort()).toEqual([0, 1, 2, 3])
      // The commits are the group's offsets for Tributary too.
      const offsets = await client.admin().fetchOffsets({ groupId: group })
      const ends = await client.admin().fetchTopicOffsets(topic)
      expect(offsets.map((o) => [o.partition, o.offset]).sort()).toEqual(ends.map((e) => [e.partition, e.high]).sort())
    }, 120_000)
  }

  const maybeConfluent = confluent ? test : test.skip
  maybeConfluent('confluent-kafka: AdminClient topics, partitions, configs and groups; idempotent zstd producer; a consumer group', async () => {
    const r = await runScript(confluent!, 'confluent_admin.py', [brokers, 'py-confluent', 'py-confluent-group'])
    expect(r).toEqual({ partitions: 3, retention: '3600000', unflushed: 0, values: 30, committed: 30, groups: expect.arrayContaining(['py-confluent-group']), deleted: true })
  }, 120_000)
})
