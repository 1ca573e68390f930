/**
 * Produce (acks 0 / 1 / all). Every batch is validated (sizes, magic, CRC-32C, and
 * a walk over its records' lengths and offset deltas that builds no objects); the
 * leader assigns offsets by patching headers (in the log). acks=all requires the ISR to have min.insync.replicas before the
 * append and answers once the high watermark passes the last offset, or
 * REQUEST_TIMED_OUT after timeoutMs. acks=0 gets no response.
 */
import {
  ATTR_CONTROL,
  ATTR_DELETE_HORIZON,
  ATTR_TRANSACTIONAL,
  ErrorCode,
  splitBatches,
  validateRecords,
  type Acks,
  type BatchSlice,
  type ProducePartitionResponse,
  type Result,
} from '@tributary/protocol'
import type { HandlerResult, RequestContext } from '../seams.js'
import { isInternalTopicName } from '../controller/placement.js'
import { clusterAuthorizationFailed } from '../security/gate.js'
import type { LeaderHint, ReplicaHost } from './host.js'
import type { Partition } from './partition.js'
import { parseProduce } from './request-parsing.js'

export interface ProduceOutcome {
  errorCode: number
  errorMessage?: string
  baseOffset: number
  logStartOffset: number
  /** on NOT_LEADER_OR_FOLLOWER */
  currentLeader?: LeaderHint | null
}

export async function handleProduce(host: ReplicaHost, body: unknown, ctx: RequestContext): Promise<HandlerResult> {
  const parsed = parseProduce(body)
  if (!parsed.ok) return { errorCode: parsed.code, body: { errorMessage: parsed.message } }
  const req = parsed.value
  // Internal topics (__consumer_offsets) are written by brokers only; clients commit offsets through their group coordinator.
  if (!ctx.clusterAccess && req.topics.some((t) => isInternalTopicName(t.topic))) return clusterAuthorizationFailed('Produce to an internal topic')
  const timeoutMs = Math.min(req.timeoutMs, host.config.requestTimeoutMsMax)
  const deadlineMs = host.clock.now() + timeoutMs
  const topics = await Promise.all(
    req.topics.map(async (t) => ({
      topic: t.topic,
      partitions: await Promise.all(
        t.partitions.map(async (pp): Promise<ProducePartitionResponse> => {
          const r = await produceToPartition(host, t.topic, pp.partition, pp.records, req.acks, deadlineMs)
          const out: ProducePartitionResponse = {
            partition: pp.partition,
            errorCode: r.errorCode,
            baseOffset: r.baseOffset,
            logAppendTimeMs: -1,
            logStartOffset: r.logStartOffset,
          }
          if (r.errorMessage !== undefined) out.errorMessage = r.errorMessage
          if (r.currentLeader !== undefined) out.currentLeader = r.currentLeader
          return out
        }),
      ),
    })),
  )
  if (req.acks === 0) return undefined
  return { errorCode: ErrorCode.NONE, body: { topics } }
}

/** Validate every batch of a Produce partition entry against the topic's limits. */
export function validateProduceRecords(records: Uint8Array, maxMessageBytes: number): Result<BatchSlice[]> {
  if (records.length === 0) return { ok: false, code: ErrorCode.CORRUPT_MESSAGE, message: 'no record batches' }
  const split = splitBatches(records, { validate: true })
  if (!split.ok) return split
  for (const s of split.value) {
    if (s.bytes.length > maxMessageBytes) {
      return { ok: false, code: ErrorCode.MESSAGE_TOO_LARGE, message: `batch of ${s.bytes.length} bytes exceeds max.message.bytes ${maxMessageBytes}` }
    }
    if ((s.header.attributes & (ATTR_TRANSACTIONAL | ATTR_CONTROL)) !== 0) {
      return { ok: false, code: ErrorCode.INVALID_REQUEST, message: 'transactional and control batches are not supported' }
    }
    // the log cleaner owns this bit: a producer setting it could have its tombstones dropped before anyone reads them
    if ((s.header.attributes & ATTR_DELETE_HORIZON) !== 0) {
      return { ok: false, code: ErrorCode.INVALID_REQUEST, message: 'the delete-horizon attribute is set by the log cleaner, not by producers' }
    }
    // a correct CRC over malformed records would still break every consumer after them
    const records = validateRecords(s.bytes, 0, s.header)
    if (!records.ok) return records
  }
  return split
}

