/**
 * Per-partition queues of producer batches, and the bounded buffer that makes
 * `send` wait when full. Batches leave a queue in order, up to maxInFlight at a
 * time; once any batch of a partition failed, that partition sends one batch at a
 * time until the failed ones are through, so a retry never overtakes a later batch.
 * Only full batches pipeline: a batch still filling goes once its partition has
 * nothing in flight (and its linger is over), so under load records gather into
 * fewer, larger requests instead of many small ones competing for the brokers.
 */
import { BATCH_HEADER_BYTES, RecordBatchBuilder, topicPartitionKey, type BuildOptions, type RecordInput } from '@tributary/protocol'
import { closedError } from './errors.js'
import type { RecordMetadata } from './records.js'

export interface BatchResult { baseOffset: number }

/**
 * One partition's batch: records are encoded as they are appended (RecordBatchBuilder), so
 * it holds bytes, not the senders' objects, while it fills, waits and is in flight. Its
 * working buffer grows by doubling: until sealed it may be up to twice the records' bytes
 * that the buffer accounting (bufferBytes) reserves for them.
 */
export class ProducerBatch {
  /** Records appended. */
  count = 0
  /** Encodes the records as they come; dropped once the batch is sealed. */
  private builder: RecordBatchBuilder | undefined
  /** Estimated encoded bytes (header included). */
  bytes = BATCH_HEADER_BYTES
  /** Bytes reserved from the buffer for this batch's records. */
  reserved = 0
  /** Set once encoded: the bytes sent and re-sent on retry, sequence included. */
  encoded: Uint8Array | undefined
  baseSequence = -1
  /** Producer id the batch was sealed with (-1 = none). */
  producerId = -1
  inFlight = false
  /** Acknowledged, but a batch before it is not yet: it stays queued until it reaches the head. */
  acked = false
  attempts = 0
  retryAt = 0
  /** Leader epoch (in this client's metadata) of the leader the batch was last sent to; -1 = not yet sent. */
  sentLeaderEpoch = -1
  readonly promise: Promise<BatchResult>
  resolve!: (r: BatchResult) => void
  reject!: (e: Error) => void

  constructor(readonly topic: string, readonly partition: number, readonly createdAt: number) {
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
    this.promise.catch(() => {}) // observed by send(); never an unhandled rejection
  }

  get closed(): boolean {
    return this.encoded !== undefined
  }

  /** buffer: working space for a new builder (see Accumulator.seal). */
  append(record: RecordInput, now: number, buffer?: () => Uint8Array | undefined): void {
    this.builder ??= new RecordBatchBuilder(record.timestamp ?? now, buffer?.())
    this.builder.append(record, now)
    this.count++
  }

  /** Encode for sending (once: retries resend these bytes); the batch takes no more records. Returns the builder's spent buffer. */
  seal(opts: BuildOptions): Uint8Array | undefined {
    if (this.encoded) return undefined
    const builder = this.builder!
    this.encoded = builder.build(opts)
    this.builder = undefined
    return builder.takeBuffer()
  }

  /** Offsets in this batch of one-record sends, in the order they called recordMetadata. */
  private readonly waiting: number[] = []
  private answered = 0
  private oneRecord: ((r: BatchResult) => RecordMetadata[]) | undefined

  /**
   * The metadata of the record at `index`, once the batch is acknowledged. Every call adds
   * one reaction with one shared function: reactions run in the order they were added, so
   * the n-th run answers the n-th caller, and a send costs no closure of its own.
   */
  recordMetadata(index: number): Promise<RecordMetadata[]> {
    this.waiting.push(index)
    this.oneRecord ??= (r) => {
      const i = this.waiting[this.answered++]!
      return [{ topic: this.topic, partition: this.partition, offset: r.baseOffset < 0 ? -1 : r.baseOffset + i }]
    }
    return this.promise.then(this.oneRecord)
  }
}

export interface PartitionQueue {
  topic: string
  partition: number
  batches: ProducerBatch[]
  /** Batches of this queue in flight. */
  inFlight: number
}

export interface AccumulatorOptions {
  /** A batch stops accepting records past this many bytes (one bigger record still gets its own batch). */
  batchBytes: number
  lingerMs: number
  /** All records not yet acknowledged, in bytes; send waits beyond it. */
  bufferBytes: number
  /** Batches of one partition in flight at once (1 keeps order without idempotence). */
  maxInFlight: number
}

