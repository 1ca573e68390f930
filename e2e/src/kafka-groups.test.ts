/**
 * Classic consumer groups on the Kafka listener (issue #18) with KafkaJS 2.2.4
 * against a real 3-node cluster: two members share a topic's partitions
 * (JoinGroup/SyncGroup with KafkaJS's own client-side assignor), commit what
 * they consumed, the one left takes every partition when the other leaves, and
 * a consumer started later in the same group resumes from those commits. The commits are the group's committed offsets for Tributary
 * too (the SDK and `tributary groups describe` show them), and KafkaJS's admin
 * describes, lists and deletes the group. A kill -9 of the coordinator costs the
 * member its (memory-only) membership, not a record: it rejoins at the new one.
 */
import { createRequire } from 'node:module'
import { Tributary } from '@tributary/client'
import type { TestCluster } from './cluster.js'
import { stopClusterAndClient } from './cluster-client.js'
import { kafkajsClient, startKafkaClusterAndClient } from './kafka-cluster.js'
import { runCli } from './cli-process.js'
import { RawKafka } from './kafka-wire.js'

const require = createRequire(import.meta.url)
const { AssignerProtocol } = require('kafkajs')

let cluster: TestCluster
let client: Tributary
let kafkaBrokers: string[]
let kafkajs: any
let ports: number[]

beforeAll(async () => {
  ;({ cluster, client, kafkaPorts: ports, kafkaBrokers } = await startKafkaClusterAndClient('e2e-kafka-groups'))
  kafkajs = kafkajsClient('e2e-kafkajs-group', kafkaBrokers, 10)
}, 60_000)

afterAll(() => stopClusterAndClient(client, cluster), 30_000)

interface Member {
  name: string
  consumer: any
  /** value → partition, for every message this member processed */
  seen: Map<string, number>
  /** partitions of its latest assignment */
  assigned: number[]
}

async function startMember(name: string, groupId: string, topic: string): Promise<Member> {
  const consumer = kafkajs.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 })
  const m: Member = { name, consumer, seen: new Map(), assigned: [] }
  consumer.on(consumer.events.GROUP_JOIN, (e: any) => {
    m.assigned = [...(e.payload.memberAssignment[topic] ?? [])].sort()
  })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  await consumer.run({ eachMessage: async ({ partition, message }: any) => void m.seen.set(message.value.toString(), partition) })
  return m
}

async function produce(topic: string, from: number, count: number, partitions: number): Promise<void> {
  const producer = client.producer({ acks: 'all' })
  try {
    await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ partition: (from + i) % partitions, value: `v-${from + i}` })) })
  } finally {
    await producer.close()
  }
}

