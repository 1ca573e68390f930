/**
 * The replica manager: hosts this broker's replicas and moves them between the
 * leader and follower roles as metadata changes (MetadataView.onPublish
 * 'partition' / 'topic-removed' / 'topic-config' / 'broker', and the initial image
 * at start), runs one follower fetcher per leader broker, sends AlterPartition for
 * ISR changes, and serves Produce, Fetch, ListOffsets, OffsetForLeaderEpoch,
 * DescribeProducers and DeleteRecords.
 */
import { ApiKey, ErrorCode, everyAfter, type AlterPartitionResponse } from '@tributary/protocol'
import { handleDescribeProducers } from './describe-producers.js'
import { handleDeleteRecords } from './delete-records.js'
import { ALTER_PARTITION_TIMEOUT_MS, AlterPartitionBatcher } from './alter-partition-batcher.js'
import type { MetadataChange, MetadataImage, PartitionState, TopicState } from '../metadata/image-types.js'
import { RateLimitedLog } from '../log-limit.js'
import type { HandlerRegistry } from '../seams.js'
import { TimeSlice } from '../time-slice.js'
import { SerialExecutor } from '../serial-executor.js'
import { LogCleaner } from './cleaner.js'
import { withDefaults, type ReplicaConfig } from './config.js'
import { handleFetch } from './fetch.js'
import { FetchSessionCache } from './fetch-session-cache.js'
import { memoryPools } from './memory-pools.js'
import { ProducerStateBudget } from './producer-state.js'
import { FollowerFetcher } from './follower-fetcher.js'
import type { LeaderHint, ReplicaHost } from './host.js'
import type { HostedReplica, LeadershipChange, ReplicaManager, ReplicaManagerDeps } from './index.js'
import { handleListOffsets, handleOffsetForLeaderEpoch } from './offsets.js'
import { Partition, type PartitionEnv } from './partition.js'
import { escalateViolation, Invariants, strictInvariantsFromEnv } from '../invariants.js'
import { hostedReplica, IsrStats, replicaMetrics, TrafficStats, type ReplicaMetricsSnapshot } from './partition-stats.js'
import { handleProduce, produceToPartition } from './produce.js'
import { resolveTopicSettings, type TopicSettings } from './topic-settings.js'
import { ReassignmentThrottle, setThrottleRates } from './reassignment-throttle.js'
import { throttleRates } from '../broker-dynamic-config.js'

/** How often leaders look for ISR followers to drop, at most (it is also replica.lag.time.max.ms / 2). */
export const ISR_SHRINK_CHECK_INTERVAL_MS_MAX = 1000

const EMPTY = new Uint8Array(0)

export class ReplicaManagerImpl implements ReplicaManager, ReplicaHost {
  readonly nodeId: number
  readonly clock: ReplicaManagerDeps['clock']
  readonly config: Required<ReplicaConfig>
  readonly peers: ReplicaManagerDeps['peers']
  readonly logger: ReplicaManagerDeps['logger']
  readonly limitedLog: RateLimitedLog
  readonly followerThrottle: ReassignmentThrottle
  readonly leaderThrottle: ReassignmentThrottle
  readonly fetchSessions: FetchSessionCache
  readonly producerBudget: ProducerStateBudget
  /** topic name → partition number → replica */
  private readonly hosted = new Map<string, Map<number, Partition>>()
  private readonly fetchers = new Map<number, FollowerFetcher>()
  private readonly settingsCache = new Map<string, TopicSettings>()
  private readonly listeners = new Set<(e: LeadershipChange) => void>()
  private readonly cleaner: LogCleaner
  /** ISR changes of every partition led here, one AlterPartition per interval */
  readonly alterPartitions: AlterPartitionBatcher
  private readonly env: PartitionEnv
  private readonly brokerDefaults: Record<string, string>
  /** metadata changes are applied one at a time, in log order */
  private readonly metadataChanges = new SerialExecutor()
  private unsubscribe: (() => void) | null = null
  private timers: Array<() => void> = []
  private stopped = false
  /** Traffic per topic on this broker, for /metrics (dropped when the topic is deleted). */
  private readonly topicStats = new Map<string, TrafficStats>()
  private readonly isrStats = new IsrStats()
  private readonly invariants: Invariants

