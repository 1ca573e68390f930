/**
 * Fetches assigned partitions from their leaders and buffers what comes back.
 * One long-poll Fetch per broker at a time; a partition is fetched again while
 * the application works through its previous response (up to
 * BUFFERED_PER_PARTITION_MAX responses waiting), and not at all while paused or
 * while the whole prefetch buffer is over prefetchBytes, so memory stays bounded
 * by prefetchBytes + one response per broker. Each request slot keeps an
 * incremental fetch session (KIP-227) with its broker: a consumer of thousands of
 * partitions names only the ones whose position moved, and hears only of the
 * ones with news.
 */
import {
  ApiKey,
  CONSUMER_REPLICA_ID,
  EARLIEST_TIMESTAMP,
  ErrorCode,
  FetchSessionBuilder,
  LATEST_TIMESTAMP,
  TributaryError,
  type FetchPartitionResponse,
  type FetchRequest,
} from '@tributary/protocol'
import { backoffMs } from './backoff.js'
import type { Cluster } from './cluster.js'
import { asTributaryError, responseError } from './errors.js'
import { listOffsets, tpKey } from './list-offsets.js'
import { decodeFetched, plainView } from './fetched-records.js'
import { newPartitionState, type FetchedBatch, type PartitionState } from './fetch-partition-state.js'

const FETCHES_PER_NODE_MAX = 2
/**
 * Responses a partition may have waiting. Two: the next one is on its way while the
 * application handles the current one (with one, a partition's fetch and its
 * processing took turns: consume from a 1 GiB log left client and brokers idle).
 */
const BUFFERED_PER_PARTITION_MAX = 2

export interface FetcherOptions {
  maxWaitMs: number
  minBytes: number
  /** Per Fetch response. */
  maxBytes: number
  /** Initial per-partition cap; doubled (up to maxBytes) when one batch does not fit. */
  maxBytesPerPartition: number
  /** Fetched but not yet taken, across partitions. */
  prefetchBytes: number
  /** Where to start when there is no committed offset, or after OFFSET_OUT_OF_RANGE. */
  resetTo: () => 'earliest' | 'latest'
  /** A partition failed more often than retries allow (e.g. corrupt data). */
  onError: (err: TributaryError) => void
  retries: number
  /** Incremental fetch sessions (KIP-227); false: full fetches as before. Default true. */
  fetchSessions?: boolean
}

export class Fetcher {
  readonly partitions = new Map<string, PartitionState>()
  private bufferedBytes = 0
  /** Fetches in flight per broker: one may sit in a long poll for idle partitions while another serves busy ones. */
  private readonly nodesInFetch = new Map<number, number>()
  /** Per broker, one fetch session per request slot (a session carries one request at a time). */
  private readonly sessions = new Map<number, Array<{ builder: FetchSessionBuilder; busy: boolean }>>()
  private cursor = 0
  private stopped = false
  private pumping = false
  private cancelTimer: (() => void) | undefined
  /** Topics being asked for by name (an assigned topic absent from metadata may be one we may not read). */
  private readonly accessChecks = new Set<string>()
  private dataWaiters: Array<() => void> = []
  /** Partitions being processed by a worker (not handed out again until released). */
  readonly busy = new Set<string>()

  constructor(private readonly cluster: Cluster, private readonly opts: FetcherOptions) {}

  get prefetched(): number {
    return this.bufferedBytes
  }

  add(list: Array<{ topic: string; partition: number; offset?: number }>): void {
    for (const { topic, partition, offset } of list) {
      const key = tpKey(topic, partition)
      const old = this.partitions.get(key)
      if (old) this.drop(old)
      this.partitions.set(key, newPartitionState(topic, partition, offset, old, this.opts.maxBytesPerPartition))
    }
    this.wake()
  }

  remove(list: Array<{ topic: string; partition: number }>): void {
    for (const { topic, partition } of list) {
      const s = this.partitions.get(tpKey(topic, partition))
      if (!s) continue
      this.drop(s)
      s.generation++
      this.partitions.delete(tpKey(topic, partition))
    }
  }

