/**
 * Idempotent producer state of one partition (docs/ARCHITECTURE.md, "Replication").
 *
 * Per producer id the table keeps the epoch and the last `PRODUCER_BATCHES_KEPT`
 * batches' (firstSeq, lastSeq, baseOffset), so a retried batch gets its original
 * offset back and a gap or an old epoch is refused. Every replica keeps the table:
 * the leader updates it when it appends, followers from the batches they replicate,
 * so a new leader already holds it. It is checkpointed lazily as an opaque blob with
 * the offset it reflects; on open the log tail after that offset is replayed.
 *
 * Semantics follow Kafka's ProducerStateManager: a producer the table does not know
 * (new, expired, or forgotten by truncation) may start at any sequence; with at most
 * 5 batches in flight per producer, a batch that old is never retried.
 */
import { ErrorCode, packValue, unpackValue, type BatchHeader } from '@tributary/protocol'

/** Batches remembered per producer: Kafka's max.in.flight.requests.per.connection for idempotence. */
export const PRODUCER_BATCHES_KEPT = 5
/** Producers remembered per partition; the least recently active are forgotten first. */
export const PRODUCERS_PER_PARTITION_MAX = 100_000

const INT32_MAX = 0x7fffffff

export interface BatchMeta {
  firstSeq: number
  lastSeq: number
  baseOffset: number
  lastOffset: number
}

interface ProducerEntry {
  epoch: number
  /** oldest first, at most PRODUCER_BATCHES_KEPT */
  batches: BatchMeta[]
  lastTimestampMs: number
}

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; baseOffset: number; lastOffset: number }
  | { kind: 'error'; code: number; message: string }

const APPEND: SequenceCheck = { kind: 'append' }

/** Kafka wraps sequences at Int32.MAX_VALUE back to 0. */
export function lastSequenceOf(h: BatchHeader): number {
  const last = h.baseSequence + h.lastOffsetDelta
  return last > INT32_MAX ? last - INT32_MAX - 1 : last
}

function nextSequence(seq: number): number {
  return seq === INT32_MAX ? 0 : seq + 1
}

/** True when the batch belongs to an idempotent producer. */
export function isIdempotent(h: BatchHeader): boolean {
  return h.producerId >= 0
}

/**
 * Producer entries every partition of the node holds together, bounded by
 * --producer-state-entries-max. A table adding a producer past the bound forgets
 * its own least recently started producer (never the one being added): the bound
 * is node-wide, the eviction local, so the partition adding producers pays, and a
 * table with one producer always keeps it (the bound is exceeded by at most one
 * entry per partition). A producer forgotten this way is treated as new, as after
 * producer id expiration: a retry of its last batches would be appended again.
 */
export class ProducerStateBudget {
  entries = 0
  evictions = 0
  constructor(readonly entriesMax: number) {}
}

/** What one producer entry with PRODUCER_BATCHES_KEPT batches costs, for /metrics: 725 B measured over 100,000 (bench/partition-memory.ts, Node 20). */
export const PRODUCER_ENTRY_BYTES = 740

export class ProducerStateTable {
  private readonly producers = new Map<number, ProducerEntry>()
  /** set when the table changed since the last checkpoint */
  dirty = false

  constructor(private budget: ProducerStateBudget | null = null) {}

  /** Stop counting against the node's budget (the partition is leaving); the table itself stays for a last checkpoint. */
  detach(): void {
    this.counted(-this.producers.size)
    this.budget = null
  }

  private counted(n: number): void {
    if (this.budget !== null) this.budget.entries += n
  }

  private put(pid: number, entry: ProducerEntry): void {
    if (!this.producers.has(pid)) this.counted(1)
    this.producers.set(pid, entry)
  }

  private remove(pid: number): void {
    if (this.producers.delete(pid)) this.counted(-1)
  }

  private removeAll(): void {
    this.counted(-this.producers.size)
    this.producers.clear()
  }

  get size(): number {
    return this.producers.size
  }

  /** Decide what to do with a leader batch, given everything recorded so far. */
  check(h: BatchHeader): SequenceCheck {
    if (!isIdempotent(h)) return APPEND
    const entry = this.producers.get(h.producerId)
    if (entry === undefined) return APPEND
    if (h.producerEpoch < entry.epoch) {
      return { kind: 'error', code: ErrorCode.INVALID_PRODUCER_EPOCH, message: `producer ${h.producerId} epoch ${h.producerEpoch} is older than ${entry.epoch}` }
    }
    if (h.producerEpoch > entry.epoch) {
      if (h.baseSequence === 0) return APPEND
      return { kind: 'error', code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `a new producer epoch must start at sequence 0, got ${h.baseSequence}` }
    }
    const lastSeq = lastSequenceOf(h)
    for (const b of entry.batches) {
      if (b.firstSeq === h.baseSequence && b.lastSeq === lastSeq) return { kind: 'duplicate', baseOffset: b.baseOffset, lastOffset: b.lastOffset }
    }
    const latest = entry.batches[entry.batches.length - 1]
    if (latest === undefined || h.baseSequence === nextSequence(latest.lastSeq)) return APPEND
    return {
      kind: 'error',
      code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
      message: `producer ${h.producerId} expected sequence ${nextSequence(latest.lastSeq)}, got ${h.baseSequence}`,
    }
  }

