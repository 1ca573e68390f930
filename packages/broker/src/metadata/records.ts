/**
 * Metadata records: what the controller commits to the Raft log. One Raft entry
 * carries an array of records that apply atomically (a topic and its partitions
 * land together). Every record is `{ type, version, ...fields }`, msgpack-encoded
 * with the wire settings so any msgpack reader can decode the log.
 *
 * Versioning: a reader accepts every version up to RECORD_VERSION[type]; a field
 * added later must be optional so older entries still decode.
 */
import { ErrorCode, fail, ok, packValue, unpackValue, type AclBinding, type Result, type ScramMechanismName } from '@tributary/protocol'

export interface ClusterIdRecord { type: 'ClusterId'; version: 0; clusterId: string }
/** endpoints (added later, so optional): named client listeners, name → advertised URL. */
export interface RegisterBrokerRecord { type: 'RegisterBroker'; version: 0; nodeId: number; endpoint: string; endpoints?: Record<string, string>; incarnationId: string; rack: string | null }
export interface FenceBrokerRecord { type: 'FenceBroker'; version: 0; nodeId: number; brokerEpoch: number }
export interface UnfenceBrokerRecord { type: 'UnfenceBroker'; version: 0; nodeId: number; brokerEpoch: number }
export interface UnregisterBrokerRecord { type: 'UnregisterBroker'; version: 0; nodeId: number; brokerEpoch: number }
/** Marks a broker as shutting down (controlled shutdown): it gets no new leaderships. */
export interface BrokerControlledShutdownRecord { type: 'BrokerControlledShutdown'; version: 0; nodeId: number; brokerEpoch: number }
export interface TopicRecord { type: 'Topic'; version: 0; name: string; topicId: string; internal: boolean }
/** A partition's placement and leadership: what a Partition record carries and the image keeps per partition. */
export interface PartitionAssignment {
  topicId: string
  partition: number
  replicas: number[]
  isr: number[]
  /** -1 when no replica can lead */
  leader: number
  leaderEpoch: number
  /** bumps on every change (ISR or leader); AlterPartition must name the current one */
  partitionEpoch: number
  /**
   * A reassignment in progress (KIP-455): replicas being added (in `replicas`,
   * catching up) and being removed (in `replicas` until the target set is in the
   * ISR). Absent or empty when none is; older records and snapshots lack them.
   */
  addingReplicas?: number[]
  removingReplicas?: number[]
}
export interface PartitionRecord extends PartitionAssignment {
  type: 'Partition'
  version: 0
}
/**
 * Absent fields are unchanged; partitionEpoch always bumps (the applier checks it).
 * Version 1 carries addingReplicas / removingReplicas (a reassignment starting,
 * completing or cancelled); a record without them is written as version 0, so a
 * broker that predates reassignments reads every record it can apply correctly
 * and refuses (UNSUPPORTED_VERSION) the ones it cannot.
 */
export interface PartitionChangeRecord {
  type: 'PartitionChange'
  version: 0 | 1
  topicId: string
  partition: number
  leader?: number
  isr?: number[]
  replicas?: number[]
  /** version 1: the new adding / removing sets ([] = the reassignment ended) */
  addingReplicas?: number[]
  removingReplicas?: number[]
  leaderEpoch: number
  partitionEpoch: number
}
export interface RemoveTopicRecord { type: 'RemoveTopic'; version: 0; topicId: string }
/**
 * value null = delete the setting. resourceType 'topic' names a topic; 'broker'
 * names a broker id, or '' for every broker (dynamic broker configs,
 * broker-dynamic-config.ts; a broker that predates them skips these records).
 */
