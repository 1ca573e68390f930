/**
 * Kafka's default partitioner, byte for byte: a keyed record goes to
 * toPositive(murmur2(keyBytes)) % numPartitions, so a key lands on the partition
 * number Kafka's Java client would choose. Keyless records stick to one
 * partition until its batch closes (KIP-480), then move on.
 */
import { assertArg } from './errors.js'

const utf8 = new TextEncoder()

export type Key = string | Uint8Array | null | undefined

export function keyBytes(key: string | Uint8Array): Uint8Array {
  return typeof key === 'string' ? utf8.encode(key) : key
}

/** Java's Utils.murmur2 (seed 0x9747b28c) on 32-bit ints; returns a signed int32. */
export function murmur2(data: Uint8Array): number {
  const length = data.length
  const m = 0x5bd1e995
  let h = (0x9747b28c ^ length) | 0
  const length4 = length >>> 2
  for (let i = 0; i < length4; i++) {
    const i4 = i << 2
    let k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) | (data[i4 + 3] << 24)
    k = Math.imul(k, m)
    k ^= k >>> 24
    k = Math.imul(k, m)
    h = Math.imul(h, m) ^ k
  }
  const tail = length & ~3
  const rest = length & 3
  // Java's switch falls through 3 -> 2 -> 1.
  if (rest === 3) h ^= data[tail + 2] << 16
  if (rest >= 2) h ^= data[tail + 1] << 8
  if (rest >= 1) {
    h ^= data[tail]
    h = Math.imul(h, m)
  }
  h ^= h >>> 13
  h = Math.imul(h, m)
  h ^= h >>> 15
  return h | 0
}

/** Java's Utils.toPositive: clears the sign bit (not Math.abs, which overflows at MIN_VALUE). */
export const toPositive = (n: number): number => n & 0x7fffffff

/** The partition Kafka's Java client picks for this key. */
export function partitionForKey(key: string | Uint8Array, partitionCount: number): number {
  assertArg(Number.isInteger(partitionCount) && partitionCount > 0, `partitionCount must be a positive integer, got ${partitionCount}`)
  return toPositive(murmur2(keyBytes(key))) % partitionCount
}

/** Sticky choice for keyless records, per topic. */
export class StickyPartitioner {
  private readonly sticky = new Map<string, number>()
  constructor(private readonly random: () => number = Math.random) {}

  /**
   * `available`: partitions with a leader, preferred when any; a function (of the topic) is
   * only called when a new partition is chosen (not for every record of a sticky run).
   */
  partition(topic: string, partitionCount: number, available?: readonly number[] | ((topic: string) => readonly number[])): number {
    const current = this.sticky.get(topic)
    if (current !== undefined && current < partitionCount) return current
    const list = typeof available === 'function' ? available(topic) : available
    const pool = list && list.length > 0 ? list : undefined
    const chosen = pool ? pool[Math.floor(this.random() * pool.length)] : Math.floor(this.random() * partitionCount)
    this.sticky.set(topic, chosen)
    return chosen
  }

  /** A batch for (topic, partition) closed: the next keyless record picks afresh. */
  batchClosed(topic: string, partition: number): void {
    if (this.sticky.get(topic) === partition) this.sticky.delete(topic)
  }
}
