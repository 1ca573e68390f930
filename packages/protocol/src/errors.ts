/**
 * The one numbered error table. Codes are Kafka's where Kafka has the concept,
 * so a Kafka user reading a code recognises it. `retriable` tells a client whether
 * the same request may succeed later (usually after a metadata refresh).
 */
export const ErrorCode = {
  UNKNOWN_SERVER_ERROR: -1,
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  INVALID_FETCH_SIZE: 4,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  BROKER_NOT_AVAILABLE: 8,
  REPLICA_NOT_AVAILABLE: 9,
  MESSAGE_TOO_LARGE: 10,
  NETWORK_EXCEPTION: 13,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  INVALID_TOPIC_EXCEPTION: 17,
  RECORD_LIST_TOO_LARGE: 18,
  NOT_ENOUGH_REPLICAS: 19,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 20,
  INVALID_REQUIRED_ACKS: 21,
  ILLEGAL_GENERATION: 22,
  /** A classic group's members share no protocol, or a group id is used by both a classic and a consumer-protocol group. */
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  /** A classic group is rebalancing: the member must (re)join. */
  REBALANCE_IN_PROGRESS: 27,
  TOPIC_AUTHORIZATION_FAILED: 29,
  GROUP_AUTHORIZATION_FAILED: 30,
  /** A cluster-internal API from a connection that did not authenticate as a broker of this cluster. */
  CLUSTER_AUTHORIZATION_FAILED: 31,
  INVALID_TIMESTAMP: 32,
  UNSUPPORTED_SASL_MECHANISM: 33,
  /** A SASL request out of order (SaslAuthenticate before SaslHandshake, a second handshake mid-exchange). */
  ILLEGAL_SASL_STATE: 34,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  INVALID_REPLICA_ASSIGNMENT: 39,
  INVALID_CONFIG: 40,
  NOT_CONTROLLER: 41,
  INVALID_REQUEST: 42,
  POLICY_VIOLATION: 44,
  /** The ACL APIs on a cluster started without `--authorizer acl`. */
  SECURITY_DISABLED: 54,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_PRODUCER_EPOCH: 47,
  KAFKA_STORAGE_ERROR: 56,
  /** Bad credentials (the same message for an unknown user and a wrong password), or a request before authentication. */
  SASL_AUTHENTICATION_FAILED: 58,
  UNKNOWN_PRODUCER_ID: 59,
  NON_EMPTY_GROUP: 68,
  GROUP_ID_NOT_FOUND: 69,
  /** Fetch: the incremental fetch session named is not (or no longer) cached: send a full fetch (KIP-227). */
  FETCH_SESSION_ID_NOT_FOUND: 70,
  /** Fetch: the session's epoch is not the one the broker expects next: send a full fetch (KIP-227). */
  INVALID_FETCH_SESSION_EPOCH: 71,
  FENCED_LEADER_EPOCH: 74,
  UNKNOWN_LEADER_EPOCH: 75,
  /** A record batch's compression codec (attributes bits 0-2) is not one Kafka defines. */
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  STALE_BROKER_EPOCH: 77,
  OFFSET_NOT_AVAILABLE: 78,
  /** JoinGroup v4+ without a member id: here is one, join again with it (KIP-394). */
  MEMBER_ID_REQUIRED: 79,
  PREFERRED_LEADER_NOT_AVAILABLE: 80,
  /** A static member (group.instance.id) whose place a newer member with the same instance id took (KIP-345): a zombie. */
  FENCED_INSTANCE_ID: 82,
  GROUP_MAX_SIZE_REACHED: 81,
  /** ElectLeaders: no replica that may lead (live, in the ISR) exists for this election. */
  ELIGIBLE_LEADERS_NOT_AVAILABLE: 83,
  /** ElectLeaders: the partition already has the leader this election would pick. */
  ELECTION_NOT_NEEDED: 84,
  /** AlterPartitionReassignments: a cancel named a partition that is not being reassigned. */
  NO_REASSIGNMENT_IN_PROGRESS: 85,
  /** OffsetDelete: the group is active and subscribed to this topic; its members still consume it. */
  GROUP_SUBSCRIBED_TO_TOPIC: 86,
  /** A record the broker refuses on its own merits (e.g. no key on a compacted topic); resending it fails again. */
  INVALID_RECORD: 87,
  /** A named resource (a user's credential) does not exist. */
  RESOURCE_NOT_FOUND: 91,
  /** One request names a resource (a user) twice. */
  DUPLICATE_RESOURCE: 92,
  /** A SCRAM credential Kafka's rules refuse: empty name, iterations outside 4096..16384, bad salt. */
  UNACCEPTABLE_CREDENTIAL: 93,
  INVALID_UPDATE_VERSION: 95,
  UNKNOWN_TOPIC_ID: 100,
  BROKER_ID_NOT_REGISTERED: 102,
  INELIGIBLE_REPLICA: 107,
  NEW_LEADER_ELECTED: 108,
  FENCED_MEMBER_EPOCH: 110,
  UNRELEASED_INSTANCE_ID: 111,
  UNSUPPORTED_ASSIGNOR: 112,
  STALE_MEMBER_EPOCH: 113,
  /** AddRaftVoter: the node is a voter already. */
  DUPLICATE_VOTER: 126,
  /** RemoveRaftVoter: the node is not a voter. */
  VOTER_NOT_FOUND: 127,
  /** Tributary: the connection has more requests in flight than the broker allows. */
  TOO_MANY_IN_FLIGHT: 1000,
  /**
   * Tributary, client side only (never on the wire): the client, producer or consumer
   * was closed. Not retriable: asking the same closed object again can never succeed.
   */
  CLIENT_CLOSED: 1001,
} as const

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

const RETRIABLE = new Set<number>([
  ErrorCode.CORRUPT_MESSAGE, // Kafka marks it retriable: a bit flip in transit may not repeat.
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, // metadata may not have propagated yet
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.BROKER_NOT_AVAILABLE,
  ErrorCode.REPLICA_NOT_AVAILABLE,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  ErrorCode.NOT_CONTROLLER,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.OFFSET_NOT_AVAILABLE,
  ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE,
  ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE,
  ErrorCode.UNKNOWN_TOPIC_ID,
  ErrorCode.NEW_LEADER_ELECTED,
  ErrorCode.STALE_MEMBER_EPOCH,
  ErrorCode.TOO_MANY_IN_FLIGHT,
  ErrorCode.FETCH_SESSION_ID_NOT_FOUND,
  ErrorCode.INVALID_FETCH_SESSION_EPOCH,
])

const NAMES = new Map<number, string>(Object.entries(ErrorCode).map(([name, code]) => [code, name]))

export function errorName(code: number): string {
  return NAMES.get(code) ?? `UNKNOWN_ERROR_${code}`
}

export function isRetriable(code: number): boolean {
  return RETRIABLE.has(code)
}

/** An error that crossed (or will cross) the protocol edge: it has a code. */
export class TributaryError extends Error {
  readonly code: number
  readonly retriable: boolean
  readonly type: string
  constructor(code: number, message?: string, options?: { cause?: unknown }) {
    super(message ? `${errorName(code)}: ${message}` : errorName(code), options)
    this.name = 'TributaryError'
    this.code = code
    this.type = errorName(code)
    this.retriable = isRetriable(code)
  }
}

/** A Result for decoders at the protocol edge: bad input is a value, not a throw. */
export type Result<T> = { ok: true; value: T } | { ok: false; code: number; message: string }

export const ok = <T>(value: T): Result<T> => ({ ok: true, value })
export const fail = <T = never>(code: number, message: string): Result<T> => ({ ok: false, code, message })
