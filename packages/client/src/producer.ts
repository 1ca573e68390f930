/**
 * The producer: `send({ topic, messages })` partitions each message (explicit
 * partition, murmur2 of the key, or sticky for null keys), appends it to its
 * partition's open batch, and resolves once every batch holding its messages
 * is acknowledged, with each message's offset.
 */
import { BATCH_HEADER_BYTES, ErrorCode, TributaryError, WRITABLE_COMPRESSION, type Acks, type Clock, type WritableCompression } from '@tributary/protocol'
import { Accumulator, type ProducerBatch } from './accumulator.js'
import { retryPolicy, type RetryOptions } from './backoff.js'
import type { Cluster } from './cluster.js'
import { ArgumentError, assertArg, closedError, intOption } from './errors.js'
import { StickyPartitioner, partitionForKey } from './partitioner.js'
import { checkMessage, type Message, type RecordMetadata } from './records.js'
import { Sender } from './sender.js'

export interface ProducerConfig {
  /** 'all' (= -1, default), 1 (leader only) or 0 (no answer). */
  acks?: 'all' | -1 | 0 | 1
  /** Default true: exactly-once per partition across retries. Needs acks 'all' and retries > 0. */
  idempotent?: boolean
  /** How long a batch waits for more records before it is sent. */
  lingerMs?: number
  /** A partition's batch is sent once it holds this many (estimated) bytes. */
  batchBytes?: number
  /** Bytes of records not yet acknowledged; `send` waits for room beyond this. */
  bufferBytes?: number
  /** Largest single record batch, as the broker's message.max.bytes (default 1 MiB). */
  maxMessageBytes?: number
  /** gzip, snappy and lz4 are written; zstd batches are read but not written. */
  compression?: WritableCompression
  /** How long the leader may wait for the ISR before answering REQUEST_TIMED_OUT. */
  ackTimeoutMs?: number
  retry?: RetryOptions
  /** Custom partitioner; the default is Kafka's (murmur2 + sticky). */
  partitioner?: (args: { topic: string; partitionCount: number; message: Message }) => number
}

export interface ProducerRecord {
  topic: string
  messages: Message[]
}

export const LINGER_MS_DEFAULT = 5
/**
 * 1 MiB, capped so a full batch fits maxMessageBytes. Without idempotence a partition
 * has one batch in flight (order), so a producer sends batchBytes per partition per
 * round trip: 256 KiB held produce RF 1 at 590k-750k rec/s here, 1 MiB ran 840k-907k
 * in alternated runs. A batch only grows while records wait, so it costs no latency.
 */
export const BATCH_BYTES_DEFAULT = 1024 * 1024
export const BUFFER_BYTES_DEFAULT = 32 * 1024 * 1024
export const MAX_MESSAGE_BYTES_DEFAULT = 1024 * 1024
export const ACK_TIMEOUT_MS_DEFAULT = 30_000
const REQUEST_BYTES_MAX = 8 * 1024 * 1024
/** Kafka's limit with idempotence: the leader remembers the last 5 batch sequences per producer and partition. */
export const IN_FLIGHT_PER_PARTITION_MAX = 5

/** One-record sends in one synchronous run that share a clock reading (see Producer.sendTime). */
const CLOCK_SHARED_SENDS = 16
const RESOLVED = Promise.resolve()

const ACKS: Record<string, Acks> = { all: -1, '-1': -1, '0': 0, '1': 1 }

export class Producer {
  private readonly acc: Accumulator
  private readonly sender: Sender
  private readonly sticky: StickyPartitioner
  private readonly clock: Clock
  private readonly maxMessageBytes: number
  private readonly partitioner: ProducerConfig['partitioner']
  private closing: Promise<void> | undefined
  /** For the sticky partitioner, made once: a closure per send showed in per-record profiles. */
  private readonly availablePartitions = (topic: string): readonly number[] => this.cluster.metadata.availablePartitions(topic)

