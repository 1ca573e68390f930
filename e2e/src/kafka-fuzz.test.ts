/**
 * A seeded fuzz of the Kafka port of a real node: 10,000 frames, most of them
 * valid requests of many APIs with bytes overwritten and tails cut off, some
 * pure noise, a few with a size prefix that lies. Each frame is followed on its
 * connection by an ApiVersions probe: responses leave in request order, so the
 * probe's answer (or the connection closing) says the frame was dealt with
 * before the next is sent. The node must answer or close, never crash, and
 * serve normally afterwards. (The decoder alone is fuzzed in
 * protocol/src/kafka/codec.test.ts; this is the listener, the translations
 * and the handlers behind them.)
 */
import { ErrorCode, encodeRecordBatch, ZERO_UUID } from '@tributary/protocol'
import { Tributary } from '@tributary/client'
import { freePort, startCluster, type TestCluster } from './cluster.js'
import { createPrng, type Prng } from './faults/prng.js'
import { RawKafka } from './kafka-wire.js'

const SEED = 18_018
const FRAMES = 10_000
const WORKERS = 16
/** A frame that parks (a long-poll Fetch, a JoinGroup barrier, a size prefix promising more) gets this long, then its connection is dropped. */
const PROBE_WAIT_MS = 1500
const PROBE_CORRELATION_ID = 0x7fff_fff0

let cluster: TestCluster
let kafkaPort: number

beforeAll(async () => {
  kafkaPort = await freePort()
  cluster = await startCluster({ nodes: 1, logLevel: 'warn', brokerArgs: () => ['--kafka-listen', `127.0.0.1:${kafkaPort}`] })
  const client = new Tributary({ brokers: cluster.bootstrap, clientId: 'e2e-kafka-fuzz' })
  await client.admin().createTopic({ topic: 'fuzz', partitions: 2, replicationFactor: 1 })
  await client.close()
}, 60_000)

afterAll(async () => {
  await cluster?.stop()
}, 30_000)

const topic = 'fuzz'
const filter = { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 }

/** Valid request frames of most APIs we serve, in flexible and older versions: the fuzz mutates these. */
const SEEDS: Uint8Array[] = [
  RawKafka.frame(18, 3, 1, { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1' }),
  RawKafka.frame(3, 12, 2, { topics: [{ topicId: ZERO_UUID, name: topic }], allowAutoTopicCreation: false }),
  RawKafka.frame(3, 1, 3, { topics: null }),
  RawKafka.frame(0, 9, 4, { acks: 1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records: encodeRecordBatch([{ key: 'k', value: 'v', timestamp: 1 }]) }] }] }),
  RawKafka.frame(0, 3, 5, { acks: -1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 1, records: encodeRecordBatch([{ key: null, value: 'w', timestamp: 2 }]) }] }] }),
  RawKafka.frame(1, 12, 6, { maxWaitMs: 10, minBytes: 1, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 4096 }] }] }),
  RawKafka.frame(2, 6, 7, { replicaId: -1, topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -1 }] }] }),
  RawKafka.frame(10, 4, 8, { keyType: 0, coordinatorKeys: ['g1', 'g2'] }),
  RawKafka.frame(10, 1, 9, { key: 'g1', keyType: 0 }),
  RawKafka.frame(15, 5, 10, { groups: ['g1'], includeAuthorizedOperations: false }),
  RawKafka.frame(16, 4, 11, { statesFilter: [] }),
  RawKafka.frame(9, 7, 12, { groupId: 'g1', topics: null, requireStable: false }),
  RawKafka.frame(12, 4, 13, { groupId: 'g1', generationId: 1, memberId: 'm', groupInstanceId: null }),
  RawKafka.frame(32, 4, 14, { resources: [{ resourceType: 2, resourceName: topic, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false }),
  RawKafka.frame(29, 3, 15, filter),
  RawKafka.frame(60, 1, 16, { includeClusterAuthorizedOperations: false, endpointType: 1 }),
  RawKafka.frame(55, 1, 17, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] }),
  RawKafka.frame(50, 0, 18, { users: null }),
  RawKafka.frame(23, 4, 19, { replicaId: -1, topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] }),
]

