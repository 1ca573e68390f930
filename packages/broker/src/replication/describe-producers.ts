/**
 * DescribeProducers (Kafka's 61, KIP-664): the idempotent producers a
 * partition's leader holds in its producer state table (producer-state.ts),
 * with each one's epoch, last sequence and last activity. Answered by the
 * leader only (NOT_LEADER_OR_FOLLOWER elsewhere, as Kafka). No transactions
 * here: no coordinator epoch, no open transaction.
 */
import { ErrorCode, type DescribeProducersResponse } from '@tributary/protocol'
import type { HandlerResult } from '../seams.js'
import type { ReplicaHost } from './host.js'
import { locate } from './offsets.js'
import { REQUEST_PARTITIONS_MAX } from './request-parsing.js'

const CONSUMER = -1
const invalid = (errorMessage: string): HandlerResult => ({ errorCode: ErrorCode.INVALID_REQUEST, body: { errorMessage } })

export function handleDescribeProducers(host: ReplicaHost, body: unknown): HandlerResult {
  const topics = (body as { topics?: unknown } | null)?.topics
  if (!Array.isArray(topics)) return invalid('topics must be an array of { topic, partitions: [numbers] }')
  let asked = 0
  const out: DescribeProducersResponse['topics'] = []
  for (const t of topics) {
    const partitions = (t as { partitions?: unknown })?.partitions
    const topic = (t as { topic?: unknown })?.topic
    if (typeof topic !== 'string' || !Array.isArray(partitions) || !partitions.every((p) => Number.isInteger(p) && p >= 0)) {
      return invalid('each topic needs { topic: string, partitions: [non-negative integers] }')
    }
    asked += partitions.length
    if (asked > REQUEST_PARTITIONS_MAX) return invalid(`at most ${REQUEST_PARTITIONS_MAX} partitions per request`)
    out.push({
      topic,
      partitions: (partitions as number[]).map((partition) => {
        const where = locate(host, topic, partition, -1, CONSUMER)
        if (where.p === null) return { partition, errorCode: where.errorCode, errorMessage: null, activeProducers: [] }
        return { partition, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers: where.p.producers.describe() }
      }),
    })
  }
  return { errorCode: ErrorCode.NONE, body: { topics: out } satisfies DescribeProducersResponse }
}