  constructor(private readonly deps: ReplicaManagerDeps) {
    this.nodeId = deps.nodeId
    this.clock = deps.clock
    this.config = withDefaults(deps.config)
    this.peers = deps.peers
    this.logger = deps.logger
    this.limitedLog = new RateLimitedLog(deps.logger, deps.clock)
    this.invariants = new Invariants(deps.strictInvariants ?? strictInvariantsFromEnv(), deps.logger, deps.clock)
    const rates = throttleRates(deps.metadata.image(), deps.nodeId, this.config.reassignmentThrottleBytes)
    this.followerThrottle = new ReassignmentThrottle(deps.clock, rates.followerBytesPerSec)
    this.leaderThrottle = new ReassignmentThrottle(deps.clock, rates.leaderBytesPerSec)
    const c = this.config
    this.producerBudget = new ProducerStateBudget(c.producerStateEntriesMax)
    this.fetchSessions = new FetchSessionCache({ slotsMax: c.fetchSessionCacheSlots, partitionsMax: c.fetchSessionCachePartitions, idleMs: c.fetchSessionIdleMs })
    this.brokerDefaults = { 'max.message.bytes': String(this.config.messageMaxBytes), ...this.config.topicDefaults }
    this.env = {
      nodeId: deps.nodeId,
      clock: deps.clock,
      replicaLagTimeMaxMs: this.config.replicaLagTimeMaxMs,
      settings: (topicId) => this.settings(topicId),
      isEligible: (id) => this.isEligible(id),
      proposeIsr: (p, isr) => this.alterPartitions.propose(p, isr),
      topicStats: (topic) => {
        let t = this.topicStats.get(topic)
        if (t === undefined) this.topicStats.set(topic, (t = new TrafficStats()))
        return t
      },
      isrStats: this.isrStats,
      invariants: this.invariants,
      producerBudget: this.producerBudget,
    }
    this.alterPartitions = new AlterPartitionBatcher({
      clock: deps.clock,
      batchMs: this.config.alterPartitionBatchMs,
      brokerId: deps.nodeId,
      brokerEpoch: () => deps.metadata.brokerEpoch(),
      send: (body) => deps.controller.request<AlterPartitionResponse>(ApiKey.AlterPartition, body, { timeoutMs: ALTER_PARTITION_TIMEOUT_MS }),
      log: this.limitedLog,
    })
    this.cleaner = new LogCleaner({
      clock: deps.clock,
      intervalMs: this.config.logCleanerIntervalMs,
      producerIdExpirationMs: this.config.producerIdExpirationMs,
      partitions: () => this.allPartitions(),
      logger: deps.logger,
    })
  }

  register(registry: HandlerRegistry): void {
    registry.register(ApiKey.Produce, (body, ctx) => handleProduce(this, body, ctx))
    registry.register(ApiKey.Fetch, (body, ctx) => handleFetch(this, body, ctx))
    registry.register(ApiKey.ListOffsets, (body, ctx) => handleListOffsets(this, body, ctx))
    registry.register(ApiKey.OffsetForLeaderEpoch, (body, ctx) => handleOffsetForLeaderEpoch(this, body, ctx))
    registry.register(ApiKey.DescribeProducers, (body) => handleDescribeProducers(this, body))
    registry.register(ApiKey.DeleteRecords, (body) => handleDeleteRecords(this, body))
  }

