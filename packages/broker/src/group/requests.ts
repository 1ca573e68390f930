/**
 * Untrusted request bodies → typed inputs. Everything a client sends is
 * checked here (types, ranges, sizes); a bad field is an error value with a
 * code, never an exception.
 */
import { ErrorCode, fail, isInt, ok, topicRegexProblem, type Result } from '@tributary/protocol'
import type { HeartbeatInput } from './heartbeat.js'
import { anchored } from './group-state.js'
import type { CommitInput, FetchInput } from './offsets.js'
import { fromWire } from './topic-partitions.js'
import type { ResolvedGroupConfig } from './types.js'

export const GROUP_ID_CHARS_MAX = 1024
export const MEMBER_ID_CHARS_MAX = 1024
export const TOPIC_NAME_CHARS_MAX = 249
export const REGEX_CHARS_MAX = 1024
export const SUBSCRIBED_TOPICS_MAX = 10_000
export const PARTITIONS_PER_REQUEST_MAX = 100_000
export const GROUPS_PER_REQUEST_MAX = 10_000

/** A request body as it arrives: a map, not checked yet. */
export type Body = Record<string, unknown>

/** The answer to a body of the wrong shape. */
export const invalid = <T>(message: string): Result<T> => fail(ErrorCode.INVALID_REQUEST, message)

