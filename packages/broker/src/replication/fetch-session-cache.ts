/**
 * The broker's side of incremental fetch sessions (Kafka's KIP-227, FetchSession
 * and FetchSessionCache; the fetcher's side is protocol's fetch-session.ts).
 *
 * A session caches the partitions one fetcher reads with their fetch positions
 * and the high watermark / log start last sent, so an incremental Fetch names only
 * what changed and its answer only what moved. Sessions belong to the connection
 * that made them (its abort signal is the owner): another connection naming the
 * id gets FETCH_SESSION_ID_NOT_FOUND, and a closed connection's sessions go.
 *
 * Bounded node-wide by `slotsMax` sessions and `partitionsMax` cached partitions
 * (--fetch-session-cache-slots, --fetch-session-cache-partitions). A new session
 * that does not fit first evicts sessions idle for `idleMs`, then (for a
 * follower) the least recently used consumer session; otherwise it is refused
 * and the fetch is answered as a full fetch without a session (sessionId 0).
 */
import { ErrorCode, FETCH_SESSION_FINAL_EPOCH, FETCH_SESSION_INITIAL_EPOCH, nextFetchSessionEpoch, topicPartitionKey, type FetchPartitionRequest, type FetchRequest } from '@tributary/protocol'

/** One partition a fetch reads; in a session, also what its answers last said. */
export interface FetchEntry {
  topic: string
  /** the topic's id when the fetcher named it by id (Kafka listener, Fetch v13+): its answers carry it back */
  topicId?: string
  req: FetchPartitionRequest
  /** high watermark and log start last answered (-1: never): an incremental answer leaves an unchanged partition out */
  sentHighWatermark: number
  sentLogStartOffset: number
}

export interface FetchSession {
  readonly id: number
  readonly owner: AbortSignal
  readonly replica: boolean
  /** the epoch the next incremental request must carry */
  epoch: number
  readonly entries: Map<string, FetchEntry>
  lastUsedMs: number
  /** removes the session when its connection closes; unhooked when the session goes first */
  readonly onClose: () => void
}

export type SessionResolution =
  | { kind: 'error'; code: number; message: string }
  /** no session: the request's partitions are the fetch (sessionless, or a session could not be made) */
  | { kind: 'sessionless'; entries: FetchEntry[] }
  | { kind: 'session'; session: FetchSession; full: boolean; entries: FetchEntry[] }

/**
 * What a cached partition costs (entry, its decoded request, map slot and key), for
 * /metrics: 221–230 B measured over 100,000 (bench/partition-memory.ts, Node 20).
 * A Kafka client's Fetch v13+ entry also holds its topic id (a 22-character string,
 * shared by the topic's partitions of one request), not counted here.
 */
export const FETCH_SESSION_PARTITION_BYTES = 240

export interface FetchSessionCacheOptions {
  slotsMax: number
  partitionsMax: number
  /** a session unused this long may be evicted for a new one */
  idleMs: number
}

const entryOf = (topic: string, topicId: string | undefined, req: FetchPartitionRequest): FetchEntry =>
  ({ topic, ...(topicId !== undefined ? { topicId } : {}), req, sentHighWatermark: -1, sentLogStartOffset: -1 })

