/**
 * The group APIs at the protocol edge: parse, call the coordinator, shape the
 * answer. A request-level error goes in the envelope's errorCode with
 * `{ errorMessage }`; per-partition and per-group errors go in the body (and
 * in the envelope too when every group hit the same coordinator-routing error).
 */
import { ApiKey, ErrorCode, type DeleteGroupsResponse, type DescribeGroupsResponse, type Result } from '@tributary/protocol'
import type { HandlerRegistry, HandlerResult, RequestContext } from '../seams.js'
import { listenerOf } from '../net/listeners.js'
import type { GroupCoordinatorCore } from './coordinator.js'
import { parseClassicHeartbeat, parseJoinGroup, parseLeaveGroup, parseSyncGroup } from './classic-requests.js'
import { isBody, parseGroupIds, parseHeartbeat, parseOffsetCommit, parseOffsetFetch, parseStatesFilter } from './requests.js'
import type { ResolvedGroupConfig } from './types.js'
import { parseOffsetDelete } from './offset-delete.js'

const ROUTING_ERRORS = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS])

/**
 * Per-group answers; when every group failed with the same routing error the
 * envelope carries it too, so a client retries (finds the coordinator again)
 * as it would for any other coordinator request.
 */
function perGroup(codes: number[], body: unknown): HandlerResult {
  const first = codes[0]
  const shared = first !== undefined && ROUTING_ERRORS.has(first) && codes.every((c) => c === first)
  return { errorCode: shared ? first : ErrorCode.NONE, body }
}

function reply<T>(r: Result<T>): HandlerResult {
  return r.ok ? { errorCode: ErrorCode.NONE, body: r.value } : { errorCode: r.code, body: { errorMessage: r.message } }
}

export function registerGroupHandlers(
  registry: HandlerRegistry, core: GroupCoordinatorCore, cfg: ResolvedGroupConfig,
  /** With an authorizer: the topics a connection's principal may Read (for regex subscriptions). */
  topicAccess?: (ctx: RequestContext) => (topic: string) => boolean,
): void {
  registry.register(ApiKey.FindCoordinator, (body, ctx) => {
    if (!isBody(body) || typeof body.key !== 'string') return reply({ ok: false, code: ErrorCode.INVALID_REQUEST, message: 'key must be a string' })
    if (body.keyType !== undefined && body.keyType !== 0) {
      return reply({ ok: false, code: ErrorCode.INVALID_REQUEST, message: 'only keyType 0 (group) is supported' })
    }
    const r = core.findCoordinator(body.key, listenerOf(ctx))
    return r.ok ? reply(r) : { errorCode: r.code, body: { errorMessage: r.message, nodeId: -1, endpoint: '' } }
  })

  registry.register(ApiKey.ConsumerGroupHeartbeat, async (body, ctx) => {
    const req = parseHeartbeat(body, cfg)
    if (!req.ok) return reply(req)
    return reply(await core.heartbeat(req.value.groupId, topicAccess ? { ...req.value.input, canRead: topicAccess(ctx) } : req.value.input))
  })

  registerClassicHandlers(registry, core, cfg)

  registry.register(ApiKey.OffsetCommit, async (body) => {
    const req = parseOffsetCommit(body)
    if (!req.ok) return reply(req)
    return core.commitOffsets(req.value.groupId, req.value.input)
  })

  registry.register(ApiKey.OffsetFetch, (body) => {
    const req = parseOffsetFetch(body)
    if (!req.ok) return reply(req)
    return reply(core.fetchOffsets(req.value.groupId, req.value.input))
  })

  registry.register(ApiKey.ListGroups, (body) => {
    const f = parseStatesFilter(body)
    if (!f.ok) return reply(f)
    return { errorCode: ErrorCode.NONE, body: core.listGroups(f.value) }
  })

  registry.register(ApiKey.DescribeGroups, (body) => {
    const ids = parseGroupIds(body)
    if (!ids.ok) return reply(ids)
    const response: DescribeGroupsResponse = { groups: ids.value.map((id) => core.describeGroup(id)) }
    return perGroup(response.groups.map((g) => g.errorCode), response)
  })

  registry.register(ApiKey.DeleteGroups, async (body) => {
    const ids = parseGroupIds(body)
    if (!ids.ok) return reply(ids)
    const codes = await Promise.all(ids.value.map((id) => core.deleteGroup(id)))
    const response: DeleteGroupsResponse = { results: ids.value.map((groupId, i) => ({ groupId, errorCode: codes[i] })) }
    return perGroup(codes, response)
  })

  registry.register(ApiKey.OffsetDelete, async (body) => {
    const req = parseOffsetDelete(body)
    return reply(req.ok ? await core.deleteOffsets(req.value.groupId, req.value.topics) : req)
  })
}

/** JoinGroup, SyncGroup, Heartbeat, LeaveGroup (classic-coordinator.ts). */
function registerClassicHandlers(registry: HandlerRegistry, core: GroupCoordinatorCore, cfg: ResolvedGroupConfig): void {
  registry.register(ApiKey.JoinGroup, async (body, ctx) => {
    const req = parseJoinGroup(body, cfg)
    if (!req.ok) return reply(req)
    const r = await core.classic.join(req.value, ctx.remoteAddress)
    // MEMBER_ID_REQUIRED carries the id to join again with.
    return r.ok ? reply(r) : { errorCode: r.code, body: { errorMessage: r.message, ...(r.memberId ? { memberId: r.memberId } : {}) } }
  })
  registry.register(ApiKey.SyncGroup, async (body) => {
    const req = parseSyncGroup(body)
    return reply(req.ok ? await core.classic.sync(req.value) : req)
  })
  registry.register(ApiKey.Heartbeat, (body) => {
    const req = parseClassicHeartbeat(body)
    return reply(req.ok ? core.classic.heartbeat(req.value.groupId, req.value.memberId, req.value.generationId, req.value.groupInstanceId) : req)
  })
  registry.register(ApiKey.LeaveGroup, (body) => {
    const req = parseLeaveGroup(body)
    return reply(req.ok ? core.classic.leave(req.value.groupId, req.value.members) : req)
  })
}