export function isBody(v: unknown): v is Body {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

export function parseGroupId(v: unknown): Result<string> {
  if (typeof v !== 'string' || v.length === 0 || v.length > GROUP_ID_CHARS_MAX) {
    return fail(ErrorCode.INVALID_GROUP_ID, `groupId must be a non-empty string of at most ${GROUP_ID_CHARS_MAX} characters`)
  }
  return ok(v)
}

function optionalString(v: unknown, name: string, maxChars: number): Result<string | null> {
  if (v === undefined || v === null) return ok(null)
  if (typeof v !== 'string' || v.length > maxChars) return invalid(`${name} must be a string of at most ${maxChars} characters`)
  return ok(v)
}

function clamp(v: unknown, fallback: number, min: number, max: number): number {
  const n = isInt(v) && (v as number) > 0 ? (v as number) : fallback
  return Math.min(max, Math.max(min, n))
}

export function parseHeartbeat(body: unknown, cfg: ResolvedGroupConfig): Result<{ groupId: string; input: HeartbeatInput }> {
  if (!isBody(body)) return invalid('body must be a map')
  const groupId = parseGroupId(body.groupId)
  if (!groupId.ok) return groupId
  const memberId = optionalString(body.memberId, 'memberId', MEMBER_ID_CHARS_MAX)
  if (!memberId.ok) return memberId
  if (!isInt(body.memberEpoch) || body.memberEpoch < -2) return invalid('memberEpoch must be an integer >= -2')
  const clientId = optionalString(body.clientId, 'clientId', MEMBER_ID_CHARS_MAX)
  if (!clientId.ok) return clientId

  let names: string[] | null = null
  if (body.subscribedTopicNames !== undefined && body.subscribedTopicNames !== null) {
    const v = body.subscribedTopicNames
    if (!Array.isArray(v) || v.length > SUBSCRIBED_TOPICS_MAX || !v.every((t) => typeof t === 'string' && t.length > 0 && t.length <= TOPIC_NAME_CHARS_MAX)) {
      return invalid(`subscribedTopicNames must be at most ${SUBSCRIBED_TOPICS_MAX} topic names`)
    }
    names = v as string[]
  }
  const regex = optionalString(body.subscribedTopicRegex, 'subscribedTopicRegex', REGEX_CHARS_MAX)
  if (!regex.ok) return regex
  if (regex.value) {
    try {
      new RegExp(anchored(regex.value))
    } catch (err) {
      return invalid(`subscribedTopicRegex does not compile: ${(err as Error).message}`)
    }
    const problem = topicRegexProblem(regex.value)
    if (problem !== null) return invalid(`subscribedTopicRegex ${JSON.stringify(regex.value.slice(0, 80))}: ${problem}`)
  }
  let owned = null
  if (body.ownedPartitions !== undefined && body.ownedPartitions !== null) {
    owned = fromWire(body.ownedPartitions, PARTITIONS_PER_REQUEST_MAX)
    if (!owned) return invalid('ownedPartitions must be [{ topic, partitions: [int >= 0] }]')
  }
  return ok({
    groupId: groupId.value,
    input: {
      memberId: memberId.value ?? '',
      memberEpoch: body.memberEpoch,
      clientId: clientId.value ?? '',
      sessionTimeoutMs: clamp(body.sessionTimeoutMs, cfg.sessionTimeoutMsDefault, cfg.sessionTimeoutMsMin, cfg.sessionTimeoutMsMax),
      rebalanceTimeoutMs: clamp(body.rebalanceTimeoutMs, cfg.rebalanceTimeoutMsDefault, cfg.sessionTimeoutMsMin, cfg.rebalanceTimeoutMsMax),
      subscribedTopicNames: names,
      subscribedTopicRegex: regex.value,
      owned,
    },
  })
}

export function parseOffsetCommit(body: unknown): Result<{ groupId: string; input: CommitInput }> {
  if (!isBody(body)) return invalid('body must be a map')
  const groupId = parseGroupId(body.groupId)
  if (!groupId.ok) return groupId
  if (typeof body.memberId !== 'string' || body.memberId.length > MEMBER_ID_CHARS_MAX) return invalid('memberId must be a string')
  if (!isInt(body.memberEpoch)) return invalid('memberEpoch must be an integer')
  if (!Array.isArray(body.topics)) return invalid('topics must be a list')
  const topics: CommitInput['topics'] = []
  let count = 0
  for (const t of body.topics) {
    if (!isBody(t) || typeof t.topic !== 'string' || !Array.isArray(t.partitions)) return invalid('each topic needs { topic, partitions }')
    const partitions: CommitInput['topics'][number]['partitions'] = []
    for (const p of t.partitions) {
      if (++count > PARTITIONS_PER_REQUEST_MAX) return invalid(`at most ${PARTITIONS_PER_REQUEST_MAX} partitions per commit`)
      if (!isBody(p) || !isInt(p.partition) || p.partition < 0) return invalid('each partition needs an integer partition >= 0')
      if (typeof p.offset !== 'number') return invalid('each partition needs a numeric offset')
      if (p.metadata !== undefined && p.metadata !== null && typeof p.metadata !== 'string') return invalid('metadata must be a string or null')
      const leaderEpoch = isInt(p.leaderEpoch) ? p.leaderEpoch : -1
      partitions.push({ partition: p.partition, offset: p.offset, leaderEpoch, metadata: (p.metadata as string | undefined) ?? null })
    }
    topics.push({ topic: t.topic, partitions })
  }
  return ok({ groupId: groupId.value, input: { memberId: body.memberId, memberEpoch: body.memberEpoch, topics } })
}

export function parseOffsetFetch(body: unknown): Result<{ groupId: string; input: FetchInput }> {
  if (!isBody(body)) return invalid('body must be a map')
  const groupId = parseGroupId(body.groupId)
  if (!groupId.ok) return groupId
  let topics: FetchInput['topics'] = null
  if (body.topics !== null && body.topics !== undefined) {
    if (!Array.isArray(body.topics)) return invalid('topics must be a list or null')
    topics = []
    let count = 0
    for (const t of body.topics) {
      if (!isBody(t) || typeof t.topic !== 'string' || !Array.isArray(t.partitions)) return invalid('each topic needs { topic, partitions }')
      count += t.partitions.length
      if (count > PARTITIONS_PER_REQUEST_MAX) return invalid(`at most ${PARTITIONS_PER_REQUEST_MAX} partitions per fetch`)
      if (!t.partitions.every((p) => isInt(p) && p >= 0)) return invalid('partitions must be integers >= 0')
      topics.push({ topic: t.topic, partitions: t.partitions as number[] })
    }
  }
  const memberId = optionalString(body.memberId, 'memberId', MEMBER_ID_CHARS_MAX)
  if (!memberId.ok) return memberId
  const memberEpoch = isInt(body.memberEpoch) ? body.memberEpoch : -1
  return ok({ groupId: groupId.value, input: { topics, memberId: memberId.value ?? '', memberEpoch } })
}

export function parseGroupIds(body: unknown): Result<string[]> {
  if (!isBody(body) || !Array.isArray(body.groupIds) || body.groupIds.length > GROUPS_PER_REQUEST_MAX) {
    return invalid(`groupIds must be a list of at most ${GROUPS_PER_REQUEST_MAX} group ids`)
  }
  if (!body.groupIds.every((g) => typeof g === 'string')) return invalid('groupIds must be strings')
  return ok(body.groupIds as string[])
}

export function parseStatesFilter(body: unknown): Result<string[]> {
  if (body === undefined || body === null) return ok([])
  if (!isBody(body)) return invalid('body must be a map')
  const f = body.statesFilter
  if (f === undefined || f === null) return ok([])
  if (!Array.isArray(f) || f.length > 16 || !f.every((s) => typeof s === 'string')) return invalid('statesFilter must be a list of state names')
  return ok(f as string[])
}
