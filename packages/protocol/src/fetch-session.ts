/**
 * The fetcher's side of an incremental fetch session (Kafka's KIP-227 and its
 * FetchSessionHandler): one per (fetcher, broker, request slot), used by
 * followers and SDK consumers alike.
 *
 * A full fetch (epoch 0) names every partition and asks the broker to cache
 * them as a session; the answer carries the session id. Each later fetch names
 * only the partitions whose fetch position or limits changed since the last
 * answered request, lists the ones to drop as forgotten, and carries the next
 * epoch; its answer lists only the partitions with records, an error or a new
 * high watermark / log start. Any failure, or the broker answering
 * FETCH_SESSION_ID_NOT_FOUND / INVALID_FETCH_SESSION_EPOCH, sends the next
 * request full again: a session is a cache, never a source of truth.
 *
 * One request at a time per builder: the state a request leaves behind is only
 * known once it is answered.
 */
import { ErrorCode } from './errors.js'
import type { FetchPartitionRequest, FetchRequest } from './api.js'
import { topicPartitionKey } from './topic-partition.js'

/** sessionEpoch of a full fetch that asks for a (new) session. */
export const FETCH_SESSION_INITIAL_EPOCH = 0
/** sessionEpoch of a fetch without a session (and closing the one named, if any). */
export const FETCH_SESSION_FINAL_EPOCH = -1
const EPOCH_MAX = 0x7fffffff

/** The next incremental epoch: 1, 2, ... wrapping back to 1 (0 and -1 mean full fetches). */
export function nextFetchSessionEpoch(epoch: number): number {
  return epoch >= EPOCH_MAX ? 1 : epoch + 1
}

export interface SessionPartition extends FetchPartitionRequest {
  topic: string
}

/** What one request puts on the wire, and what the session holds if it is answered. */
export interface SessionRequest {
  sessionId: number
  sessionEpoch: number
  topics: FetchRequest['topics']
  forgottenTopics: NonNullable<FetchRequest['forgottenTopics']>
  full: boolean
  /** the partitions this request fetches (all of them, also those not named) */
  readonly wanted: ReadonlyMap<string, SessionPartition>
}

const samePosition = (a: FetchPartitionRequest, b: FetchPartitionRequest): boolean =>
  a.fetchOffset === b.fetchOffset &&
  a.currentLeaderEpoch === b.currentLeaderEpoch &&
  (a.lastFetchedEpoch ?? -1) === (b.lastFetchedEpoch ?? -1) &&
  a.partitionMaxBytes === b.partitionMaxBytes

function partitionOf(p: SessionPartition): FetchPartitionRequest {
  const out: FetchPartitionRequest = { partition: p.partition, fetchOffset: p.fetchOffset, currentLeaderEpoch: p.currentLeaderEpoch, partitionMaxBytes: p.partitionMaxBytes }
  if (p.lastFetchedEpoch !== undefined) out.lastFetchedEpoch = p.lastFetchedEpoch
  return out
}

function byTopic<T>(items: Iterable<{ topic: string; item: T }>): Array<{ topic: string; partitions: T[] }> {
  const topics = new Map<string, T[]>()
  for (const { topic, item } of items) {
    const list = topics.get(topic)
    if (list) list.push(item)
    else topics.set(topic, [item])
  }
  return [...topics].map(([topic, partitions]) => ({ topic, partitions }))
}

export class FetchSessionBuilder {
  private sessionId = 0
  /** the epoch the next request carries: 0 = full, asking for a session */
  private nextEpoch = FETCH_SESSION_INITIAL_EPOCH
  /** what the broker's session holds, as of the last answered request */
  private held = new Map<string, SessionPartition>()
  /** full fetches and incremental ones sent, for tests and metrics */
  fullRequests = 0
  incrementalRequests = 0

  constructor(
    /** false: always full fetches without a session (sessionEpoch -1), as before KIP-227 */
    private readonly enabled = true,
  ) {}

  get id(): number {
    return this.sessionId
  }

  /** The request fields for fetching `partitions` (every partition wanted now, in any order). */
  build(partitions: Iterable<SessionPartition>): SessionRequest {
    const wanted = new Map<string, SessionPartition>()
    for (const p of partitions) wanted.set(topicPartitionKey(p.topic, p.partition), p)
    const full = !this.enabled || this.sessionId === 0 || this.nextEpoch === FETCH_SESSION_INITIAL_EPOCH
    if (full) {
      this.fullRequests++
      return {
        sessionId: this.enabled ? this.sessionId : 0,
        sessionEpoch: this.enabled ? FETCH_SESSION_INITIAL_EPOCH : FETCH_SESSION_FINAL_EPOCH,
        topics: byTopic([...wanted.values()].map((p) => ({ topic: p.topic, item: partitionOf(p) }))),
        forgottenTopics: [],
        full: true,
        wanted,
      }
    }
    this.incrementalRequests++
    const changed: Array<{ topic: string; item: FetchPartitionRequest }> = []
    for (const [key, p] of wanted) {
      const held = this.held.get(key)
      if (held === undefined || !samePosition(held, p)) changed.push({ topic: p.topic, item: partitionOf(p) })
    }
    const forgotten: Array<{ topic: string; item: number }> = []
    for (const [key, p] of this.held) if (!wanted.has(key)) forgotten.push({ topic: p.topic, item: p.partition })
    return { sessionId: this.sessionId, sessionEpoch: this.nextEpoch, topics: byTopic(changed), forgottenTopics: byTopic(forgotten), full: false, wanted }
  }

  /**
   * Record the broker's answer to `req`: its top-level error code and the session
   * id it returned (0 or absent: no session). Session errors and any other failure
   * make the next request full.
   */
  answered(req: SessionRequest, errorCode: number, sessionId: number | undefined): void {
    if (!this.enabled) return
    if (errorCode !== ErrorCode.NONE) {
      // FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH or anything else: start over
      this.failed(errorCode === ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
      return
    }
    const id = sessionId ?? 0
    if (id === 0) {
      this.reset() // the broker keeps no session (its cache is full, or sessions are off): full fetches
      return
    }
    if (!req.full && id !== this.sessionId) {
      this.reset()
      return
    }
    this.sessionId = id
    this.held = new Map(req.wanted)
    this.nextEpoch = nextFetchSessionEpoch(req.sessionEpoch)
  }

  /**
   * The request got no answer (timeout, lost connection): its effect on the
   * session is unknown, so the next request is full, closing the old session
   * (sessionId with epoch 0) unless the broker no longer knows it.
   */
  failed(sessionGone = false): void {
    if (sessionGone) this.sessionId = 0
    this.nextEpoch = FETCH_SESSION_INITIAL_EPOCH
    this.held.clear()
  }

  /** Forget the session altogether (e.g. the broker no longer leads anything we fetch). */
  reset(): void {
    this.sessionId = 0
    this.failed()
  }
}
