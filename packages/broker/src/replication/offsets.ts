/**
 * ListOffsets (earliest, latest = HW for consumers / LEO for replicas, by
 * timestamp) and OffsetForLeaderEpoch (the follower's divergence probe), both
 * answered by the leader.
 */
import {
  EARLIEST_TIMESTAMP,
  ErrorCode,
  LATEST_TIMESTAMP,
  type ListOffsetsResponse,
  type OffsetForLeaderEpochResponse,
} from '@tributary/protocol'
import type { HandlerResult, RequestContext } from '../seams.js'
import { replicaRead } from '../security/gate.js'
import type { ReplicaHost } from './host.js'
import type { Partition } from './partition.js'
import { parseListOffsets, parseOffsetForLeaderEpoch } from './request-parsing.js'
import { DEBUG_REPLICA_ID } from './fetch.js'

type Located = { p: Partition; errorCode: 0 } | { p: null; errorCode: number }

export function locate(host: ReplicaHost, topic: string, partition: number, currentLeaderEpoch: number, replicaId: number): Located {
  const p = host.partition(topic, partition)
  const anyReplica = replicaId === DEBUG_REPLICA_ID
  if (p === undefined || p.closed || p.role === 'none' || (!anyReplica && (p.role !== 'leader' || host.isFenced()))) {
    return { p: null, errorCode: host.notServed(topic, partition).errorCode }
  }
  if (currentLeaderEpoch >= 0 && currentLeaderEpoch < p.leaderEpoch) return { p: null, errorCode: ErrorCode.FENCED_LEADER_EPOCH }
  if (currentLeaderEpoch > p.leaderEpoch) return { p: null, errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH }
  return { p, errorCode: 0 }
}

/** The epoch that wrote `offset`, from the leader-epoch cache. */
function epochAt(p: Partition, offset: number): number {
  let epoch = -1
  for (const e of p.log.epochEntries()) {
    if (e.startOffset > offset) break
    epoch = e.epoch
  }
  return epoch
}

export async function handleListOffsets(host: ReplicaHost, body: unknown, ctx: RequestContext): Promise<HandlerResult> {
  const read = replicaRead('ListOffsets', parseListOffsets, body, ctx)
  if (!read.ok) return read.answer
  const req = read.req
  const isReplica = req.replicaId >= 0
  const topics: ListOffsetsResponse['topics'] = []
  for (const t of req.topics) {
    const partitions: ListOffsetsResponse['topics'][number]['partitions'] = []
    for (const pp of t.partitions) {
      const where = locate(host, t.topic, pp.partition, pp.currentLeaderEpoch ?? -1, req.replicaId)
      if (where.p === null) {
        partitions.push({ partition: pp.partition, errorCode: where.errorCode, timestamp: -1, offset: -1, leaderEpoch: -1 })
        continue
      }
      const p = where.p
      const visibleEnd = isReplica ? p.logEndOffset() : p.highWatermark()
      let offset: number
      let timestamp = -1
      if (pp.timestamp === EARLIEST_TIMESTAMP) offset = p.logStartOffset()
      else if (pp.timestamp === LATEST_TIMESTAMP) offset = visibleEnd
      else {
        const found = await p.log.offsetForTimestamp(pp.timestamp)
        if (found === null || found.offset >= visibleEnd) offset = -1
        else {
          offset = Math.max(found.offset, p.logStartOffset())
          timestamp = found.timestamp
        }
      }
      const leaderEpoch = offset < 0 ? -1 : pp.timestamp === LATEST_TIMESTAMP || pp.timestamp === EARLIEST_TIMESTAMP ? p.leaderEpoch : epochAt(p, offset)
      partitions.push({ partition: pp.partition, errorCode: ErrorCode.NONE, timestamp, offset, leaderEpoch })
    }
    topics.push({ topic: t.topic, partitions })
  }
  return { errorCode: ErrorCode.NONE, body: { topics } satisfies ListOffsetsResponse }
}

export function handleOffsetForLeaderEpoch(host: ReplicaHost, body: unknown, ctx: RequestContext): HandlerResult {
  const read = replicaRead('OffsetForLeaderEpoch', parseOffsetForLeaderEpoch, body, ctx)
  if (!read.ok) return read.answer
  const req = read.req
  const topics: OffsetForLeaderEpochResponse['topics'] = req.topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((pp) => {
      const where = locate(host, t.topic, pp.partition, pp.currentLeaderEpoch, req.replicaId)
      if (where.p === null) return { partition: pp.partition, errorCode: where.errorCode, leaderEpoch: -1, endOffset: -1 }
      const e = where.p.log.endOffsetForEpoch(pp.leaderEpoch)
      return { partition: pp.partition, errorCode: ErrorCode.NONE, leaderEpoch: e.epoch, endOffset: e.endOffset }
    }),
  }))
  return { errorCode: ErrorCode.NONE, body: { topics } satisfies OffsetForLeaderEpochResponse }
}