export function requestEntries(req: FetchRequest): FetchEntry[] {
  const out: FetchEntry[] = []
  for (const t of req.topics) for (const p of t.partitions) out.push(entryOf(t.topic, t.topicId, p))
  return out
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>()
  private partitions = 0
  private nextId = 1
  evictions = 0
  /** sessions refused for want of room */
  refusals = 0

  constructor(private readonly opts: FetchSessionCacheOptions) {}

  get size(): number {
    return this.sessions.size
  }

  get cachedPartitions(): number {
    return this.partitions
  }

  get limits(): Readonly<FetchSessionCacheOptions> {
    return this.opts
  }

  /** Turn a Fetch's session fields into the partitions it reads (Kafka's FetchManager.newContext). */
  resolve(req: FetchRequest, owner: AbortSignal, nowMs: number): SessionResolution {
    const id = req.sessionId ?? 0
    const epoch = req.sessionEpoch ?? FETCH_SESSION_FINAL_EPOCH
    const isFull = epoch === FETCH_SESSION_INITIAL_EPOCH || epoch === FETCH_SESSION_FINAL_EPOCH
    if (isFull) {
      if (id !== 0) this.close(id, owner)
      const entries = requestEntries(req)
      if (epoch === FETCH_SESSION_FINAL_EPOCH || this.opts.slotsMax === 0) return { kind: 'sessionless', entries }
      const session = this.create(owner, req.replicaId >= 0, entries, nowMs)
      return session ? { kind: 'session', session, full: true, entries } : { kind: 'sessionless', entries }
    }
    const session = this.sessions.get(id)
    if (session === undefined || session.owner !== owner) {
      return { kind: 'error', code: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, message: `fetch session ${id} is not cached here` }
    }
    if (epoch !== session.epoch) {
      return { kind: 'error', code: ErrorCode.INVALID_FETCH_SESSION_EPOCH, message: `fetch session ${id} expects epoch ${session.epoch}, got ${epoch}` }
    }
    this.update(session, req)
    if (this.partitions > this.opts.partitionsMax) {
      this.remove(session)
      return { kind: 'error', code: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, message: `fetch session ${id} outgrew the session cache` }
    }
    session.epoch = nextFetchSessionEpoch(epoch)
    session.lastUsedMs = nowMs
    return { kind: 'session', session, full: false, entries: [...session.entries.values()] }
  }

  /** Drop the sessions unused for idleMs (their fetcher moved on): an idle fetcher holds nothing. */
  evictIdle(nowMs: number): void {
    for (const s of [...this.sessions.values()]) if (nowMs - s.lastUsedMs >= this.opts.idleMs) this.evict(s)
  }

  private update(session: FetchSession, req: FetchRequest): void {
    for (const t of req.forgottenTopics ?? []) {
      const topic = t.topic ?? this.topicById(session, t.topicId)
      if (topic === undefined) continue
      for (const partition of t.partitions) {
        const key = topicPartitionKey(topic, partition)
        // by id, only the partitions cached under that id: the name may belong to a newer topic by now
        if (t.topic === undefined && session.entries.get(key)?.topicId !== t.topicId) continue
        if (session.entries.delete(key)) this.partitions--
      }
    }
    for (const t of req.topics) {
      for (const p of t.partitions) {
        const key = topicPartitionKey(t.topic, p.partition)
        const old = session.entries.get(key)
        if (old) {
          old.req = p
          if (t.topicId !== undefined) old.topicId = t.topicId
        } else {
          session.entries.set(key, entryOf(t.topic, t.topicId, p))
          this.partitions++
        }
      }
    }
  }

  /** The name a session's partitions of topic id `topicId` are cached under (a deleted topic is forgotten by its id alone). */
  private topicById(session: FetchSession, topicId: string | undefined): string | undefined {
    if (topicId === undefined) return undefined
    for (const e of session.entries.values()) if (e.topicId === topicId) return e.topic
    return undefined
  }

  private create(owner: AbortSignal, replica: boolean, entries: FetchEntry[], nowMs: number): FetchSession | null {
    if (owner.aborted || !this.makeRoom(entries.length, replica, nowMs)) {
      this.refusals++
      return null
    }
    const map = new Map<string, FetchEntry>()
    for (const e of entries) map.set(topicPartitionKey(e.topic, e.req.partition), e)
    const session: FetchSession = { id: this.allocateId(), owner, replica, epoch: 1, entries: map, lastUsedMs: nowMs, onClose: () => this.remove(session) }
    this.sessions.set(session.id, session)
    this.partitions += map.size
    owner.addEventListener('abort', session.onClose, { once: true })
    return session
  }

  /** Evict until `partitions` more fit; false when they cannot without taking a live session from its fetcher. */
  private makeRoom(partitions: number, replica: boolean, nowMs: number): boolean {
    if (partitions > this.opts.partitionsMax) return false
    const fits = (): boolean => this.sessions.size < this.opts.slotsMax && this.partitions + partitions <= this.opts.partitionsMax
    // oldest use first: the Map keeps insertion order, but use order is what counts
    const byAge = [...this.sessions.values()].sort((a, b) => a.lastUsedMs - b.lastUsedMs)
    for (const s of byAge) {
      if (fits()) return true
      if (nowMs - s.lastUsedMs >= this.opts.idleMs) this.evict(s)
    }
    // a follower's session keeps the ISR cheap: it may take a consumer's (Kafka lets privileged sessions evict)
    if (replica) for (const s of byAge) {
      if (fits()) return true
      if (!s.replica && this.sessions.has(s.id)) this.evict(s)
    }
    return fits()
  }

  private allocateId(): number {
    // ids are not secrets (the owner check guards a session): unique among live ones is enough
    do {
      this.nextId = this.nextId >= 0x7fffffff ? 1 : this.nextId + 1
    } while (this.sessions.has(this.nextId))
    return this.nextId
  }

  private close(id: number, owner: AbortSignal): void {
    const s = this.sessions.get(id)
    if (s !== undefined && s.owner === owner) this.remove(s)
  }

  private evict(s: FetchSession): void {
    this.evictions++
    this.remove(s)
  }

  private remove(s: FetchSession): void {
    if (this.sessions.get(s.id) !== s) return
    this.sessions.delete(s.id)
    this.partitions -= s.entries.size
    s.owner.removeEventListener('abort', s.onClose)
  }
}
