/**
 * The refusal every cluster-internal request gets from a connection without
 * cluster access (RequestContext.clusterAccess): CLUSTER_AUTHORIZATION_FAILED,
 * before anything is read or applied. The server counts and logs it (once per
 * connection); handlers whose internal-ness depends on the body call these.
 */
import { ErrorCode } from '@tributary/protocol'
import type { HandlerResult } from '../seams.js'

export function clusterAuthorizationFailed(what: string): HandlerResult {
  return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, body: { errorMessage: `${what} is served only to brokers of this cluster` } }
}

/** Follower (replicaId >= 0) and debug (replicaId -2) reads: only brokers read as a replica. */
export function replicaReadRefused(api: string, replicaId: number): HandlerResult {
  return clusterAuthorizationFailed(`${api} with replicaId ${replicaId}`)
}