test('two KafkaJS members share the partitions and commit; one leaves, the other takes all; a consumer started later resumes from the commits', async () => {
  const topic = 'kjs-group-topic'
  const groupId = 'kjs-group'
  const partitions = 4
  await client.admin().createTopic({ topic, partitions, replicationFactor: 3 })
  await produce(topic, 0, 40, partitions)

  const a = await startMember('a', groupId, topic)
  const b = await startMember('b', groupId, topic)
  try {
    const all = () => new Set([...a.seen.keys(), ...b.seen.keys()])
    await cluster.waitFor(() => {
      const split = [...a.assigned, ...b.assigned].sort()
      return all().size === 40 && a.assigned.length > 0 && b.assigned.length > 0 && split.join() === '0,1,2,3'
    }, { timeoutMs: 60_000, message: `both members consume, sharing the partitions (a ${a.assigned}, b ${b.assigned}, ${all().size} values)` })

    // Every partition's commit reaches its end (10 records each), as Tributary's own admin reads it.
    await cluster.waitFor(async () => {
      const offsets = await client.admin().fetchOffsets({ groupId })
      return offsets.filter((o) => o.topic === topic && o.offset === 10).length === partitions
    }, { timeoutMs: 30_000, message: 'KafkaJS commits every partition to offset 10' })

    // The CLI shows the classic group: its two members and who holds each partition.
    const cli = await runCli(['groups', 'describe', groupId, '--bootstrap', cluster.bootstrap[0]!, '--json'])
    expect(cli.stderr).toBe('')
    const described = JSON.parse(cli.stdout)
    expect(described.state).toBe('stable')
    expect(described.members).toHaveLength(2)
    expect(described.partitions.map((r: any) => [r.partition, r.currentOffset, r.lag])).toEqual([[0, 10, 0], [1, 10, 0], [2, 10, 0], [3, 10, 0]])
    const holders = new Set(described.partitions.map((r: any) => r.memberId))
    expect(holders.size).toBe(2)
    expect([...holders].every((id) => described.members.some((m: any) => m.memberId === id))).toBe(true)

    // One member leaves: the other is given every partition in the next generation.
    await b.consumer.disconnect()
    await cluster.waitFor(() => a.assigned.join() === '0,1,2,3', { timeoutMs: 30_000, message: `the remaining member takes every partition (has ${a.assigned})` })
  } finally {
    await a.consumer.disconnect()
    await b.consumer.disconnect()
  }

  // New records, then a new member: it starts at the commits, not at the beginning it asks for.
  await produce(topic, 40, 20, partitions)
  const c = await startMember('c', groupId, topic)
  try {
    await cluster.waitFor(() => c.seen.size >= 20, { timeoutMs: 60_000, message: `the new member reads the 20 new records (${c.seen.size})` })
    expect([...c.seen.keys()].sort()).toEqual(Array.from({ length: 20 }, (_, i) => `v-${40 + i}`).sort())

    const admin = kafkajs.admin()
    await admin.connect()
    try {
      const { groups } = await admin.describeGroups([groupId])
      expect(groups[0]).toMatchObject({ groupId, state: 'Stable', protocolType: 'consumer', protocol: 'RoundRobinAssigner' })
      expect(groups[0].members).toHaveLength(1)
      const assignment = AssignerProtocol.MemberAssignment.decode(groups[0].members[0].memberAssignment)
      expect(assignment.assignment[topic].sort()).toEqual([0, 1, 2, 3])
      const listed = await admin.listGroups()
      expect(listed.groups).toContainEqual({ groupId, protocolType: 'consumer' })
      await expect(admin.deleteGroups([groupId])).rejects.toThrow() // it has a member
    } finally {
      await admin.disconnect()
    }
  } finally {
    await c.consumer.disconnect()
  }

  const admin = kafkajs.admin()
  await admin.connect()
  try {
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] })
    expect(offsets[0].partitions.map((p: any) => [p.partition, p.offset]).sort()).toEqual([[0, '15'], [1, '15'], [2, '15'], [3, '15']])
    expect(await admin.deleteGroups([groupId])).toEqual([{ groupId, errorCode: 0 }])
  } finally {
    await admin.disconnect()
  }
  expect(await client.admin().fetchOffsets({ groupId })).toEqual([])
})

test('kill -9 of the group coordinator: the KafkaJS member finds the new one, rejoins, and resumes from the commits without losing a record', async () => {
  const topic = 'kjs-failover'
  const groupId = 'kjs-failover-group'
  await client.admin().createTopic({ topic, partitions: 2, replicationFactor: 3 })
  await produce(topic, 0, 20, 2)
  const m = await startMember('f', groupId, topic)
  let killed = 0
  try {
    await cluster.waitFor(async () => m.seen.size === 20 && (await client.admin().fetchOffsets({ groupId })).filter((o) => o.offset === 10).length === 2, {
      timeoutMs: 60_000, message: `the member reads and commits the first 20 (${m.seen.size})`,
    })
    const conn = await RawKafka.connect('127.0.0.1', ports[0]!)
    try {
      conn.send(10, 3, 1, { key: groupId, keyType: 0 })
      killed = (RawKafka.decode(10, 3, await conn.next()) as any).nodeId
    } finally {
      conn.close()
    }
    expect([1, 2, 3]).toContain(killed)
    await cluster.kill(killed)
    await produce(topic, 20, 20, 2)
    await cluster.waitFor(() => m.seen.size === 40, { timeoutMs: 60_000, message: `the member reads the 20 written after the kill (${m.seen.size} of 40)` })
    expect([...m.seen.keys()].sort()).toEqual(Array.from({ length: 40 }, (_, i) => `v-${i}`).sort())
  } finally {
    await m.consumer.disconnect()
    if (killed) await cluster.restart(killed)
  }
}, 120_000)