export interface ConfigRecord { type: 'Config'; version: 0; resourceType: 'topic' | 'broker'; name: string; key: string; value: string | null }
/** Allocates [firstProducerId, firstProducerId + count) to the controller; image.nextProducerId moves past it. */
export interface ProducerIdsRecord { type: 'ProducerIds'; version: 0; brokerId: number; brokerEpoch: number; nextProducerId: number }
/** One ACL binding, as KRaft's AccessControlEntryRecord; `id` names it for removal. */
export interface AccessControlEntryRecord extends AclBinding { type: 'AccessControlEntry'; version: 0; id: string }
export interface RemoveAccessControlEntryRecord { type: 'RemoveAccessControlEntry'; version: 0; id: string }

/**
 * A user's SCRAM credential for one mechanism, as KRaft's UserScramCredentialRecord:
 * what verifies a login, never the password (nor the salted password). Replaces
 * the user's earlier credential for the same mechanism.
 */
export interface UserScramCredentialRecord {
  type: 'UserScramCredential'
  version: 0
  name: string
  mechanism: ScramMechanismName
  salt: Uint8Array
  iterations: number
  storedKey: Uint8Array
  serverKey: Uint8Array
}
export interface RemoveUserScramCredentialRecord { type: 'RemoveUserScramCredential'; version: 0; name: string; mechanism: ScramMechanismName }

export type MetadataRecord =
  | ClusterIdRecord
  | RegisterBrokerRecord
  | FenceBrokerRecord
  | UnfenceBrokerRecord
  | UnregisterBrokerRecord
  | BrokerControlledShutdownRecord
  | TopicRecord
  | PartitionRecord
  | PartitionChangeRecord
  | RemoveTopicRecord
  | ConfigRecord
  | ProducerIdsRecord
  | UserScramCredentialRecord
  | RemoveUserScramCredentialRecord
  | AccessControlEntryRecord
  | RemoveAccessControlEntryRecord

export type RecordType = MetadataRecord['type']

export const RECORD_VERSION: Readonly<Record<RecordType, number>> = {
  ClusterId: 0,
  RegisterBroker: 0,
  FenceBroker: 0,
  UnfenceBroker: 0,
  UnregisterBroker: 0,
  BrokerControlledShutdown: 0,
  Topic: 0,
  Partition: 0,
  PartitionChange: 1,
  RemoveTopic: 0,
  Config: 0,
  ProducerIds: 0,
  UserScramCredential: 0,
  RemoveUserScramCredential: 0,
  AccessControlEntry: 0,
  RemoveAccessControlEntry: 0,
}

/** Records per Raft entry, bounded so one proposal stays well under a frame. */
export const RECORDS_PER_ENTRY_MAX = 20_000

export function encodeRecords(records: MetadataRecord[]): Uint8Array {
  if (records.length === 0 || records.length > RECORDS_PER_ENTRY_MAX) throw new Error(`an entry holds 1..${RECORDS_PER_ENTRY_MAX} records, got ${records.length}`)
  return packValue(records)
}

/**
 * Decode one entry's data. An empty payload (a Raft no-op) is zero records.
 * An entry this node cannot read is an error: applying around it would make this
 * node's image diverge from the others', so the caller must stop applying.
 */
export function decodeRecords(data: Uint8Array): Result<MetadataRecord[]> {
  if (data.byteLength === 0) return ok([])
  const v = unpackValue(data)
  if (!v.ok) return v
  if (!Array.isArray(v.value)) return fail(ErrorCode.CORRUPT_MESSAGE, 'metadata entry is not an array of records')
  for (const r of v.value) {
    if (r === null || typeof r !== 'object' || typeof r.type !== 'string' || !(r.type in RECORD_VERSION)) {
      return fail(ErrorCode.CORRUPT_MESSAGE, `unknown metadata record ${JSON.stringify(r?.type)}`)
    }
    if (typeof r.version !== 'number' || r.version > RECORD_VERSION[r.type as RecordType]) {
      return fail(ErrorCode.UNSUPPORTED_VERSION, `${r.type} record version ${r.version} is newer than this broker reads`)
    }
  }
  return ok(v.value as MetadataRecord[])
}
