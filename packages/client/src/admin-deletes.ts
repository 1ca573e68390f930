/**
 * The admin client's delete calls: deleteRecords (Kafka's DeleteRecords, each
 * partition's leader moves its log start forward) and deleteGroupOffsets
 * (Kafka's OffsetDelete, at the group's coordinator). A partition error that a
 * metadata refresh can fix (a moved leader) is retried; any other is thrown.
 */
import { ApiKey, ErrorCode, isRetriable, TributaryError, type DeleteRecordsRequest } from '@tributary/protocol'
import { withRetry } from './backoff.js'
import type { Cluster } from './cluster.js'
import type { Coordinators } from './coordinator.js'
import { ArgumentError, responseError } from './errors.js'
import { tpKey } from './list-offsets.js'

/** offset -1: up to the high watermark (everything committed). */
export interface DeleteRecordsArgs { topic: string; partitions: Array<{ partition: number; offset: number }>; timeoutMs?: number }

const TIMEOUT_MS_DEFAULT = 30_000

/** Each partition's new log start offset (low watermark), in the order asked. */
export async function deleteRecords(cluster: Cluster, args: DeleteRecordsArgs): Promise<Array<{ partition: number; lowWatermark: number }>> {
  const ok = typeof args?.topic === 'string' && args.topic.length > 0 && Array.isArray(args.partitions) && args.partitions.length > 0
    && args.partitions.every((p) => Number.isSafeInteger(p?.partition) && p.partition >= 0 && Number.isSafeInteger(p.offset) && p.offset >= -1)
  if (!ok) throw new ArgumentError('deleteRecords expects { topic, partitions: [{ partition, offset (>= 0, or -1 for the high watermark) }] }')
  const { topic } = args
  const timeoutMs = args.timeoutMs ?? TIMEOUT_MS_DEFAULT
  await cluster.topicMetadata(topic)
  const low = new Map<number, number>()
  let todo = args.partitions
  await withRetry(
    async () => {
      const byLeader = new Map<number, DeleteRecordsRequest['topics'][number]['partitions']>()
      for (const p of todo) {
        const leader = cluster.metadata.leader(topic, p.partition)
        if (!leader) throw new TributaryError(ErrorCode.LEADER_NOT_AVAILABLE, `no leader for ${topic}-${p.partition}`)
        byLeader.set(leader.nodeId, [...(byLeader.get(leader.nodeId) ?? []), { partition: p.partition, offset: p.offset }])
      }
      const retry: typeof todo = []
      let firstError: TributaryError | undefined
      await Promise.all([...byLeader].map(async ([nodeId, partitions]) => {
        try {
          const r = await cluster.nodeConnection(nodeId).call(ApiKey.DeleteRecords, { topics: [{ topic, partitions }], timeoutMs }, { timeoutMs: timeoutMs + 5_000 })
          for (const p of r.topics.flatMap((t) => t.partitions)) {
            if (p.errorCode === ErrorCode.NONE) low.set(p.partition, p.lowWatermark)
            else if (!isRetriable(p.errorCode)) throw responseError(p.errorCode, undefined, `deleteRecords ${tpKey(topic, p.partition)}`)
            else firstError ??= responseError(p.errorCode, undefined, `deleteRecords ${tpKey(topic, p.partition)}`)
          }
        } catch (err) {
          if (err instanceof TributaryError && !err.retriable) throw err
          firstError ??= err as TributaryError
        }
        for (const p of partitions) if (!low.has(p.partition)) retry.push(p)
      }))
      todo = retry
      if (todo.length > 0) throw firstError ?? new TributaryError(ErrorCode.UNKNOWN_SERVER_ERROR, 'DeleteRecords answered without some partitions')
    },
    cluster.retry,
    { ...cluster.retryContext, beforeRetry: () => cluster.refreshMetadata() },
  )
  return args.partitions.map((p) => ({ partition: p.partition, lowWatermark: low.get(p.partition)! }))
}

/**
 * Forget a group's committed offsets for a topic (all its committed partitions,
 * or the ones named). Refused per partition with GROUP_SUBSCRIBED_TO_TOPIC while
 * a member of the group consumes the topic; GROUP_ID_NOT_FOUND for an unknown group.
 */
export async function deleteGroupOffsets(coordinators: Coordinators, args: { groupId: string; topic: string; partitions?: number[] }): Promise<void> {
  const { groupId, topic } = args ?? {}
  if (typeof groupId !== 'string' || groupId.length === 0 || typeof topic !== 'string' || topic.length === 0) {
    throw new ArgumentError('deleteGroupOffsets expects { groupId, topic, partitions?: [numbers] }')
  }
  if (args.partitions !== undefined && !(Array.isArray(args.partitions) && args.partitions.every((p) => Number.isSafeInteger(p) && p >= 0))) {
    throw new ArgumentError('partitions must be non-negative integers')
  }
  let partitions = args.partitions
  if (partitions === undefined) {
    const committed = await coordinators.call(groupId, ApiKey.OffsetFetch, { groupId, topics: null })
    partitions = committed.topics.filter((t) => t.topic === topic).flatMap((t) => t.partitions.filter((p) => p.offset >= 0).map((p) => p.partition))
  }
  const r = await coordinators.call(groupId, ApiKey.OffsetDelete, { groupId, topics: [{ topic, partitions }] })
  for (const t of r.topics) {
    for (const p of t.partitions) if (p.errorCode !== ErrorCode.NONE) throw responseError(p.errorCode, undefined, `deleteGroupOffsets ${groupId} ${tpKey(t.topic, p.partition)}`)
  }
}
