/**
 * AlterPartition batched per broker, as Kafka's AlterPartitionManager does: the
 * ISR changes every partition this broker leads proposes within
 * `alterPartitionBatchMs` go to the controller as one request (which the
 * controller commits as one Raft entry), with at most one request in flight.
 *
 * Why: with thousands of partitions, a follower that stalls makes every partition
 * it follows shrink at once; one request per partition was thousands of
 * controller writes (issue #25: 175,000 refusals in 8 minutes).
 *
 * Nothing is retried blindly. A proposal is sent only while its partition still
 * leads at the leader epoch and partition epoch it was made at and still has it
 * pending; a newer proposal for the same partition replaces an unsent one. A
 * refusal goes back to the partition (`isrChangeFailed`), which backs off and
 * decides afresh from its state then. A failed request (controller unreachable,
 * timed out, stale broker epoch) hands every proposal back the same way, and the
 * next request waits a capped, doubling backoff. Refusals are logged as one
 * rate-limited line per cause.
 */
import { ErrorCode, errorName, type AlterPartitionResponse, type RpcResponse } from '@tributary/protocol'
import { errorFields, type RateLimitedLog } from '../log-limit.js'
import type { Clock } from '../seams.js'
import type { Partition } from './partition.js'

/** Proposals gathered this long go out as one request (Kafka sends whatever queued while one was in flight). */
export const ALTER_PARTITION_BATCH_MS_DEFAULT = 20
/** Partitions per request at most; the rest wait for the next one (the controller commits one entry per request). */
export const ALTER_PARTITION_BATCH_PARTITIONS_MAX = 5000
/** After a failed request the next waits this long, doubling on each failure in a row… */
export const ALTER_PARTITION_RETRY_MS_MIN = 100
/** …up to this. */
export const ALTER_PARTITION_RETRY_MS_MAX = 5000
/** Timeout of one AlterPartition round trip to the controller. */
export const ALTER_PARTITION_TIMEOUT_MS = 5000

export interface AlterPartitionBatcherDeps {
  clock: Clock
  batchMs: number
  brokerId: number
  brokerEpoch(): number
  /** Sends one AlterPartition to the controller (ControllerChannel.request). */
  send(body: AlterPartitionRequestBody): Promise<RpcResponse<AlterPartitionResponse>>
  log: RateLimitedLog
}

export interface AlterPartitionRequestBody {
  brokerId: number
  brokerEpoch: number
  topics: Array<{ topicId: string; partitions: Array<{ partition: number; leaderEpoch: number; partitionEpoch: number; newIsr: number[] }> }>
}

interface Proposal {
  p: Partition
  newIsr: number[]
  leaderEpoch: number
  partitionEpoch: number
}

export class AlterPartitionBatcher {
  private readonly queued = new Map<Partition, Proposal>()
  private inFlight = false
  private cancelTimer: (() => void) | null = null
  private failuresInRow = 0
  private notBeforeMs = 0
  private stopped = false
  /** requests sent so far (tests and diagnostics) */
  requests = 0

  constructor(private readonly deps: AlterPartitionBatcherDeps) {}

  /** Queue `p`'s proposal, replacing one not yet sent. */
  propose(p: Partition, newIsr: number[]): void {
    if (this.stopped) return
    this.queued.set(p, { p, newIsr, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch })
    this.schedule()
  }

  get queuedCount(): number {
    return this.queued.size
  }

  start(): void {
    this.stopped = false
  }

  stop(): void {
    this.stopped = true
    this.cancelTimer?.()
    this.cancelTimer = null
    this.queued.clear()
  }

  private schedule(): void {
    if (this.inFlight || this.cancelTimer !== null || this.queued.size === 0 || this.stopped) return
    const delayMs = Math.max(this.deps.batchMs, this.notBeforeMs - this.deps.clock.now())
    this.cancelTimer = this.deps.clock.setTimeout(() => {
      this.cancelTimer = null
      void this.flush()
    }, delayMs)
  }

