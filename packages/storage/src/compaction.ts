/**
 * Log compaction (cleanup.policy=compact), Kafka's cleaner reduced to two passes
 * over the batches below the compaction limit:
 *
 * 1. map every key to the offset of its newest record;
 * 2. rewrite each batch keeping only records that are still the newest for their key
 *    (and are not tombstones past the batch's delete horizon), with their original
 *    offsets, baseOffset and lastOffsetDelta, so offsets never move (gaps appear) and
 *    a batch keeps its key in the store. A batch left with no records is deleted.
 *
 * Tombstones follow KIP-534: the pass that first keeps a tombstone stamps its batch
 * with a delete horizon (now + delete.retention.ms, attribute bit 6, held in
 * baseTimestamp) and a later pass at or past it drops the tombstones. Timing from
 * the record's own CreateTime instead would drop a tombstone produced with an old
 * timestamp on the first pass, before any consumer could read it.
 *
 * Records without a key, control batches and batches we cannot decode (a compression
 * we do not support) are kept unchanged.
 */
import {
  ATTR_CONTROL,
  ATTR_TIMESTAMP_LOG_APPEND,
  ATTR_TRANSACTIONAL,
  Compression,
  decodeRecordBatch,
  deleteHorizonOf,
  encodeRecordBatch,
  type BatchHeader,
  type DecodedRecord,
} from '@tributary/protocol'
import type { StoredBatch } from './backend.js'
import { lastOffsetDeltaOf } from './batch-bytes.js'
import type { CompactionPolicy } from './partition-log.js'

export interface CompactionLimits {
  /** Distinct keys held in the offset map; past it, only the batches mapped so far are cleaned. */
  keysMax: number
  /** Re-encoded bytes held per pass; past it, the rest waits for the next pass. */
  rewriteBytesMax: number
}

export interface CompactionPlan {
  /** baseOffset → new bytes, or null to delete the batch. */
  rewrites: Map<number, Uint8Array | null>
  removedRecords: number
  /** Change of the stored size (negative: bytes freed). */
  bytesDelta: number
}

type Scan = (from: number, to: number) => AsyncIterable<StoredBatch>

const keyString = (key: Uint8Array): string => Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1')

export async function planCompaction(
  scan: Scan,
  from: number,
  policy: CompactionPolicy,
  limits: CompactionLimits,
): Promise<CompactionPlan> {
  const { newest, cleanEnd } = await mapNewestOffsets(scan, from, policy.maxOffset, limits.keysMax)
  const rewrites = new Map<number, Uint8Array | null>()
  let removedRecords = 0
  let rewrittenBytes = 0
  let bytesDelta = 0
  for await (const batch of scan(from, cleanEnd)) {
    const decoded = decodeCompactable(batch.bytes)
    if (!decoded) continue
    const horizon = deleteHorizonOf(decoded.header)
    const tombstonesExpired = horizon !== null && horizon <= policy.nowMs
    const keep = decoded.records.filter((r) => {
      if (r.key === null) return true
      if (newest.get(keyString(r.key)) !== r.offset) return false
      return !(r.value === null && tombstonesExpired)
    })
    const stampHorizon = horizon === null && keep.some(isTombstone)
    if (keep.length === decoded.records.length && !stampHorizon) continue
    removedRecords += decoded.records.length - keep.length
    const newHorizon = stampHorizon ? Math.min(policy.nowMs + policy.deleteRetentionMs, Number.MAX_SAFE_INTEGER) : horizon
    const bytes = keep.length === 0 ? null : reencode(decoded.header, keep, newHorizon)
    rewrites.set(batch.baseOffset, bytes)
    rewrittenBytes += bytes?.length ?? 0
    bytesDelta += (bytes?.length ?? 0) - batch.bytes.length
    if (rewrittenBytes >= limits.rewriteBytesMax) break
  }
  return { rewrites, removedRecords, bytesDelta }
}

async function mapNewestOffsets(
  scan: Scan,
  from: number,
  maxOffset: number,
  keysMax: number,
): Promise<{ newest: Map<string, number>; cleanEnd: number }> {
  const newest = new Map<string, number>()
  let cleanEnd = from
  for await (const batch of scan(from, maxOffset)) {
    if (batch.baseOffset + lastOffsetDeltaOf(batch.bytes) >= maxOffset) break
    const decoded = decodeCompactable(batch.bytes)
    if (decoded) for (const r of decoded.records) if (r.key !== null) newest.set(keyString(r.key), r.offset)
    cleanEnd = batch.baseOffset + 1
    // Keys of this batch are mapped but it is past the cleanable end: newer records win anyway.
    if (newest.size > keysMax) return { newest, cleanEnd: batch.baseOffset }
  }
  return { newest, cleanEnd }
}

function decodeCompactable(bytes: Uint8Array): { header: BatchHeader; records: DecodedRecord[] } | null {
  const r = decodeRecordBatch(bytes)
  if (!r.ok || (r.value.header.attributes & ATTR_CONTROL) !== 0) return null
  return r.value
}

const isTombstone = (r: DecodedRecord): boolean => r.key !== null && r.value === null

/** The kept records as one batch; a delete horizon takes baseTimestamp's place (KIP-534). */
function reencode(h: BatchHeader, keep: DecodedRecord[], deleteHorizonMs: number | null): Uint8Array {
  const gzip = (h.attributes & 0x07) === Compression.gzip
  return encodeRecordBatch(
    keep.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp })),
    {
      baseOffset: h.baseOffset,
      partitionLeaderEpoch: h.partitionLeaderEpoch,
      producerId: h.producerId,
      producerEpoch: h.producerEpoch,
      baseSequence: h.baseSequence,
      compression: gzip ? 'gzip' : 'none',
      timestampType: (h.attributes & ATTR_TIMESTAMP_LOG_APPEND) !== 0 ? 'logAppend' : 'create',
      transactional: (h.attributes & ATTR_TRANSACTIONAL) !== 0,
      ...(deleteHorizonMs === null ? { baseTimestamp: h.baseTimestamp } : { deleteHorizonMs }),
      offsetDeltas: keep.map((r) => r.offsetDelta),
      lastOffsetDelta: h.lastOffsetDelta,
    },
  )
}
