/**
 * The LevelDB key layouts (binary keys, compared bytewise). A node has two databases
 * (level-storage.ts): `log` for the partitions and `raft` for the Raft log.
 *
 * log:
 *   log/<segment>/d/<topicId>/<partition>/<baseOffset>  → one stored RecordBatch
 *   log/<segment>/s/<topicId>/<partition>/meta          → logStart, logEnd, HW, size (4 × float64)
 *   log/<segment>/s/<topicId>/<partition>/epochs        → leader-epoch cache (LeaderEpochCache.encode)
 *   log/<segment>/s/<topicId>/<partition>/producer      → opaque producer-state blob
 * raft:
 *   raft/hardstate                       → term, vote, commit (3 × float64)
 *   raft/snapshot                        → the latest snapshot (see raft-log.ts)
 *   raft/log/<index>                     → one Raft entry
 *
 * <segment> is a 4-byte and <baseOffset>/<index> an 8-byte big-endian number, so key
 * order is segment order, then offset order.
 *
 * Why segments: every partition appends at its own end of the key space, so with one
 * key stream per partition each LevelDB table file would hold keys from all over it
 * and overlap every other file; LevelDB then merges files level by level instead of
 * moving them down (32 interleaved partitions wrote at 115 MB/s against 300 for one
 * stream). The node writes into one segment at a time (segments.ts) and moves to the
 * next every `segmentBytes`, so new files only overlap files of the current segment.
 * A partition's state is written into the segment current at the time, beside its
 * data and in the same db.batch; the newest segment holding it wins.
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

// ------------------------------------------------------------------ log database

const LOG = utf8.encode('log/')
/** 'log/' + 4-byte segment + '/'. */
const SEGMENT_PREFIX_BYTES = LOG.length + 5
export const SEGMENT_MAX = 0xffff_ffff

export const LOG_START = LOG
export const LOG_END = utf8.encode('log0')

/** `log/<segment>/` and room for `tailBytes` more. */
function segmentKey(segment: number, tailBytes: number): Uint8Array {
  assert(Number.isInteger(segment) && segment >= 0 && segment <= SEGMENT_MAX, `segment ${segment} out of range`)
  const k = new Uint8Array(SEGMENT_PREFIX_BYTES + tailBytes)
  k.set(LOG)
  k[4] = segment >>> 24
  k[5] = segment >>> 16
  k[6] = segment >>> 8
  k[7] = segment
  k[8] = SLASH
  return k
}

/** `log/<segment>/` followed by `tail`. */
function inSegment(segment: number, tail: Uint8Array): Uint8Array {
  const k = segmentKey(segment, tail.length)
  k.set(tail, SEGMENT_PREFIX_BYTES)
  return k
}

/** The first key of a segment (every key of segment s sorts between segmentStart(s) and segmentStart(s + 1)). */
export const segmentStart = (segment: number): Uint8Array => inSegment(segment, new Uint8Array(0))

export function segmentOf(key: Uint8Array): number {
  return ((key[4] << 24) | (key[5] << 16) | (key[6] << 8) | key[7]) >>> 0
}

export type StateName = 'meta' | 'epochs' | 'producer'
export const STATE_NAMES: readonly StateName[] = ['meta', 'epochs', 'producer']

/** The state records of every partition in one segment: [start, end). */
export function stateRange(segment: number): { gte: Uint8Array; lt: Uint8Array } {
  return { gte: inSegment(segment, utf8.encode('s/')), lt: inSegment(segment, utf8.encode('s0')) }
}

/** Parses `log/<segment>/s/<topicId>/<partition>/<name>`; null for any other key. */
export function parseStateKey(key: Uint8Array): { segment: number; topicId: string; partition: number; name: StateName } | null {
  if (key.length <= SEGMENT_PREFIX_BYTES + 2 || key[SEGMENT_PREFIX_BYTES] !== 0x73 /* s */) return null
  const parts = new TextDecoder().decode(key.subarray(SEGMENT_PREFIX_BYTES)).split('/')
  if (parts.length !== 4 || !(STATE_NAMES as readonly string[]).includes(parts[3])) return null
  const partition = Number(parts[2])
  if (!Number.isSafeInteger(partition) || partition < 0) return null
  return { segment: segmentOf(key), topicId: parts[1], partition, name: parts[3] as StateName }
}

/** The keys of one partition, in any segment. */
export class PartitionKeys {
  private readonly data: Uint8Array
  private readonly dataEnd: Uint8Array
  private readonly state: string

  constructor(
    readonly topicId: string,
    readonly partition: number,
  ) {
    assert(topicId.length > 0 && !topicId.includes('/'), `topic id ${JSON.stringify(topicId)} must be non-empty without '/'`)
    assert(Number.isSafeInteger(partition) && partition >= 0, `partition ${partition} must be a non-negative integer`)
    this.data = utf8.encode(`d/${topicId}/${partition}/`)
    this.dataEnd = this.data.slice()
    this.dataEnd[this.dataEnd.length - 1] = SLASH + 1
    this.state = `s/${topicId}/${partition}/`
  }

  batch(segment: number, baseOffset: number): Uint8Array {
    const k = segmentKey(segment, this.data.length + 8)
    k.set(this.data, SEGMENT_PREFIX_BYTES)
    encodeOffset(k, SEGMENT_PREFIX_BYTES + this.data.length, baseOffset)
    return k
  }

  /** Every batch key of this partition in `segment`: [gte, lt). */
  batchRange(segment: number): { gte: Uint8Array; lt: Uint8Array } {
    return { gte: inSegment(segment, this.data), lt: inSegment(segment, this.dataEnd) }
  }

  offsetOf(key: Uint8Array): number {
    return decodeOffset(key, SEGMENT_PREFIX_BYTES + this.data.length)
  }

  stateKey(segment: number, name: StateName): Uint8Array {
    return inSegment(segment, utf8.encode(this.state + name))
  }
}

// ------------------------------------------------------------------ raft database

export const RAFT_HARD_STATE_KEY = utf8.encode('raft/hardstate')
export const RAFT_SNAPSHOT_KEY = utf8.encode('raft/snapshot')
export const RAFT_ENTRY_KEYS = new OffsetKeys('raft/log/')
