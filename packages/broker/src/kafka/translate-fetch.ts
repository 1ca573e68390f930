/**
 * Fetch on the Kafka listener ↔ our Fetch. Up to v12 topics are named; from
 * v13 (KIP-516) by the ids Metadata gave out, resolved to names first (a
 * topic id we do not know answers UNKNOWN_TOPIC_ID for its partitions, as
 * Kafka). Fetch sessions (KIP-227) go through as they are up to v12; from v13
 * no session is made (sessionId 0 tells the client to send full fetches, as
 * KIP-227 allows), because an incremental answer may carry topics the request
 * did not name, which would need their ids too.
 */
import { ApiKey, ErrorCode, type FetchResponse } from '@tributary/protocol'
import { TopicIds } from './topic-ids.js'
import { arr, type Obj, type Translation } from './translation.js'

/** The first Fetch version that names topics by id. */
const TOPIC_IDS_MIN_VERSION = 13

const topicIds = new TopicIds()

/** Our response, with each topic's id when the request named topics by id. */
type FetchAnswer = { sessionId?: number; topics: Array<FetchResponse['topics'][number] & { topicId?: string }> }

/** The session fields of our Fetch: as sent up to v12, none from v13. */
const sessionOf = (k: Obj, version: number) =>
  version < TOPIC_IDS_MIN_VERSION
    ? { sessionId: k.sessionId ?? 0, sessionEpoch: k.sessionEpoch ?? -1, forgottenTopics: arr(k.forgottenTopicsData).map((t) => ({ topic: t.topic as string, partitions: arr(t.partitions) as unknown as number[] })) }
    : { sessionId: 0, sessionEpoch: -1 }

const partitionsOf = (t: Obj) => arr(t.partitions).map((p) => ({
  partition: p.partition,
  fetchOffset: p.fetchOffset,
  currentLeaderEpoch: p.currentLeaderEpoch,
  partitionMaxBytes: p.partitionMaxBytes,
}))

const fetchRequest = (k: Obj, version: number, topics: Array<{ topic: string; partitions: Obj[] }>) => ({
  // Kafka consumers send -1; anything else would claim to be a follower, which this listener does not serve.
  replicaId: -1,
  maxWaitMs: k.maxWaitMs,
  minBytes: k.minBytes,
  maxBytes: k.maxBytes,
  topics,
  ...sessionOf(k, version),
})

export const fetch: Translation = {
  apiKey: ApiKey.Fetch,
  request: () => undefined,
  call: async (k, version, invoke) => {
    if (version < TOPIC_IDS_MIN_VERSION) return invoke(ApiKey.Fetch, fetchRequest(k, version, arr(k.topics).map((t) => ({ topic: t.topic, partitions: partitionsOf(t) }))))
    // we never hand out a session from v13 on, so an incremental fetch names none we know
    if (Number(k.sessionEpoch ?? -1) > 0) return { errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, body: { errorMessage: 'no fetch sessions from Fetch v13 on: send full fetches' } }
    const requested = arr(k.topics)
    const names = await topicIds.resolve(requested.map((t) => t.topicId), invoke)
    const known = requested.filter((t) => names.has(t.topicId))
    const unknown: FetchAnswer['topics'] = requested.filter((t) => !names.has(t.topicId)).map((t) => ({
      topic: '', topicId: t.topicId,
      partitions: arr(t.partitions).map((p) => ({ partition: p.partition, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, highWatermark: -1, logStartOffset: -1, records: new Uint8Array(0) })),
    }))
    if (known.length === 0) return { errorCode: ErrorCode.NONE, body: { topics: unknown } satisfies FetchAnswer }
    const r = await invoke(ApiKey.Fetch, fetchRequest(k, version, known.map((t) => ({ topic: names.get(t.topicId)!, partitions: partitionsOf(t) }))))
    if (!r || r.errorCode !== ErrorCode.NONE) return r
    const idOf = new Map(known.map((t) => [names.get(t.topicId)!, t.topicId as string]))
    const topics = (r.body as FetchResponse).topics.map((t) => ({ ...t, topicId: idOf.get(t.topic) }))
    return { errorCode: ErrorCode.NONE, body: { topics: [...topics, ...unknown] } satisfies FetchAnswer }
  },
  response: (ours) => ({
    // 0 when no session was made: the client sends full fetches (KIP-227 allows it)
    sessionId: (ours as FetchAnswer).sessionId ?? 0,
    responses: (ours as FetchAnswer).topics.map((t) => ({
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
