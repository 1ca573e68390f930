/**
 * Hands fetched batches to user code: `run({ eachMessage | eachBatch })` with
 * up to partitionsConsumedConcurrently partitions at once (one batch per
 * partition at a time, so each partition stays in order), and the async
 * iterator. A handler that throws gets the same message again after a backoff,
 * up to the retry limit; then the consumer crashes rather than skip it.
 */
import { backoffMs, sleep, type RetryPolicy } from './backoff.js'
import { asTributaryError } from './errors.js'
import type { FetchedBatch } from './fetch-partition-state.js'
import type { Fetcher } from './fetcher.js'
import type { TopicPartition } from './group-member.js'
import { tpKey } from './list-offsets.js'
import type { OffsetTracker } from './offset-tracker.js'
import type { ConsumedMessage } from './records.js'
import type { Clock, TributaryError } from '@tributary/protocol'

export interface EachMessagePayload {
  topic: string
  partition: number
  message: ConsumedMessage
  /** Heartbeats run in the background; kept for kafkajs compatibility. */
  heartbeat(): Promise<void>
  /** Pause this partition after the current message. */
  pause(): () => void
}

export interface Batch {
  topic: string
  partition: number
  highWatermark: number
  messages: ConsumedMessage[]
  isEmpty(): boolean
  firstOffset(): number | null
  lastOffset(): number
  /** Messages between the last one in this batch and the high watermark. */
  offsetLag(): number
}

export interface EachBatchPayload {
  batch: Batch
  /** Mark `offset` processed (the commit will be offset + 1). */
  resolveOffset(offset: number): void
  heartbeat(): Promise<void>
  commitOffsetsIfNecessary(): Promise<void>
  isRunning(): boolean
  /** True once a seek or revocation made the rest of this batch obsolete. */
  isStale(): boolean
  pause(): () => void
}

export interface RunConfig {
  eachMessage?: (payload: EachMessagePayload) => Promise<void> | void
  eachBatch?: (payload: EachBatchPayload) => Promise<void> | void
  /** Partitions processed at the same time (each still in order). Default 1. */
  partitionsConsumedConcurrently?: number
  /** With eachBatch: mark the whole batch processed when the handler returns. Default true. */
  eachBatchAutoResolve?: boolean
}

export interface RunnerHost {
  readonly fetcher: Fetcher
  readonly tracker: OffsetTracker
  readonly retry: RetryPolicy
  readonly signal: AbortSignal
  readonly clock: Clock
  readonly random: () => number
  isRunning(): boolean
  isPaused(topic: string, partition: number): boolean
  pause(tps: Array<{ topic: string; partitions?: number[] }>): void
  resume(tps: Array<{ topic: string; partitions?: number[] }>): void
  commitIfNecessary(): Promise<void>
  crash(err: TributaryError): void
}

export class Runner {
  private readonly processing = new Map<string, Promise<void>>()
  private readonly failures = new Map<string, number>()
  private workers: Promise<void>[] = []

  constructor(private readonly host: RunnerHost) {}

  start(config: RunConfig, concurrency: number): void {
    for (let i = 0; i < concurrency; i++) this.workers.push(this.worker(config))
  }

  /** Resolves when every worker has exited (after isRunning turns false). */
  async stopped(): Promise<void> {
    await Promise.all(this.workers)
    this.workers = []
  }

  /** Wait until no handler is working on these partitions. */
  async idle(tps: TopicPartition[]): Promise<void> {
    await Promise.all(tps.map((tp) => this.processing.get(tpKey(tp.topic, tp.partition))))
  }

  private async worker(config: RunConfig): Promise<void> {
    const { fetcher } = this.host
    while (this.host.isRunning()) {
      const b = fetcher.take()
      if (!b) {
        await fetcher.waitForData()
        continue
      }
      await this.track(b, () => (config.eachBatch ? this.runBatch(b, config) : this.runMessages(b, config)))
    }
  }

  /** Register b's partition as busy while fn runs; always released. */
  private async track(b: FetchedBatch, fn: () => Promise<void>): Promise<void> {
    const key = tpKey(b.topic, b.partition)
    let done!: () => void
    this.processing.set(key, new Promise<void>((r) => (done = r)))
    try {
      await fn()
    } finally {
      this.processing.delete(key)
      this.host.fetcher.release(b.topic, b.partition)
      done()
    }
  }

  private current(b: FetchedBatch): boolean {
    return this.host.isRunning() && this.host.fetcher.isCurrent(b) && !this.host.isPaused(b.topic, b.partition)
  }

  /** Stop mid-batch: the rest is fetched again from `next` later. */
  private rewind(b: FetchedBatch, next: number): void {
    if (this.host.fetcher.isCurrent(b)) this.host.fetcher.seek(b.topic, b.partition, next)
  }

