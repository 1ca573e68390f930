/**
 * The shape of the applied metadata state every node keeps (docs/ARCHITECTURE.md,
 * "Metadata flow"). An image is a value: applying a committed entry builds the
 * next image and a delta (metadata-delta.ts), the publisher swaps the new one in
 * and hands listeners both. Nothing changes an image once it is published.
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

/** user name → mechanism ('SCRAM-SHA-256' | 'SCRAM-SHA-512') → credential. */
export type UserCredentials = ReadonlyMap<string, ReadonlyMap<string, ScramCredentialState>>

/** One node's applied metadata at `offset`; shares unchanged parts with the image before it. */
export interface MetadataImage {
  readonly clusterId: string | null
  /** Raft index of the last applied record */
  readonly offset: number
  readonly brokers: ReadonlyMap<number, BrokerRegistration>
  readonly topicsByName: ReadonlyMap<string, TopicState>
  readonly topicsById: ReadonlyMap<string, TopicState>
  /** next unallocated producer id */
  readonly nextProducerId: number
  /** SCRAM credentials by user */
  readonly users: UserCredentials
  /** ACL bindings by record id */
  readonly acls: ReadonlyMap<string, AclBinding>
  /** dynamic broker configs (broker-dynamic-config.ts) by resource: a broker id, or '' for every broker; only the names set */
  readonly brokerConfigs: ReadonlyMap<string, Readonly<Record<string, string>>>
}

/** What changed when one committed record was applied. */
export type MetadataChange =
  | { type: 'partition'; partition: PartitionState; previous: PartitionState | null }
  | { type: 'topic-removed'; topic: TopicState }
  | { type: 'topic-config'; topic: TopicState }
  /** a dynamic broker config of resource `name` (a broker id, or '' for every broker) was set or removed */
  | { type: 'broker-config'; name: string }
  | { type: 'broker'; broker: BrokerRegistration }
  | { type: 'broker-removed'; nodeId: number }
  /** a user's credentials were set or removed: their next (re-)authentication sees it */
  | { type: 'user'; name: string }
  /** ACL bindings were added or removed: cached authorization decisions are void */
  | { type: 'acls' }

/** What one published image changed from the one before it, in record order (Kafka's MetadataDelta). */
export interface MetadataDelta {
  readonly changes: readonly MetadataChange[]
}

/** Told each new image with what changed to reach it. */
export type MetadataListener = (image: MetadataImage, delta: MetadataDelta) => void

export interface MetadataView {
  readonly nodeId: number
  /** The current image: a value that never changes; the next entry publishes a new one. */
  image(): MetadataImage
  /** Called after each published image (one per applied entry, or a snapshot install), in log order. Returns an unsubscribe function. */
  onPublish(listener: MetadataListener): () => void
  /** This node's broker epoch (from its own registration), -1 before registration. */
  brokerEpoch(): number
}
