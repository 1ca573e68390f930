import type { StoredBatch } from './backend.js'
import { lastOffsetDeltaOf, maxTimestampOf } from './batch-bytes.js'
import type { RetentionPolicy } from './partition-log.js'

/** What one retention pass deletes: whole batches from the head, and the new log start. */
export interface RetentionPlan {
  deletes: number[]
  deletedBytes: number
  newStart: number
}

/**
 * Which batches from the head of the log retention deletes: those past retention.ms,
 * those that keep the log over retention.bytes, and those wholly below the policy's
 * logStartOffset (DeleteRecords), never at or past the policy's maxOffset (the HW),
 * and at most batchesMax of them (the next pass continues).
 */
export async function planRetention(
  scan: (from: number, to: number) => AsyncIterable<StoredBatch>,
  logStart: number,
  logEnd: number,
  sizeBytes: number,
  policy: RetentionPolicy,
  batchesMax: number,
): Promise<RetentionPlan> {
  const limit = Math.min(policy.maxOffset ?? Number.MAX_SAFE_INTEGER, logEnd)
  const expiredBefore = policy.retentionMs < 0 ? -Infinity : policy.nowMs - policy.retentionMs
  const startAtLeast = Math.min(policy.logStartOffset ?? -1, limit)
  const deletes: number[] = []
  let deletedBytes = 0
  let newStart = logStart
  let cutShort = false
  for await (const b of scan(0, limit)) {
    const last = b.baseOffset + lastOffsetDeltaOf(b.bytes)
    if (last >= limit) break
    if (deletes.length >= batchesMax) {
      cutShort = true
      break
    }
    const tooOld = maxTimestampOf(b.bytes) < expiredBefore
    const tooBig = policy.retentionBytes >= 0 && sizeBytes - deletedBytes - b.bytes.length >= policy.retentionBytes
    if (!tooOld && !tooBig && last >= startAtLeast) break
    deletes.push(b.baseOffset)
    deletedBytes += b.bytes.length
    newStart = Math.max(newStart, last + 1)
  }
  // Past the batches still stored only when every batch below it is among the deletes.
  if (!cutShort) newStart = Math.max(newStart, startAtLeast)
  return { deletes, deletedBytes, newStart }
}