/** One fuzz frame with its size prefix: a mutated seed (most), random bytes, or a lying size prefix (rare). */
function fuzzFrame(prng: Prng): Uint8Array {
  const roll = prng.next()
  if (roll < 0.1) return Uint8Array.from({ length: prng.int(0, 48) }, () => prng.int(0, 255)) // noise, size prefix included
  const seed = SEEDS[prng.int(0, SEEDS.length - 1)]!
  const body = seed.slice(4, 4 + prng.int(Math.min(8, seed.byteLength - 4), seed.byteLength - 4))
  for (let flips = prng.int(0, 4); flips > 0; flips--) body[prng.int(0, body.byteLength - 1)] = prng.int(0, 255)
  const out = new Uint8Array(4 + body.byteLength)
  // Rarely the prefix lies: more than follows (the node waits for bytes that never come) or less (the rest is the next frame).
  const size = roll > 0.99 ? body.byteLength + prng.int(-4, 64) : body.byteLength
  new DataView(out.buffer).setInt32(0, size)
  out.set(body, 4)
  return out
}

const probe = RawKafka.frame(18, 3, PROBE_CORRELATION_ID, { clientSoftwareName: 'probe', clientSoftwareVersion: '1' })

type Outcome = 'answered' | 'closed' | 'parked'

/** Sends the frame and a probe; waits for the probe's answer (everything before it was answered or needs none) or the close. */
async function deliver(conn: RawKafka, frame: Uint8Array): Promise<Outcome> {
  conn.write(frame)
  conn.write(probe)
  const deadline = Date.now() + PROBE_WAIT_MS
  while (Date.now() < deadline) {
    const r = await conn.nextOrNull(deadline - Date.now())
    if (r === null) return conn.closed ? 'closed' : 'parked'
    if (r.correlationId === PROBE_CORRELATION_ID) return 'answered'
  }
  return 'parked'
}

test(`${FRAMES} seeded fuzz frames: each is answered or closes its connection; the node keeps serving`, async () => {
  const prng = createPrng(SEED)
  const frames = Array.from({ length: FRAMES }, () => fuzzFrame(prng))
  const outcomes: Record<Outcome, number> = { answered: 0, closed: 0, parked: 0 }
  let next = 0
  const worker = async (): Promise<void> => {
    let conn: RawKafka | null = null
    while (next < frames.length) {
      const frame = frames[next++]!
      conn ??= await RawKafka.connect('127.0.0.1', kafkaPort)
      const outcome = await deliver(conn, frame)
      outcomes[outcome]++
      if (outcome !== 'answered') {
        conn.close()
        conn = null
      }
    }
    conn?.close()
  }
  await Promise.all(Array.from({ length: WORKERS }, worker))
  expect(outcomes.answered + outcomes.closed + outcomes.parked).toBe(FRAMES)
  // The fuzz reached both sides: frames the node served (valid or answered with an error) and frames it refused by closing.
  expect(outcomes.answered).toBeGreaterThan(FRAMES / 10)
  expect(outcomes.closed).toBeGreaterThan(FRAMES / 10)

  // Still serving: ApiVersions, Metadata and a produce through the Kafka port, and the node is alive.
  const conn = await RawKafka.connect('127.0.0.1', kafkaPort)
  try {
    conn.send(18, 3, 1, { clientSoftwareName: 'after', clientSoftwareVersion: '1' })
    expect((RawKafka.decode(18, 3, await conn.next()) as any).errorCode).toBe(ErrorCode.NONE)
    conn.send(0, 9, 2, { acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: encodeRecordBatch([{ key: null, value: 'after', timestamp: 3 }]) }] }] })
    expect((RawKafka.decode(0, 9, await conn.next()) as any).responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE)
  } finally {
    conn.close()
  }
  expect(cluster.node(1).process?.exitCode).toBeNull()
  // Bad input is answered with codes, never by a handler throwing or a response the table cannot encode.
  expect(cluster.node(1).logs.filter((l) => /handler threw|could not be encoded/.test(l)).slice(0, 3)).toEqual([])
  console.log(`kafka fuzz: ${JSON.stringify(outcomes)}`)
}, 600_000)
