/**
 * KafkaJS 2.2.4 under one fault (issue #18): an idempotent producer with
 * acks=all writes through the Kafka listeners while the leader of partition 0
 * is killed with SIGKILL (kafka-fault-run.ts). The checker must find nothing
 * lost, duplicated or inconsistent in what KafkaJS was told. The Python
 * clients (librdkafka, kafka-python) face the same fault in
 * compat/python-faults.test.ts.
 */
import { createRequire } from 'node:module'
import type { AckedWrite } from './checker.js'
import type { TestCluster } from './cluster.js'
import { startKafkaCluster } from './kafka-cluster.js'
import { createFaultTopic, killLeaderDuringProduction, type ClientRun } from './kafka-fault-run.js'

const require = createRequire(import.meta.url)
const { Kafka, logLevel } = require('kafkajs')

const TOPIC = 'kafkajs-fault'
/**
 * One send at a time. KafkaJS 2.2.4 takes back a failed request's sequence
 * numbers and gives them to the next send: with sends in flight together, a
 * record the dying leader had written and replicated (seq N) sees its seq N
 * given to another record, which the new leader rightly answers as a duplicate
 * of the first (Kafka does the same), and the first is retried under N+1. We saw
 * exactly that with 4 concurrent sends (one record "acknowledged" at the other's
 * offset, the other stored twice): a KafkaJS bug, its idempotence is marked
 * experimental. Retrying one send reuses its own sequence, which is safe.
 */
const SENDERS = 1

let cluster: TestCluster
let brokers: string[]

beforeAll(async () => {
  ;({ cluster, kafkaBrokers: brokers } = await startKafkaCluster())
  await createFaultTopic(cluster, TOPIC)
}, 60_000)

afterAll(async () => {
  await cluster?.stop()
}, 30_000)

/** KafkaJS producing one keyed record per send from SENDERS loops; an acknowledged send's offset is its record's. */
async function kafkajsRun(): Promise<ClientRun> {
  const kafka = new Kafka({ clientId: 'kafkajs-fault', brokers, logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } })
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  const acked: AckedWrite[] = []
  const indeterminate: string[] = []
  let stopping = false
  let n = 0
  const sender = async (): Promise<void> => {
    while (!stopping) {
      const value = `kafkajs-${n++}`
      try {
        const [r] = await producer.send({ topic: TOPIC, acks: -1, timeout: 10_000, messages: [{ key: value, value }] })
        acked.push({ partition: r.partition, offset: Number(r.baseOffset), value })
      } catch {
        indeterminate.push(value)
      }
    }
  }
  const loops = Array.from({ length: SENDERS }, sender)
  let stopped: Promise<void> | null = null
  return {
    acked: () => acked,
    indeterminate: () => indeterminate,
    stop: () => (stopped ??= (async () => {
      stopping = true
      await Promise.all(loops)
      await producer.disconnect()
    })()),
  }
}

test('KafkaJS idempotent producer, acks=all, kill -9 of a partition leader: nothing lost, duplicated or inconsistent', async () => {
  const outcome = await killLeaderDuringProduction(cluster, TOPIC, await kafkajsRun())
  console.log(`KafkaJS under kill -9 of node ${outcome.killed}:\n${outcome.summary}`)
  const { lost, duplicated, inconsistent, ackedAtWrongOffset, unknownValues, divergentReplicas } = outcome.result
  expect({ lost, duplicated, inconsistent, ackedAtWrongOffset, unknownValues, divergentReplicas }).toEqual({ lost: [], duplicated: [], inconsistent: [], ackedAtWrongOffset: [], unknownValues: [], divergentReplicas: [] })
  expect(outcome.result.valid).toBe(true)
}, 300_000)