  async start(): Promise<void> {
    this.stopped = false
    this.alterPartitions.start()
    this.unsubscribe = this.deps.metadata.onPublish((_image, delta) => { for (const change of delta.changes) this.onMetadataChange(change) })
    this.applyThrottleRates()
    await this.enqueue(() => this.applyImage(this.deps.metadata.image()))
    this.every(Math.min(ISR_SHRINK_CHECK_INTERVAL_MS_MAX, Math.max(10, this.config.replicaLagTimeMaxMs / 2)), () => this.eachPartition((p) => p.maybeShrinkIsr()))
    this.every(this.config.producerStateCheckpointIntervalMs, () => this.eachPartition((p) => void p.checkpointProducerState()))
    this.every(this.config.fetchSessionIdleMs, async () => this.fetchSessions.evictIdle(this.clock.now()))
    if (this.config.tailCacheIdleMs > 0) this.every(this.config.tailCacheIdleMs, async () => void this.deps.logStore.releaseIdleTailCaches?.())
    this.cleaner.start()
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.unsubscribe?.()
    this.unsubscribe = null
    for (const cancel of this.timers) cancel()
    this.timers = []
    this.alterPartitions.stop()
    await this.cleaner.stop()
    for (const f of this.fetchers.values()) f.stop()
    this.fetchers.clear()
    await this.metadataChanges.run(async () => {})
    const all = [...this.allPartitions()]
    for (const p of all) p.close()
    await Promise.all(all.map((p) => p.checkpointProducerState().then(() => p.exclusive(() => p.log.flush()))))
    this.hosted.clear()
  }

  // ------------------------------------------------------------ internal users (group coordinator)

  async appendAsLeader(topic: string, partition: number, batches: Uint8Array, acks: -1 | 1): Promise<{ errorCode: number; baseOffset: number }> {
    const r = await produceToPartition(this, topic, partition, batches, acks, this.clock.now() + this.config.internalAppendTimeoutMs)
    return { errorCode: r.errorCode, baseOffset: r.baseOffset }
  }

  async readLocal(topic: string, partition: number, fromOffset: number, maxBytes: number) {
    const p = this.partition(topic, partition)
    if (p === undefined || p.closed) {
      return { errorCode: this.notServed(topic, partition).errorCode, records: EMPTY, highWatermark: -1, logStartOffset: -1, logEndOffset: -1 }
    }
    const hw = p.highWatermark()
    const r = await p.read(fromOffset, maxBytes, hw)
    const base = { highWatermark: hw, logStartOffset: p.logStartOffset(), logEndOffset: p.logEndOffset() }
    if (!r.ok) return { errorCode: r.code, records: EMPTY, ...base }
    return { errorCode: ErrorCode.NONE, records: r.value.records, ...base }
  }

  isLeader(topic: string, partition: number): boolean {
    return this.partition(topic, partition)?.role === 'leader'
  }

  onLeadershipChange(listener: (e: LeadershipChange) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  highWatermark(topic: string, partition: number): number {
    const p = this.partition(topic, partition)
    return p === undefined || p.closed ? -1 : p.highWatermark()
  }

  // ------------------------------------------------------------ ReplicaHost

  partition(topic: string, partition: number): Partition | undefined {
    return this.hosted.get(topic)?.get(partition)
  }

  notServed(topic: string, partition: number): { errorCode: number; currentLeader: LeaderHint | null } {
    const t = this.deps.metadata.image().topicsByName.get(topic)
    const ps = t?.partitions.find((x) => x.partition === partition)
    if (ps === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, currentLeader: null }
    return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentLeader: { leaderId: ps.leader, leaderEpoch: ps.leaderEpoch } }
  }

  brokerEpoch(): number {
    return this.deps.metadata.brokerEpoch()
  }

  /** Serving as leader needs our current registration, unfenced: a restarted broker must not lead on an old state. */
  isFenced(): boolean {
    const epoch = this.deps.metadata.brokerEpoch()
    const reg = this.deps.metadata.image().brokers.get(this.nodeId)
    return epoch < 0 || reg === undefined || reg.brokerEpoch !== epoch || reg.fenced
  }

  isAddingReplica(topic: string, partition: number, replicaId: number): boolean {
    return this.deps.metadata.image().topicsByName.get(topic)?.partitions[partition]?.addingReplicas?.includes(replicaId) ?? false
  }

