/**
 * ListOffsets by timestamp inside one batch: the first record whose timestamp is
 * >= the target. The batch's maxTimestamp already said one exists.
 */
import { decodeRecordBatch } from '@tributary/protocol'
import { maxTimestampOf } from './batch-bytes.js'

export function findOffsetForTimestamp(batch: Uint8Array, timestampMs: number): { offset: number; timestamp: number } {
  const decoded = decodeRecordBatch(batch)
  if (decoded.ok) {
    for (const r of decoded.value.records) if (r.timestamp >= timestampMs) return { offset: r.offset, timestamp: r.timestamp }
  }
  // Undecodable (a compression we cannot read): the batch start is the best answer we have.
  const h = decoded.ok ? decoded.value.header : null
  return { offset: h?.baseOffset ?? readBase(batch), timestamp: maxTimestampOf(batch) }
}

function readBase(batch: Uint8Array): number {
  const view = new DataView(batch.buffer, batch.byteOffset, 8)
  return view.getUint32(0) * 0x1_0000_0000 + view.getUint32(4)
}
