/**
 * Drains ready partition batches into Produce requests per leader, and settles
 * them from the answers. An idempotent producer keeps up to maxInFlight (5)
 * batches of a partition in flight, as Kafka does: the leader checks their
 * sequence numbers, so a retried batch it already has is not written twice and
 * one that would jump ahead is refused. After any failure the partition goes
 * back to one batch at a time until the failed batches are through. Without
 * idempotence, one batch per partition is in flight so retries cannot reorder.
 *
 * Failover: after a leader error (the leader's connection closed, NOT_LEADER, ...)
 * the partition waits for a new leader. Metadata is polled every 50 ms, backing off
 * to 250 ms, and the batches go again as soon as it names a leader with a newer
 * epoch, instead of sleeping out their retry backoff. No batch is handed to a broker
 * whose connection is in reconnect backoff; it waits for the metadata or the backoff.
 */
import {
  ApiKey,
  ErrorCode,
  TributaryError,
  topicPartitionKey,
  type Acks,
  type ProducePartitionResponse,
  type ProduceRequest,
  type WritableCompression,
} from '@tributary/protocol'
import type { Accumulator, PartitionQueue, ProducerBatch } from './accumulator.js'
import { backoffMs, type RetryPolicy } from './backoff.js'
import type { Cluster } from './cluster.js'
import { asTributaryError, responseError } from './errors.js'

export interface SenderOptions {
  acks: Acks
  /** How long the leader may wait for replicas (Produce timeoutMs). */
  ackTimeoutMs: number
  idempotent: boolean
  compression: WritableCompression
  retry: RetryPolicy
  /** One Produce request carries at most this many batch bytes; the rest waits for the next. */
  requestBytesMax: number
  /** Batches of one partition in flight at once. */
  maxInFlight: number
}

/** Errors after which this producer id's sequence chain cannot continue. */
const SEQUENCE_BREAKING = new Set<number>([ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, ErrorCode.UNKNOWN_PRODUCER_ID, ErrorCode.INVALID_PRODUCER_EPOCH])
/** Errors that mean our idea of the leader is wrong. */
const LEADER_ERRORS = new Set<number>([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.BROKER_NOT_AVAILABLE,
  ErrorCode.KAFKA_STORAGE_ERROR,
])
const SEQUENCE_MAX = 0x7fffffff
/** Metadata polls while a partition waits for a new leader: the first after this long, doubling... */
const LEADER_POLL_MS_MIN = 50
/** ...up to this. */
const LEADER_POLL_MS_MAX = 250


export class Sender {
  private pid: { producerId: number; producerEpoch: number } | undefined
  private pidPromise: Promise<void> | undefined
  private readonly sequences = new Map<string, number>()
  private cancelTimer: (() => void) | undefined
  private timerAt = Infinity
  private draining = false
  private drainAgain = false
  private stopped = false
  /** Produce requests waiting for an answer. */
  inFlightRequests = 0
  /** Partitions waiting for a leader newer than this epoch (at most one entry per partition queue). */
  private readonly leaderWaits = new Map<PartitionQueue, number>()
  private cancelLeaderPoll: (() => void) | undefined
  private leaderPolling = false
  private leaderPollAttempt = 0

  constructor(
    private readonly cluster: Cluster,
    private readonly acc: Accumulator,
    private readonly opts: SenderOptions,
    private readonly onBatchClosed: (topic: string, partition: number) => void,
  ) {}

  get producerId(): number {
    return this.pid?.producerId ?? -1
  }

  async initProducerId(): Promise<void> {
    if (!this.opts.idempotent || this.pid) return
    this.pidPromise ??= this.cluster
      .callAny(ApiKey.InitProducerId, { transactionalId: null })
      .then((r) => {
        this.pid = { producerId: r.producerId, producerEpoch: r.producerEpoch }
        this.sequences.clear()
      })
      .finally(() => {
        this.pidPromise = undefined
      })
    return this.pidPromise
  }

