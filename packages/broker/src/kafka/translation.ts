/**
 * The shape of one Kafka API's translation (Kafka's request and response
 * objects ↔ our handler's bodies), shared by translate.ts and
 * translate-groups.ts.
 */
import type { KafkaObject } from '@tributary/protocol'
import type { HandlerResult } from '../seams.js'

/** Calls one of our APIs (its guarded handler) with this request's context. */
export type Invoke = (apiKey: number, body: unknown) => Promise<HandlerResult>

/** One API: our key, the request body we hand our handler, and Kafka's response from our answer. */
export interface Translation {
  /** our API key (the Handlers registry's) */
  apiKey: number
  /** Kafka's API key, when it is not ours (IncrementalAlterConfigs is served by our AlterConfigs) */
  kafkaApiKey?: number
  /** `clientId` is the request header's (Kafka bodies do not repeat it) */
  request(kafka: KafkaObject, version: number, clientId: string | null): unknown
  response(ours: unknown, errorCode: number, errorMessage: string | null, version: number): KafkaObject
  /** the body of an error answer when our handler failed as a whole; `ours` is our error body (its hints) */
  error(kafka: KafkaObject, errorCode: number, errorMessage: string | null, version: number, ours: unknown): KafkaObject
  /**
   * Instead of one call of `apiKey` with `request(...)`: an API whose Kafka
   * semantics take more than one of ours (AlterConfigs replaces a whole
   * config set: describe, then set and delete) or refuse part of a request
   * before ours sees it. Its result goes through `response` / `error`.
   */
  call?(kafka: KafkaObject, version: number, invoke: Invoke): Promise<HandlerResult>
}

/** Translations by the Kafka API key each serves. */
export const byKafkaKey = (translations: Translation[]): Array<[number, Translation]> => translations.map((t) => [t.kafkaApiKey ?? t.apiKey, t])

export type Obj = Record<string, any>
export const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : [])

/** Kafka's keys of a topic's name and of its partitions in one API: `name` and `partitions` unless it says otherwise. */
export interface TopicKeys { name?: string; partitions?: string }

/** Kafka's request topics → ours (`{ topic, partitions }`), each partition through `each`. */
export const ourTopics = (topics: unknown, each: (p: Obj) => unknown, keys: TopicKeys = {}): Obj[] =>
  arr(topics).map((t) => ({ topic: t[keys.name ?? 'name'], partitions: arr(t[keys.partitions ?? 'partitions']).map(each) }))

/** Our answer's topics (`{ topic, partitions }`) → Kafka's, each partition through `each`. */
export const kafkaTopics = <P>(topics: ReadonlyArray<{ topic: string; partitions: readonly P[] }>, each: (p: P) => Obj, keys: TopicKeys = {}): Obj[] =>
  topics.map((t) => ({ [keys.name ?? 'name']: t.topic, [keys.partitions ?? 'partitions']: t.partitions.map(each) }))

/**
 * A whole request's error told per partition it named, as Kafka answers: from the
 * request's `topics: [{ <nameKey>, partitions: [{ partitionIndex }] }]`, the same
 * topics with `{ partitionIndex, ...answer }` for each partition.
 */
export const eachPartition = (topics: unknown, answer: Obj, nameKey = 'name'): Obj[] =>
  arr(topics).map((t) => ({ [nameKey]: t[nameKey], partitions: arr(t.partitions).map((p) => ({ partitionIndex: p.partitionIndex, ...answer })) }))