  /** The throttle rates in force here after a dynamic broker config changed; a fetcher waiting on the old follower rate looks again. */
  private applyThrottleRates(): void {
    const rates = throttleRates(this.deps.metadata.image(), this.nodeId, this.config.reassignmentThrottleBytes)
    if (setThrottleRates(this.followerThrottle, this.leaderThrottle, rates)) for (const f of this.fetchers.values()) f.throttleChanged()
  }

  /** One cleaner pass now (tests; the interval runs it otherwise). */
  runCleaner(): ReturnType<LogCleaner['runOnce']> {
    return this.cleaner.runOnce()
  }

  metricsSnapshot(): ReplicaMetricsSnapshot {
    const replicas = [...this.allPartitions()].filter((p) => !p.closed).map(replicaMetrics)
    const fs = this.fetchSessions
    return {
      replicas, topics: this.topicStats, isr: this.isrStats, invariantViolations: this.invariants.violations(),
      memory: memoryPools(this.deps.logStore, fs, this.producerBudget, this.config.storageBudgetBytes),
      fetchSessions: { sessions: fs.size, partitions: fs.cachedPartitions, evictions: fs.evictions, refusals: fs.refusals },
    }
  }

  hostedReplicas(): HostedReplica[] {
    return [...this.allPartitions()].filter((p) => !p.closed).map(hostedReplica)
  }

  /** Every hosted replica. */
  *allPartitions(): Iterable<Partition> {
    for (const m of this.hosted.values()) yield* m.values()
  }

  // ------------------------------------------------------------ metadata

  private isEligible(nodeId: number): boolean {
    const reg = this.deps.metadata.image().brokers.get(nodeId)
    return reg !== undefined && !reg.fenced && !reg.inControlledShutdown
  }

  private settings(topicId: string): TopicSettings {
    let s = this.settingsCache.get(topicId)
    if (s === undefined) {
      const configs = this.deps.metadata.image().topicsById.get(topicId)?.configs ?? {}
      s = resolveTopicSettings(configs, this.brokerDefaults)
      this.settingsCache.set(topicId, s)
    }
    return s
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    return this.metadataChanges.run(fn).catch((err: unknown) => {
      escalateViolation(err)
      this.logger.error({ err }, 'applying metadata to replicas failed')
    })
  }

  private onMetadataChange(change: MetadataChange): void {
    if (this.stopped) return
    switch (change.type) {
      case 'partition':
        void this.enqueue(() => this.applyPartition(change.partition))
        break
      case 'topic-removed':
        this.settingsCache.delete(change.topic.topicId)
        void this.enqueue(() => this.removeTopic(change.topic))
        break
      case 'topic-config':
        this.settingsCache.delete(change.topic.topicId)
        break
      case 'broker-config':
        this.applyThrottleRates()
        break
      case 'broker':
      case 'broker-removed':
        // a fenced follower leaves the ISR at once instead of after replica.lag.time.max.ms
        void this.eachPartition((p) => p.maybeShrinkIsr())
        break
    }
  }

  private async applyImage(image: MetadataImage): Promise<void> {
    await this.deleteOrphans(image)
    for (const t of image.topicsByName.values()) for (const ps of t.partitions) await this.applyPartition(ps)
  }

  /**
   * Delete stored partitions the image gives no replica here: their topic was
   * deleted, or the replica moved away, while this node was down or before its
   * asynchronous deletion finished (a kill -9 in between). The image at start
   * holds every commit stored on this node (MetadataQuorum.open), and a
   * partition only gets data after the entry creating it is committed, so
   * nothing still assigned here is touched.
   */
  private async deleteOrphans(image: MetadataImage): Promise<void> {
    for (const { topicId, partition } of await this.deps.logStore.list()) {
      const ps = image.topicsById.get(topicId)?.partitions.find((p) => p.partition === partition)
      if (ps !== undefined && ps.replicas.includes(this.nodeId)) continue
      this.logger.info({ topicId, partition }, 'deleting a stored partition the metadata no longer places here')
      await this.deps.logStore.delete(topicId, partition)
    }
  }

