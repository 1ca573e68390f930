/**
 * What users hand the producer and what the consumer hands back. Produce-side
 * messages are validated here (a bad field is an ArgumentError naming it), and
 * sized for batch and buffer accounting before any bytes are encoded.
 */
import type { DecodedRecord } from '@tributary/protocol'
import { ArgumentError } from './errors.js'

export type Bytes = string | Uint8Array

export interface Message {
  key?: Bytes | null
  /** null is a tombstone (deletes the key in a compacted topic). */
  value: Bytes | null
  headers?: Record<string, Bytes>
  /** Send to this partition instead of the partitioner's choice. */
  partition?: number
  /** Milliseconds since the epoch; defaults to now. */
  timestamp?: number
}

/** One acknowledged message: where it landed. offset is -1 with acks=0. */
export interface RecordMetadata {
  topic: string
  partition: number
  offset: number
}

export interface ConsumedMessage {
  topic: string
  partition: number
  offset: number
  timestamp: number
  key: Uint8Array | null
  value: Uint8Array | null
  headers: Record<string, Uint8Array | null>
}

/** Bytes an encoded record may take besides its fields (lengths, deltas, attributes). */
const RECORD_OVERHEAD_BYTES = 21
/** Per header: two length varints. */
const HEADER_OVERHEAD_BYTES = 10

const isBytes = (v: unknown): v is Bytes => typeof v === 'string' || v instanceof Uint8Array
/** Strings are sized by UTF-16 units: exact for ASCII, an underestimate (at most 3x) otherwise. */
const sizeOf = (v: Bytes | null | undefined): number => (v == null ? 0 : v.length)

/** Throws ArgumentError naming the bad field of messages[i]; returns the message's estimated encoded size. */
export function checkMessage(m: Message, i: number): number {
  if (m === null || typeof m !== 'object') throw new ArgumentError(`messages[${i}] must be an object with a value, got ${m === null ? 'null' : typeof m}`)
  const { key, value, headers, partition, timestamp } = m
  if (value === undefined) throw new ArgumentError(`messages[${i}].value is required (use null for a tombstone)`)
  if (value !== null && !isBytes(value)) throw new ArgumentError(`messages[${i}].value must be a string, Uint8Array or null, got ${typeof value}`)
  if (key != null && !isBytes(key)) throw new ArgumentError(`messages[${i}].key must be a string, Uint8Array or null, got ${typeof key}`)
  if (partition !== undefined && (!Number.isInteger(partition) || partition < 0)) {
    throw new ArgumentError(`messages[${i}].partition must be a non-negative integer, got ${partition}`)
  }
  if (timestamp !== undefined && (!Number.isSafeInteger(timestamp) || timestamp < 0)) {
    throw new ArgumentError(`messages[${i}].timestamp must be a non-negative safe integer (ms since the epoch), got ${timestamp}`)
  }
  let bytes = RECORD_OVERHEAD_BYTES + sizeOf(key) + sizeOf(value)
  if (headers !== undefined) {
    if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) {
      throw new ArgumentError(`messages[${i}].headers must be an object of string or Uint8Array values`)
    }
    for (const k in headers) {
      const v = headers[k]
      if (!isBytes(v)) throw new ArgumentError(`messages[${i}].headers[${JSON.stringify(k)}] must be a string or Uint8Array, got ${typeof v}`)
      bytes += HEADER_OVERHEAD_BYTES + k.length + v.length
    }
  }
  return bytes
}

/**
 * Decoded records hold views into the fetch response; the consumer hands them
 * out as they are (no copy), which is safe because each response buffer is
 * owned by this consumer alone and never reused.
 */
export function toConsumedMessage(topic: string, partition: number, r: DecodedRecord): ConsumedMessage {
  let headers: Record<string, Uint8Array | null> = EMPTY_HEADERS
  if (r.headers.length > 0) {
    headers = {}
    for (const h of r.headers) headers[h.key] = h.value
  }
  return new Consumed(topic, partition, r.offset, r.timestamp, r.key, r.value, headers)
}

/**
 * A class rather than an object literal, so V8 never pretenures these per allocation
 * site (see the protocol's record decoder): a consumer that once stalled with a full
 * prefetch buffer would otherwise build every later message in the old generation.
 */
class Consumed implements ConsumedMessage {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: number,
    readonly timestamp: number,
    readonly key: Uint8Array | null,
    readonly value: Uint8Array | null,
    readonly headers: Record<string, Uint8Array | null>,
  ) {}
}

const EMPTY_HEADERS: Record<string, Uint8Array | null> = Object.freeze({}) as Record<string, Uint8Array | null>

const utf8 = new TextDecoder()
/** Convenience: a key, value or header as text (null stays null). */
export function text(bytes: Uint8Array | null | undefined): string | null {
  return bytes == null ? null : utf8.decode(bytes)
}
