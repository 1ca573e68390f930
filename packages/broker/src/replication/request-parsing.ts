/**
 * Shape checks for the untrusted msgpack bodies of Produce, Fetch, ListOffsets and
 * OffsetForLeaderEpoch. A bad body is a Result with INVALID_REQUEST naming the
 * field, never an exception.
 */
import {
  ErrorCode,
  fail,
  isInt,
  type FetchRequest,
  type ListOffsetsRequest,
  type OffsetForLeaderEpochRequest,
  type ProduceRequest,
  type Result,
} from '@tributary/protocol'
import { bad, int, isObj, parseBody, type Fields } from '../request-fields.js'

/** Topics × partitions one request may name. */
export const REQUEST_PARTITIONS_MAX = 10_000

function str(o: Fields, field: string): string {
  const v = o[field]
  if (typeof v !== 'string' || v.length === 0 || v.length > 249) bad(`${field} must be a topic name`)
  return v as string
}

/**
 * Each topic map of a list with its partitions (`partitions` checks them), all
 * partitions counted against the bound; `what` names the list in errors ('' or 'forgotten ').
 */
function eachTopic<T>(list: unknown[], what: string, partitions: (v: unknown) => unknown[], topic: (t: Fields, parts: unknown[]) => T): T[] {
  let count = 0
  return list.map((t) => {
    if (!isObj(t)) bad(`each ${what}topic must be a map`)
    const parts = partitions((t as Fields).partitions)
    count += parts.length
    if (count > REQUEST_PARTITIONS_MAX) bad(`more than ${REQUEST_PARTITIONS_MAX} ${what}partitions in one request`)
    return topic(t as Fields, parts)
  })
}

/** topics: [{ topic, partitions: [ ...each mapped by `part` ] }], counting partitions against the bound. */
function topicsOf<P>(body: Fields, part: (p: Fields) => P): Array<{ topic: string; partitions: P[] }> {
  const topics = body.topics
  if (!Array.isArray(topics)) bad('topics must be an array')
  return eachTopic(topics as unknown[], '', (v) => (Array.isArray(v) ? v : bad('partitions must be an array')), (t, parts) => ({
    topic: str(t, 'topic'),
    partitions: parts.map((p) => (isObj(p) ? part(p) : bad('each partition must be a map'))),
  }))
}

function parse<T>(body: unknown, fn: (b: Fields) => T): Result<T> {
  try {
    return parseBody(body, fn)
  } catch (err) {
    if (err instanceof AcksError) return fail(ErrorCode.INVALID_REQUIRED_ACKS, err.message)
    throw err
  }
}

export function parseProduce(body: unknown): Result<ProduceRequest> {
  return parse(body, (b) => {
    const acks = b.acks
    if (acks !== 0 && acks !== 1 && acks !== -1) throw new AcksError()
    return {
      acks,
      timeoutMs: int(b, 'timeoutMs', 0, 30_000),
      topics: topicsOf(b, (p) => {
        const records = p.records
        if (!(records instanceof Uint8Array)) bad('records must be bytes')
        return { partition: int(p, 'partition'), records: records as Uint8Array }
      }),
    }
  })
}

/** acks outside {0, 1, -1}: Kafka answers INVALID_REQUIRED_ACKS. */
export class AcksError extends Error {
  constructor() {
    super('acks must be 0, 1 or -1')
  }
}

export function parseFetch(body: unknown): Result<FetchRequest> {
  return parse(body, (b) => ({
    replicaId: int(b, 'replicaId', -2, -1),
    replicaEpoch: int(b, 'replicaEpoch', -1, -1),
    maxWaitMs: int(b, 'maxWaitMs', 0, 0),
    minBytes: int(b, 'minBytes', 0, 0),
    maxBytes: int(b, 'maxBytes', 1, 0x7fffffff),
    topics: withTopicIds(b.topics, topicsOf(b, (p) => ({
      partition: int(p, 'partition'),
      fetchOffset: int(p, 'fetchOffset'),
      currentLeaderEpoch: int(p, 'currentLeaderEpoch', -1, -1),
      lastFetchedEpoch: int(p, 'lastFetchedEpoch', -1, -1),
      partitionMaxBytes: int(p, 'partitionMaxBytes', 1, 1024 * 1024),
    }))),
    sessionId: int(b, 'sessionId', 0, 0),
    sessionEpoch: int(b, 'sessionEpoch', -1, -1),
    forgottenTopics: forgottenOf(b),
  }))
}

/** Kafka's topic ids are 16 bytes, written as 22 characters of base64url. */
const TOPIC_ID_CHARS_MAX = 24

/** A topic's optional `topicId` (Kafka listener, Fetch v13+): kept in sessions and answered back, never used to find the topic. */
function topicIdOf(t: Fields): { topicId?: string } {
  const id = t.topicId
  if (id === undefined || id === null) return {}
  if (typeof id !== 'string' || id.length === 0 || id.length > TOPIC_ID_CHARS_MAX) bad('topicId must be a topic id')
  return { topicId: id as string }
}

function withTopicIds<T extends { topic: string }>(raw: unknown, topics: T[]): Array<T & { topicId?: string }> {
  return topics.map((t, i) => ({ ...t, ...topicIdOf((raw as Fields[])[i]!) }))
}

/** forgottenTopics: [{ topic and/or topicId, partitions: [int] }] (incremental fetches), counted like topics. */
function forgottenOf(b: Fields): Array<{ topic?: string; topicId?: string; partitions: number[] }> {
  const list = b.forgottenTopics
  if (list === undefined || list === null) return []
  if (!Array.isArray(list)) bad('forgottenTopics must be an array')
  const ints = (v: unknown): unknown[] => (Array.isArray(v) && v.every(isInt) ? v : bad('forgotten partitions must be integers'))
  return eachTopic(list as unknown[], 'forgotten ', ints, (t, parts) => {
    // a deleted topic's id names nothing any more: such a topic is forgotten by its id alone
    const id = topicIdOf(t)
    if (id.topicId !== undefined && t.topic === undefined) return { ...id, partitions: parts as number[] }
    return { topic: str(t, 'topic'), ...id, partitions: parts as number[] }
  })
}

export function parseListOffsets(body: unknown): Result<ListOffsetsRequest> {
  return parse(body, (b) => ({
    replicaId: int(b, 'replicaId', -2, -1),
    topics: topicsOf(b, (p) => ({
      partition: int(p, 'partition'),
      timestamp: int(p, 'timestamp', -2),
      currentLeaderEpoch: int(p, 'currentLeaderEpoch', -1, -1),
    })),
  }))
}

export function parseOffsetForLeaderEpoch(body: unknown): Result<OffsetForLeaderEpochRequest> {
  return parse(body, (b) => ({
    replicaId: int(b, 'replicaId', -2, -1),
    topics: topicsOf(b, (p) => ({
      partition: int(p, 'partition'),
      currentLeaderEpoch: int(p, 'currentLeaderEpoch', -1, -1),
      leaderEpoch: int(p, 'leaderEpoch', -1),
    })),
  }))
}