  constructor(private readonly cluster: Cluster, config: ProducerConfig = {}) {
    this.clock = cluster.clock
    this.sticky = new StickyPartitioner(cluster.random)
    const acks = ACKS[String(config.acks ?? 'all')]
    assertArg(acks !== undefined, `acks must be 'all', -1, 0 or 1, got ${JSON.stringify(config.acks)}`)
    const idempotent = config.idempotent ?? acks === -1
    const retry = retryPolicy(config.retry, cluster.retry)
    if (idempotent && acks !== -1) throw new ArgumentError(`an idempotent producer needs acks 'all' (got ${config.acks}); pass idempotent: false for acks ${config.acks}`)
    if (idempotent && retry.retries < 1) throw new ArgumentError('an idempotent producer needs retries > 0: with no retries it cannot keep exactly-once')
    const lingerMs = intOption(config.lingerMs, LINGER_MS_DEFAULT, 'lingerMs', 0)
    this.maxMessageBytes = intOption(config.maxMessageBytes, MAX_MESSAGE_BYTES_DEFAULT, 'maxMessageBytes', BATCH_HEADER_BYTES + 1)
    const batchBytes = Math.min(intOption(config.batchBytes, BATCH_BYTES_DEFAULT, 'batchBytes', 1), this.maxMessageBytes - BATCH_HEADER_BYTES)
    const bufferBytes = intOption(config.bufferBytes, BUFFER_BYTES_DEFAULT, 'bufferBytes', 1)
    const compression = config.compression ?? 'none'
    assertArg(WRITABLE_COMPRESSION.includes(compression), `compression must be one of ${WRITABLE_COMPRESSION.join(', ')}, got ${JSON.stringify(compression)}`)
    assertArg(config.partitioner === undefined || typeof config.partitioner === 'function', 'partitioner must be a function')
    this.partitioner = config.partitioner
    this.acc = new Accumulator({ batchBytes, lingerMs, bufferBytes, maxInFlight: idempotent ? IN_FLIGHT_PER_PARTITION_MAX : 1 })
    this.sender = new Sender(
      cluster,
      this.acc,
      { acks, ackTimeoutMs: intOption(config.ackTimeoutMs, ACK_TIMEOUT_MS_DEFAULT, 'ackTimeoutMs', 1), idempotent, compression, retry, requestBytesMax: Math.max(REQUEST_BYTES_MAX, this.maxMessageBytes), maxInFlight: idempotent ? IN_FLIGHT_PER_PARTITION_MAX : 1 },
      (topic, partition) => this.sticky.batchClosed(topic, partition),
    )
  }

  /** Optional: fetch metadata and (when idempotent) a producer id up front. */
  async connect(): Promise<void> {
    this.checkOpen()
    await this.cluster.ensureMetadata()
    await this.sender.initProducerId()
  }

  /** Bytes of records accepted but not yet acknowledged. */
  get bufferedBytes(): number {
    return this.acc.buffered
  }

  /** The idempotent producer id, or -1. */
  get producerId(): number {
    return this.sender.producerId
  }

