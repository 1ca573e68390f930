/**
 * The consumer: a group member (with groupId) or a plain reader of assigned
 * partitions (without). Delivery goes through `run({ eachMessage | eachBatch })`
 * or `for await (const m of consumer)`; offsets are committed on an interval,
 * on revocation and on disconnect (autoCommit), or by hand with `commit()`
 * (everything processed) or `commitOffsets(offsets)` (explicit offsets).
 */
import { every, type TributaryError } from '@tributary/protocol'
import { retryPolicy, type RetryOptions, type RetryPolicy } from './backoff.js'
import type { Cluster } from './cluster.js'
import { Runner, type RunConfig } from './consumer-runner.js'
import { ConsumerEmitter, type ConsumerEvent, type ConsumerListener } from './consumer-events.js'
import { Coordinators } from './coordinator.js'
import { ArgumentError, assertArg, closedError, intOption } from './errors.js'
import { Fetcher } from './fetcher.js'
import { GroupMember, type TopicPartition } from './group-member.js'
import { tpKey } from './list-offsets.js'
import { OffsetTracker, type TopicPartitionOffset } from './offset-tracker.js'
import { checkTopicRegExp, subscriptionRegex, unmatchedPatternWarnings } from './topic-pattern.js'
import type { ConsumedMessage } from './records.js'

export interface ConsumerConfig {
  /** Join this consumer group; without it, use assign() (or subscribe() to read every partition). */
  groupId?: string
  /** With no committed offset (or after OFFSET_OUT_OF_RANGE): earliest (true) or latest (false, default). */
  fromBeginning?: boolean
  sessionTimeoutMs?: number
  rebalanceTimeoutMs?: number
  autoCommit?: boolean
  autoCommitIntervalMs?: number
  /** Fetch long-poll: the broker answers after this long even with no data. */
  maxWaitTimeInMs?: number
  minBytes?: number
  maxBytes?: number
  maxBytesPerPartition?: number
  /** Bound on fetched-but-undelivered bytes across partitions. */
  prefetchBytes?: number
  /** Handler failures and partition errors: retries before crashing. */
  retry?: RetryOptions
}

type TopicSelector = Array<{ topic: string; partitions?: number[] }>

const MiB = 1024 * 1024

export class Consumer implements AsyncIterable<ConsumedMessage> {
  private readonly fetcher: Fetcher
  private readonly member: GroupMember | undefined
  private readonly tracker: OffsetTracker
  private readonly runner: Runner
  private readonly retry: RetryPolicy
  private readonly abort = new AbortController()
  private readonly events = new ConsumerEmitter()
  private readonly paused = new Set<string>()
  private readonly autoCommit: boolean
  private readonly autoCommitIntervalMs: number
  private mode: 'idle' | 'run' | 'iterator' = 'idle'
  private subscribed: { names: string[]; regexes: RegExp[] } | undefined
  private stopCommitTimer: (() => void) | undefined
  private running = false
  private disconnecting: Promise<void> | undefined
  private fromBeginning: boolean

