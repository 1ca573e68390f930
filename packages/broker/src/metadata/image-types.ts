/**
 * The shape of the applied metadata state every node keeps (docs/ARCHITECTURE.md,
 * "Metadata flow"). Only the metadata applier mutates it, by applying committed records
 * in log order; everyone else reads it and listens for changes.
 */
import type { AclBinding } from '@tributary/protocol'
import type { PartitionAssignment } from './records.js'

export interface BrokerRegistration {
  nodeId: number
  /** the address peers and clients of the primary listener (--listen) are told */
  endpoint: string
  /** named client listeners: name → advertised URL (absent when the node has none) */
  endpoints?: Record<string, string>
  incarnationId: string
  /** the Raft index of the RegisterBroker record: changes on every registration */
  brokerEpoch: number
  rack: string | null
  fenced: boolean
  inControlledShutdown: boolean
}

export interface PartitionState extends PartitionAssignment {
  topic: string
}

export interface TopicState {
  name: string
  topicId: string
  internal: boolean
  /** only the configs set explicitly; defaults come from the config schema */
  configs: Record<string, string>
  partitions: PartitionState[]
}

/** One SCRAM credential of a user (secret material: never shown, see scram-image.ts). */
export interface ScramCredentialState {
  salt: Uint8Array
  iterations: number
  storedKey: Uint8Array
  serverKey: Uint8Array
}

/** user name → mechanism ('SCRAM-SHA-256' | 'SCRAM-SHA-512') → credential; inner maps are replaced, never mutated. */
export type UserCredentials = Map<string, ReadonlyMap<string, ScramCredentialState>>

export interface MetadataImage {
  clusterId: string | null
  /** Raft index of the last applied record */
  offset: number
  brokers: Map<number, BrokerRegistration>
  topicsByName: Map<string, TopicState>
  topicsById: Map<string, TopicState>
  /** next unallocated producer id */
  nextProducerId: number
  /** SCRAM credentials by user */
  users: UserCredentials
  /** ACL bindings by record id */
  acls: Map<string, AclBinding>
}

/** What changed when one committed record was applied. */
export type MetadataChange =
  | { type: 'partition'; partition: PartitionState; previous: PartitionState | null }
  | { type: 'topic-removed'; topic: TopicState }
  | { type: 'topic-config'; topic: TopicState }
  | { type: 'broker'; broker: BrokerRegistration }
  | { type: 'broker-removed'; nodeId: number }
  /** a user's credentials were set or removed: their next (re-)authentication sees it */
  | { type: 'user'; name: string }
  /** ACL bindings were added or removed: cached authorization decisions are void */
  | { type: 'acls' }

export interface MetadataView {
  readonly nodeId: number
  image(): MetadataImage
  /** Called after each applied record, in log order, with what it changed. Returns an unsubscribe function. */
  onChange(listener: (change: MetadataChange, image: MetadataImage) => void): () => void
  /** This node's broker epoch (from its own registration), -1 before registration. */
  brokerEpoch(): number
}