  /** Drain soon (coalesced into one pass per microtask). */
  wake(): void {
    if (this.stopped) return
    if (this.draining) {
      this.drainAgain = true
      return
    }
    this.draining = true
    queueMicrotask(() => void this.drain())
  }

  stop(): void {
    this.stopped = true
    this.cancelTimer?.()
    this.cancelTimer = undefined
    this.cancelLeaderPoll?.()
    this.cancelLeaderPoll = undefined
    this.leaderWaits.clear()
  }

  private async drain(): Promise<void> {
    try {
      do {
        this.drainAgain = false
        await this.drainOnce()
      } while (this.drainAgain && !this.stopped)
    } finally {
      this.draining = false
    }
    this.armTimer()
  }

  private armTimer(): void {
    if (this.stopped) return
    const now = this.cluster.clock.now()
    const wait = this.acc.nextReadyIn(now)
    if (wait === undefined) return
    const at = now + wait
    if (this.cancelTimer && this.timerAt <= at) return
    this.cancelTimer?.()
    this.timerAt = at
    this.cancelTimer = this.cluster.clock.setTimeout(() => {
      this.cancelTimer = undefined
      this.timerAt = Infinity
      this.wake()
    }, wait)
  }

  private async drainOnce(): Promise<void> {
    const now = this.cluster.clock.now()
    if (this.opts.idempotent && !this.pid) {
      const waiting = [...this.acc.queues.values()].flatMap((q) => {
        const b = this.acc.nextToSend(q, now)
        return b ? [{ q, b }] : []
      })
      if (waiting.length === 0) return
      try {
        await this.initProducerId()
      } catch (err) {
        for (const { q, b } of waiting) this.retryOrFail(q, b, asTributaryError(err))
        return
      }
    }
    // Each round takes at most one batch per partition (one Produce entry per partition),
    // so a partition with several ready batches pipelines them over several requests.
    let needMetadata = false
    for (let round = 0; round < this.opts.maxInFlight && !this.cluster.closed; round++) {
      const byNode = new Map<number, Array<{ q: PartitionQueue; b: ProducerBatch }>>()
      for (const q of this.acc.queues.values()) {
        const b = this.acc.nextToSend(q, this.cluster.clock.now())
        if (!b || this.blockedByOldProducerId(q, b)) continue
        const leader = this.cluster.metadata.leader(q.topic, q.partition)
        if (!leader || this.cluster.metadata.endpoint(leader.nodeId) === undefined) {
          needMetadata = true
          this.retryOrFail(q, b, new TributaryError(ErrorCode.LEADER_NOT_AVAILABLE, `no leader known for ${q.topic}-${q.partition}`))
          continue
        }
        const reconnectIn = this.cluster.nodeConnection(leader.nodeId).reconnectWaitMs(now)
        if (reconnectIn > 0) {
          // The leader was unreachable a moment ago: wait (no attempt spent) for its reconnect
          // backoff, or for metadata naming another leader, rather than queue behind the backoff.
          b.retryAt = now + reconnectIn
          this.awaitNewLeader(q, leader.leaderEpoch)
          continue
        }
        b.sentLeaderEpoch = leader.leaderEpoch
        let list = byNode.get(leader.nodeId)
        if (!list) byNode.set(leader.nodeId, (list = []))
        list.push({ q, b })
      }
      if (byNode.size === 0) break
      for (const [nodeId, entries] of byNode) {
        let request: typeof entries = []
        let bytes = 0
        for (const e of entries) {
          const encoded = this.seal(e.q, e.b)
          if (request.length > 0 && bytes + encoded.length > this.opts.requestBytesMax) {
            void this.produce(nodeId, request)
            request = []
            bytes = 0
          }
          request.push(e)
          bytes += encoded.length
        }
        if (request.length > 0) void this.produce(nodeId, request)
      }
    }
    if (needMetadata) this.cluster.refreshMetadata().then(() => this.wake(), () => {})
  }