interface Waiter { bytes: number; resolve: () => void; reject: (e: Error) => void }

export class Accumulator {
  readonly queues = new Map<string, PartitionQueue>()
  private bufferedBytes = 0
  private readonly waiters: Waiter[] = []
  /** Batches created before this instant are sent without waiting for linger (flush). */
  flushBefore = -1
  private closedWith: Error | undefined
  /** Resolved once nothing is reserved and nobody waits for room (see drained). */
  private drainedWaiters: Array<() => void> = []

  constructor(readonly opts: AccumulatorOptions) {}

  get buffered(): number {
    return this.bufferedBytes
  }

  get waiting(): number {
    return this.waiters.length
  }

  /** Reserve buffer space without waiting; false if the caller must `reserve` (and wait). */
  tryReserve(bytes: number): boolean {
    if (this.closedWith) throw this.closedWith
    if (this.waiters.length > 0) return false
    if (this.bufferedBytes > 0 && this.bufferedBytes + bytes > this.opts.bufferBytes) return false
    this.bufferedBytes += bytes
    return true
  }

  /** Wait, in arrival order, until bytes fit (a lone record larger than the buffer fits an empty one). */
  reserve(bytes: number): Promise<void> {
    if (this.tryReserve(bytes)) return Promise.resolve()
    return new Promise((resolve, reject) => this.waiters.push({ bytes, resolve, reject }))
  }

  release(bytes: number): void {
    this.bufferedBytes -= bytes
    while (this.waiters.length > 0) {
      const w = this.waiters[0]
      if (this.bufferedBytes > 0 && this.bufferedBytes + w.bytes > this.opts.bufferBytes) break
      this.waiters.shift()
      this.bufferedBytes += w.bytes
      w.resolve()
    }
    if (this.bufferedBytes === 0 && this.waiters.length === 0) for (const d of this.drainedWaiters.splice(0)) d()
  }

  /**
   * Resolves once every reservation has been released (its batch acknowledged or failed) and
   * no send waits for room. A reservation is held from before its record is appended until its
   * batch settles, so this also covers a send that got room and has not appended yet.
   */
  drained(): Promise<void> {
    if (this.bufferedBytes === 0 && this.waiters.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.drainedWaiters.push(resolve))
  }

  /** Set by append: the record filled a batch (or found the open one full), so a batch is ready. */
  filled = false
  /** The queue the last append used: records of one send mostly go to one partition (no key string per record). */
  private lastQueue: PartitionQueue | undefined

  /** Append to the partition's open batch and return that batch (the record is its last, stamped `now` unless it has a timestamp). */
  append(topic: string, partition: number, record: RecordInput, bytes: number, now: number): ProducerBatch {
    let q = this.lastQueue
    if (q === undefined || q.partition !== partition || q.topic !== topic) {
      const key = topicPartitionKey(topic, partition)
      q = this.queues.get(key)
      if (!q) {
        q = { topic, partition, batches: [], inFlight: 0 }
        this.queues.set(key, q)
      }
      this.lastQueue = q
    }
    let batch = q.batches[q.batches.length - 1]
    this.filled = false
    let fresh = false
    if (!batch || batch.closed || (batch.count > 0 && batch.bytes + bytes > this.opts.batchBytes)) {
      this.filled = batch !== undefined && !batch.closed
      batch = new ProducerBatch(topic, partition, now)
      fresh = true
    }
    batch.append(record, now, this.takeSpare)
    // Queued only once it holds the record: a batch left empty by a throwing append would have no bytes to seal.
    if (fresh) q.batches.push(batch)
    batch.bytes += bytes
    batch.reserved += bytes
    if (batch.bytes >= this.opts.batchBytes) this.filled = true
    return batch
  }

  /** One builder buffer kept from a sealed batch for the next new one (bounded: one, of at most about 2 x batchBytes). */
  private spare: Uint8Array | undefined
  private readonly takeSpare = (): Uint8Array | undefined => {
    const b = this.spare
    this.spare = undefined
    return b
  }

  /** Seal batch for sending (see ProducerBatch.seal), keeping its working buffer for the next batch. */
  seal(batch: ProducerBatch, opts: BuildOptions): Uint8Array {
    const spent = batch.seal(opts)
    if (spent !== undefined && spent.length <= 4 * this.opts.batchBytes && (this.spare === undefined || spent.length > this.spare.length)) this.spare = spent
    return batch.encoded!
  }

