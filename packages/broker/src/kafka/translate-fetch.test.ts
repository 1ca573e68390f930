/**
 * Fetch v13+ on the Kafka listener with fetch sessions (KIP-227 over KIP-516's
 * topic ids): a full fetch makes a session, incremental ones answer partitions
 * they did not name under the id the session holds, a deleted topic's id answers
 * UNKNOWN_TOPIC_ID and is forgotten by that id alone. The translation runs over
 * a simulated cluster's real Fetch handler, its answers through the codec.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import { ApiKey, decodeKafkaMessage, encodeKafkaResponse, ErrorCode, errorName, KAFKA_APIS, KafkaApiKey, KafkaReader, readMessage, ResponseHeader, type MetadataResponse } from '@tributary/protocol'
import type { HandlerResult } from '../seams.js'
import { SIM_REPLICA_CONFIG, SimCluster, waitFor } from '../replication/sim-cluster.js'
import { batchOf, produce } from '../replication/sim-client.js'
import { fetch } from './translate-fetch.js'
import type { Invoke } from './translation.js'

let cluster: SimCluster | undefined
afterEach(async () => {
  await cluster?.stopAll()
  cluster = undefined
})

async function world(): Promise<{ c: SimCluster; invoke: Invoke; idOf: (name: string) => string }> {
  const c = new SimCluster([1], SIM_REPLICA_CONFIG)
  cluster = c
  await c.startAll()
  c.createTopic('a', [[1]])
  c.createTopic('b', [[1]])
  await waitFor(() => c.manager(1).isLeader('a', 0) && c.manager(1).isLeader('b', 0), 2000, 'leaders')
  // one connection: a session belongs to the connection that made it
  const conn = new AbortController()
  const invoke: Invoke = async (apiKey, body) => (apiKey === ApiKey.Metadata ? metadata(c, body as { topics: string[] | null }) : c.node(1).call(apiKey, body, conn.signal))
  return { c, invoke, idOf: (name) => kafkaId(c.image.topicsByName.get(name)!.topicId) }
}

/** The simulation's topic ids ('t1') as Kafka's (22 characters of base64url). */
const kafkaId = (simId: string): string => `AAAAAAAAAAAAAAAAAAAA${'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'[Number(simId.slice(1))]}A`

/** Metadata as the node's handler answers it, names and ids only (all the translation reads). */
function metadata(c: SimCluster, body: { topics: string[] | null }): HandlerResult {
  const all = [...c.image.topicsByName.values()]
  const topics = (body.topics ?? all.map((t) => t.name)).map((name) => {
    const t = c.image.topicsByName.get(name)
    return t ? { name, topicId: kafkaId(t.topicId), errorCode: ErrorCode.NONE, internal: false, partitions: [] } : { name, topicId: '', errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, internal: false, partitions: [] }
  })
  return { errorCode: ErrorCode.NONE, body: { brokers: [], topics } as unknown as MetadataResponse }
}

interface Answer { errorCode: number; sessionId: number; responses: Array<{ topicId: string; partitions: Array<{ partitionIndex: number; errorCode: number; highWatermark: number; records: Uint8Array | null }> }> }

/** One Fetch at `version` through the translation and the codec, decoded as a client would read it. */
async function kafkaFetch(invoke: Invoke, version: number, request: Record<string, unknown>): Promise<Answer> {
  const k = { maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [], forgottenTopicsData: [], rackId: '', ...request }
  const r = (await fetch.call!(k, version, invoke))!
  const out = r.errorCode === ErrorCode.NONE ? fetch.response(r.body, r.errorCode, null, version) : fetch.error(k, r.errorCode, null, version, r.body)
  const frame = encodeKafkaResponse(KafkaApiKey.Fetch, version, 1, out)
  const reader = new KafkaReader(frame, 4)
  readMessage(ResponseHeader, 1, reader)
  const decoded = decodeKafkaMessage(KAFKA_APIS.get(KafkaApiKey.Fetch)!.response, version, frame, reader.pos)
  if (!decoded.ok) throw new Error(decoded.message)
  return decoded.value as unknown as Answer
}

const part = (partition: number, fetchOffset: number) => ({ partition, fetchOffset, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 })
const summary = (a: Answer) => a.responses.flatMap((t) => t.partitions.map((p) => `${t.topicId}:${p.partitionIndex}:${errorName(p.errorCode)}:hw${p.highWatermark}:${p.records?.byteLength ? 'records' : 'none'}`))

