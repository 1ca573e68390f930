import type { ConsumedMessage } from './records.js'

export interface FetchedBatch {
  topic: string
  partition: number
  messages: ConsumedMessage[]
  highWatermark: number
  /** The partition's generation when fetched: a seek or revoke makes the batch stale. */
  generation: number
}

export interface PartitionState {
  topic: string
  partition: number
  /** Next offset to fetch; -1 = to be reset per policy. */
  fetchOffset: number
  generation: number
  paused: boolean
  inFetch: boolean
  resetting: boolean
  /** Responses not yet taken, oldest first, with their sizes. */
  buffered: Array<{ batch: FetchedBatch; bytes: number }>
  bufferedBytes: number
  partitionMaxBytes: number
  highWatermark: number
  failures: number
  retryAt: number
}

/** A partition newly assigned (or assigned again: old is its previous state), to fetch from offset or, without one, from the reset policy's offset. */
export function newPartitionState(topic: string, partition: number, offset: number | undefined, old: PartitionState | undefined, partitionMaxBytes: number): PartitionState {
  return {
    topic,
    partition,
    fetchOffset: offset !== undefined && offset >= 0 ? offset : -1,
    generation: (old?.generation ?? 0) + 1,
    paused: old?.paused ?? false,
    inFetch: false,
    resetting: false,
    buffered: [],
    bufferedBytes: 0,
    partitionMaxBytes,
    highWatermark: -1,
    failures: 0,
    retryAt: 0,
  }
}