  /**
   * Send messages to one topic; resolves with each message's partition and offset, in order.
   * Each message is encoded (and stamped, without a timestamp of its own) when it joins its
   * batch: at once when the topic's metadata is cached and the buffer has room, else once
   * they are; do not mutate the message objects before the send resolves. One-record sends
   * of one synchronous run share clock readings (see sendTime): such a record's timestamp may
   * be up to 15 sends older than its send.
   */
  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    try {
      const fast = this.sendOneFast(record)
      if (fast) return fast
    } catch (err) {
      return Promise.reject(err)
    }
    return this.sendAny(record)
  }

  /**
   * The common single-message case without async machinery: a cached topic and room in the
   * buffer make it synchronous up to the batch's promise. undefined = take the general path.
   */
  private sendOneFast(record: ProducerRecord): Promise<RecordMetadata[]> | undefined {
    if (record === null || typeof record !== 'object' || !Array.isArray(record.messages) || record.messages.length !== 1) return undefined
    const { topic, messages } = record
    if (typeof topic !== 'string' || this.closing || this.cluster.closed) return undefined
    const now = this.sendTime()
    const meta = this.cluster.cachedTopic(topic, now)
    if (!meta) return undefined
    const m = messages[0]
    const bytes = checkMessage(m, 0)
    if (bytes + BATCH_HEADER_BYTES > this.maxMessageBytes || !this.acc.tryReserve(bytes)) return undefined
    const count = meta.partitions.length
    let partition: number
    try {
      partition = this.choosePartition(topic, count, m, 0)
    } catch (err) {
      this.acc.release(bytes)
      throw err
    }
    if (partition < 0) partition = this.sticky.partition(topic, count, this.availablePartitions)
    const batch = this.acc.append(topic, partition, m, bytes, now)
    if (this.acc.filled) this.sticky.batchClosed(topic, partition)
    this.sender.wake()
    return batch.recordMetadata(batch.count - 1)
  }

  /** The clock reading of this synchronous run of sends, re-read every CLOCK_SHARED_SENDS sends (see sendTime). */
  private clockReading = 0
  private clockUses = 0
  private readonly expireClock = (): void => {
    this.clockUses = 0
  }

  /**
   * Now, for a one-record send. Date.now() costs as much as a tenth of such a send, and a
   * synchronous run of sends takes about a microsecond each: sends of one run share a reading
   * for up to CLOCK_SHARED_SENDS sends, and the next turn of the event loop reads afresh.
   */
  private sendTime(): number {
    if (this.clockUses > 0) {
      this.clockUses--
      return this.clockReading
    }
    this.clockReading = this.clock.now()
    this.clockUses = CLOCK_SHARED_SENDS - 1
    void RESOLVED.then(this.expireClock)
    return this.clockReading
  }

  private async sendAny(record: ProducerRecord): Promise<RecordMetadata[]> {
    this.checkOpen()
    if (record === null || typeof record !== 'object') throw new ArgumentError('send expects { topic, messages }')
    const { topic, messages } = record
    if (typeof topic !== 'string' || topic.length === 0) throw new ArgumentError(`topic must be a non-empty string, got ${JSON.stringify(topic)}`)
    if (!Array.isArray(messages)) throw new ArgumentError(`messages must be an array, got ${typeof messages}`)
    const n = messages.length
    if (n === 0) return []
    const sizes = new Array<number>(n)
    for (let i = 0; i < n; i++) {
      const bytes = checkMessage(messages[i], i)
      if (bytes + BATCH_HEADER_BYTES > this.maxMessageBytes) {
        throw new TributaryError(ErrorCode.MESSAGE_TOO_LARGE, `messages[${i}] is about ${bytes} bytes, over maxMessageBytes ${this.maxMessageBytes}`)
      }
      sizes[i] = bytes
    }
    const meta = this.cluster.cachedTopic(topic) ?? (await this.cluster.topicMetadata(topic))
    const count = meta.partitions.length
    // Explicit, custom and keyed choices are validated before anything is queued.
    const partitions = new Array<number>(n)
    for (let i = 0; i < n; i++) partitions[i] = this.choosePartition(topic, count, messages[i], i)
    const batches = new Array<ProducerBatch>(n)
    const indexes = new Array<number>(n)
    let now = this.clock.now()
    for (let i = 0; i < n; i++) {
      if (!this.acc.tryReserve(sizes[i])) {
        this.sender.wake() // full buffer: make sure what is queued is on its way
        await this.acc.reserve(sizes[i])
        now = this.clock.now()
      }
      if (partitions[i] < 0) partitions[i] = this.sticky.partition(topic, count, this.availablePartitions)
      const batch = this.acc.append(topic, partitions[i], messages[i], sizes[i], now)
      if (this.acc.filled) {
        // KIP-480: keyless records move on once their partition's batch is full.
        this.sticky.batchClosed(topic, partitions[i])
        this.sender.wake()
      }
      batches[i] = batch
      indexes[i] = batch.count - 1
    }
    this.sender.wake()
    const results = new Array<RecordMetadata>(n)
    let last: ProducerBatch | undefined
    let baseOffset = -1
    for (let i = 0; i < n; i++) {
      if (batches[i] !== last) {
        last = batches[i]
        baseOffset = (await last.promise).baseOffset
      }
      results[i] = { topic, partition: partitions[i], offset: baseOffset < 0 ? -1 : baseOffset + indexes[i] }
    }
    return results
  }

  /** Several topics at once; kafkajs's sendBatch({ topicMessages }). */
  async sendBatch(batch: { topicMessages: ProducerRecord[] }): Promise<RecordMetadata[]> {
    if (!batch || !Array.isArray(batch.topicMessages)) throw new ArgumentError('sendBatch expects { topicMessages: [{ topic, messages }] }')
    const all = await Promise.all(batch.topicMessages.map((tm) => this.send(tm)))
    return all.flat()
  }

  /** Resolves once everything accepted so far is acknowledged or has failed. */
  async flush(): Promise<void> {
    const pending = this.acc.allBatches().map((b) => b.promise)
    if (pending.length === 0) return
    this.acc.flushBefore = Math.max(this.acc.flushBefore, this.clock.now())
    this.sender.wake()
    await Promise.allSettled(pending)
  }

  /**
   * Refuse further sends, deliver every send already accepted (also those still waiting for
   * buffer room, as Kafka's close() does), then stop. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  private async shutdown(): Promise<void> {
    // No linger from now on: batches appended while closing (sends that were waiting for
    // room) go out as soon as they may, not after lingerMs.
    this.acc.flushBefore = Number.POSITIVE_INFINITY
    this.sender.wake()
    // Each batch settles (acknowledged, or failed once retries run out), so this ends; a
    // client closed underneath us ends it too, and what is left is failed below.
    const clientClosed = aborted(this.cluster.signal)
    await Promise.race([this.acc.drained(), clientClosed.promise])
    clientClosed.cancel() // the client's signal outlives this producer: leave no listener on it
    this.acc.close()
    this.sender.stop()
    this.acc.failAll(closedError('producer'))
  }

  /** kafkajs spelling. */
  disconnect(): Promise<void> {
    return this.close()
  }

  private checkOpen(): void {
    if (this.closing) throw closedError('producer')
    if (this.cluster.closed) throw closedError('client')
  }

  /** Explicit, custom or keyed choice; -1 for a keyless record (sticky, decided when appended). */
  private choosePartition(topic: string, count: number, m: Message, i: number): number {
    if (m.partition !== undefined) {
      if (m.partition >= count) throw new ArgumentError(`messages[${i}].partition ${m.partition} does not exist: ${topic} has ${count} partitions`)
      return m.partition
    }
    if (this.partitioner) {
      const p = this.partitioner({ topic, partitionCount: count, message: m })
      if (!Number.isInteger(p) || p < 0 || p >= count) throw new ArgumentError(`partitioner returned ${p} for a topic with ${count} partitions`)
      return p
    }
    if (m.key != null) return partitionForKey(m.key, count)
    return -1 // keyless: the sticky partition at append time
  }
}

/** Resolves when `signal` aborts; `cancel` removes the listener. */
function aborted(signal: AbortSignal): { promise: Promise<void>; cancel: () => void } {
  if (signal.aborted) return { promise: Promise.resolve(), cancel: () => {} }
  let onAbort = (): void => {}
  const promise = new Promise<void>((resolve) => {
    onAbort = () => resolve()
    signal.addEventListener('abort', onAbort, { once: true })
  })
  return { promise, cancel: () => signal.removeEventListener('abort', onAbort) }
}