  /**
   * After a producer id reset, a partition still waiting on batches of the old id
   * sends nothing new until they settle: a new-id batch must not overtake their retries.
   */
  private blockedByOldProducerId(q: PartitionQueue, b: ProducerBatch): boolean {
    if (!this.opts.idempotent || b.closed || q.inFlight === 0) return false
    const current = this.pid?.producerId
    return q.batches.some((x) => x.closed && !x.acked && x.producerId !== current)
  }

  /** Encode a batch once (its sequence is assigned here, in queue order); retries resend the same bytes. */
  private seal(q: PartitionQueue, b: ProducerBatch): Uint8Array {
    this.acc.markSent(q, b)
    if (b.encoded) return b.encoded
    let producerEpoch = -1
    if (this.opts.idempotent && this.pid) {
      const key = `${q.topic}\u0000${q.partition}`
      b.baseSequence = this.sequences.get(key) ?? 0
      this.sequences.set(key, (b.baseSequence + b.count) % (SEQUENCE_MAX + 1))
      b.producerId = this.pid.producerId
      producerEpoch = this.pid.producerEpoch
    }
    const encoded = this.acc.seal(b, { producerId: b.producerId, producerEpoch, baseSequence: b.baseSequence, compression: this.opts.compression })
    this.onBatchClosed(q.topic, q.partition)
    return encoded
  }

  private async produce(nodeId: number, entries: Array<{ q: PartitionQueue; b: ProducerBatch }>): Promise<void> {
    const byTopic = new Map<string, ProduceRequest['topics'][number]>()
    for (const { q, b } of entries) {
      let t = byTopic.get(q.topic)
      if (!t) byTopic.set(q.topic, (t = { topic: q.topic, partitions: [] }))
      t.partitions.push({ partition: q.partition, records: b.encoded! })
    }
    const body: ProduceRequest = { acks: this.opts.acks, timeoutMs: this.opts.ackTimeoutMs, topics: [...byTopic.values()] }
    const unsettled = (): typeof entries => entries.filter((e) => e.b.inFlight)
    this.inFlightRequests++
    try {
      const conn = this.cluster.nodeConnection(nodeId)
      if (this.opts.acks === 0) {
        await conn.sendOneWay(ApiKey.Produce, body)
        for (const { q, b } of entries) this.settle(q, b, ErrorCode.NONE, undefined)
        return
      }
      const r = await conn.request(ApiKey.Produce, body, { timeoutMs: Math.max(this.cluster.requestTimeoutMs, this.opts.ackTimeoutMs + 5_000) })
      if (r.errorCode !== ErrorCode.NONE) {
        const err = responseError(r.errorCode, (r.body as { errorMessage?: string })?.errorMessage, `produce to broker ${nodeId}`)
        for (const { q, b } of entries) this.retryOrFail(q, b, err)
        return
      }
      const answers = new Map<string, ProducePartitionResponse>()
      for (const t of r.body.topics ?? []) for (const p of t.partitions) answers.set(`${t.topic}\u0000${p.partition}`, p)
      for (const { q, b } of entries) {
        const a = answers.get(`${q.topic}\u0000${q.partition}`)
        if (!a) this.retryOrFail(q, b, new TributaryError(ErrorCode.UNKNOWN_SERVER_ERROR, `broker ${nodeId} did not answer for ${q.topic}-${q.partition}`))
        else this.settle(q, b, a.errorCode, a)
      }
    } catch (err) {
      const e = asTributaryError(err)
      for (const { q, b } of unsettled()) this.retryOrFail(q, b, e)
    } finally {
      this.inFlightRequests--
      this.wake()
    }
  }

  private settle(q: PartitionQueue, b: ProducerBatch, code: number, a: ProducePartitionResponse | undefined): void {
    if (code === ErrorCode.NONE || code === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) {
      this.leaderWaits.delete(q) // the leader it went to works
      this.acc.complete(q, b, true)
      b.resolve({ baseOffset: a?.baseOffset ?? -1 })
      return
    }
    this.cluster.metadata.applyLeaderHint(q.topic, q.partition, a?.currentLeader)
    let err = responseError(code, a?.errorMessage, `${q.topic}-${q.partition}`)
    if (code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER && q.batches[0] !== b) {
      // An earlier batch of this partition is not through yet: this one is out of order only
      // because that one is missing, and goes again after it.
      err = new TributaryError(ErrorCode.NOT_ENOUGH_REPLICAS, `${q.topic}-${q.partition}: waiting for an earlier batch (${err.message})`)
    }
    this.retryOrFail(q, b, err)
  }

