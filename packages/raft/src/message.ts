import { decodeVoters } from './membership.js'
import type { Entry, Snapshot } from './types.js'

/**
 * RaftMessage: one flat, plain object per message, every field always present except
 * `snapshot`. Fields hold numbers, strings, Uint8Arrays and (for `entries` and
 * `snapshot`) arrays/objects of the same, so the broker msgpack-encodes it as-is.
 *
 * Field meaning by type:
 *   PreVote/Vote        term = proposed term, index/logTerm = candidate's last entry, transfer = 1 if
 *                       the campaign is a leadership transfer (overrides the leader lease)
 *   PreVoteResp/VoteResp reject = 0 granted / 1 refused
 *   App                 index/logTerm = entry preceding `entries`, commit = leader commit
 *   AppResp             accepted: index = last index now matching the leader.
 *                       rejected: index = the App's index, hint/logTerm = where the follower's log
 *                       could match (fast back-off)
 *   Heartbeat           commit = min(leader commit, follower match), ctx = latest pending read ctx
 *   HeartbeatResp       ctx echoed; reject = 1: the sender never votes (RaftConfig.canVote false)
 *   Snap                snapshot = the leader's snapshot (install it, answered by AppResp)
 *   TimeoutNow          leadership transfer: campaign now
 *   ReadIndex           follower -> leader: confirm a read for ctx
 *   ReadIndexResp       leader -> follower: index = read index for ctx
 *   ObserverHello       observer -> every voter: "I exist, replicate to me" (see README); hint = 0;
 *                       reject = 1: it never votes (RaftConfig.canVote false).
 *                       A non-leader passes it on to its leader with hint = the observer's id.
 */
export const MessageType = {
  PreVote: 'PreVote',
  PreVoteResp: 'PreVoteResp',
  Vote: 'Vote',
  VoteResp: 'VoteResp',
  App: 'App',
  AppResp: 'AppResp',
  Heartbeat: 'Heartbeat',
  HeartbeatResp: 'HeartbeatResp',
  Snap: 'Snap',
  TimeoutNow: 'TimeoutNow',
  ReadIndex: 'ReadIndex',
  ReadIndexResp: 'ReadIndexResp',
  ObserverHello: 'ObserverHello',
} as const

export type MessageType = (typeof MessageType)[keyof typeof MessageType]

export interface RaftMessage {
  type: MessageType
  from: number
  to: number
  term: number
  logTerm: number
  index: number
  commit: number
  /** 0 or 1 (numbers, not booleans, to keep the wire shape plain). */
  reject: number
  hint: number
  /** 0 or 1: this vote request comes from a leadership transfer. */
  transfer: number
  entries: Entry[]
  ctx: Uint8Array
  snapshot?: Snapshot
}

const EMPTY = new Uint8Array(0)
const NO_ENTRIES: Entry[] = []

export function makeMessage(
  type: MessageType,
  from: number,
  to: number,
  term: number,
  fields: Partial<Omit<RaftMessage, 'type' | 'from' | 'to' | 'term'>> = {},
): RaftMessage {
  const m: RaftMessage = {
    type,
    from,
    to,
    term,
    logTerm: fields.logTerm ?? 0,
    index: fields.index ?? 0,
    commit: fields.commit ?? 0,
    reject: fields.reject ?? 0,
    hint: fields.hint ?? 0,
    transfer: fields.transfer ?? 0,
    entries: fields.entries ?? NO_ENTRIES,
    ctx: fields.ctx ?? EMPTY,
  }
  if (fields.snapshot) m.snapshot = fields.snapshot
  return m
}

const TYPES = new Set<string>(Object.values(MessageType))
const ENTRY_TYPES = new Set<string>(['normal', 'noop', 'config'])

// Builtins held in module scope: validation runs per message, and global lookups are
// slow inside vm contexts (jest), which is where the simulator's seed loop runs.
const { isSafeInteger } = Number
const { isArray } = Array
const Bytes = Uint8Array
const isIndex = (v: unknown): v is number => typeof v === 'number' && isSafeInteger(v) && v >= 0
const isFlag = (v: unknown): boolean => v === 0 || v === 1
const isBytes = (v: unknown): v is Uint8Array => v instanceof Bytes
const INDEX_FIELDS = ['from', 'to', 'term', 'logTerm', 'index', 'commit', 'hint'] as const

/**
 * Shape check for anything that arrives from the network. Returns a reason string
 * for a malformed message, undefined if the shape is right. Semantic checks that
 * need the node's state happen in RaftNode.step.
 */
export function malformedReason(m: unknown, maxEntries: number): string | undefined {
  if (typeof m !== 'object' || m === null) return 'not an object'
  const r = m as Record<string, unknown>
  if (typeof r.type !== 'string' || !TYPES.has(r.type)) return `unknown type ${String(r.type)}`
  for (const f of INDEX_FIELDS) {
    if (!isIndex(r[f])) return `${f} is not a non-negative safe integer`
  }
  if ((r.from as number) === 0 || (r.to as number) === 0) return 'node ids are positive'
  if (!isFlag(r.reject) || !isFlag(r.transfer)) return 'reject/transfer must be 0 or 1'
  if (!isBytes(r.ctx)) return 'ctx is not bytes'
  if (!isArray(r.entries)) return 'entries is not an array'
  if (r.entries.length > maxEntries) return `more than ${maxEntries} entries`
  for (const e of r.entries as unknown[]) {
    const reason = malformedEntry(e)
    if (reason) return reason
  }
  if (r.snapshot !== undefined) {
    const reason = malformedSnapshot(r.snapshot)
    if (reason) return reason
  }
  if (r.type === MessageType.Snap && r.snapshot === undefined) return 'Snap without snapshot'
  return undefined
}

function malformedEntry(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return 'entry is not an object'
  const r = e as Record<string, unknown>
  if (!isIndex(r.index) || r.index === 0) return 'entry index must be a positive integer'
  if (!isIndex(r.term) || r.term === 0) return 'entry term must be a positive integer'
  if (typeof r.type !== 'string' || !ENTRY_TYPES.has(r.type)) return 'entry type unknown'
  if (!isBytes(r.data)) return 'entry data is not bytes'
  if (r.type === 'config' && decodeVoters(r.data) === undefined) return 'config entry does not hold a voter set'
  return undefined
}

export function malformedSnapshot(s: unknown): string | undefined {
  if (typeof s !== 'object' || s === null) return 'snapshot is not an object'
  const r = s as Record<string, unknown>
  if (!isIndex(r.index) || !isIndex(r.term)) return 'snapshot index/term must be non-negative integers'
  if (!isBytes(r.data)) return 'snapshot data is not bytes'
  for (const f of ['voters', 'observers'] as const) {
    const ids = r[f]
    if (!isArray(ids) || !ids.every((v) => isIndex(v) && v > 0)) return `snapshot ${f} must be positive ids`
  }
  return undefined
}