  /** Record an appended batch (leader or follower) at its final offsets. */
  record(h: BatchHeader, baseOffset: number, nowMs: number): void {
    if (!isIdempotent(h)) return
    let entry = this.producers.get(h.producerId)
    if (entry === undefined || h.producerEpoch > entry.epoch) {
      entry = { epoch: h.producerEpoch, batches: [], lastTimestampMs: nowMs }
      this.remove(h.producerId)
      this.put(h.producerId, entry)
      this.evictOverflow()
    } else if (h.producerEpoch < entry.epoch) {
      return // a follower replaying a fenced producer's older batch: the newer epoch stands
    }
    entry.batches.push({ firstSeq: h.baseSequence, lastSeq: lastSequenceOf(h), baseOffset, lastOffset: baseOffset + h.lastOffsetDelta })
    if (entry.batches.length > PRODUCER_BATCHES_KEPT) entry.batches.shift()
    entry.lastTimestampMs = Math.max(entry.lastTimestampMs, h.maxTimestamp, nowMs)
    this.dirty = true
  }

  /** Forget batches at or after `offset` (follower truncation); producers left with none are forgotten. */
  truncateFrom(offset: number): void {
    for (const [pid, entry] of this.producers) {
      const kept = entry.batches.filter((b) => b.baseOffset < offset)
      if (kept.length === entry.batches.length) continue
      this.dirty = true
      if (kept.length === 0) this.remove(pid)
      else entry.batches = kept
    }
  }

  /** Forget producers idle since before `cutoffMs` (Kafka's producer id expiration). */
  expire(cutoffMs: number): number {
    let n = 0
    for (const [pid, entry] of this.producers) {
      if (entry.lastTimestampMs < cutoffMs) {
        this.remove(pid)
        n++
      }
    }
    if (n > 0) this.dirty = true
    return n
  }

  /** Each producer's epoch, last sequence and last activity, by producer id (DescribeProducers). */
  describe(): Array<{ producerId: number; producerEpoch: number; lastSequence: number; lastTimestamp: number }> {
    return [...this.producers].sort((a, b) => a[0] - b[0]).map(([producerId, e]) => ({
      producerId, producerEpoch: e.epoch, lastSequence: e.batches[e.batches.length - 1]?.lastSeq ?? -1, lastTimestamp: e.lastTimestampMs,
    }))
  }

  clear(): void {
    if (this.producers.size > 0) this.dirty = true
    this.removeAll()
  }

  /** The blob stored with the partition: the table plus the log end offset it reflects. */
  encode(logEndOffset: number): Uint8Array {
    const rows: unknown[] = []
    for (const [pid, e] of this.producers) rows.push([pid, e.epoch, e.lastTimestampMs, e.batches.map((b) => [b.firstSeq, b.lastSeq, b.baseOffset, b.lastOffset])])
    return packValue({ v: 1, offset: logEndOffset, producers: rows })
  }

  /** Load a blob; returns the offset it reflects, or -1 (and an empty table) if it is unreadable. */
  decode(blob: Uint8Array): number {
    this.removeAll()
    const r = unpackValue(blob)
    if (!r.ok) return -1
    const v = r.value as { v?: number; offset?: unknown; producers?: unknown }
    if (v === null || typeof v !== 'object' || v.v !== 1 || typeof v.offset !== 'number' || !Array.isArray(v.producers)) return -1
    try {
      for (const row of v.producers as Array<[number, number, number, Array<[number, number, number, number]>]>) {
        const [pid, epoch, ts, batches] = row
        this.put(pid, {
          epoch,
          lastTimestampMs: ts,
          batches: batches.map(([firstSeq, lastSeq, baseOffset, lastOffset]) => ({ firstSeq, lastSeq, baseOffset, lastOffset })),
        })
      }
    } catch {
      this.removeAll()
      return -1
    }
    return v.offset
  }

  private evictOverflow(): void {
    // Map iteration order is insertion order and record() re-inserts on a new epoch,
    // so the first key is (roughly) the least recently started producer, and the one
    // just added is last: with more than one entry, the first is never it.
    const overBudget = (): boolean => this.budget !== null && this.budget.entries > this.budget.entriesMax && this.producers.size > 1
    while (this.producers.size > PRODUCERS_PER_PARTITION_MAX || overBudget()) {
      if (this.budget !== null && this.producers.size <= PRODUCERS_PER_PARTITION_MAX) this.budget.evictions++
      this.remove(this.producers.keys().next().value as number)
    }
  }
}
