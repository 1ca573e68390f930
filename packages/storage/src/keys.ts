/**
 * The LevelDB key layout (binary keys, compared bytewise):
 *
 *   log/<topicId>/<partition>/<baseOffset: 8-byte big-endian>  → one stored RecordBatch
 *   state/<topicId>/<partition>/meta      → logStart, logEnd, high watermark, size (4 × float64)
 *   state/<topicId>/<partition>/epochs    → leader-epoch cache (LeaderEpochCache.encode)
 *   state/<topicId>/<partition>/producer  → opaque producer-state blob
 *   raft/hardstate                         → term, vote, commit (3 × float64)
 *   raft/snapshot                          → the latest snapshot (see raft-log.ts)
 *   raft/log/<index: 8-byte big-endian>   → one Raft entry
 *
 * Big-endian offsets make key order offset order, so "the batch holding offset X" is
 * one reverse seek `lte log/.../X`.
 */
import { assert } from './assert.js'

const utf8 = new TextEncoder()
const SLASH = 0x2f

export function encodeOffset(out: Uint8Array, at: number, offset: number): void {
  assert(Number.isSafeInteger(offset) && offset >= 0, `offset ${offset} must be a non-negative safe integer`)
  const hi = Math.floor(offset / 0x1_0000_0000)
  const lo = offset >>> 0
  out[at] = hi >>> 24
  out[at + 1] = hi >>> 16
  out[at + 2] = hi >>> 8
  out[at + 3] = hi
  out[at + 4] = lo >>> 24
  out[at + 5] = lo >>> 16
  out[at + 6] = lo >>> 8
  out[at + 7] = lo
}

export function decodeOffset(key: Uint8Array, at: number): number {
  const hi = ((key[at] << 24) | (key[at + 1] << 16) | (key[at + 2] << 8) | key[at + 3]) >>> 0
  const lo = ((key[at + 4] << 24) | (key[at + 5] << 16) | (key[at + 6] << 8) | key[at + 7]) >>> 0
  return hi * 0x1_0000_0000 + lo
}

/** `prefix` followed by an 8-byte offset. */
export class OffsetKeys {
  readonly prefix: Uint8Array
  /** Just past every key under the prefix (the prefix's final '/' + 1). */
  readonly end: Uint8Array

  constructor(prefix: string) {
    assert(prefix.endsWith('/'), 'offset key prefixes end with /')
    this.prefix = utf8.encode(prefix)
    this.end = this.prefix.slice()
    this.end[this.end.length - 1] = SLASH + 1
  }

  key(offset: number): Uint8Array {
    const k = new Uint8Array(this.prefix.length + 8)
    k.set(this.prefix)
    encodeOffset(k, this.prefix.length, offset)
    return k
  }

  offsetOf(key: Uint8Array): number {
    return decodeOffset(key, this.prefix.length)
  }
}

export interface PartitionKeys {
  batches: OffsetKeys
  meta: Uint8Array
  epochs: Uint8Array
  producer: Uint8Array
}

export function partitionKeys(topicId: string, partition: number): PartitionKeys {
  assert(topicId.length > 0 && !topicId.includes('/'), `topic id ${JSON.stringify(topicId)} must be non-empty without '/'`)
  assert(Number.isSafeInteger(partition) && partition >= 0, `partition ${partition} must be a non-negative integer`)
  const state = `state/${topicId}/${partition}/`
  return {
    batches: new OffsetKeys(`log/${topicId}/${partition}/`),
    meta: utf8.encode(`${state}meta`),
    epochs: utf8.encode(`${state}epochs`),
    producer: utf8.encode(`${state}producer`),
  }
}

export const STATE_PREFIX = utf8.encode('state/')
export const STATE_END = utf8.encode('state0')

/** Parses `state/<topicId>/<partition>/meta`; null for any other state key. */
export function parseMetaKey(key: Uint8Array): { topicId: string; partition: number } | null {
  const parts = new TextDecoder().decode(key).split('/')
  if (parts.length !== 4 || parts[0] !== 'state' || parts[3] !== 'meta') return null
  return { topicId: parts[1], partition: Number(parts[2]) }
}

export const RAFT_HARD_STATE_KEY = utf8.encode('raft/hardstate')
export const RAFT_SNAPSHOT_KEY = utf8.encode('raft/snapshot')
export const RAFT_ENTRY_KEYS = new OffsetKeys('raft/log/')