  constructor(private readonly cluster: Cluster, private readonly config: ConsumerConfig = {}) {
    const c = config
    assertArg(c.groupId === undefined || (typeof c.groupId === 'string' && c.groupId.length > 0), `groupId must be a non-empty string, got ${JSON.stringify(c.groupId)}`)
    this.retry = retryPolicy(c.retry, { retries: 5, initialRetryTimeMs: 300, maxRetryTimeMs: 30_000 })
    this.fromBeginning = c.fromBeginning ?? false
    this.autoCommit = c.autoCommit ?? true
    this.autoCommitIntervalMs = intOption(c.autoCommitIntervalMs, 5_000, 'autoCommitIntervalMs', 1)
    const maxBytes = intOption(c.maxBytes, 10 * MiB, 'maxBytes', 1)
    this.fetcher = new Fetcher(cluster, {
      maxWaitMs: intOption(c.maxWaitTimeInMs, 500, 'maxWaitTimeInMs', 0),
      minBytes: intOption(c.minBytes, 1, 'minBytes', 0),
      maxBytes,
      maxBytesPerPartition: Math.min(maxBytes, intOption(c.maxBytesPerPartition, MiB, 'maxBytesPerPartition', 1)),
      prefetchBytes: intOption(c.prefetchBytes, 16 * MiB, 'prefetchBytes', 1),
      resetTo: () => (this.fromBeginning ? 'earliest' : 'latest'),
      onError: (err) => this.crash(err),
      retries: this.retry.retries,
    })
    const coordinators = new Coordinators(cluster)
    if (c.groupId !== undefined) {
      this.member = new GroupMember(
        cluster,
        coordinators,
        { groupId: c.groupId, sessionTimeoutMs: intOption(c.sessionTimeoutMs, 45_000, 'sessionTimeoutMs', 1), rebalanceTimeoutMs: intOption(c.rebalanceTimeoutMs, 60_000, 'rebalanceTimeoutMs', 1) },
        {
          assigned: (tps) => this.onAssigned(tps),
          revoked: (tps) => this.onRevoked(tps, true),
          lost: (tps) => this.onRevoked(tps, false),
          fatal: (err) => this.crash(err),
        },
      )
    }
    this.tracker = new OffsetTracker(c.groupId, coordinators, this.member)
    this.runner = new Runner({
      fetcher: this.fetcher,
      tracker: this.tracker,
      retry: this.retry,
      signal: this.abort.signal,
      clock: cluster.clock,
      random: cluster.random,
      isRunning: () => this.running,
      isPaused: (t, p) => this.paused.has(tpKey(t, p)),
      pause: (tps) => this.pause(tps),
      resume: (tps) => this.resume(tps),
      commitIfNecessary: () => this.commitIfNecessary(),
      crash: (err) => this.crash(err),
    })
  }

  /** Listen to an event (payloads: ConsumerEvents); returns the function that removes the listener. */
  on<E extends ConsumerEvent>(event: E, listener: ConsumerListener<E>): () => void {
    return this.events.on(event, listener)
  }

  async connect(): Promise<void> {
    this.checkOpen()
    await this.cluster.ensureMetadata()
  }