  /** q's batches go again as soon as the metadata names a leader newer than `failedEpoch`. */
  private awaitNewLeader(q: PartitionQueue, failedEpoch: number): void {
    const known = this.leaderWaits.get(q)
    this.leaderWaits.set(q, Math.max(known ?? -1, failedEpoch))
    if (this.checkLeaderWaits()) return
    if (known === undefined && !this.cancelLeaderPoll && !this.leaderPolling) this.leaderPollAttempt = 0
    this.scheduleLeaderPoll()
  }

  /** Release partitions whose new leader is known (or that have nothing left to send); true if any was released. */
  private checkLeaderWaits(): boolean {
    let released = false
    for (const [q, epoch] of this.leaderWaits) {
      if (this.acc.queues.get(topicPartitionKey(q.topic, q.partition)) !== q || q.batches.every((b) => b.acked)) {
        this.leaderWaits.delete(q)
        continue
      }
      const p = this.cluster.metadata.partition(q.topic, q.partition)
      if (!p || p.leader < 0 || p.leaderEpoch <= epoch || this.cluster.metadata.endpoint(p.leader) === undefined) continue
      this.leaderWaits.delete(q)
      for (const b of q.batches) if (!b.inFlight && !b.acked) b.retryAt = 0
      released = true
    }
    if (released) this.wake()
    return released
  }

  private scheduleLeaderPoll(): void {
    if (this.stopped || this.cancelLeaderPoll || this.leaderPolling || this.leaderWaits.size === 0) return
    const delay = Math.min(LEADER_POLL_MS_MAX, LEADER_POLL_MS_MIN * 2 ** Math.min(this.leaderPollAttempt++, 10))
    this.cancelLeaderPoll = this.cluster.clock.setTimeout(() => {
      this.cancelLeaderPoll = undefined
      this.leaderPolling = true
      this.cluster
        .refreshMetadata()
        .catch(() => {})
        .finally(() => {
          this.leaderPolling = false
          if (this.stopped) return
          this.checkLeaderWaits()
          this.scheduleLeaderPoll()
        })
    }, delay)
  }

  private retryOrFail(q: PartitionQueue, b: ProducerBatch, err: TributaryError): void {
    if (b.acked || !q.batches.includes(b)) return
    this.acc.markReturned(q, b)
    if (err.retriable && b.attempts < this.opts.retry.retries && !this.stopped) {
      b.retryAt = this.cluster.clock.now() + backoffMs(b.attempts, this.opts.retry, this.cluster.random)
      b.attempts++
      if (LEADER_ERRORS.has(err.code)) {
        // Keep a newer leader the metadata already has (a refresh, or the answer's leader hint).
        const p = this.cluster.metadata.partition(q.topic, q.partition)
        if (p && p.leaderEpoch <= b.sentLeaderEpoch) this.cluster.metadata.invalidateLeader(q.topic, q.partition)
        this.awaitNewLeader(q, b.sentLeaderEpoch)
        this.cluster.refreshMetadata().then(() => this.checkLeaderWaits(), () => {})
      }
      return
    }
    this.acc.complete(q, b, false)
    b.reject(err)
    // A sequenced batch that may or may not be written leaves a hole later batches cannot
    // cross: start a new producer id (fresh sequences) rather than fail everything after it.
    if (this.opts.idempotent && (b.baseSequence >= 0 || SEQUENCE_BREAKING.has(err.code)) && this.pid?.producerId === b.producerId) {
      this.pid = undefined
      this.sequences.clear()
    }
  }
}
