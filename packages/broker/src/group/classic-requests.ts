/**
 * Untrusted bodies of the classic group APIs (JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup) → typed inputs, checked as requests.ts checks the
 * others: types, sizes, counts; a bad field is an error value with a code.
 */
import { ErrorCode, fail, isInt, ok, type Result } from '@tributary/protocol'
import { invalid, isBody, MEMBER_ID_CHARS_MAX, parseGroupId, type Body } from './requests.js'
import type { ResolvedGroupConfig } from './types.js'

/** A member may offer a few assignors; Kafka clients send 1-3. */
export const PROTOCOLS_PER_JOIN_MAX = 64
export const PROTOCOL_NAME_CHARS_MAX = 256
/** Per member, in one SyncGroup; bounded by the frame anyway. */
export const ASSIGNMENTS_PER_SYNC_MAX = 10_000
export const MEMBERS_PER_LEAVE_MAX = 10_000


function str(v: unknown, name: string, max = MEMBER_ID_CHARS_MAX): Result<string> {
  return typeof v === 'string' && v.length <= max ? ok(v) : invalid(`${name} must be a string of at most ${max} characters`)
}

function nullableStr(v: unknown, name: string, max = MEMBER_ID_CHARS_MAX): Result<string | null> {
  return v === undefined || v === null ? ok(null) : str(v, name, max)
}

function bytes(v: unknown, name: string): Result<Uint8Array> {
  return v instanceof Uint8Array ? ok(v) : invalid(`${name} must be bytes`)
}

/** A list of maps (`count` says how many may come), each through `item`; the first bad one is the answer. */
function listOf<T>(v: unknown, what: string, count: { min: number; max: number }, shape: string, item: (o: Body) => Result<T>): Result<T[]> {
  if (!Array.isArray(v) || v.length < count.min || v.length > count.max) {
    return invalid(`${what} must be a list of ${count.min > 0 ? `${count.min} to ${count.max}` : `at most ${count.max}`}`)
  }
  const out: T[] = []
  for (const x of v) {
    if (!isBody(x)) return invalid(`each ${shape}`)
    const r = item(x)
    if (!r.ok) return r
    out.push(r.value)
  }
  return ok(out)
}

function groupBody(body: unknown): Result<{ body: Body; groupId: string }> {
  if (!isBody(body)) return invalid('body must be a map')
  const groupId = parseGroupId(body.groupId)
  return groupId.ok ? ok({ body, groupId: groupId.value }) : groupId
}

export interface JoinInput {
  groupId: string
  memberId: string
  groupInstanceId: string | null
  clientId: string
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  protocolType: string
  protocols: Array<{ name: string; metadata: Uint8Array }>
  requireKnownMemberId: boolean
}

/** Session timeouts outside the configured bounds are refused (INVALID_SESSION_TIMEOUT), as Kafka does, not clamped. */
export function parseJoinGroup(raw: unknown, cfg: ResolvedGroupConfig): Result<JoinInput> {
  const g = groupBody(raw)
  if (!g.ok) return g
  const { body } = g.value
  const memberId = str(body.memberId, 'memberId')
  if (!memberId.ok) return memberId
  const instance = nullableStr(body.groupInstanceId, 'groupInstanceId')
  if (!instance.ok) return instance
  const clientId = nullableStr(body.clientId, 'clientId')
  if (!clientId.ok) return clientId
  const type = str(body.protocolType, 'protocolType', PROTOCOL_NAME_CHARS_MAX)
  if (!type.ok) return type
  const session = body.sessionTimeoutMs
  if (!isInt(session) || session < cfg.sessionTimeoutMsMin || session > cfg.sessionTimeoutMsMax) {
    return fail(ErrorCode.INVALID_SESSION_TIMEOUT, `sessionTimeoutMs must be within [${cfg.sessionTimeoutMsMin}, ${cfg.sessionTimeoutMsMax}]`)
  }
  const rebalance = isInt(body.rebalanceTimeoutMs) && body.rebalanceTimeoutMs > 0 ? Math.min(body.rebalanceTimeoutMs, cfg.rebalanceTimeoutMsMax) : session
  const protocols = listOf(body.protocols, 'protocols', { min: 0, max: PROTOCOLS_PER_JOIN_MAX }, 'protocol needs { name, metadata }', (p) => {
    const name = str(p.name, 'protocol name', PROTOCOL_NAME_CHARS_MAX)
    const metadata = bytes(p.metadata, 'protocol metadata')
    return !name.ok ? name : !metadata.ok ? metadata : ok({ name: name.value, metadata: metadata.value })
  })
  if (!protocols.ok) return protocols
  return ok({
    groupId: g.value.groupId, memberId: memberId.value, groupInstanceId: instance.value, clientId: clientId.value ?? '',
    sessionTimeoutMs: session, rebalanceTimeoutMs: rebalance, protocolType: type.value, protocols: protocols.value,
    requireKnownMemberId: body.requireKnownMemberId === true,
  })
}

