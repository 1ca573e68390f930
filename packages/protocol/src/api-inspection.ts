/**
 * Looking at a cluster: the Raft quorum (DescribeQuorum), registered brokers
 * (DescribeCluster), the idempotent producers a leader remembers
 * (DescribeProducers), the metadata log, image and snapshots, and the Raft
 * transport's frame.
 */
import type { BrokerInfo } from './api.js'

// ---------------------------------------------------------------- Quorum / cluster inspection
export interface QuorumReplicaState { nodeId: number; logEndOffset: number; lastFetchTimestamp: number; lastCaughtUpTimestamp: number }
export type DescribeQuorumRequest = Record<string, never>
export interface DescribeQuorumResponse {
  clusterId: string | null
  leaderId: number
  leaderEpoch: number
  highWatermark: number
  voters: QuorumReplicaState[]
  observers: QuorumReplicaState[]
  /** each voter's primary listener (the address the quorum reaches it at), from its registration; a voter not registered has none */
  voterEndpoints?: Array<{ nodeId: number; endpoint: string }>
}
/** The leader's idempotent producer state per partition; no transactions, so no coordinator epoch or open transaction. */
export interface DescribeProducersRequest { topics: Array<{ topic: string; partitions: number[] }> }
export interface ProducerStateDescription { producerId: number; producerEpoch: number; lastSequence: number; lastTimestamp: number }
export interface DescribeProducersResponse {
  topics: Array<{ topic: string; partitions: Array<{ partition: number; errorCode: number; errorMessage?: string | null; activeProducers: ProducerStateDescription[] }> }>
}
export type DescribeClusterRequest = Record<string, never>
export interface DescribeClusterResponse {
  clusterId: string | null
  controllerId: number
  brokers: Array<BrokerInfo & { brokerEpoch: number; lastHeartbeatAgeMs: number | null; incarnationId: string }>
}
export interface MetadataLogRequest { fromIndex: number; maxRecords: number }
export interface MetadataLogEntry { index: number; term: number; type: string; record: unknown }
export interface MetadataLogResponse { logStartIndex: number; commitIndex: number; entries: MetadataLogEntry[] }
export type MetadataImageRequest = Record<string, never>
export interface MetadataImageResponse { offset: number; image: unknown }
export type MetadataSnapshotsRequest = Record<string, never>
export interface MetadataSnapshotsResponse { snapshots: Array<{ index: number; term: number; bytes: number }> }

/** Raft traffic: the messages are the raft package's RaftMessage objects, msgpack-encoded as they are. */
export interface RaftRequest { from: number; clusterId?: string | null; messages: unknown[] }
export type RaftResponse = Record<string, never>
