/**
 * The refusal every cluster-internal request gets from a connection without
 * cluster access (RequestContext.clusterAccess): CLUSTER_AUTHORIZATION_FAILED,
 * before anything is read or applied. The server counts and logs it (once per
 * connection); handlers whose internal-ness depends on the body call these.
 */
import { CONSUMER_REPLICA_ID, ErrorCode, type Result } from '@tributary/protocol'
import type { HandlerResult, RequestContext } from '../seams.js'

export function clusterAuthorizationFailed(what: string): HandlerResult {
  return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, body: { errorMessage: `${what} is served only to brokers of this cluster` } }
}

/** Follower (replicaId >= 0) and debug (replicaId -2) reads: only brokers read as a replica. */
export function replicaReadRefused(api: string, replicaId: number): HandlerResult {
  return clusterAuthorizationFailed(`${api} with replicaId ${replicaId}`)
}

/**
 * A read that names a replicaId (Fetch, ListOffsets, OffsetForLeaderEpoch), parsed
 * and checked: anyone reads as a consumer, only brokers as a replica. Either the
 * request, or the answer that refuses it.
 */
export function replicaRead<T extends { replicaId: number }>(api: string, parse: (body: unknown) => Result<T>, body: unknown, ctx: RequestContext): { ok: true; req: T } | { ok: false; answer: HandlerResult } {
  const parsed = parse(body)
  if (!parsed.ok) return { ok: false, answer: { errorCode: parsed.code, body: { errorMessage: parsed.message } } }
  const req = parsed.value
  if (req.replicaId !== CONSUMER_REPLICA_ID && !ctx.clusterAccess) return { ok: false, answer: replicaReadRefused(api, req.replicaId) }
  return { ok: true, req }
}
