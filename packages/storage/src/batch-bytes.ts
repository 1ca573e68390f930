/**
 * The few header fields the log reads from stored batches, without building a
 * header object (offsets 23 and 35 of the RecordBatch v2 layout, see
 * @tributary/protocol batch-header.ts). Stored batches were validated on the way in.
 */
import { readBatchHeader } from '@tributary/protocol'
import { assert } from './assert.js'

export function lastOffsetDeltaOf(bytes: Uint8Array): number {
  return (bytes[23] << 24) | (bytes[24] << 16) | (bytes[25] << 8) | bytes[26]
}

export function maxTimestampOf(bytes: Uint8Array): number {
  const h = readBatchHeader(bytes)
  assert(h.ok, 'stored batch has a readable header')
  return h.value.maxTimestamp
}
