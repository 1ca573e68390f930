import { splitBatches } from '@tributary/protocol'
import type { PartitionLog } from '@tributary/storage'
import type { ProducerStateTable } from './producer-state.js'

/** Bytes read per step when replaying the log tail into the producer table. */
export const PRODUCER_REPLAY_READ_BYTES = 4 * 1024 * 1024

/**
 * Rebuild a partition's producer table as it opens: the checkpoint stored with the
 * log, then every batch after the checkpoint's offset. Returns that offset when the
 * checkpoint was taken at the log end (nothing to replay), else -1.
 */
export async function loadProducerState(log: PartitionLog, producers: ProducerStateTable, nowMs: number): Promise<number> {
  const leo = log.logEndOffset()
  let from = log.logStartOffset()
  let checkpointOffset = -1
  const blob = log.producerState()
  if (blob !== null) {
    const offset = producers.decode(blob)
    if (offset >= 0) from = Math.max(from, Math.min(offset, leo))
    if (offset === leo) checkpointOffset = leo
  }
  producers.truncateFrom(from)
  while (from < leo) {
    const r = await log.read(from, PRODUCER_REPLAY_READ_BYTES)
    if (!r.ok || r.value.records.length === 0 || r.value.nextOffset <= from) break
    const split = splitBatches(r.value.records, { allowPartialTail: true })
    if (!split.ok) break
    for (const s of split.value) if (s.header.baseOffset >= from) producers.record(s.header, s.header.baseOffset, nowMs)
    from = r.value.nextOffset
  }
  producers.dirty = true
  return checkpointOffset
}
