/**
 * The consumer protocol's payloads, the opaque bytes a classic group carries:
 * a member's subscription (JoinGroup metadata) and its assignment (SyncGroup).
 * Each is an int16 version, then the struct at that version from the schema
 * table (messages-groups.ts). A version newer than ours is read as our newest:
 * Kafka only ever appends fields to these, so the bytes we do not know are
 * trailing ones, skipped as Kafka's own ConsumerProtocol skips them.
 *
 * The broker never needs these to run a group (the leader assigns client-side);
 * it reads them to show who subscribes to and holds what.
 */
import { fail, ok, ErrorCode, type Result } from '../errors.js'
import { readMessage, writeMessage } from './codec.js'
import { ConsumerProtocolAssignment, ConsumerProtocolSubscription } from './messages.js'
import type { MessageSpec } from './schema.js'
import { KafkaReader, KafkaWireError, KafkaWriter } from './wire.js'

/** The protocol type of Kafka consumers; other types (e.g. "connect") carry payloads we do not read. */
export const CONSUMER_PROTOCOL_TYPE = 'consumer'

export interface ConsumerSubscription {
  topics: string[]
  userData: Uint8Array | null
  ownedPartitions: Array<{ topic: string; partitions: number[] }>
  generationId: number
  rackId: string | null
}

export interface ConsumerAssignment {
  assignedPartitions: Array<{ topic: string; partitions: number[] }>
  userData: Uint8Array | null
}

function decodeVersioned<T>(spec: MessageSpec, bytes: Uint8Array): Result<T> {
  const r = new KafkaReader(bytes)
  try {
    const version = r.int16(`${spec.name} version`)
    if (version < 0) return fail(ErrorCode.INVALID_REQUEST, `${spec.name}: version ${version}`)
    return ok(readMessage(spec, Math.min(version, spec.versions.max), r) as T)
  } catch (err) {
    if (err instanceof KafkaWireError) return fail(ErrorCode.INVALID_REQUEST, `${spec.name}: ${err.message}`)
    throw err
  }
}

function encodeVersioned(spec: MessageSpec, version: number, value: object): Uint8Array {
  const w = new KafkaWriter()
  w.int16(version)
  writeMessage(spec, version, value as Record<string, unknown>, w)
  return w.bytes()
}

export const decodeConsumerSubscription = (bytes: Uint8Array): Result<ConsumerSubscription> => decodeVersioned(ConsumerProtocolSubscription, bytes)
export const decodeConsumerAssignment = (bytes: Uint8Array): Result<ConsumerAssignment> => decodeVersioned(ConsumerProtocolAssignment, bytes)

export function encodeConsumerSubscription(value: Partial<ConsumerSubscription> & { topics: string[] }, version = 0): Uint8Array {
  return encodeVersioned(ConsumerProtocolSubscription, version, value)
}

export function encodeConsumerAssignment(value: Partial<ConsumerAssignment> & Pick<ConsumerAssignment, 'assignedPartitions'>, version = 0): Uint8Array {
  return encodeVersioned(ConsumerProtocolAssignment, version, value)
}