/** The leader path of one partition; also used by internal appends (the group coordinator). */
export async function produceToPartition(
  host: ReplicaHost,
  topic: string,
  partition: number,
  records: Uint8Array,
  acks: Acks,
  deadlineMs: number,
): Promise<ProduceOutcome> {
  const p = host.partition(topic, partition)
  if (p === undefined || p.role !== 'leader' || host.isFenced()) {
    const why = host.notServed(topic, partition)
    return { errorCode: why.errorCode, baseOffset: -1, logStartOffset: -1, currentLeader: why.currentLeader }
  }
  const settings = p.settings
  const valid = validateProduceRecords(records, settings.maxMessageBytes)
  if (!valid.ok) return { errorCode: valid.code, errorMessage: valid.message, baseOffset: -1, logStartOffset: p.logStartOffset() }
  if (acks === -1 && p.isr.length < settings.minInsyncReplicas) {
    return {
      errorCode: ErrorCode.NOT_ENOUGH_REPLICAS,
      errorMessage: `ISR has ${p.isr.length} replicas, min.insync.replicas is ${settings.minInsyncReplicas}`,
      baseOffset: -1,
      logStartOffset: p.logStartOffset(),
    }
  }
  const epoch = p.leaderEpoch
  const appended = await p.appendAsLeader(valid.value, deadlineMs)
  if (appended.errorCode !== ErrorCode.NONE) {
    return withLeaderHint(host, topic, partition, { errorCode: appended.errorCode, errorMessage: appended.errorMessage, baseOffset: -1, logStartOffset: p.logStartOffset() })
  }
  let count = 0
  for (const slice of valid.value) count += slice.header.recordCount
  p.stats.appended(count, records.length)
  const done = (errorCode: number): ProduceOutcome => withLeaderHint(host, topic, partition, {
    errorCode,
    baseOffset: errorCode === ErrorCode.NONE ? appended.baseOffset : -1,
    logStartOffset: p.logStartOffset(),
  })
  if (acks !== -1) return done(ErrorCode.NONE)
  return done(await awaitReplication(host, p, epoch, appended.lastOffset, deadlineMs))
}

/**
 * A write that lost its leader while it waited (leadership moved: a reassignment
 * completing, an election) names the new leader, as Kafka's (KIP-951), so the
 * producer retries there at once instead of first asking for metadata.
 */
function withLeaderHint(host: ReplicaHost, topic: string, partition: number, out: ProduceOutcome): ProduceOutcome {
  if (out.errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER && out.errorCode !== ErrorCode.FENCED_LEADER_EPOCH) return out
  const hint = host.notServed(topic, partition).currentLeader
  return hint && hint.leaderId >= 0 ? { ...out, currentLeader: hint } : out
}

/** acks=all: wait until the HW passes `lastOffset` in this leader epoch. */
async function awaitReplication(host: ReplicaHost, p: Partition, epoch: number, lastOffset: number, deadlineMs: number): Promise<number> {
  if (p.role !== 'leader' || p.leaderEpoch !== epoch) return ErrorCode.NOT_LEADER_OR_FOLLOWER
  if (p.highWatermark() > lastOffset) {
    return p.isr.length >= p.settings.minInsyncReplicas ? ErrorCode.NONE : ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND
  }
  return p.delayed.wait(lastOffset + 1, deadlineMs - host.clock.now())
}
