/**
 * Who may unregister a broker (UnregisterBroker, 64). A broker may unregister only
 * itself (it never speaks for another: the security contract). An operator — an
 * authenticated principal, with Alter on the cluster when the ACL authorizer is on
 * (authorizer/api-guards.ts), as Kafka's kafka-cluster.sh unregister; on a cluster
 * with no cluster secret or CA, anyone — may unregister a fenced broker only: the
 * controller refuses a live one (`onlyFenced`). An anonymous connection to a secured
 * cluster is refused, as for any cluster-internal API. Checked on the node the request
 * reached, from the connection's identity; a request another broker forwarded was
 * checked there, and only a broker's connection is believed about that.
 */
import { ErrorCode } from '@tributary/protocol'
import type { HandlerResult, RequestContext } from '../seams.js'

export type UnregisterAccess = { ok: true; body: Record<string, unknown> } | { ok: false; refusal: HandlerResult }

export function unregisterAccess(body: any, ctx: RequestContext): UnregisterAccess {
  const broker = ctx.session?.brokerId
  const request = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {}
  if (broker !== undefined) {
    if (request.forwardedBy !== undefined || request.nodeId === broker) return { ok: true, body: request }
    return { ok: false, refusal: { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, body: { errorMessage: `broker ${broker} may unregister only itself, not ${String(request.nodeId)}` } } }
  }
  if (!ctx.session?.authenticated && !ctx.clusterAccess) {
    return { ok: false, refusal: { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, body: { errorMessage: 'unregistering a broker needs an authenticated principal (Alter on the cluster); a broker may unregister only itself' } } }
  }
  // Whatever the client sent, an operator's request is for a fenced broker only.
  return { ok: true, body: { ...request, onlyFenced: true } }
}
