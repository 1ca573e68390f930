/**
 * DeleteRecords (Kafka's 21): the partition's leader moves its log start offset
 * forward to the requested offset (-1 = the high watermark) and answers the new
 * log start as the low watermark. Never past the high watermark
 * (OFFSET_OUT_OF_RANGE), never backwards (an offset below the log start changes
 * nothing), and only with cleanup.policy=delete (POLICY_VIOLATION on a
 * compact-only topic, as Kafka). The batches below it are dropped as retention drops them;
 * followers follow the leader's log start through their fetches
 * (follower-fetcher.ts). Reads below it get OFFSET_OUT_OF_RANGE.
 *
 * Unlike Kafka, the answer does not wait for the followers to reach the new
 * log start: the low watermark is the leader's.
 */
import { ErrorCode, type DeleteRecordsResponse } from '@tributary/protocol'
import type { HandlerResult } from '../seams.js'
import type { ReplicaHost } from './host.js'
import { locate } from './offsets.js'
import { REQUEST_PARTITIONS_MAX } from './request-parsing.js'

const CONSUMER = -1
/** The offset that asks for everything below the high watermark. */
export const DELETE_TO_HIGH_WATERMARK = -1

type Asked = Array<{ topic: string; partitions: Array<{ partition: number; offset: number }> }>
type PartitionResult = DeleteRecordsResponse['topics'][number]['partitions'][number]

const invalid = (errorMessage: string): HandlerResult => ({ errorCode: ErrorCode.INVALID_REQUEST, body: { errorMessage } })
const isInt = (v: unknown): v is number => Number.isSafeInteger(v)

function parse(body: unknown): Asked | string {
  const topics = (body as { topics?: unknown } | null)?.topics
  const shape = 'topics must be an array of { topic: string, partitions: [{ partition, offset }] }'
  if (!Array.isArray(topics)) return shape
  let asked = 0
  for (const t of topics) {
    const { topic, partitions } = (t ?? {}) as { topic?: unknown; partitions?: unknown }
    if (typeof topic !== 'string' || !Array.isArray(partitions)) return shape
    for (const p of partitions) {
      const { partition, offset } = (p ?? {}) as { partition?: unknown; offset?: unknown }
      if (!isInt(partition) || partition < 0 || !isInt(offset)) return 'each partition needs { partition: non-negative integer, offset: integer }'
    }
    asked += partitions.length
    if (asked > REQUEST_PARTITIONS_MAX) return `at most ${REQUEST_PARTITIONS_MAX} partitions per request`
  }
  return topics as Asked
}

async function deleteBelow(host: ReplicaHost, topic: string, partition: number, offset: number): Promise<PartitionResult> {
  const where = locate(host, topic, partition, -1, CONSUMER)
  if (where.p === null) return { partition, lowWatermark: -1, errorCode: where.errorCode }
  const p = where.p
  return p.exclusive(async () => {
    if (p.closed || p.role !== 'leader') return { partition, lowWatermark: -1, errorCode: host.notServed(topic, partition).errorCode }
    // As Kafka: a compacted topic keeps its keys' latest values; only cleanup.policy=delete allows deleting records.
    if (!p.settings.cleanupDelete) return { partition, lowWatermark: -1, errorCode: ErrorCode.POLICY_VIOLATION }
    const hw = p.highWatermark()
    const target = offset === DELETE_TO_HIGH_WATERMARK ? hw : offset
    if (target < 0 || target > hw) return { partition, lowWatermark: -1, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE }
    await p.advanceLogStart(target, hw)
    return { partition, lowWatermark: p.logStartOffset(), errorCode: ErrorCode.NONE }
  })
}

export async function handleDeleteRecords(host: ReplicaHost, body: unknown): Promise<HandlerResult> {
  const asked = parse(body)
  if (typeof asked === 'string') return invalid(asked)
  const topics: DeleteRecordsResponse['topics'] = []
  for (const t of asked) {
    const partitions: PartitionResult[] = []
    for (const pp of t.partitions) partitions.push(await deleteBelow(host, t.topic, pp.partition, pp.offset))
    topics.push({ topic: t.topic, partitions })
  }
  return { errorCode: ErrorCode.NONE, body: { topics } satisfies DeleteRecordsResponse }
}
