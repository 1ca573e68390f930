/**
 * The controller's APIs (topics admin, broker lifecycle, ISR changes, elections
 * and reassignments): the typed request and response of each, as the SDK, the
 * brokers and the Kafka listener build them. The controller parses every body
 * into these before it acts (packages/broker/src/controller/requests.ts).
 */

// ---------------------------------------------------------------- Topics admin (controller)
export interface CreatableTopic {
  name: string
  numPartitions: number
  replicationFactor: number
  configs?: Record<string, string>
  /** optional manual placement: assignments[p] = replica node ids */
  assignments?: number[][] | null
  /** set by brokers creating internal topics (names starting with "__", e.g. __consumer_offsets) */
  internal?: boolean
}
export interface CreateTopicsRequest { topics: CreatableTopic[]; timeoutMs: number; validateOnly?: boolean }
export interface CreateTopicsResponse {
  topics: Array<{ name: string; topicId: string | null; errorCode: number; errorMessage?: string | null; numPartitions: number; replicationFactor: number }>
}
/** validateOnly: Tributary's extension (Kafka's DeleteTopics has none): authorize and check, delete nothing. */
export interface DeleteTopicsRequest { topics: string[]; timeoutMs: number; validateOnly?: boolean }
export interface DeleteTopicsResponse { topics: Array<{ name: string; errorCode: number; errorMessage?: string | null }> }
export interface CreatePartitionsRequest { topics: Array<{ name: string; count: number }>; timeoutMs: number; validateOnly?: boolean }
export interface CreatePartitionsResponse { topics: Array<{ name: string; errorCode: number; errorMessage?: string | null }> }

export type ConfigResourceType = 'topic' | 'broker'
export interface DescribeConfigsRequest { resources: Array<{ type: ConfigResourceType; name: string; names?: string[] | null }> }
/**
 * source, as Kafka's ConfigSource: 'topic' a topic's own setting, 'dynamic-broker' a
 * broker's dynamic setting, 'dynamic-default-broker' the cluster-wide dynamic
 * setting, 'broker' a broker's static flag, 'default' the built-in default.
 */
export interface ConfigEntry { name: string; value: string | null; isDefault: boolean; readOnly: boolean; source: 'topic' | 'dynamic-broker' | 'dynamic-default-broker' | 'broker' | 'default' }
export interface DescribeConfigsResponse {
  resources: Array<{ type: ConfigResourceType; name: string; errorCode: number; errorMessage?: string | null; configs: ConfigEntry[] }>
}
/** Incremental, like Kafka's IncrementalAlterConfigs. */
export interface AlterConfigsRequest {
  resources: Array<{ type: ConfigResourceType; name: string; configs: Array<{ name: string; op: 'set' | 'delete'; value?: string | null }> }>
  validateOnly?: boolean
}
export interface AlterConfigsResponse { resources: Array<{ type: ConfigResourceType; name: string; errorCode: number; errorMessage?: string | null }> }

// ---------------------------------------------------------------- Broker lifecycle (broker -> controller)
/** endpoints: the node's named client listeners (name → advertised ws:// URL); clients of listener N are told endpoints[N]. */
export interface BrokerRegistrationRequest { nodeId: number; endpoint: string; endpoints?: Record<string, string>; incarnationId: string; rack?: string | null }
export interface BrokerRegistrationResponse { brokerEpoch: number }
export interface BrokerHeartbeatRequest {
  nodeId: number
  brokerEpoch: number
  /** the last metadata log index this broker has applied */
  currentMetadataOffset: number
  wantFence: boolean
  /** controlled shutdown: move leadership away, then fence */
  wantShutdown: boolean
}
export interface BrokerHeartbeatResponse { isCaughtUp: boolean; isFenced: boolean; shouldShutdown: boolean }
export interface UnregisterBrokerRequest { nodeId: number }
// ---------------------------------------------------------------- Quorum membership (KIP-853, Kafka's shapes without directory ids and listeners)
/** timeoutMs: how long to wait for the change to commit. */
export interface AddRaftVoterRequest { clusterId: string | null; timeoutMs: number; voterId: number }
export interface AddRaftVoterResponse { errorMessage: string | null }
export interface RemoveRaftVoterRequest { clusterId: string | null; voterId: number }
export interface RemoveRaftVoterResponse { errorMessage: string | null }
export type UnregisterBrokerResponse = Record<string, never>

export interface AlterPartitionRequest {
  brokerId: number
  brokerEpoch: number
  topics: Array<{ topicId: string; partitions: Array<{ partition: number; leaderEpoch: number; partitionEpoch: number; newIsr: number[] }> }>
}
export interface AlterPartitionResponse {
  topics: Array<{
    topicId: string
    partitions: Array<{ partition: number; errorCode: number; leader: number; leaderEpoch: number; partitionEpoch: number; isr: number[] }>
  }>
}

// ---------------------------------------------------------------- Elastic cluster (Kafka's shapes, camelCase)
/** Kafka's ElectionType: 0 = preferred (the first replica), 1 = unclean (any live replica of a leaderless partition). */
export const ElectionType = { PREFERRED: 0, UNCLEAN: 1 } as const
export type ElectionType = (typeof ElectionType)[keyof typeof ElectionType]
/** topicPartitions null: every partition (then only partitions whose election was tried and not needless are answered). */
export interface ElectLeadersRequest { electionType: ElectionType; topicPartitions: Array<{ topic: string; partitions: number[] }> | null; timeoutMs: number }
export interface ElectLeadersResponse {
  replicaElectionResults: Array<{ topic: string; partitionResult: Array<{ partitionId: number; errorCode: number; errorMessage: string | null }> }>
}
/** replicas null cancels the partition's reassignment (the original replicas come back). */
export interface AlterPartitionReassignmentsRequest {
  timeoutMs: number
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; replicas: number[] | null }> }>
}
export interface AlterPartitionReassignmentsResponse {
  errorCode: number
  errorMessage: string | null
  responses: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number; errorMessage: string | null }> }>
}
/** topics null: every reassignment in progress. */
export interface ListPartitionReassignmentsRequest { timeoutMs: number; topics: Array<{ name: string; partitionIndexes: number[] }> | null }
export interface OngoingPartitionReassignment { partitionIndex: number; replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }
export interface ListPartitionReassignmentsResponse {
  errorCode: number
  errorMessage: string | null
  topics: Array<{ name: string; partitions: OngoingPartitionReassignment[] }>
}
