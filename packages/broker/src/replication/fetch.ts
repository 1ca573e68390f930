/**
 * Fetch, for consumers (replicaId -1: leader only, strictly below the HW),
 * followers (replicaId = their node id: up to the LEO; the fetch offset is the
 * follower's LEO, which moves the HW) and debugging (replicaId -2: any replica, up
 * to its own HW). A fetch that finds less than minBytes parks until a partition it
 * reads fires (followers: new data; consumers: a new HW; both: a role change),
 * maxWaitMs passes, or the connection closes: no polling on a timer. Records go out as the stored bytes.
 * With an incremental fetch session (fetch-session-cache.ts) the request names only
 * what changed, the fetch reads every partition of the session, and the answer lists
 * only the partitions with records, an error or a moved high watermark / log start.
 */
import { ErrorCode, type FetchPartitionRequest, type FetchPartitionResponse, type FetchRequest } from '@tributary/protocol'
import type { HandlerResult, RequestContext } from '../seams.js'
import { TimeSlice } from '../time-slice.js'
import { replicaRead } from '../security/gate.js'
import type { FetchEntry } from './fetch-session-cache.js'
import type { ReplicaHost } from './host.js'
import type { Partition } from './partition.js'
import { parseFetch } from './request-parsing.js'

/** Bytes of records one Fetch response carries at most (plus at most one oversized batch), under the 16 MiB frame. */
export const FETCH_RESPONSE_BYTES_MAX = 12 * 1024 * 1024
/** replicaId of a debugging reader: may read any replica, up to that replica's HW. */
export const DEBUG_REPLICA_ID = -2

const EMPTY = new Uint8Array(0)

type Entry = FetchEntry

interface Pass {
  partitions: Array<FetchPartitionResponse | null>
  bytes: number
  /** an error or a divergence: answer now */
  urgent: boolean
}

interface Watched {
  p: Partition
  version: number
}

/** The signal a fetch parks on: followers wait for data, consumers for the HW (a role change fires both). */
const signalOf = (p: Partition, isFollower: boolean): Partition['dataSignal'] => (isFollower ? p.dataSignal : p.hwSignal)

function watch(host: ReplicaHost, entries: Entry[], isFollower: boolean): Watched[] {
  const out: Watched[] = []
  for (const e of entries) {
    const p = host.partition(e.topic, e.req.partition)
    if (p !== undefined) out.push({ p, version: signalOf(p, isFollower).version })
  }
  return out
}

export async function handleFetch(host: ReplicaHost, body: unknown, ctx: RequestContext): Promise<HandlerResult> {
  const read = replicaRead('Fetch', parseFetch, body, ctx)
  if (!read.ok) return read.answer
  const req = read.req
  if (req.replicaId >= 0 && req.replicaId === host.nodeId) {
    return { errorCode: ErrorCode.INVALID_REQUEST, body: { errorMessage: 'a broker does not fetch from itself' } }
  }
  const resolved = host.fetchSessions.resolve(req, ctx.signal, host.clock.now())
  if (resolved.kind === 'error') return { errorCode: resolved.code, body: { errorMessage: resolved.message } }
  const entries = resolved.entries
  const waitMs = Math.min(req.maxWaitMs, host.config.requestTimeoutMsMax)
  const deadlineMs = host.clock.now() + waitMs
  // Versions are taken before each read, so a firing during the read is not slept through.
  const isFollower = req.replicaId >= 0
  let watched = watch(host, entries, isFollower)
  let pass = await readPass(host, req, entries, true)
  for (;;) {
    const timeLeft = deadlineMs - host.clock.now()
    if (pass.urgent || pass.bytes >= req.minBytes || timeLeft <= 0 || ctx.signal.aborted) break
    const parkedAt = host.clock.now()
    await park(host, isFollower, watched, timeLeft, ctx.signal)
    ctx.parkedMs = (ctx.parkedMs ?? 0) + (host.clock.now() - parkedAt)
    watched = watch(host, entries, isFollower)
    pass = await readPass(host, req, entries, false)
  }
  if (!isFollower) countSent(host, entries, pass.partitions)
  const incremental = resolved.kind === 'session' && !resolved.full
  const sessionId = resolved.kind === 'session' ? resolved.session.id : 0
  return { errorCode: ErrorCode.NONE, body: { sessionId, topics: answer(entries, pass.partitions, incremental) } }
}

