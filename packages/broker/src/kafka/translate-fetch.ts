/**
 * Fetch on the Kafka listener ↔ our Fetch. Up to v12 topics are named; from
 * v13 (KIP-516) by the ids Metadata gave out, resolved to names first (a
 * topic id we do not know answers UNKNOWN_TOPIC_ID for its partitions, as
 * Kafka). Fetch sessions (KIP-227) are our Fetch's at every version: from v13
 * the request's topic ids go into the session with its partitions, so an
 * incremental answer names each topic by the id it was fetched under, and a
 * deleted topic is forgotten by its id alone. A topic answered from the session
 * whose id no longer names it (deleted, or made again under its name) answers
 * UNKNOWN_TOPIC_ID, as Kafka's session keyed by topic id would.
 */
import { ApiKey, ErrorCode, type FetchPartitionResponse, type FetchResponse } from '@tributary/protocol'
import { TopicIds } from './topic-ids.js'
import { arr, type Invoke, type Obj, type Translation } from './translation.js'

/** The first Fetch version that names topics by id. */
const TOPIC_IDS_MIN_VERSION = 13

const topicIds = new TopicIds()

type AnswerTopic = FetchResponse['topics'][number]

const partitionsOf = (t: Obj) => arr(t.partitions).map((p) => ({
  partition: p.partition,
  fetchOffset: p.fetchOffset,
  currentLeaderEpoch: p.currentLeaderEpoch,
  partitionMaxBytes: p.partitionMaxBytes,
}))

const fetchRequest = (k: Obj, topics: Array<{ topic: string; topicId?: string; partitions: Obj[] }>, forgottenTopics: Array<{ topic?: string; topicId?: string; partitions: number[] }>) => ({
  // Kafka consumers send -1; anything else would claim to be a follower, which this listener does not serve.
  replicaId: -1,
  maxWaitMs: k.maxWaitMs,
  minBytes: k.minBytes,
  maxBytes: k.maxBytes,
  topics,
  sessionId: k.sessionId ?? 0,
  sessionEpoch: k.sessionEpoch ?? -1,
  forgottenTopics,
})

const unknownTopicId = (p: { partition: number }): FetchPartitionResponse =>
  ({ partition: p.partition, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, highWatermark: -1, logStartOffset: -1, records: new Uint8Array(0) })

async function fetchByIds(k: Obj, invoke: Invoke) {
  const requested = arr(k.topics)
  const forgotten = arr(k.forgottenTopicsData)
  const ids = [...requested, ...forgotten].map((t) => t.topicId as string)
  const names = ids.length > 0 ? await topicIds.resolve(ids, invoke) : new Map<string, string>()
  const known = requested.filter((t) => names.has(t.topicId))
  const unknown: AnswerTopic[] = requested.filter((t) => !names.has(t.topicId)).map((t) => ({ topic: '', topicId: t.topicId, partitions: arr(t.partitions).map((p) => unknownTopicId({ partition: p.partition })) }))
  const sessionless = Number(k.sessionEpoch ?? -1) < 0
  if (known.length === 0 && sessionless) return { errorCode: ErrorCode.NONE, body: { topics: unknown } }
  const r = await invoke(ApiKey.Fetch, fetchRequest(k,
    known.map((t) => ({ topic: names.get(t.topicId)!, topicId: t.topicId as string, partitions: partitionsOf(t) })),
    forgotten.map((t) => ({ ...(names.has(t.topicId) ? { topic: names.get(t.topicId)! } : {}), topicId: t.topicId as string, partitions: arr(t.partitions) as unknown as number[] }))))
  if (!r || r.errorCode !== ErrorCode.NONE) return r
  const answer = r.body as FetchResponse
  // Topics refused before our Fetch (ACLs) come back by name only: their ids are the request's.
  const idOf = new Map(known.map((t) => [names.get(t.topicId)!, t.topicId as string]))
  // A session partition of an id this request already answered as unknown (a deleted topic) is answered once.
  const unknownIds = new Set(unknown.map((t) => t.topicId))
  const topics = answer.topics.map((t) => ({ ...t, topicId: t.topicId ?? idOf.get(t.topic) })).filter((t) => !unknownIds.has(t.topicId))
  return { errorCode: ErrorCode.NONE, body: { sessionId: answer.sessionId, topics: [...await confirmSessionIds(topics, names, invoke), ...unknown] } }
}

/** Topics answered from the session (not named by this request) under an id that no longer names them answer UNKNOWN_TOPIC_ID. */
async function confirmSessionIds(topics: AnswerTopic[], named: Map<string, string>, invoke: Invoke): Promise<AnswerTopic[]> {
  const unconfirmed = topics.filter((t) => t.topicId !== undefined && !named.has(t.topicId)).map((t) => t.topicId!)
  if (unconfirmed.length === 0) return topics
  const current = await topicIds.resolve(unconfirmed, invoke)
  // a partition refused by the ACLs keeps its own answer (it carries nothing either way)
  const stale = (p: FetchPartitionResponse) => (p.errorCode === ErrorCode.TOPIC_AUTHORIZATION_FAILED ? p : unknownTopicId(p))
  return topics.map((t) => (t.topicId === undefined || named.has(t.topicId) || current.get(t.topicId) === t.topic ? t : { ...t, partitions: t.partitions.map(stale) }))
}

export const fetch: Translation = {
  apiKey: ApiKey.Fetch,
  request: () => undefined,
  call: async (k, version, invoke) => {
    if (version >= TOPIC_IDS_MIN_VERSION) return fetchByIds(k, invoke)
    // v4-6 have no session fields: they decode as sessionless (sessionEpoch -1) with nothing forgotten
    const forgotten = arr(k.forgottenTopicsData).map((t) => ({ topic: t.topic as string, partitions: arr(t.partitions) as unknown as number[] }))
    return invoke(ApiKey.Fetch, fetchRequest(k, arr(k.topics).map((t) => ({ topic: t.topic, partitions: partitionsOf(t) })), forgotten))
  },
  response: (ours) => ({
    // 0 when no session was made: the client sends full fetches (KIP-227 allows it)
    sessionId: (ours as FetchResponse).sessionId ?? 0,
    responses: (ours as FetchResponse).topics.map((t) => ({
      topic: t.topic,
      topicId: t.topicId,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partition,
        errorCode: p.errorCode,
        highWatermark: p.highWatermark,
        // No transactions: everything below the high watermark is stable.
        lastStableOffset: p.highWatermark,
        logStartOffset: p.logStartOffset,
        currentLeader: p.currentLeader ? { leaderId: p.currentLeader.leaderId, leaderEpoch: p.currentLeader.leaderEpoch } : undefined,
        abortedTransactions: null,
        preferredReadReplica: -1,
        records: p.records,
      })),
    })),
  }),
  error: (_k, errorCode) => ({ errorCode, sessionId: 0, responses: [] }),
}