  private async applyPartition(ps: PartitionState): Promise<void> {
    if (this.stopped) return
    let p = this.partition(ps.topic, ps.partition)
    if (p !== undefined && (p.topicId !== ps.topicId || !ps.replicas.includes(this.nodeId))) {
      await this.unhost(p, true) // topic re-created under the same name, or the replica moved away
      p = undefined
    }
    if (!ps.replicas.includes(this.nodeId)) return
    // Every change bumps the partition epoch. A change queued while the start-up image was
    // applied may be older than what that image already gave this partition: nothing to do.
    if (p !== undefined && ps.partitionEpoch < p.partitionEpoch) return
    if (p === undefined) {
      const log = await this.deps.logStore.open(ps.topicId, ps.partition)
      p = await Partition.open(ps.topic, ps.topicId, ps.partition, log, this.env)
      let m = this.hosted.get(ps.topic)
      if (m === undefined) this.hosted.set(ps.topic, (m = new Map()))
      m.set(ps.partition, p)
    }
    const wasLeader = p.role === 'leader'
    const previousLeader = p.leaderId
    const transition = p.applyState(ps)
    if (transition === 'became-leader') {
      this.fetchers.get(previousLeader)?.remove(p)
      this.notify({ topic: p.topic, partition: p.partition, isLeader: true, leaderEpoch: p.leaderEpoch })
    } else if (transition === 'became-follower') {
      this.fetchers.get(previousLeader)?.remove(p)
      if (ps.leader >= 0) this.fetcherFor(ps.leader).add(p)
      if (wasLeader) this.notify({ topic: p.topic, partition: p.partition, isLeader: false, leaderEpoch: p.leaderEpoch })
    }
  }

  private async removeTopic(topic: TopicState): Promise<void> {
    this.topicStats.delete(topic.name)
    const m = this.hosted.get(topic.name)
    for (const p of [...(m?.values() ?? [])]) if (p.topicId === topic.topicId) await this.unhost(p, true)
    // partitions of the topic this broker no longer had open still have data on disk
    for (const { topicId, partition } of await this.deps.logStore.list()) {
      if (topicId === topic.topicId) await this.deps.logStore.delete(topicId, partition)
    }
  }

  private async unhost(p: Partition, deleteData: boolean): Promise<void> {
    const wasLeader = p.role === 'leader'
    this.fetchers.get(p.leaderId)?.remove(p)
    this.hosted.get(p.topic)?.delete(p.partition)
    if (this.hosted.get(p.topic)?.size === 0) this.hosted.delete(p.topic)
    p.close()
    if (wasLeader) this.notify({ topic: p.topic, partition: p.partition, isLeader: false, leaderEpoch: p.leaderEpoch })
    await p.exclusive(() => (deleteData ? this.deps.logStore.delete(p.topicId, p.partition) : p.log.close()))
  }

  private fetcherFor(leaderId: number): FollowerFetcher {
    let f = this.fetchers.get(leaderId)
    if (f === undefined) this.fetchers.set(leaderId, (f = new FollowerFetcher(leaderId, this)))
    return f
  }

  private notify(e: LeadershipChange): void {
    for (const l of [...this.listeners]) {
      try {
        l(e)
      } catch (err) {
        this.logger.error({ err }, 'leadership listener failed')
      }
    }
  }

  /** `fn` on every hosted replica, yielding to the event loop every DATA_PLANE_SLICE_MS (the Raft tick must not wait for 10,000 partitions). */
  private async eachPartition(fn: (p: Partition) => void): Promise<void> {
    const slice = new TimeSlice()
    for (const p of [...this.allPartitions()]) {
      await slice.yield()
      if (!p.closed) fn(p)
    }
  }

  private every(ms: number, fn: () => Promise<void>): void {
    this.timers.push(everyAfter(this.clock, ms, fn))
  }
}