describe('Fetch v13+ with fetch sessions', () => {
  it.each([13, 17])('v%i: a full fetch makes a session; an incremental one naming nothing answers what moved, by the session\'s topic id', async (version) => {
    const { c, invoke, idOf } = await world()
    await produce(c, 1, 'a', 0, batchOf(['a0']))
    const full = await kafkaFetch(invoke, version, { sessionEpoch: 0, topics: [{ topicId: idOf('a'), partitions: [part(0, 0)] }, { topicId: idOf('b'), partitions: [part(0, 0)] }] })
    expect(full.errorCode).toBe(ErrorCode.NONE)
    expect(full.sessionId).toBeGreaterThan(0)
    expect(summary(full)).toEqual([`${idOf('a')}:0:NONE:hw1:records`, `${idOf('b')}:0:NONE:hw0:none`])

    // nothing moved: the answer is empty; then b gets a record the request never names
    const quiet = await kafkaFetch(invoke, version, { sessionId: full.sessionId, sessionEpoch: 1, topics: [{ topicId: idOf('a'), partitions: [part(0, 1)] }] })
    expect(summary(quiet)).toEqual([])
    await produce(c, 1, 'b', 0, batchOf(['b0']))
    const moved = await kafkaFetch(invoke, version, { sessionId: full.sessionId, sessionEpoch: 2 })
    expect(moved.sessionId).toBe(full.sessionId)
    expect(summary(moved)).toEqual([`${idOf('b')}:0:NONE:hw1:records`])
  })

  it('a wrong session epoch is INVALID_FETCH_SESSION_EPOCH, an unknown session FETCH_SESSION_ID_NOT_FOUND', async () => {
    const { invoke, idOf } = await world()
    const full = await kafkaFetch(invoke, 13, { sessionEpoch: 0, topics: [{ topicId: idOf('a'), partitions: [part(0, 0)] }] })
    expect((await kafkaFetch(invoke, 13, { sessionId: full.sessionId, sessionEpoch: 5 })).errorCode).toBe(ErrorCode.INVALID_FETCH_SESSION_EPOCH)
    expect((await kafkaFetch(invoke, 13, { sessionId: full.sessionId + 1000, sessionEpoch: 1 })).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
  })

  it('a topic deleted under a session answers UNKNOWN_TOPIC_ID by its old id, and is forgotten by that id alone', async () => {
    const { c, invoke, idOf } = await world()
    const idA = idOf('a')
    const full = await kafkaFetch(invoke, 13, { sessionEpoch: 0, topics: [{ topicId: idA, partitions: [part(0, 0)] }, { topicId: idOf('b'), partitions: [part(0, 0)] }] })
    c.removeTopic('a')
    const after = await kafkaFetch(invoke, 13, { sessionId: full.sessionId, sessionEpoch: 1 })
    expect(summary(after)).toEqual([`${idA}:0:UNKNOWN_TOPIC_ID:hw-1:none`])
    // named again by the client (its position moved): answered once, not once for the request and once for the session
    const named = await kafkaFetch(invoke, 13, { sessionId: full.sessionId, sessionEpoch: 2, topics: [{ topicId: idA, partitions: [part(0, 1)] }] })
    expect(summary(named)).toEqual([`${idA}:0:UNKNOWN_TOPIC_ID:hw-1:none`])
    // the client forgets the id; the session then holds only b, and answers nothing
    const forgotten = await kafkaFetch(invoke, 13, { sessionId: full.sessionId, sessionEpoch: 3, forgottenTopicsData: [{ topicId: idA, partitions: [0] }] })
    expect(summary(forgotten)).toEqual([])
  })

  it('a topic id nobody knows answers UNKNOWN_TOPIC_ID beside the known ones, in a session too', async () => {
    const { invoke, idOf } = await world()
    const stranger = 'AAAAAAAAAAAAAAAAAAAAAQ'
    const full = await kafkaFetch(invoke, 13, { sessionEpoch: 0, topics: [{ topicId: idOf('a'), partitions: [part(0, 0)] }, { topicId: stranger, partitions: [part(3, 0)] }] })
    expect(full.sessionId).toBeGreaterThan(0)
    expect(summary(full)).toEqual([`${idOf('a')}:0:NONE:hw0:none`, `${stranger}:3:UNKNOWN_TOPIC_ID:hw-1:none`])
  })

  it('v12 still names topics and keeps its sessions', async () => {
    const { c, invoke } = await world()
    const full = await kafkaFetch(invoke, 12, { sessionEpoch: 0, topics: [{ topic: 'a', partitions: [part(0, 0)] }] })
    expect(full.sessionId).toBeGreaterThan(0)
    await produce(c, 1, 'a', 0, batchOf(['a0']))
    const next = await kafkaFetch(invoke, 12, { sessionId: full.sessionId, sessionEpoch: 1 })
    expect(next.responses.map((t) => [(t as unknown as { topic: string }).topic, t.partitions.length])).toEqual([['a', 1]])
  })
})