/** Whether an incremental answer must carry the partition: it has news for the fetcher. */
function changed(e: Entry, a: FetchPartitionResponse): boolean {
  return a.records.length > 0 || a.errorCode !== ErrorCode.NONE || !!a.divergingEpoch || a.highWatermark !== e.sentHighWatermark || a.logStartOffset !== e.sentLogStartOffset
}

/** The answer grouped by topic (in the entries' order), with the topic's id when the fetcher gave one; incremental answers leave out what did not change. */
function answer(entries: Entry[], flat: Array<FetchPartitionResponse | null>, incremental: boolean): Array<{ topic: string; topicId?: string; partitions: FetchPartitionResponse[] }> {
  const topics = new Map<string, { topic: string; topicId?: string; partitions: FetchPartitionResponse[] }>()
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!
    const a = flat[i]!
    if (incremental && !changed(e, a)) continue
    e.sentHighWatermark = a.highWatermark
    e.sentLogStartOffset = a.logStartOffset
    const t = topics.get(e.topic)
    if (t) t.partitions.push(a)
    else topics.set(e.topic, { topic: e.topic, ...(e.topicId !== undefined ? { topicId: e.topicId } : {}), partitions: [a] })
  }
  return [...topics.values()]
}

/** Consumer reads, for /metrics (followers' copies are replication, not traffic out). */
function countSent(host: ReplicaHost, entries: Entry[], answers: Array<FetchPartitionResponse | null>): void {
  for (let i = 0; i < entries.length; i++) {
    const records = answers[i]?.records
    if (records instanceof Uint8Array && records.length > 0) host.partition(entries[i]!.topic, entries[i]!.req.partition)?.stats.sent(records)
  }
}

function errorEntry(partition: number, errorCode: number, extra: Partial<FetchPartitionResponse> = {}): FetchPartitionResponse {
  return { partition, errorCode, highWatermark: -1, logStartOffset: -1, records: EMPTY, ...extra }
}

/** Who may read this replica, in which epoch; null = go ahead. */
function refuse(host: ReplicaHost, topic: string, fp: FetchPartitionRequest, replicaId: number, p: Partition | undefined): FetchPartitionResponse | null {
  const leaderOnly = replicaId !== DEBUG_REPLICA_ID
  // a fenced broker does not serve as leader: its followers must not copy (or truncate to) a stale log
  if (p === undefined || p.closed || p.role === 'none' || (leaderOnly && (p.role !== 'leader' || host.isFenced()))) {
    const why = host.notServed(topic, fp.partition)
    return errorEntry(fp.partition, why.errorCode, why.currentLeader ? { currentLeader: why.currentLeader } : {})
  }
  if (fp.currentLeaderEpoch >= 0 && fp.currentLeaderEpoch !== p.leaderEpoch) {
    const code = fp.currentLeaderEpoch < p.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH
    return errorEntry(fp.partition, code, { currentLeader: { leaderId: p.leaderId, leaderEpoch: p.leaderEpoch } })
  }
  if (replicaId >= 0 && !p.replicas.includes(replicaId)) return errorEntry(fp.partition, ErrorCode.REPLICA_NOT_AVAILABLE)
  return null
}

/**
 * Kafka's divergence check (KIP-595 style): the follower's last fetched epoch must
 * end at or after its fetch offset in the leader's log, else it must truncate first.
 */
function divergence(p: Partition, fp: FetchPartitionRequest): { epoch: number; endOffset: number } | null {
  const last = fp.lastFetchedEpoch ?? -1
  if (last < 0) return null
  const e = p.log.endOffsetForEpoch(last)
  if (e.epoch < 0) return null // older than anything the leader remembers: OffsetForLeaderEpoch handles it
  if (e.epoch !== last || e.endOffset < fp.fetchOffset) return e
  return null
}

