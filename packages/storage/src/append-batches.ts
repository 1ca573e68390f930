/** The steps of an append that look only at the bytes: split, stamp, check, summarise. */
import { patchBaseOffset, patchPartitionLeaderEpoch, splitBatches, type BatchSlice } from '@tributary/protocol'
import { assert } from './assert.js'
import type { AppendResult } from './partition-log.js'

export type { BatchSlice }

/** A view this much smaller than its buffer is copied, so the cache never pins a whole request frame. */
const VIEW_COPY_RATIO = 2

/** The bytes to keep: a small view of a large buffer (a request frame) is copied. */
export function own(input: Uint8Array): Uint8Array {
  return input.byteLength * VIEW_COPY_RATIO < input.buffer.byteLength ? input.slice() : input
}

/** The batches of an append its caller has validated; anything else is a bug. */
export function splitOrThrow(buf: Uint8Array): BatchSlice[] {
  const r = splitBatches(buf)
  assert(r.ok, `append of unvalidated batches: ${r.ok ? '' : r.message}`)
  assert(r.value.length > 0, 'append of no batches')
  return r.value
}

/** A leader's append: the batches get consecutive offsets from baseOffset and the leader's epoch. */
export function stampOffsetsAndEpoch(buf: Uint8Array, slices: BatchSlice[], baseOffset: number, leaderEpoch: number): void {
  let next = baseOffset
  for (const s of slices) {
    patchBaseOffset(buf, s.at, next)
    patchPartitionLeaderEpoch(buf, s.at, leaderEpoch)
    s.header.baseOffset = next
    next += s.header.lastOffsetDelta + 1
  }
}

/** A follower's append: its batches keep their offsets, which must ascend from the log end. */
export function assertAscendingFrom(slices: BatchSlice[], logEnd: number): void {
  let expected = logEnd
  for (const s of slices) {
    assert(s.header.baseOffset >= expected, `follower batch at ${s.header.baseOffset} is below the log end ${expected}`)
    expected = s.header.baseOffset + s.header.lastOffsetDelta + 1
  }
}

export function appendResult(slices: BatchSlice[], logAppendTimeMs: number): AppendResult {
  let maxTimestamp = -1
  let bytes = 0
  for (const s of slices) {
    maxTimestamp = Math.max(maxTimestamp, s.header.maxTimestamp)
    bytes += s.bytes.length
  }
  const last = slices[slices.length - 1].header
  return {
    baseOffset: slices[0].header.baseOffset,
    lastOffset: last.baseOffset + last.lastOffsetDelta,
    maxTimestamp,
    logAppendTimeMs,
    batches: slices.length,
    bytes,
  }
}
