/**
 * OffsetDelete (Kafka's 47): forget a group's committed offsets for some
 * partitions, as Kafka's coordinator does: a partition of a topic the group is
 * still subscribed to (a member consumes it) is refused with
 * GROUP_SUBSCRIBED_TO_TOPIC; the others' offsets are tombstoned in
 * `__consumer_offsets` (offsets-store.ts), and a partition with no committed
 * offset is answered NONE; one that does not exist UNKNOWN_TOPIC_OR_PARTITION.
 * Pure: the coordinator writes the tombstones.
 */
import { ErrorCode, fail, isInt, ok, topicPartitionKey, type OffsetDeleteRequest, type OffsetDeleteResponse, type Result } from '@tributary/protocol'
import type { ConsumerGroup, TopicsView } from './group-state.js'
import { isBody, parseGroupId, PARTITIONS_PER_REQUEST_MAX } from './requests.js'

export interface OffsetDeletePlan {
  /** topic-partition keys whose committed offsets get a tombstone */
  keys: string[]
  response: OffsetDeleteResponse
}

/** The topics a consumer-protocol group's members are subscribed to (names and regex matches). */
export function consumerGroupTopics(g: ConsumerGroup | undefined, topics: TopicsView): Set<string> {
  const out = new Set<string>()
  for (const m of g?.members.values() ?? []) for (const t of g!.subscribedTopics(m, topics)) out.add(t)
  return out
}

/** `partitionCounts`: the cluster's topics; a partition that does not exist is UNKNOWN_TOPIC_OR_PARTITION, as Kafka answers. */
export function planOffsetDelete(
  g: ConsumerGroup | undefined, subscribed: ReadonlySet<string>, partitionCounts: ReadonlyMap<string, number>, asked: OffsetDeleteRequest['topics'],
): OffsetDeletePlan {
  const keys = new Set<string>()
  const topics = asked.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((partition) => {
      if (partition >= (partitionCounts.get(t.topic) ?? 0)) return { partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }
      if (subscribed.has(t.topic)) return { partition, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC }
      const key = topicPartitionKey(t.topic, partition)
      if (g !== undefined && (g.offsets.has(key) || g.pendingOffsets.has(key))) keys.add(key)
      return { partition, errorCode: ErrorCode.NONE }
    }),
  }))
  return { keys: [...keys], response: { topics } }
}

/** An untrusted OffsetDelete body → { groupId, topics }, or INVALID_REQUEST / INVALID_GROUP_ID naming the field. */
export function parseOffsetDelete(body: unknown): Result<OffsetDeleteRequest> {
  if (!isBody(body)) return fail(ErrorCode.INVALID_REQUEST, 'body must be a map')
  const groupId = parseGroupId(body.groupId)
  if (!groupId.ok) return groupId
  if (!Array.isArray(body.topics)) return fail(ErrorCode.INVALID_REQUEST, 'topics must be a list of { topic, partitions }')
  let count = 0
  for (const t of body.topics as unknown[]) {
    if (!isBody(t) || typeof t.topic !== 'string' || !Array.isArray(t.partitions)) return fail(ErrorCode.INVALID_REQUEST, 'each topic needs { topic, partitions }')
    count += t.partitions.length
    if (count > PARTITIONS_PER_REQUEST_MAX) return fail(ErrorCode.INVALID_REQUEST, `at most ${PARTITIONS_PER_REQUEST_MAX} partitions per request`)
    if (!t.partitions.every((p) => isInt(p) && p >= 0)) return fail(ErrorCode.INVALID_REQUEST, 'partitions must be integers >= 0')
  }
  return ok({ groupId: groupId.value, topics: (body.topics as Array<{ topic: string; partitions: number[] }>).map((t) => ({ topic: t.topic, partitions: t.partitions })) })
}