  /** The next batch of q to send now, if any: in queue order, within maxInFlight, one at a time while recovering. */
  nextToSend(q: PartitionQueue, now: number): ProducerBatch | undefined {
    if (q.inFlight >= this.opts.maxInFlight) return undefined
    let recovering = false
    let index = -1
    for (let i = 0; i < q.batches.length; i++) {
      const b = q.batches[i]
      if (b.attempts > 0 && !b.acked) recovering = true
      if (!b.inFlight && !b.acked) {
        index = i
        break
      }
    }
    if (index < 0) return undefined
    const next = q.batches[index]
    if ((recovering && q.inFlight > 0) || next.retryAt > now) return undefined
    if (this.isFull(q, index)) return next
    // A batch still filling waits while its partition has one in flight: records that
    // arrive during that round trip ride in it, so a busy partition sends fewer, fuller
    // requests and an idle one still sends at once (linger 0).
    if (q.inFlight > 0) return undefined
    return now - next.createdAt >= this.opts.lingerMs || next.createdAt <= this.flushBefore ? next : undefined
  }

  /** The batch at `index` takes no more records (sealed, followed by another, or at batchBytes). */
  private isFull(q: PartitionQueue, index: number): boolean {
    const b = q.batches[index]
    return b.closed || index < q.batches.length - 1 || b.bytes >= this.opts.batchBytes
  }

  /** Milliseconds until some queue's next batch becomes sendable (linger or retry backoff); undefined if none waits. */
  nextReadyIn(now: number): number | undefined {
    let soonest: number | undefined
    for (const q of this.queues.values()) {
      if (q.inFlight >= this.opts.maxInFlight) continue
      const index = q.batches.findIndex((b) => !b.inFlight && !b.acked)
      if (index < 0) continue
      const next = q.batches[index]
      const full = this.isFull(q, index)
      if (!full && q.inFlight > 0) continue // goes when the batch in flight is answered (send wakes then)
      const at = full ? next.retryAt : Math.max(next.retryAt, next.createdAt + this.opts.lingerMs)
      soonest = soonest === undefined ? at : Math.min(soonest, at)
    }
    return soonest === undefined ? undefined : Math.max(0, soonest - now)
  }

  markSent(q: PartitionQueue, batch: ProducerBatch): void {
    if (batch.inFlight) return
    batch.inFlight = true
    q.inFlight++
  }

  /** A send of batch ended without settling it (it will be retried). */
  markReturned(q: PartitionQueue, batch: ProducerBatch): void {
    if (!batch.inFlight) return
    batch.inFlight = false
    q.inFlight--
  }

  /** batch is settled (acknowledged or failed): free its buffer space and drop settled batches from the head. */
  complete(q: PartitionQueue, batch: ProducerBatch, acked: boolean): void {
    this.markReturned(q, batch)
    if (acked) batch.acked = true
    else q.batches.splice(q.batches.indexOf(batch), 1)
    while (q.batches.length > 0 && q.batches[0].acked) q.batches.shift()
    this.release(batch.reserved)
    batch.reserved = 0
    if (q.batches.length === 0) {
      this.queues.delete(topicPartitionKey(q.topic, q.partition))
      if (this.lastQueue === q) this.lastQueue = undefined
    }
  }

  /** Every batch still queued or in flight. */
  allBatches(): ProducerBatch[] {
    return [...this.queues.values()].flatMap((q) => q.batches)
  }

  isEmpty(): boolean {
    return this.queues.size === 0
  }

  /** Fail all waiting reservations and refuse new ones. */
  close(err: Error = closedError('producer')): void {
    this.closedWith = err
    for (const w of this.waiters.splice(0)) w.reject(err)
  }

  /** After the sender stopped: fail every batch still queued, so no send waits forever. */
  failAll(err: Error): void {
    for (const q of this.queues.values()) {
      for (const b of q.batches) {
        this.bufferedBytes -= b.reserved
        b.reserved = 0
        b.reject(err)
      }
      q.batches.length = 0 // an answer still in flight then finds nothing to settle
    }
    this.queues.clear()
    this.lastQueue = undefined
  }
}
