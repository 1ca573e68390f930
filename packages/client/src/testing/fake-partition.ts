/** One partition's log in the fake cluster: whole batches in memory, with idempotent producers' recent sequences. */
import { concatBytes, ErrorCode, patchBaseOffset, splitBatches, validateBatch } from '@tributary/protocol'

export interface FakePartition {
  leader: number
  leaderEpoch: number
  replicas: number[]
  batches: Array<{ baseOffset: number; lastOffset: number; bytes: Uint8Array }>
  logStart: number
  logEnd: number
  /** producerId -> recent (baseSequence, lastSequence, baseOffset), newest last */
  producers: Map<number, Array<{ baseSequence: number; lastSequence: number; baseOffset: number }>>
}

/** Batches whose sequences the fake remembers per producer (as a Kafka broker does). */
const PRODUCER_BATCHES_REMEMBERED = 5

/** Append one batch as the leader does: a duplicate answers its first offset, a sequence gap is refused. */
export function appendToPartition(p: FakePartition, records: Uint8Array): Record<string, unknown> {
  const v = validateBatch(records)
  if (!v.ok) return { errorCode: v.code, errorMessage: v.message, baseOffset: -1, logStartOffset: p.logStart }
  const h = v.value
  const count = h.lastOffsetDelta + 1
  if (h.producerId >= 0) {
    const recent = p.producers.get(h.producerId) ?? []
    const dup = recent.find((x) => x.baseSequence === h.baseSequence)
    if (dup) return { errorCode: 0, baseOffset: dup.baseOffset, logStartOffset: p.logStart }
    const last = recent[recent.length - 1]
    const expected = last ? last.lastSequence + 1 : 0
    if (h.baseSequence !== expected) return { errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, errorMessage: `expected ${expected}, got ${h.baseSequence}`, baseOffset: -1, logStartOffset: p.logStart }
    recent.push({ baseSequence: h.baseSequence, lastSequence: h.baseSequence + count - 1, baseOffset: p.logEnd })
    if (recent.length > PRODUCER_BATCHES_REMEMBERED) recent.shift()
    p.producers.set(h.producerId, recent)
  }
  const stored = records.slice()
  patchBaseOffset(stored, 0, p.logEnd)
  const baseOffset = p.logEnd
  p.batches.push({ baseOffset, lastOffset: baseOffset + h.lastOffsetDelta, bytes: stored })
  p.logEnd += count
  return { errorCode: 0, baseOffset, logStartOffset: p.logStart }
}

/** The whole batches from fetchOffset, at least one, then up to maxBytes. */
export function readPartition(p: FakePartition, fetchOffset: number, maxBytes: number): Uint8Array {
  const chunks: Uint8Array[] = []
  let bytes = 0
  for (const b of p.batches) {
    if (b.lastOffset < fetchOffset) continue
    if (chunks.length > 0 && bytes + b.bytes.length > maxBytes) break
    chunks.push(b.bytes)
    bytes += b.bytes.length
  }
  return concatBytes(chunks, bytes)
}

/** The first batch whose newest record is at or after ts (-1: none). */
export function offsetForTime(p: FakePartition, ts: number): number {
  for (const b of p.batches) {
    const s = splitBatches(b.bytes)
    if (s.ok && s.value[0].header.maxTimestamp >= ts) return b.baseOffset
  }
  return -1
}

/** Move the log start to offset, dropping the batches wholly below it. */
export function deleteBefore(p: FakePartition, offset: number): void {
  p.batches = p.batches.filter((b) => b.lastOffset >= offset)
  p.logStart = offset
}