async function readPass(host: ReplicaHost, req: FetchRequest, entries: Entry[], first: boolean): Promise<Pass> {
  const isFollower = req.replicaId >= 0
  let remaining = Math.min(req.maxBytes, FETCH_RESPONSE_BYTES_MAX)
  const out: Pass = { partitions: [], bytes: 0, urgent: false }
  // A replica being added copies what this leader's throttle allows now, in equal parts per partition; the rest waits
  // for the next fetch. Not once the leader counts it in the (maximal) ISR: the HW, and so every acks=all write, then
  // waits on its fetches (as Kafka's).
  const leaderThrottled = new Set<FetchPartitionRequest>()
  if (isFollower && host.leaderThrottle.enabled) {
    for (const { topic, req: fp } of entries) {
      if (!host.isAddingReplica(topic, fp.partition, req.replicaId)) continue
      if (!(host.partition(topic, fp.partition)?.leaderState?.maximalIsr().includes(req.replicaId) ?? false)) leaderThrottled.add(fp)
    }
  }
  const throttleShare = leaderThrottled.size === 0 ? Infinity : Math.floor(host.leaderThrottle.available() / leaderThrottled.size)
  // reads from the tail cache resolve at once: without yielding, a pass over thousands of partitions is one long task
  const slice = new TimeSlice()
  for (const { topic, req: fp } of entries) {
    await slice.yield()
    const p = host.partition(topic, fp.partition)
    const refused = refuse(host, topic, fp, req.replicaId, p)
    if (refused !== null) {
      out.partitions.push(refused)
      out.urgent = true
      continue
    }
    const part = p!
    if (isFollower) {
      const div = first ? divergence(part, fp) : null
      if (div !== null) {
        out.partitions.push({ ...common(part), partition: fp.partition, errorCode: ErrorCode.NONE, divergingEpoch: div, records: EMPTY })
        out.urgent = true
        continue
      }
      if (first && fp.fetchOffset >= part.logStartOffset() && fp.fetchOffset <= part.logEndOffset()) part.onFollowerFetch(req.replicaId, fp.fetchOffset)
    }
    const throttled = leaderThrottled.has(fp)
    const limit = Math.min(fp.partitionMaxBytes, remaining, throttled ? throttleShare : Infinity)
    if (limit <= 0) {
      out.partitions.push({ ...common(part), partition: fp.partition, errorCode: ErrorCode.NONE, records: EMPTY })
      continue
    }
    const maxOffset = isFollower ? undefined : part.highWatermark()
    if (fp.fetchOffset === (maxOffset ?? part.logEndOffset()) && fp.fetchOffset >= part.logStartOffset()) {
      // caught up: most partitions of a fetch over thousands; the log's read would only allocate an empty answer
      out.partitions.push({ ...common(part), partition: fp.partition, errorCode: ErrorCode.NONE, records: EMPTY })
      continue
    }
    const r = await part.read(fp.fetchOffset, limit, maxOffset)
    if (!r.ok) {
      out.partitions.push({ ...common(part), partition: fp.partition, errorCode: r.code, records: EMPTY })
      out.urgent = true
      continue
    }
    const records = r.value.records
    if (throttled) host.leaderThrottle.consume(records.length)
    remaining -= records.length
    out.bytes += records.length
    out.partitions.push({ ...common(part), partition: fp.partition, errorCode: ErrorCode.NONE, records })
  }
  return out
}

function common(p: Partition): { highWatermark: number; logStartOffset: number; logEndOffset: number } {
  return { highWatermark: p.highWatermark(), logStartOffset: p.logStartOffset(), logEndOffset: p.logEndOffset() }
}

/**
 * Wait for any read partition to fire, the deadline, or the connection to close.
 * Consumers wake on the HW (they read below it); followers on new data only, as in
 * Kafka: they learn the HW from the next response that carries data, or at the
 * latest when their fetch's maxWaitMs ends. Waking them for every HW step would cost
 * two more messages and a state write per follower per produce.
 */
function park(
  host: ReplicaHost,
  isFollower: boolean,
  watched: Watched[],
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const unsubscribe: Array<() => void> = []
    let settled = false
    const done = (): void => {
      if (settled) return
      settled = true
      for (const u of unsubscribe) u()
      signal.removeEventListener('abort', done)
      resolve()
    }
    for (const { p, version } of watched) {
      const signal = signalOf(p, isFollower)
      if (signal.version !== version) return done() // fired while we were reading
      unsubscribe.push(signal.once(done))
    }
    unsubscribe.push(host.clock.setTimeout(done, timeoutMs))
    signal.addEventListener('abort', done)
  })
}