  private pauseFn(topic: string, partition: number): () => () => void {
    return () => {
      this.host.pause([{ topic, partitions: [partition] }])
      return () => this.host.resume([{ topic, partitions: [partition] }])
    }
  }

  private async runMessages(b: FetchedBatch, config: RunConfig): Promise<void> {
    const { topic, partition } = b
    const pause = this.pauseFn(topic, partition)
    for (const message of b.messages) {
      if (!this.current(b)) return this.rewind(b, message.offset)
      try {
        await config.eachMessage!({ topic, partition, message, heartbeat: async () => {}, pause })
      } catch (err) {
        return this.failed(b, message.offset, err)
      }
      this.failures.delete(tpKey(topic, partition))
      this.host.tracker.resolve(topic, partition, message.offset + 1)
    }
  }

  private async runBatch(b: FetchedBatch, config: RunConfig): Promise<void> {
    const { topic, partition, messages } = b
    let resolvedUpTo = -1
    const batch: Batch = {
      topic,
      partition,
      highWatermark: b.highWatermark,
      messages,
      isEmpty: () => messages.length === 0,
      firstOffset: () => messages[0]?.offset ?? null,
      lastOffset: () => messages[messages.length - 1]?.offset ?? b.highWatermark - 1,
      offsetLag: () => Math.max(0, b.highWatermark - 1 - (messages[messages.length - 1]?.offset ?? b.highWatermark - 1)),
    }
    try {
      await config.eachBatch!({
        batch,
        resolveOffset: (offset) => {
          if (!this.host.fetcher.isCurrent(b)) return
          resolvedUpTo = Math.max(resolvedUpTo, offset)
          this.host.tracker.resolve(topic, partition, offset + 1)
        },
        heartbeat: async () => {},
        commitOffsetsIfNecessary: () => this.host.commitIfNecessary(),
        isRunning: () => this.host.isRunning(),
        isStale: () => !this.host.fetcher.isCurrent(b),
        pause: this.pauseFn(topic, partition),
      })
    } catch (err) {
      const firstUnresolved = messages.find((m) => m.offset > resolvedUpTo)?.offset
      if (firstUnresolved !== undefined) return this.failed(b, firstUnresolved, err)
      return
    }
    this.failures.delete(tpKey(topic, partition))
    const last = messages[messages.length - 1]
    if (!this.host.fetcher.isCurrent(b)) return
    if (config.eachBatchAutoResolve !== false && last) this.host.tracker.resolve(topic, partition, last.offset + 1)
    else if (resolvedUpTo < (last?.offset ?? -1) && this.host.isPaused(topic, partition)) this.rewind(b, resolvedUpTo + 1)
  }

  /** A handler threw at `offset`: deliver it again after a backoff, or crash once retries run out. */
  private async failed(b: FetchedBatch, offset: number, err: unknown): Promise<void> {
    const key = tpKey(b.topic, b.partition)
    const n = this.failures.get(key) ?? 0
    this.rewind(b, offset)
    if (n >= this.host.retry.retries) {
      this.failures.delete(key)
      const e = asTributaryError(err)
      this.host.crash(e)
      return
    }
    this.failures.set(key, n + 1)
    await sleep(backoffMs(n, this.host.retry, this.host.random), this.host.signal, this.host.clock).catch(() => {})
  }

  /** Messages one at a time; a message counts as processed when the next is asked for (or the loop ends). */
  iterate(): AsyncIterableIterator<ConsumedMessage> {
    const host = this.host
    let batch: FetchedBatch | undefined
    let done: (() => void) | undefined
    let index = 0
    let pending: ConsumedMessage | undefined
    const settle = (): void => {
      if (pending && batch && host.fetcher.isCurrent(batch)) host.tracker.resolve(pending.topic, pending.partition, pending.offset + 1)
      pending = undefined
    }
    const releaseBatch = (): void => {
      if (!batch) return
      const rest = batch.messages[index]
      if (rest) this.rewind(batch, rest.offset)
      const b = batch
      batch = undefined
      this.processing.delete(tpKey(b.topic, b.partition))
      host.fetcher.release(b.topic, b.partition)
      done?.()
    }
    const it: AsyncIterableIterator<ConsumedMessage> = {
      next: async () => {
        settle()
        for (;;) {
          if (batch && index < batch.messages.length && this.current(batch)) {
            pending = batch.messages[index++]
            return { value: pending, done: false }
          }
          releaseBatch()
          if (!host.isRunning()) return { value: undefined, done: true }
          const b = host.fetcher.take()
          if (!b) {
            await host.fetcher.waitForData()
            continue
          }
          batch = b
          index = 0
          this.processing.set(tpKey(b.topic, b.partition), new Promise<void>((r) => (done = r)))
        }
      },
      return: async () => {
        settle()
        releaseBatch()
        return { value: undefined, done: true }
      },
      [Symbol.asyncIterator]: () => it,
    }
    return it
  }
}
