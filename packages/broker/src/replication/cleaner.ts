/**
 * The background log cleaner of one node: on an interval, every hosted replica
 * applies its topic's retention (`retention.ms`, `retention.bytes`, with
 * cleanup.policy=delete) and compaction (cleanup.policy=compact, tombstones kept
 * `delete.retention.ms`), never past its high watermark, and forgets idle
 * idempotent producers. Each replica cleans on its own, as in Kafka.
 */
import { errorFields, RateLimitedLog } from '../log-limit.js'
import type { Clock } from '../seams.js'
import type { PartLogger } from '../seams.js'
import type { Partition } from './partition.js'

export interface CleanerDeps {
  clock: Clock
  intervalMs: number
  producerIdExpirationMs: number
  partitions(): Iterable<Partition>
  logger: PartLogger
}

export interface CleanerPass {
  deletedBatches: number
  deletedBytes: number
  removedRecords: number
}

interface CompactionMark {
  highWatermark: number
  atMs: number
}

export class LogCleaner {
  private cancel: (() => void) | null = null
  private stopped = true
  private running: Promise<CleanerPass> | null = null
  /** where each partition was last compacted: idle partitions are not re-scanned every pass */
  private readonly compacted = new WeakMap<Partition, CompactionMark>()
  /** a failing store fails every partition's pass: one line per interval, not one per partition */
  private readonly limited: RateLimitedLog

  constructor(private readonly deps: CleanerDeps) {
    this.limited = new RateLimitedLog(deps.logger, deps.clock)
  }

  start(): void {
    this.stopped = false
    this.schedule()
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.cancel?.()
    this.cancel = null
    await this.running
  }

  private schedule(): void {
    if (this.stopped) return
    this.cancel = this.deps.clock.setTimeout(() => {
      void this.runOnce().finally(() => this.schedule())
    }, this.deps.intervalMs)
  }

  /** One pass over every hosted replica (tests call it directly). */
  runOnce(): Promise<CleanerPass> {
    if (this.running) return this.running
    this.running = this.pass().finally(() => {
      this.running = null
    })
    return this.running
  }

  private async pass(): Promise<CleanerPass> {
    const total: CleanerPass = { deletedBatches: 0, deletedBytes: 0, removedRecords: 0 }
    for (const p of [...this.deps.partitions()]) {
      if (p.closed || p.role === 'none') continue
      try {
        const r = await this.clean(p)
        total.deletedBatches += r.deletedBatches
        total.deletedBytes += r.deletedBytes
        total.removedRecords += r.removedRecords
      } catch (err) {
        this.limited.warn('log cleaning failed', { ...errorFields(err), topic: p.topic, partition: p.partition }, 'log cleaning failed')
      }
    }
    return total
  }

  private clean(p: Partition): Promise<CleanerPass> {
    const s = p.settings
    const nowMs = this.deps.clock.now()
    p.producers.expire(nowMs - this.deps.producerIdExpirationMs)
    return p.exclusive(async () => {
      const out: CleanerPass = { deletedBatches: 0, deletedBytes: 0, removedRecords: 0 }
      if (p.closed) return out
      const hw = p.highWatermark()
      if (s.cleanupDelete && (s.retentionMs >= 0 || s.retentionBytes >= 0)) {
        const r = await p.log.applyRetention({ retentionMs: s.retentionMs, retentionBytes: s.retentionBytes, nowMs, maxOffset: hw })
        out.deletedBatches = r.deletedBatches
        out.deletedBytes = r.deletedBytes
      }
      if (s.cleanupCompact && this.compactionDue(p, hw, nowMs, s.deleteRetentionMs)) {
        const r = await p.log.compact({ deleteRetentionMs: s.deleteRetentionMs, nowMs, maxOffset: hw })
        out.removedRecords = r.removedRecords
        this.compacted.set(p, { highWatermark: hw, atMs: nowMs })
      }
      if (out.deletedBatches > 0) this.deps.logger.debug({ topic: p.topic, partition: p.partition, ...out, logStartOffset: p.logStartOffset() }, 'retention')
      return out
    })
  }

  /** Compact when new data is committed, or when tombstones may have aged out since the last run. */
  private compactionDue(p: Partition, hw: number, nowMs: number, deleteRetentionMs: number): boolean {
    const last = this.compacted.get(p)
    return last === undefined || last.highWatermark !== hw || nowMs - last.atMs >= deleteRetentionMs
  }
}