  seek(topic: string, partition: number, offset: number): boolean {
    const s = this.partitions.get(tpKey(topic, partition))
    if (!s) return false
    this.drop(s)
    s.generation++
    s.fetchOffset = offset
    s.failures = 0
    s.retryAt = 0
    this.wake()
    return true
  }

  setPaused(topic: string, partition: number, paused: boolean): void {
    const s = this.partitions.get(tpKey(topic, partition))
    if (!s) return
    s.paused = paused
    if (!paused) this.wake()
  }

  isCurrent(b: FetchedBatch): boolean {
    return this.partitions.get(tpKey(b.topic, b.partition))?.generation === b.generation
  }

  /** The next buffered batch of a partition that is neither paused nor busy (round robin); marks it busy. */
  take(): FetchedBatch | undefined {
    const states = [...this.partitions.values()]
    for (let i = 0; i < states.length; i++) {
      const s = states[(this.cursor + i) % states.length]
      const key = tpKey(s.topic, s.partition)
      if (s.buffered.length === 0 || s.paused || this.busy.has(key)) continue
      this.cursor = (this.cursor + i + 1) % states.length
      const { batch, bytes } = s.buffered.shift()!
      s.bufferedBytes -= bytes
      this.bufferedBytes -= bytes
      this.busy.add(key)
      this.wake()
      return batch
    }
    return undefined
  }

  release(topic: string, partition: number): void {
    this.busy.delete(tpKey(topic, partition))
    if (this.dataWaiters.length > 0) this.notify()
  }

