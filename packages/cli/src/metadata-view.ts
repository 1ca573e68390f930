/**
 * Pure renderings of the metadata inspection answers (DescribeQuorum,
 * DescribeCluster, MetadataLog, MetadataImage, MetadataSnapshots): the same
 * functions serve the online commands and `--offline`, which rebuilds these
 * shapes from a stopped node's LevelDB.
 */
import type { DescribeClusterResponse, DescribeQuorumResponse, MetadataLogEntry, QuorumReplicaState } from '@tributary/protocol'
import { UsageError } from './errors.js'
import { isoTime } from './io.js'
import { formatKeyValues, formatTable, type Cell } from './table.js'

export interface QuorumStatus {
  ClusterId: string | null
  LeaderId: number
  LeaderEpoch: number
  HighWatermark: number
  MaxFollowerLag: number
  MaxFollowerLagTimeMs: number
  CurrentVoters: number[]
  CurrentObservers: number[]
}

/** Kafka's `kafka-metadata-quorum describe --status` fields, from a DescribeQuorum answer. */
export function quorumStatus(q: DescribeQuorumResponse, nowMs: number): QuorumStatus {
  const leader = q.voters.find((v) => v.nodeId === q.leaderId)
  const leaderLeo = leader?.logEndOffset ?? q.highWatermark
  // No leader (an election, or --offline): follower lag is unknown, not zero.
  const followers = leader ? q.voters.filter((v) => v.nodeId !== q.leaderId) : []
  const unknown = !leader
  const lag = followers.map((f) => Math.max(0, leaderLeo - f.logEndOffset))
  const lagTime = followers.map((f) => (f.lastCaughtUpTimestamp > 0 ? Math.max(0, nowMs - f.lastCaughtUpTimestamp) : -1))
  return {
    ClusterId: q.clusterId,
    LeaderId: q.leaderId,
    LeaderEpoch: q.leaderEpoch,
    HighWatermark: q.highWatermark,
    MaxFollowerLag: unknown ? -1 : lag.length ? Math.max(...lag) : 0,
    MaxFollowerLagTimeMs: unknown ? -1 : lagTime.length ? (lagTime.includes(-1) ? -1 : Math.max(...lagTime)) : 0,
    CurrentVoters: q.voters.map((v) => v.nodeId).sort((a, b) => a - b),
    CurrentObservers: q.observers.map((v) => v.nodeId).sort((a, b) => a - b),
  }
}

/** --json: the same fields, camelCase as every --json key. */
export function quorumStatusJson(s: QuorumStatus): Record<string, unknown> {
  return {
    clusterId: s.ClusterId,
    leaderId: s.LeaderId,
    leaderEpoch: s.LeaderEpoch,
    highWatermark: s.HighWatermark,
    maxFollowerLag: s.MaxFollowerLag,
    maxFollowerLagTimeMs: s.MaxFollowerLagTimeMs,
    currentVoters: s.CurrentVoters,
    currentObservers: s.CurrentObservers,
  }
}

export function renderQuorumStatus(s: QuorumStatus): string {
  return formatKeyValues(Object.entries(s).map(([k, v]) => [k, Array.isArray(v) ? `[${v.join(',')}]` : (v as Cell)]))
}

export interface ReplicationRow {
  NodeId: number
  LogEndOffset: number
  Lag: number
  LastFetchTimestamp: number
  LastCaughtUpTimestamp: number
  Status: 'Leader' | 'Follower' | 'Observer'
}

/** Kafka's `describe --replication`: one row per voter (leader first), then observers. */
export function replicationRows(q: DescribeQuorumResponse): ReplicationRow[] {
  const leader = q.voters.find((v) => v.nodeId === q.leaderId)
  const leaderLeo = leader?.logEndOffset ?? q.highWatermark
  const row = (r: QuorumReplicaState, status: ReplicationRow['Status']): ReplicationRow => ({
    NodeId: r.nodeId,
    LogEndOffset: r.logEndOffset,
    Lag: Math.max(0, leaderLeo - r.logEndOffset),
    LastFetchTimestamp: r.lastFetchTimestamp,
    LastCaughtUpTimestamp: r.lastCaughtUpTimestamp,
    Status: status,
  })
  const byId = (a: QuorumReplicaState, b: QuorumReplicaState): number => a.nodeId - b.nodeId
  return [
    ...(leader ? [row(leader, 'Leader')] : []),
    ...q.voters.filter((v) => v !== leader).sort(byId).map((v) => row(v, 'Follower')),
    ...[...q.observers].sort(byId).map((v) => row(v, 'Observer')),
  ]
}

/** --json: camelCase keys, timestamps as ISO-8601 (null when never: -1 offline or before the first fetch). */
export function replicationRowJson(r: ReplicationRow): Record<string, unknown> {
  return {
    nodeId: r.NodeId,
    logEndOffset: r.LogEndOffset,
    lag: r.Lag,
    lastFetchTimestamp: isoTime(r.LastFetchTimestamp),
    lastCaughtUpTimestamp: isoTime(r.LastCaughtUpTimestamp),
    status: r.Status,
  }
}

export function renderRows<T extends object>(rows: T[], columns?: Array<keyof T & string>): string {
  const cols = columns ?? (rows[0] ? (Object.keys(rows[0]) as Array<keyof T & string>) : [])
  return formatTable(cols, rows.map((r) => cols.map((c) => r[c] as Cell)))
}

export interface BrokerRow {
  ID: number
  ENDPOINT: string
  EPOCH: number
  FENCED: boolean
  'LAST-HEARTBEAT': string
  RACK: string | null
  CONTROLLER: boolean
}