export interface SyncInput {
  groupId: string
  memberId: string
  generationId: number
  protocolType: string | null
  protocolName: string | null
  groupInstanceId: string | null
  assignments: Array<{ memberId: string; assignment: Uint8Array }>
}

export function parseSyncGroup(raw: unknown): Result<SyncInput> {
  const g = groupBody(raw)
  if (!g.ok) return g
  const { body } = g.value
  const memberId = str(body.memberId, 'memberId')
  if (!memberId.ok) return memberId
  if (!isInt(body.generationId)) return invalid('generationId must be an integer')
  const type = nullableStr(body.protocolType, 'protocolType', PROTOCOL_NAME_CHARS_MAX)
  if (!type.ok) return type
  const name = nullableStr(body.protocolName, 'protocolName', PROTOCOL_NAME_CHARS_MAX)
  if (!name.ok) return name
  const instance = nullableStr(body.groupInstanceId, 'groupInstanceId')
  if (!instance.ok) return instance
  const assignments = listOf(body.assignments ?? [], 'assignments', { min: 0, max: ASSIGNMENTS_PER_SYNC_MAX }, 'assignment needs { memberId, assignment }', (a) => {
    const id = str(a.memberId, 'assignment memberId')
    const assignment = bytes(a.assignment, 'assignment')
    return !id.ok ? id : !assignment.ok ? assignment : ok({ memberId: id.value, assignment: assignment.value })
  })
  if (!assignments.ok) return assignments
  return ok({
    groupId: g.value.groupId, memberId: memberId.value, generationId: body.generationId, protocolType: type.value, protocolName: name.value,
    groupInstanceId: instance.value, assignments: assignments.value,
  })
}

export function parseClassicHeartbeat(raw: unknown): Result<{ groupId: string; memberId: string; generationId: number; groupInstanceId: string | null }> {
  const g = groupBody(raw)
  if (!g.ok) return g
  const memberId = str(g.value.body.memberId, 'memberId')
  if (!memberId.ok) return memberId
  if (!isInt(g.value.body.generationId)) return invalid('generationId must be an integer')
  const instance = nullableStr(g.value.body.groupInstanceId, 'groupInstanceId')
  if (!instance.ok) return instance
  return ok({ groupId: g.value.groupId, memberId: memberId.value, generationId: g.value.body.generationId, groupInstanceId: instance.value })
}

export function parseLeaveGroup(raw: unknown): Result<{ groupId: string; members: Array<{ memberId: string; groupInstanceId: string | null }> }> {
  const g = groupBody(raw)
  if (!g.ok) return g
  const members = listOf(g.value.body.members, 'members', { min: 1, max: MEMBERS_PER_LEAVE_MAX }, 'member needs { memberId }', (m) => {
    const id = str(m.memberId, 'memberId')
    const instance = nullableStr(m.groupInstanceId, 'groupInstanceId')
    return !id.ok ? id : !instance.ok ? instance : ok({ memberId: id.value, groupInstanceId: instance.value })
  })
  return members.ok ? ok({ groupId: g.value.groupId, members: members.value }) : members
}
