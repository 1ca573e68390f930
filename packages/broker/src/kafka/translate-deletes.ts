/**
 * Kafka's DeleteRecords (21, v0-2) and OffsetDelete (47, v0) ↔ our handlers of
 * the same numbers (replication/delete-records.ts, group/offset-delete.ts).
 * DeleteRecords' timeout is not used: the leader answers once its own log start
 * has moved.
 */
import { KafkaApiKey, type DeleteRecordsResponse, type OffsetDeleteResponse } from '@tributary/protocol'
import { byKafkaKey, eachPartition, kafkaTopics, ourTopics, type Translation } from './translation.js'

const deleteRecords: Translation = {
  apiKey: KafkaApiKey.DeleteRecords,
  request: (k) => ({
    topics: ourTopics(k.topics, (p) => ({ partition: p.partitionIndex, offset: p.offset })),
    timeoutMs: k.timeoutMs,
  }),
  response: (ours) => ({
    topics: kafkaTopics((ours as DeleteRecordsResponse).topics, (p) => ({ partitionIndex: p.partition, lowWatermark: p.lowWatermark, errorCode: p.errorCode })),
  }),
  error: (k, errorCode) => ({
    topics: eachPartition(k.topics, { lowWatermark: -1, errorCode }),
  }),
}

const offsetDelete: Translation = {
  apiKey: KafkaApiKey.OffsetDelete,
  request: (k) => ({ groupId: k.groupId, topics: ourTopics(k.topics, (p) => p.partitionIndex) }),
  response: (ours) => ({
    errorCode: 0,
    topics: kafkaTopics((ours as OffsetDeleteResponse).topics, (p) => ({ partitionIndex: p.partition, errorCode: p.errorCode })),
  }),
  // The group's error (GROUP_ID_NOT_FOUND, NOT_COORDINATOR, GROUP_AUTHORIZATION_FAILED, ...) is the response's own.
  error: (_k, errorCode) => ({ errorCode, topics: [] }),
}

/** By Kafka API key. */
export const DELETE_TRANSLATIONS: ReadonlyArray<[number, Translation]> = byKafkaKey([deleteRecords, offsetDelete])
