/**
 * Bodies of the classic group protocol (Kafka's JoinGroup 11, Heartbeat 12,
 * LeaveGroup 13, SyncGroup 14) in our envelope. Kafka clients reach them through
 * the Kafka listener; the shapes follow Kafka's latest versions, with the
 * protocol metadata and assignments kept as opaque bytes (the leader member
 * computes the assignment client-side; the coordinator only relays it).
 *
 * A failed request carries `{ errorMessage }` plus, for MEMBER_ID_REQUIRED,
 * the `memberId` to join again with (KIP-394).
 */

export interface JoinGroupRequest {
  groupId: string
  /** '' for a new member */
  memberId: string
  groupInstanceId?: string | null
  sessionTimeoutMs: number
  /** -1 or absent: the session timeout (JoinGroup v0) */
  rebalanceTimeoutMs?: number
  protocolType: string
  protocols: Array<{ name: string; metadata: Uint8Array }>
  clientId?: string
  reason?: string | null
  /** true from JoinGroup v4: a new member first gets MEMBER_ID_REQUIRED with its id, then joins with it */
  requireKnownMemberId?: boolean
}
export interface JoinGroupResponse {
  generationId: number
  protocolType: string | null
  protocolName: string | null
  leader: string
  skipAssignment: boolean
  memberId: string
  /** Filled only for the leader: every member with its metadata for the chosen protocol. */
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Uint8Array }>
}

export interface SyncGroupRequest {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId?: string | null
  protocolType?: string | null
  protocolName?: string | null
  /** From the leader: every member's assignment; others send none. */
  assignments: Array<{ memberId: string; assignment: Uint8Array }>
}
export interface SyncGroupResponse { protocolType: string | null; protocolName: string | null; assignment: Uint8Array }

export interface HeartbeatRequest { groupId: string; generationId: number; memberId: string; groupInstanceId?: string | null }
export type HeartbeatResponse = Record<string, never>

export interface LeaveGroupRequest { groupId: string; members: Array<{ memberId: string; groupInstanceId?: string | null; reason?: string | null }> }
export interface LeaveGroupResponse { members: Array<{ memberId: string; groupInstanceId: string | null; errorCode: number }> }

/** Kafka's state names of a classic group: Empty, PreparingRebalance, CompletingRebalance, Stable. */
export type ClassicGroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable'

export interface ClassicGroupDescription { state: ClassicGroupState; protocolType: string; protocolName: string | null }
export interface ClassicMemberDescription { groupInstanceId: string | null; clientHost: string; metadata: Uint8Array; assignment: Uint8Array }
