/**
 * Drains ready partition batches into one Produce request per leader, and
 * settles them from the answers. At most one batch per partition is in flight,
 * so a retry can never overtake a later batch: per-partition order holds under
 * retries, and with idempotence (producer id + per-partition sequence numbers
 * in each batch) a retried batch the broker already has is not written twice.
 */
import {
  ApiKey,
  ErrorCode,
  TributaryError,
  encodeRecordBatch,
  type Acks,
  type ProducePartitionResponse,
  type ProduceRequest,
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
  compression: 'none' | 'gzip'
  retry: RetryPolicy
  /** One Produce request carries at most this many batch bytes; the rest waits for the next. */
  requestBytesMax: number
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

export class Sender {
  private pid: { producerId: number; producerEpoch: number } | undefined
  private pidPromise: Promise<void> | undefined
  private readonly sequences = new Map<string, number>()
  private timer: ReturnType<typeof setTimeout> | undefined
  private timerAt = Infinity
  private draining = false
  private drainAgain = false
  private stopped = false
  /** Produce requests waiting for an answer. */
  inFlightRequests = 0

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
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
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
    const wait = this.acc.nextReadyIn(Date.now())
    if (wait === undefined) return
    const at = Date.now() + wait
    if (this.timer && this.timerAt <= at) return
    if (this.timer) clearTimeout(this.timer)
    this.timerAt = at
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.timerAt = Infinity
      this.wake()
    }, wait)
  }

  private async drainOnce(): Promise<void> {
    const now = Date.now()
    const ready = [...this.acc.queues.values()].filter((q) => this.acc.isReady(q, now))
    if (ready.length === 0) return
    if (this.opts.idempotent && !this.pid) {
      try {
        await this.initProducerId()
      } catch (err) {
        for (const q of ready) this.retryOrFail(q, asTributaryError(err))
        return
      }
    }
    const byNode = new Map<number, PartitionQueue[]>()
    let needMetadata = false
    for (const q of ready) {
      if (!this.acc.isReady(q, Date.now())) continue
      const leader = this.cluster.metadata.leader(q.topic, q.partition)
      if (!leader || this.cluster.metadata.endpoint(leader.nodeId) === undefined) {
        needMetadata = true
        this.retryOrFail(q, new TributaryError(ErrorCode.LEADER_NOT_AVAILABLE, `no leader known for ${q.topic}-${q.partition}`))
        continue
      }
      let list = byNode.get(leader.nodeId)
      if (!list) byNode.set(leader.nodeId, (list = []))
      list.push(q)
    }
    for (const [nodeId, queues] of byNode) {
      let request: PartitionQueue[] = []
      let bytes = 0
      for (const q of queues) {
        const head = this.seal(q)
        if (request.length > 0 && bytes + head.encoded!.length > this.opts.requestBytesMax) {
          void this.produce(nodeId, request)
          request = []
          bytes = 0
        }
        request.push(q)
        bytes += head.encoded!.length
      }
      if (request.length > 0) void this.produce(nodeId, request)
    }
    if (needMetadata) this.cluster.refreshMetadata().then(() => this.wake(), () => {})
  }

  /** Encode the head batch once (sequence assigned here); retries resend the same bytes. */
  private seal(q: PartitionQueue): ProducerBatch {
    const head = q.batches[0]
    q.inFlight = true
    if (head.encoded) return head
    let producerId = -1
    let producerEpoch = -1
    let baseSequence = -1
    if (this.opts.idempotent && this.pid) {
      const key = `${q.topic}\u0000${q.partition}`
      baseSequence = this.sequences.get(key) ?? 0
      this.sequences.set(key, (baseSequence + head.records.length) % (SEQUENCE_MAX + 1))
      producerId = this.pid.producerId
      producerEpoch = this.pid.producerEpoch
    }
    head.baseSequence = baseSequence
    head.encoded = encodeRecordBatch(head.records, { producerId, producerEpoch, baseSequence, compression: this.opts.compression })
    this.onBatchClosed(q.topic, q.partition)
    return head
  }

  private async produce(nodeId: number, queues: PartitionQueue[]): Promise<void> {
    const byTopic = new Map<string, ProduceRequest['topics'][number]>()
    for (const q of queues) {
      let t = byTopic.get(q.topic)
      if (!t) byTopic.set(q.topic, (t = { topic: q.topic, partitions: [] }))
      t.partitions.push({ partition: q.partition, records: q.batches[0].encoded! })
    }
    const body: ProduceRequest = { acks: this.opts.acks, timeoutMs: this.opts.ackTimeoutMs, topics: [...byTopic.values()] }
    const batches = new Map(queues.map((q) => [q, q.batches[0]]))
    /** Queues whose head is still the batch this request carried (not yet settled). */
    const open = (): PartitionQueue[] => queues.filter((q) => q.inFlight && q.batches[0] === batches.get(q))
    this.inFlightRequests++
    try {
      const conn = this.cluster.nodeConnection(nodeId)
      if (this.opts.acks === 0) {
        await conn.sendOneWay(ApiKey.Produce, body)
        for (const q of queues) this.settle(q, ErrorCode.NONE, undefined)
        return
      }
      const r = await conn.request(ApiKey.Produce, body, { timeoutMs: Math.max(this.cluster.requestTimeoutMs, this.opts.ackTimeoutMs + 5_000) })
      if (r.errorCode !== ErrorCode.NONE) {
        const err = responseError(r.errorCode, (r.body as { errorMessage?: string })?.errorMessage, `produce to broker ${nodeId}`)
        for (const q of queues) this.retryOrFail(q, err)
        return
      }
      const answers = new Map<string, ProducePartitionResponse>()
      for (const t of r.body.topics ?? []) for (const p of t.partitions) answers.set(`${t.topic}\u0000${p.partition}`, p)
      for (const q of queues) {
        const a = answers.get(`${q.topic}\u0000${q.partition}`)
        if (!a) this.retryOrFail(q, new TributaryError(ErrorCode.UNKNOWN_SERVER_ERROR, `broker ${nodeId} did not answer for ${q.topic}-${q.partition}`))
        else this.settle(q, a.errorCode, a)
      }
    } catch (err) {
      const e = asTributaryError(err)
      for (const q of open()) this.retryOrFail(q, e)
    } finally {
      this.inFlightRequests--
      this.wake()
    }
  }

  private settle(q: PartitionQueue, code: number, a: ProducePartitionResponse | undefined): void {
    const head = q.batches[0]
    if (code === ErrorCode.NONE || code === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) {
      this.acc.complete(q, head)
      head.resolve({ baseOffset: a?.baseOffset ?? -1 })
      return
    }
    this.cluster.metadata.applyLeaderHint(q.topic, q.partition, a?.currentLeader)
    this.retryOrFail(q, responseError(code, a?.errorMessage, `${q.topic}-${q.partition}`))
  }

  private retryOrFail(q: PartitionQueue, err: TributaryError): void {
    const head = q.batches[0]
    if (!head) return
    if (err.retriable && head.attempts < this.opts.retry.retries && !this.stopped) {
      head.retryAt = Date.now() + backoffMs(head.attempts, this.opts.retry)
      head.attempts++
      q.inFlight = false
      if (LEADER_ERRORS.has(err.code)) {
        this.cluster.metadata.invalidateLeader(q.topic, q.partition)
        this.cluster.refreshMetadata().catch(() => {})
      }
      return
    }
    this.acc.complete(q, head)
    head.reject(err)
    // A sequenced batch that may or may not be written leaves a hole later batches cannot
    // cross: start a new producer id (fresh sequences) rather than fail everything after it.
    if (this.opts.idempotent && (head.baseSequence >= 0 || SEQUENCE_BREAKING.has(err.code))) {
      this.pid = undefined
      this.sequences.clear()
    }
  }
}