/** --json of `metadata brokers`, by node id: the heartbeat age as a number of ms (null when unknown, e.g. --offline). */
export interface BrokerJson {
  nodeId: number
  endpoint: string
  brokerEpoch: number
  fenced: boolean
  lastHeartbeatAgeMs: number | null
  rack: string | null
  controller: boolean
}

export function brokersJson(c: DescribeClusterResponse): BrokerJson[] {
  return [...c.brokers]
    .sort((a, b) => a.nodeId - b.nodeId)
    .map((b) => ({
      nodeId: b.nodeId,
      endpoint: b.endpoint,
      brokerEpoch: b.brokerEpoch,
      fenced: b.fenced,
      lastHeartbeatAgeMs: b.lastHeartbeatAgeMs ?? null,
      rack: b.rack ?? null,
      controller: b.nodeId === c.controllerId,
    }))
}

/** The table of `metadata brokers`: the same brokers, the heartbeat age as text. */
export function brokerRows(c: DescribeClusterResponse): BrokerRow[] {
  return brokersJson(c).map((b) => ({
    ID: b.nodeId, ENDPOINT: b.endpoint, EPOCH: b.brokerEpoch, FENCED: b.fenced,
    'LAST-HEARTBEAT': b.lastHeartbeatAgeMs === null ? '-' : `${b.lastHeartbeatAgeMs}ms ago`,
    RACK: b.rack, CONTROLLER: b.controller,
  }))
}

/** `key=value` pairs of a record's fields, minus type and version (shown in their own columns). */
export function recordFields(record: unknown): string {
  if (record === null || typeof record !== 'object') return JSON.stringify(record)
  return Object.entries(record as Record<string, unknown>)
    .filter(([k]) => k !== 'type' && k !== 'version')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ')
}

/** Column widths of a `metadata log` table: the widest of its entries, at least `min` (a page printed under an earlier header). */
export interface LogWidths { index: number; term: number; type: number }

/** What a `--follow` page sizes its columns to: any index and term a log will reach, the longest record type. */
export const LOG_FOLLOW_WIDTHS: LogWidths = { index: String(10_000_000).length, term: String(10_000).length, type: 'UnregisterBroker'.length }

function logWidths(entries: MetadataLogEntry[], min: Partial<LogWidths>): LogWidths {
  return {
    index: Math.max(5, min.index ?? 0, ...entries.map((e) => String(e.index).length)),
    term: Math.max(4, min.term ?? 0, ...entries.map((e) => String(e.term).length)),
    type: Math.max(4, min.type ?? 0, ...entries.map((e) => e.type.length)),
  }
}

export function logLines(entries: MetadataLogEntry[], min: Partial<LogWidths> = {}): string[] {
  const w = logWidths(entries, min)
  return entries.map((e) => `${String(e.index).padStart(w.index)}  ${String(e.term).padStart(w.term)}  ${e.type.padEnd(w.type)}  ${recordFields(e.record)}`.trimEnd())
}

export function logHeader(entries: MetadataLogEntry[], min: Partial<LogWidths> = {}): string {
  const w = logWidths(entries, min)
  return `${'INDEX'.padStart(w.index)}  ${'TERM'.padStart(w.term)}  ${'TYPE'.padEnd(w.type)}  RECORD`
}

/** Keys that identify an element of an image array, tried in order, for --path. */
const ID_KEYS = ['name', 'nodeId', 'partition', 'topicId'] as const

/** Walk `topics/orders/partitions/0` through the plain image. */
export function selectPath(root: unknown, path: string | undefined): unknown {
  if (!path) return root
  let cur: unknown = root
  const walked: string[] = []
  for (const seg of path.split('/').filter(Boolean)) {
    walked.push(seg)
    if (Array.isArray(cur)) {
      const hit = cur.find((el) => el && typeof el === 'object' && ID_KEYS.some((k) => k in el && String((el as Record<string, unknown>)[k]) === seg))
      if (hit === undefined) throw new UsageError(`--path: nothing at '${walked.join('/')}'`)
      cur = hit
    } else if (cur !== null && typeof cur === 'object' && seg in (cur as object)) {
      cur = (cur as Record<string, unknown>)[seg]
    } else {
      throw new UsageError(`--path: nothing at '${walked.join('/')}'`)
    }
  }
  return cur
}

/** An indented tree: objects as `key:` lines, arrays of identified objects as `name/` branches. */
export function renderTree(value: unknown, indent = ''): string[] {
  if (value === null || typeof value !== 'object') return [`${indent}${scalar(value)}`]
  const lines: string[] = []
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) return [`${indent}[${value.map(scalar).join(', ')}]`]
    for (const [i, el] of value.entries()) {
      const id = el && typeof el === 'object' ? ID_KEYS.map((k) => (el as Record<string, unknown>)[k]).find((v) => v !== undefined) : undefined
      lines.push(`${indent}${id !== undefined ? String(id) : `[${i}]`}`)
      lines.push(...renderTree(el, indent + '  '))
    }
    return lines
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v !== null && typeof v === 'object' && !(Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object'))) {
      const empty = Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0
      lines.push(`${indent}${k}:${empty ? (Array.isArray(v) ? ' []' : ' {}') : ''}`)
      if (!empty) lines.push(...renderTree(v, indent + '  '))
    } else {
      lines.push(`${indent}${k}: ${Array.isArray(v) ? `[${v.map(scalar).join(', ')}]` : scalar(v)}`)
    }
  }
  return lines
}

function scalar(v: unknown): string {
  if (typeof v === 'string') return v
  if (v === undefined) return '-'
  return JSON.stringify(v)
}
