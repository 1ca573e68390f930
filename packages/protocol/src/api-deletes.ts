/**
 * Bodies of the two delete APIs beside the others in api.ts: DeleteRecords
 * (Kafka's 21: move partitions' log start forward, answered by each leader) and
 * OffsetDelete (Kafka's 47: forget a group's committed offsets, answered by the
 * group coordinator).
 */

/** offset -1 = the partition's high watermark (delete everything committed). */
export interface DeleteRecordsRequest {
  topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: number }> }>
  timeoutMs?: number
}
/** lowWatermark: the partition's log start offset after the delete; -1 with an error. */
export interface DeleteRecordsResponse {
  topics: Array<{ topic: string; partitions: Array<{ partition: number; lowWatermark: number; errorCode: number }> }>
}

export interface OffsetDeleteRequest {
  groupId: string
  topics: Array<{ topic: string; partitions: number[] }>
}
/** The group's own error (GROUP_ID_NOT_FOUND, NOT_COORDINATOR, ...) is the envelope's; each partition's is here. */
export interface OffsetDeleteResponse {
  topics: Array<{ topic: string; partitions: Array<{ partition: number; errorCode: number }> }>
}