  /** A proposal still describes what its partition wants: same leadership, same epochs, still pending. */
  private current(x: Proposal): boolean {
    const p = x.p
    return !p.closed && p.role === 'leader' && p.leaderEpoch === x.leaderEpoch && p.partitionEpoch === x.partitionEpoch && p.leaderState?.pending?.isr === x.newIsr
  }

  private take(): Proposal[] {
    const batch: Proposal[] = []
    for (const [p, x] of this.queued) {
      if (batch.length >= ALTER_PARTITION_BATCH_PARTITIONS_MAX) break
      this.queued.delete(p)
      if (this.current(x)) batch.push(x) // superseded ones are dropped: the partition's newer state decides
    }
    return batch
  }

  private async flush(): Promise<void> {
    const batch = this.take()
    if (batch.length === 0 || this.stopped) return this.schedule()
    this.inFlight = true
    this.requests++
    const first = batch[0]!
    this.deps.log.info('AlterPartition sent', { partitions: batch.length, example: `${first.p.topic}-${first.p.partition}`, newIsr: first.newIsr }, 'proposing ISR changes')
    try {
      const resp = await this.deps.send(this.body(batch))
      if (resp.errorCode !== ErrorCode.NONE) this.requestFailed(batch, { errorCode: resp.errorCode, error: errorName(resp.errorCode) })
      else this.answered(batch, resp.body)
    } catch (err) {
      this.requestFailed(batch, errorFields(err))
    } finally {
      this.inFlight = false
      this.schedule()
    }
  }

  private body(batch: Proposal[]): AlterPartitionRequestBody {
    const topics = new Map<string, AlterPartitionRequestBody['topics'][number]>()
    for (const x of batch) {
      let t = topics.get(x.p.topicId)
      if (t === undefined) topics.set(x.p.topicId, (t = { topicId: x.p.topicId, partitions: [] }))
      t.partitions.push({ partition: x.p.partition, leaderEpoch: x.leaderEpoch, partitionEpoch: x.partitionEpoch, newIsr: x.newIsr })
    }
    return { brokerId: this.deps.brokerId, brokerEpoch: this.deps.brokerEpoch(), topics: [...topics.values()] }
  }

  private answered(batch: Proposal[], body: AlterPartitionResponse | undefined): void {
    this.failuresInRow = 0
    this.notBeforeMs = 0
    const codes = new Map<string, number>()
    for (const t of body?.topics ?? []) for (const r of t.partitions ?? []) codes.set(`${t.topicId}/${r.partition}`, r.errorCode)
    const refused = new Map<number, Proposal[]>()
    for (const x of batch) {
      // accepted: the new ISR takes effect when its PartitionChange is applied from metadata
      const code = codes.get(`${x.p.topicId}/${x.p.partition}`) ?? ErrorCode.UNKNOWN_SERVER_ERROR
      if (code === ErrorCode.NONE) continue
      let list = refused.get(code)
      if (list === undefined) refused.set(code, (list = []))
      list.push(x)
    }
    for (const [code, list] of refused) {
      for (const x of list) if (this.current(x)) x.p.isrChangeFailed(code)
      const first = list[0]!.p
      this.deps.log.warn(`AlterPartition refused:${code}`, { errorCode: code, error: errorName(code), partitions: list.length, example: `${first.topic}-${first.partition}` }, 'AlterPartition refused')
    }
  }

  private requestFailed(batch: Proposal[], fields: Record<string, unknown>): void {
    this.failuresInRow++
    const backoffMs = Math.min(ALTER_PARTITION_RETRY_MS_MAX, ALTER_PARTITION_RETRY_MS_MIN * 2 ** (this.failuresInRow - 1))
    this.notBeforeMs = this.deps.clock.now() + backoffMs
    for (const x of batch) if (this.current(x)) x.p.isrChangeFailed(ErrorCode.REQUEST_TIMED_OUT)
    this.deps.log.warn(`AlterPartition failed:${String(fields.errorCode ?? 'error')}`, { ...fields, partitions: batch.length, retryInMs: backoffMs }, 'AlterPartition failed')
  }
}
