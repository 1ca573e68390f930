/**
 * ListOffsets by timestamp inside one batch: the first record whose timestamp is
 * >= the target. The batch's maxTimestamp only says one may exist: a batch that
 * compaction rewrote before maxTimestamp was taken from the records alone may
 * claim a newer time than any record it still holds, so "none here" is an answer
 * (null) and the caller walks on to the next batch.
 */
import { decodeRecordBatch } from '@tributary/protocol'
import { maxTimestampOf } from './batch-bytes.js'

export function findOffsetForTimestamp(batch: Uint8Array, timestampMs: number): { offset: number; timestamp: number } | null {
  const decoded = decodeRecordBatch(batch)
  if (decoded.ok) {
    for (const r of decoded.value.records) if (r.timestamp >= timestampMs) return { offset: r.offset, timestamp: r.timestamp }
    return null
  }
  // Undecodable (a compression we cannot read): the batch start is the best answer we have.
  return { offset: readBase(batch), timestamp: maxTimestampOf(batch) }
}

function readBase(batch: Uint8Array): number {
  const view = new DataView(batch.buffer, batch.byteOffset, 8)
  return view.getUint32(0) * 0x1_0000_0000 + view.getUint32(4)
}