  /** Resolves when a batch may be takeable (or after maxWaitMs, so callers can re-check their state). */
  waitForData(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        cancel()
        resolve()
      }
      const cancel = this.cluster.clock.setTimeout(() => {
        // An idle consumer times out here over and over: drop this waiter, or the list grows forever.
        const i = this.dataWaiters.indexOf(done)
        if (i >= 0) this.dataWaiters.splice(i, 1)
        resolve()
      }, this.opts.maxWaitMs)
      this.dataWaiters.push(done)
    })
  }

  /** Callers blocked in waitForData (at most one per worker or iterator). */
  get dataWaiterCount(): number {
    return this.dataWaiters.length
  }

  stop(): void {
    this.stopped = true
    this.cancelTimer?.()
    for (const s of this.partitions.values()) this.drop(s)
    this.partitions.clear()
    this.notify()
  }

  /** Wake everyone waiting for data (e.g. to notice the consumer is stopping). */
  wakeWaiters(): void {
    this.notify()
  }

  private notify(): void {
    for (const w of this.dataWaiters.splice(0)) w()
  }

  private drop(s: PartitionState): void {
    this.bufferedBytes -= s.bufferedBytes
    s.buffered = []
    s.bufferedBytes = 0
  }

  wake(): void {
    if (this.stopped || this.pumping) return
    this.pumping = true
    queueMicrotask(() => {
      this.pumping = false
      this.pump()
    })
  }

  private pump(): void {
    if (this.stopped) return
    const now = this.cluster.clock.now()
    const toReset: PartitionState[] = []
    const byNode = new Map<number, PartitionState[]>()
    let nextRetry = Infinity
    let needMetadata = false
    for (const s of this.partitions.values()) {
      if (s.paused || s.inFetch || s.resetting || s.buffered.length >= BUFFERED_PER_PARTITION_MAX) continue
      if (s.retryAt > now) {
        nextRetry = Math.min(nextRetry, s.retryAt)
        continue
      }
      if (s.fetchOffset < 0) {
        toReset.push(s)
        continue
      }
      const leader = this.cluster.metadata.leader(s.topic, s.partition)
      if (!leader || this.cluster.metadata.endpoint(leader.nodeId) === undefined) {
        if (!this.cluster.metadata.topic(s.topic)) this.checkAccess(s.topic)
        needMetadata = true
        this.backoff(s)
        nextRetry = Math.min(nextRetry, s.retryAt)
        continue
      }
      if ((this.nodesInFetch.get(leader.nodeId) ?? 0) >= FETCHES_PER_NODE_MAX) continue
      let list = byNode.get(leader.nodeId)
      if (!list) byNode.set(leader.nodeId, (list = []))
      list.push(s)
    }
    if (toReset.length > 0) void this.reset(toReset)
    if (needMetadata) this.cluster.refreshMetadata().then(() => this.wake(), () => {})
    if (this.bufferedBytes < this.opts.prefetchBytes) for (const [nodeId, states] of byNode) void this.fetchFrom(nodeId, states)
    if (nextRetry < Infinity) {
      this.cancelTimer?.()
      this.cancelTimer = this.cluster.clock.setTimeout(() => this.wake(), Math.max(0, nextRetry - now))
    }
  }

  /**
   * A topic the full metadata listing leaves out may exist but be refused to
   * us (a broker with ACLs lists only what we may Describe): asked by name, it
   * answers TOPIC_AUTHORIZATION_FAILED, and the consumer fails with it instead
   * of waiting for a leader forever. Any other answer: keep waiting, as for a
   * topic not created yet. One question per topic at a time, paced by the backoff.
   */
  private checkAccess(topic: string): void {
    if (this.accessChecks.has(topic)) return
    this.accessChecks.add(topic)
    this.cluster.topicMetadata(topic, 0).then(
      () => {},
      (err: unknown) => {
        const e = asTributaryError(err)
        if (e.code === ErrorCode.TOPIC_AUTHORIZATION_FAILED && !this.stopped) this.opts.onError(e)
      },
    ).finally(() => this.accessChecks.delete(topic))
  }

  private backoff(s: PartitionState): void {
    s.retryAt = this.cluster.clock.now() + backoffMs(Math.min(s.failures, 5), this.cluster.retry, this.cluster.random)
    s.failures++
  }

  private async reset(states: PartitionState[]): Promise<void> {
    for (const s of states) s.resetting = true
    const ts = this.opts.resetTo() === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP
    const gens = states.map((s) => s.generation)
    try {
      const r = await listOffsets(this.cluster, states.map((s) => ({ topic: s.topic, partition: s.partition, timestamp: ts })))
      states.forEach((s, i) => {
        const o = r.get(tpKey(s.topic, s.partition))
        if (o && s.generation === gens[i] && s.fetchOffset < 0) s.fetchOffset = o.offset
      })
    } catch (err) {
      for (const s of states) this.backoff(s)
      if (states.some((s) => s.failures > this.opts.retries)) this.opts.onError(asTributaryError(err))
    } finally {
      for (const s of states) s.resetting = false
      this.wake()
    }
  }

  /** A free session slot for `nodeId` (at most FETCHES_PER_NODE_MAX are ever in use at once). */
  private sessionSlot(nodeId: number): { builder: FetchSessionBuilder; busy: boolean } {
    let slots = this.sessions.get(nodeId)
    if (!slots) this.sessions.set(nodeId, (slots = []))
    let slot = slots.find((x) => !x.busy)
    if (!slot) slots.push((slot = { builder: new FetchSessionBuilder(this.opts.fetchSessions ?? true), busy: false }))
    slot.busy = true
    return slot
  }

  private async fetchFrom(nodeId: number, states: PartitionState[]): Promise<void> {
    this.nodesInFetch.set(nodeId, (this.nodesInFetch.get(nodeId) ?? 0) + 1)
    const gens = states.map((s) => s.generation)
    const slot = this.sessionSlot(nodeId)
    const session = slot.builder.build(states.map((s) => {
      s.inFetch = true
      const leaderEpoch = this.cluster.metadata.leader(s.topic, s.partition)?.leaderEpoch ?? -1
      return { topic: s.topic, partition: s.partition, fetchOffset: s.fetchOffset, currentLeaderEpoch: leaderEpoch, partitionMaxBytes: s.partitionMaxBytes }
    }))
    const maxBytes = Math.min(this.opts.maxBytes, Math.max(this.opts.prefetchBytes - this.bufferedBytes, this.opts.maxBytesPerPartition))
    const body: FetchRequest = {
      replicaId: CONSUMER_REPLICA_ID, maxWaitMs: this.opts.maxWaitMs, minBytes: this.opts.minBytes, maxBytes,
      sessionId: session.sessionId, sessionEpoch: session.sessionEpoch, topics: session.topics, forgottenTopics: session.forgottenTopics,
    }
    let answered = false
    try {
      const conn = this.cluster.nodeConnection(nodeId)
      const r = await conn.request(ApiKey.Fetch, body, { timeoutMs: this.cluster.requestTimeoutMs + this.opts.maxWaitMs })
      answered = true
      slot.builder.answered(session, r.errorCode, r.body?.sessionId)
      if (r.errorCode === ErrorCode.FETCH_SESSION_ID_NOT_FOUND || r.errorCode === ErrorCode.INVALID_FETCH_SESSION_EPOCH) return // the next fetch is full, at once
      if (r.errorCode !== ErrorCode.NONE) throw responseError(r.errorCode, (r.body as { errorMessage?: string })?.errorMessage, `fetch from broker ${nodeId}`)
      const answers = new Map<string, FetchPartitionResponse>()
      for (const t of r.body.topics ?? []) for (const p of t.partitions) answers.set(tpKey(t.topic, p.partition), p)
      states.forEach((s, i) => {
        s.inFetch = false
        const a = answers.get(tpKey(s.topic, s.partition))
        if (a && s.generation === gens[i] && this.partitions.get(tpKey(s.topic, s.partition)) === s) this.handle(s, a)
      })
    } catch (err) {
      if (!answered) slot.builder.failed()
      const e = asTributaryError(err)
      for (const s of states) {
        s.inFetch = false
        this.backoff(s)
      }
      if (e.retriable) this.cluster.refreshMetadata().catch(() => {})
      else this.opts.onError(e)
    } finally {
      slot.busy = false
      for (const s of states) s.inFetch = false
      const n = (this.nodesInFetch.get(nodeId) ?? 1) - 1
      if (n > 0) this.nodesInFetch.set(nodeId, n)
      else this.nodesInFetch.delete(nodeId)
      this.wake()
    }
  }

  private handle(s: PartitionState, a: FetchPartitionResponse): void {
    if (a.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
      s.fetchOffset = -1 // reset per policy on the next pump
      return
    }
    if (a.errorCode !== ErrorCode.NONE) {
      const err = responseError(a.errorCode, undefined, `fetch ${s.topic}-${s.partition}`)
      this.cluster.metadata.applyLeaderHint(s.topic, s.partition, a.currentLeader)
      this.backoff(s)
      if (err.retriable) this.cluster.refreshMetadata().catch(() => {})
      else if (s.failures > this.opts.retries) this.opts.onError(err)
      return
    }
    s.highWatermark = a.highWatermark
    const records = a.records instanceof Uint8Array ? plainView(a.records) : new Uint8Array(0)
    const { messages, next, bytes, ...decoded } = decodeFetched(s.topic, s.partition, s.fetchOffset, records)
    let corrupt = decoded.corrupt
    if (next === s.fetchOffset && records.length > 0 && !corrupt) {
      // One batch is larger than we asked for: ask for more next time.
      if (s.partitionMaxBytes >= this.opts.maxBytes) corrupt = new TributaryError(ErrorCode.MESSAGE_TOO_LARGE, `${s.topic}-${s.partition} at ${next}: a batch exceeds maxBytes ${this.opts.maxBytes}`)
      s.partitionMaxBytes = Math.min(this.opts.maxBytes, s.partitionMaxBytes * 2)
    }
    s.fetchOffset = next
    if (corrupt) {
      this.backoff(s)
      if (s.failures > this.opts.retries) this.opts.onError(corrupt)
    } else {
      s.failures = 0
    }
    if (messages.length > 0) {
      s.buffered.push({ batch: { topic: s.topic, partition: s.partition, messages, highWatermark: a.highWatermark, generation: s.generation }, bytes })
      s.bufferedBytes += bytes
      this.bufferedBytes += bytes
      this.notify()
    }
  }
}
