/**
 * ListOffsets to each partition's leader: earliest (-2), latest (-1) or the
 * first offset at or after a timestamp. Partition errors that a metadata
 * refresh can fix are retried; others are thrown.
 */
import { ApiKey, CONSUMER_REPLICA_ID, ErrorCode, TributaryError, topicPartitionKey, type ListOffsetsRequest } from '@tributary/protocol'
import { withRetry } from './backoff.js'
import type { Cluster } from './cluster.js'
import { responseError } from './errors.js'

export interface OffsetQuery { topic: string; partition: number; timestamp: number }
export interface OffsetAnswer { offset: number; timestamp: number; leaderEpoch: number }

/** The client's short name for the one topic-partition key. */
export const tpKey = topicPartitionKey

export async function listOffsets(cluster: Cluster, queries: OffsetQuery[]): Promise<Map<string, OffsetAnswer>> {
  const out = new Map<string, OffsetAnswer>()
  let todo = queries
  await withRetry(
    async () => {
      const byNode = new Map<number, OffsetQuery[]>()
      for (const q of todo) {
        const leader = cluster.metadata.leader(q.topic, q.partition)
        if (!leader) throw new TributaryError(ErrorCode.LEADER_NOT_AVAILABLE, `no leader for ${q.topic}-${q.partition}`)
        let list = byNode.get(leader.nodeId)
        if (!list) byNode.set(leader.nodeId, (list = []))
        list.push(q)
      }
      const failed: OffsetQuery[] = []
      let firstError: TributaryError | undefined
      await Promise.all(
        [...byNode].map(async ([nodeId, qs]) => {
          const topics = new Map<string, ListOffsetsRequest['topics'][number]>()
          for (const q of qs) {
            let t = topics.get(q.topic)
            if (!t) topics.set(q.topic, (t = { topic: q.topic, partitions: [] }))
            t.partitions.push({ partition: q.partition, timestamp: q.timestamp })
          }
          try {
            const r = await cluster.nodeConnection(nodeId).call(ApiKey.ListOffsets, { replicaId: CONSUMER_REPLICA_ID, topics: [...topics.values()] })
            const seen = new Set<string>()
            for (const t of r.topics) {
              for (const p of t.partitions) {
                const key = tpKey(t.topic, p.partition)
                seen.add(key)
                if (p.errorCode === ErrorCode.NONE) out.set(key, { offset: p.offset, timestamp: p.timestamp, leaderEpoch: p.leaderEpoch })
                else {
                  firstError ??= responseError(p.errorCode, undefined, `ListOffsets ${t.topic}-${p.partition}`)
                  failed.push({ topic: t.topic, partition: p.partition, timestamp: qs.find((q) => q.topic === t.topic && q.partition === p.partition)?.timestamp ?? -1 })
                }
              }
            }
            for (const q of qs) if (!seen.has(tpKey(q.topic, q.partition))) failed.push(q)
          } catch (err) {
            firstError ??= err as TributaryError
            failed.push(...qs)
          }
        }),
      )
      todo = failed
      if (failed.length > 0) throw firstError ?? new TributaryError(ErrorCode.UNKNOWN_SERVER_ERROR, 'ListOffsets answered without some partitions')
    },
    cluster.retry,
    { ...cluster.retryContext, beforeRetry: () => cluster.refreshMetadata() },
  )
  return out
}
