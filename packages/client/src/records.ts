/**
 * What users hand the producer and what the consumer hands back. Produce-side
 * messages are validated here (a bad field is an ArgumentError naming it), and
 * sized for batch and buffer accounting before any bytes are encoded.
 */
import type { DecodedRecord, RecordInput } from '@tributary/protocol'
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

/** Throws ArgumentError naming the first bad field; returns the record and its estimated encoded size. */
export function checkMessage(m: Message, where: string): { record: RecordInput; bytes: number } {
  if (m === null || typeof m !== 'object') throw new ArgumentError(`${where} must be an object with a value, got ${m === null ? 'null' : typeof m}`)
  if (m.value === undefined) throw new ArgumentError(`${where}.value is required (use null for a tombstone)`)
  if (m.value !== null && !isBytes(m.value)) throw new ArgumentError(`${where}.value must be a string, Uint8Array or null, got ${typeof m.value}`)
  if (m.key != null && !isBytes(m.key)) throw new ArgumentError(`${where}.key must be a string, Uint8Array or null, got ${typeof m.key}`)
  if (m.partition !== undefined && (!Number.isInteger(m.partition) || m.partition < 0)) {
    throw new ArgumentError(`${where}.partition must be a non-negative integer, got ${m.partition}`)
  }
  if (m.timestamp !== undefined && (!Number.isSafeInteger(m.timestamp) || m.timestamp < 0)) {
    throw new ArgumentError(`${where}.timestamp must be a non-negative safe integer (ms since the epoch), got ${m.timestamp}`)
  }
  let bytes = RECORD_OVERHEAD_BYTES + sizeOf(m.key) + sizeOf(m.value)
  if (m.headers !== undefined) {
    if (m.headers === null || typeof m.headers !== 'object' || Array.isArray(m.headers)) {
      throw new ArgumentError(`${where}.headers must be an object of string or Uint8Array values`)
    }
    for (const k in m.headers) {
      const v = m.headers[k]
      if (!isBytes(v)) throw new ArgumentError(`${where}.headers[${JSON.stringify(k)}] must be a string or Uint8Array, got ${typeof v}`)
      bytes += HEADER_OVERHEAD_BYTES + k.length + v.length
    }
  }
  return { record: { key: m.key ?? null, value: m.value, headers: m.headers, timestamp: m.timestamp }, bytes }
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
  return { topic, partition, offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers }
}

const EMPTY_HEADERS: Record<string, Uint8Array | null> = Object.freeze({}) as Record<string, Uint8Array | null>

const utf8 = new TextDecoder()
/** Convenience: a key, value or header as text (null stays null). */
export function text(bytes: Uint8Array | null | undefined): string | null {
  return bytes == null ? null : utf8.decode(bytes)
}
