/**
 * What the request handlers and the follower fetchers need from the replica
 * manager: hosted partitions by name, the leader hint for partitions led
 * elsewhere, and this broker's standing. Keeps handlers free of the manager's
 * metadata plumbing.
 */
import type { RateLimitedLog } from '../log-limit.js'
import type { Clock, PeerClients } from '../seams.js'
import type { ReplicaConfig } from './config.js'
import type { FetchSessionCache } from './fetch-session-cache.js'
import type { PartLogger } from '../seams.js'
import type { Partition } from './partition.js'
import type { ReassignmentThrottle } from './reassignment-throttle.js'

export interface LeaderHint {
  leaderId: number
  leaderEpoch: number
}

export interface ReplicaHost {
  readonly nodeId: number
  readonly clock: Clock
  readonly config: Required<ReplicaConfig>
  readonly peers: PeerClients
  readonly logger: PartLogger
  /** For conditions that repeat under load: one line per cause per interval. */
  readonly limitedLog: RateLimitedLog
  /** The local replica, if this broker hosts it. */
  partition(topic: string, partition: number): Partition | undefined
  /** Why a partition is not served here: UNKNOWN_TOPIC_OR_PARTITION or NOT_LEADER_OR_FOLLOWER with who leads. */
  notServed(topic: string, partition: number): { errorCode: number; currentLeader: LeaderHint | null }
  /** This broker's epoch (sent in follower fetches), -1 before registration. */
  brokerEpoch(): number
  /** True when this broker may not lead (fenced, or not registered). */
  isFenced(): boolean
  /** Bounds what this broker's adding replicas fetch (reassignment-throttle.ts). */
  readonly followerThrottle: ReassignmentThrottle
  /** Bounds what this broker, as leader, sends to replicas being added. */
  readonly leaderThrottle: ReassignmentThrottle
  /** True while broker `replicaId`'s replica of the partition is being added by a reassignment (so throttled). */
  isAddingReplica(topic: string, partition: number, replicaId: number): boolean
  /** Incremental fetch sessions of the fetchers reading from this broker (node-wide bound). */
  readonly fetchSessions: FetchSessionCache
}