  /**
   * Topic names and/or RegExps. RegExps are matched by the group coordinator against whole
   * topic names (as Kafka does), and it applies no flags: a RegExp with i, u or v is refused.
   * Call before run() or iterating.
   */
  async subscribe(args: { topics?: Array<string | RegExp> | string | RegExp; topic?: string | RegExp; fromBeginning?: boolean }): Promise<void> {
    this.checkOpen()
    assertArg(args && typeof args === 'object', 'subscribe expects { topics: [...] }')
    const raw = args.topics ?? args.topic
    const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]
    assertArg(list.length > 0, 'subscribe needs at least one topic name or RegExp')
    const names: string[] = []
    const regexes: RegExp[] = []
    for (const t of list) {
      if (t instanceof RegExp) {
        checkTopicRegExp(t)
        regexes.push(t)
      }
      else if (typeof t === 'string' && t.length > 0) names.push(t)
      else throw new ArgumentError(`topics must be non-empty strings or RegExps, got ${JSON.stringify(t)}`)
    }
    const prev = this.subscribed ?? { names: [], regexes: [] }
    const next = { names: [...new Set([...prev.names, ...names])], regexes: [...prev.regexes, ...regexes] }
    const regex = this.member && next.regexes.length > 0 ? subscriptionRegex(next.names, next.regexes) : null
    if (args.fromBeginning !== undefined) this.fromBeginning = args.fromBeginning
    this.subscribed = next
    if (this.member) {
      if (regex === null) this.member.subscribe(next.names, null)
      else this.member.subscribe(null, regex)
      if (regexes.length > 0) void this.warnUnmatched(regexes) // in the background: subscribe() needs no round trip
    } else {
      assertArg(regexes.length === 0, 'RegExp subscriptions need a groupId (the coordinator matches them)')
      const tps: Array<{ topic: string; partition: number }> = []
      for (const topic of names) for (const p of (await this.cluster.topicMetadata(topic)).partitions) tps.push({ topic, partition: p.partition })
      this.fetcher.add(tps.filter((tp) => !this.fetcher.partitions.has(tpKey(tp.topic, tp.partition))))
    }
  }

  /** Kafka's consumer says when a pattern matches nothing; a pattern that matches part of a name is the usual mistake. */
  private async warnUnmatched(regexes: RegExp[]): Promise<void> {
    try {
      await this.cluster.refreshMetadata()
    } catch {
      return // no metadata, no verdict: the subscription stands either way
    }
    const names = [...this.cluster.metadata.topics.values()].filter((t) => !t.internal).map((t) => t.name)
    for (const w of unmatchedPatternWarnings(regexes, names)) this.cluster.logger.warn(w.message, { pattern: w.pattern })
  }

  /** Without a groupId: read exactly these partitions, from `offset` or per fromBeginning. */
  assign(list: Array<{ topic: string; partition: number; offset?: number }>): void {
    this.checkOpen()
    if (this.member) throw new ArgumentError('assign() is for consumers without a groupId; a group member gets partitions from its coordinator')
    assertArg(Array.isArray(list), 'assign expects [{ topic, partition, offset? }]')
    for (const [i, tp] of list.entries()) {
      assertArg(typeof tp?.topic === 'string' && tp.topic.length > 0, `assign[${i}].topic must be a non-empty string`)
      assertArg(Number.isInteger(tp.partition) && tp.partition >= 0, `assign[${i}].partition must be a non-negative integer, got ${tp.partition}`)
      assertArg(tp.offset === undefined || (Number.isSafeInteger(tp.offset) && tp.offset >= 0), `assign[${i}].offset must be a non-negative integer, got ${tp.offset}`)
    }
    this.fetcher.add(list)
  }

  /** Start delivering to eachMessage / eachBatch; resolves once started (as kafkajs). */
  async run(config: RunConfig): Promise<void> {
    this.checkOpen()
    assertArg(config && (typeof config.eachMessage === 'function') !== (typeof config.eachBatch === 'function'), 'run needs exactly one of eachMessage or eachBatch')
    const n = config.partitionsConsumedConcurrently ?? 1
    assertArg(Number.isInteger(n) && n >= 1, `partitionsConsumedConcurrently must be a positive integer, got ${n}`)
    this.begin('run')
    this.runner.start(config, n)
  }

  [Symbol.asyncIterator](): AsyncIterator<ConsumedMessage> {
    this.checkOpen()
    this.begin('iterator')
    return this.runner.iterate()
  }

  /**
   * Commit everything processed so far and not yet committed (for each partition, the offset
   * after its last processed message), as Java's commitSync() and kafkajs's commitOffsets()
   * without arguments do. Resolves once the coordinator has accepted it. With autoCommit off
   * this is how progress is saved; with it on, it saves progress now instead of at the next tick.
   */
  commit(): Promise<void> {
    return this.commitOffsets()
  }

  /** Commit offsets: the given ones (the next offset to read, per partition), or everything processed so far. */
  async commitOffsets(offsets?: TopicPartitionOffset[]): Promise<void> {
    if (offsets !== undefined) {
      assertArg(Array.isArray(offsets), 'commitOffsets expects [{ topic, partition, offset }]')
      for (const o of offsets) assertArg(Number.isSafeInteger(Number(o.offset)) && Number(o.offset) >= 0, `offset must be a non-negative integer, got ${o.offset}`)
    }
    const done = await this.tracker.commit(offsets?.map((o) => ({ topic: o.topic, partition: o.partition, offset: Number(o.offset) })))
    if (done.length > 0) this.events.emit('commit', { offsets: done })
  }

  /** Move a partition's position; with a group, the new position is committed with the next commit. */
  seek(args: { topic: string; partition: number; offset: number | string }): void {
    const offset = Number(args?.offset)
    assertArg(Number.isSafeInteger(offset) && offset >= 0, `seek offset must be a non-negative integer, got ${args?.offset}`)
    if (!this.fetcher.seek(args.topic, args.partition, offset)) throw new ArgumentError(`seek: ${args.topic}-${args.partition} is not assigned to this consumer`)
    this.tracker.resolve(args.topic, args.partition, offset)
  }

  pause(tps: TopicSelector): void {
    for (const { topic, partition } of this.select(tps)) {
      this.paused.add(tpKey(topic, partition))
      this.fetcher.setPaused(topic, partition, true)
    }
  }

  resume(tps: TopicSelector): void {
    for (const { topic, partition } of this.select(tps)) {
      this.paused.delete(tpKey(topic, partition))
      this.fetcher.setPaused(topic, partition, false)
    }
  }

  /** Paused partitions, by topic. */
  pausedPartitions(): Array<{ topic: string; partitions: number[] }> {
    const by = new Map<string, number[]>()
    for (const s of this.fetcher.partitions.values()) if (this.paused.has(tpKey(s.topic, s.partition))) by.set(s.topic, [...(by.get(s.topic) ?? []), s.partition])
    return [...by].map(([topic, partitions]) => ({ topic, partitions }))
  }

  /** Partitions this consumer reads now. */
  assignment(): TopicPartition[] {
    return [...this.fetcher.partitions.values()].map((s) => ({ topic: s.topic, partition: s.partition }))
  }

  /** Fetched-but-undelivered bytes (bounded by prefetchBytes + one response per broker). */
  get prefetchedBytes(): number {
    return this.fetcher.prefetched
  }

  /** Stop delivering, commit (autoCommit), leave the group. Idempotent. */
  disconnect(): Promise<void> {
    this.disconnecting ??= (async () => {
      this.running = false
      this.stopCommitTimer?.()
      this.fetcher.wakeWaiters()
      await this.runner.stopped()
      if (this.member) await this.member.leave()
      this.abort.abort()
      this.fetcher.stop()
    })()
    return this.disconnecting
  }

  /** Alias of disconnect(). */
  stop(): Promise<void> {
    return this.disconnect()
  }

  private begin(mode: 'run' | 'iterator'): void {
    if (this.mode !== 'idle') throw new ArgumentError(`this consumer is already consuming via ${this.mode === 'run' ? 'run()' : 'its async iterator'}; use one per consumer`)
    if (this.member && !this.subscribed) throw new ArgumentError('subscribe({ topics }) before consuming')
    if (!this.member && this.fetcher.partitions.size === 0) throw new ArgumentError('assign([{ topic, partition }]) or subscribe({ topics }) before consuming')
    this.mode = mode
    this.running = true
    this.member?.start()
    if (this.member && this.autoCommit) {
      this.stopCommitTimer = every(this.cluster.clock, this.autoCommitIntervalMs, () => void this.commitIfNecessary().catch(() => {}))
    }
  }

  private async commitIfNecessary(): Promise<void> {
    if (!this.member || !this.autoCommit) return
    if (this.tracker.commitsInFlight > 0) return // the next tick commits whatever this one would have
    const owned = this.member.ownedPartitions()
    const offsets = this.tracker.pending(owned)
    if (offsets.length > 0) await this.commitOffsets(offsets)
  }

  private async onAssigned(tps: TopicPartition[]): Promise<void> {
    const committed = await this.tracker.fetchCommitted(tps)
    this.fetcher.add(tps.map((tp) => ({ ...tp, offset: committed.get(tpKey(tp.topic, tp.partition)) })))
    this.events.emit('assigned', { partitions: tps })
  }

  private async onRevoked(tps: TopicPartition[], orderly: boolean): Promise<void> {
    this.fetcher.remove(tps)
    await this.runner.idle(tps)
    if (orderly && this.autoCommit) {
      const offsets = this.tracker.pending(tps)
      if (offsets.length > 0) await this.commitOffsets(offsets).catch(() => {})
    }
    this.tracker.forget(tps)
    for (const tp of tps) this.paused.delete(tpKey(tp.topic, tp.partition))
    this.events.emit(orderly ? 'revoked' : 'lost', { partitions: tps })
  }

  private crash(err: TributaryError): void {
    if (!this.running) return
    this.events.emit('crash', { error: err })
    void this.disconnect()
  }

  private select(tps: TopicSelector): TopicPartition[] {
    assertArg(Array.isArray(tps), 'expects [{ topic, partitions? }]')
    const out: TopicPartition[] = []
    for (const { topic, partitions } of tps) {
      const assigned = [...this.fetcher.partitions.values()].filter((s) => s.topic === topic).map((s) => s.partition)
      for (const p of partitions ?? assigned) out.push({ topic, partition: p })
    }
    return out
  }

  private checkOpen(): void {
    if (this.disconnecting) throw closedError('consumer')
    if (this.cluster.closed) throw closedError('client')
  }
}
