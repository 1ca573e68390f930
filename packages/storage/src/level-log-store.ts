/**
 * LogStore over one LevelDB shared by every partition of the node. See keys.ts for
 * the layout (segments) and write-group.ts for how writes are grouped.
 */
import { topicPartitionKey } from '@tributary/protocol'
import type { Level } from 'level'
import { assert } from './assert.js'
import type { LoadedPartition, LogChange, PartitionBackend, PersistedState, StateSource, StoredBatch } from './backend.js'
import { BATCH_LOG_LIMITS_DEFAULT, BatchLog, type BatchLogLimits } from './batch-log.js'
import { LOG_END, parseStateKey, PartitionKeys, STATE_NAMES, stateRange } from './keys.js'
import { Segments } from './segments.js'
import type { LogStore, PartitionLog, TailCacheUsage } from './partition-log.js'
import { TailCache, TailCacheBudget } from './tail-cache.js'
import type { Op, StateWriter, WriteGroups } from './write-group.js'

export type LevelDb = Level<Uint8Array, Uint8Array>

export interface LevelLogStoreOptions {
  /** Tail cache per partition. */
  tailCacheBytesPerPartitionMax: number
  /** Tail cache shared by every open partition. */
  tailCacheBytesTotalMax: number
  limits: BatchLogLimits
  /**
   * Bytes the node writes into one log segment before starting the next (keys.ts).
   * LevelDB holds the segment being written and the one being flushed in memory;
   * 8 MiB and 16 MiB appended at the same pace (storage bench, 32 partitions).
   */
  segmentBytes: number
}

export const LEVEL_LOG_STORE_DEFAULTS: LevelLogStoreOptions = {
  tailCacheBytesPerPartitionMax: 1024 * 1024,
  tailCacheBytesTotalMax: 128 * 1024 * 1024,
  limits: BATCH_LOG_LIMITS_DEFAULT,
  segmentBytes: 8 * 1024 * 1024,
}

/** Entries pulled from a LevelDB iterator per native call. */
const SCAN_CHUNK_ENTRIES = 64
const META_BYTES = 32
const EMPTY = new Uint8Array(0)

function encodeMeta(s: PersistedState): Uint8Array {
  const out = new Uint8Array(META_BYTES)
  const v = new DataView(out.buffer)
  v.setFloat64(0, s.logStartOffset)
  v.setFloat64(8, s.logEndOffset)
  v.setFloat64(16, s.highWatermark)
  v.setFloat64(24, s.sizeBytes)
  return out
}

function decodeMeta(b: Uint8Array): Pick<PersistedState, 'logStartOffset' | 'logEndOffset' | 'highWatermark' | 'sizeBytes'> {
  assert(b.length === META_BYTES, `partition meta of ${b.length} bytes`)
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength)
  return { logStartOffset: v.getFloat64(0), logEndOffset: v.getFloat64(8), highWatermark: v.getFloat64(16), sizeBytes: v.getFloat64(24) }
}

/** Where a partition's batches live: each segment holding some, with the first baseOffset written there. */
interface SegmentEntry {
  segment: number
  first: number
}

class LevelPartitionBackend implements PartitionBackend, StateWriter {
  private state: StateSource = () => {
    throw new Error('backend not attached')
  }
  private writtenEpochsVersion = 0
  private writtenProducerVersion = 0
  /** Ascending by segment and by first offset; a segment may have been emptied since. */
  private index: SegmentEntry[] = []

  constructor(
    private readonly db: LevelDb,
    private readonly groups: WriteGroups,
    private readonly segments: Segments,
    private readonly states: StateSegments,
    private readonly keys: PartitionKeys,
  ) {}

  private get id(): string {
    return topicPartitionKey(this.keys.topicId, this.keys.partition)
  }

  attach(state: StateSource): void {
    this.state = state
  }

  async load(): Promise<LoadedPartition> {
    // Keys only: a segment's first batch can be a MiB, and copying one per segment
    // made start-up with 1 GiB of 1 MiB batches read ~150 of them for nothing.
    const firsts = await Promise.all(
      this.segments.all().map(async (segment) => {
        const [key] = await this.db.keys({ ...this.keys.batchRange(segment), limit: 1 }).all()
        return key && { segment, first: this.keys.offsetOf(key) }
      }),
    )
    this.index = firsts.filter((f) => f !== undefined)
    const newest = this.index[this.index.length - 1]
    const [last] = newest ? await this.db.iterator({ ...this.keys.batchRange(newest.segment), limit: 1, reverse: true }).all() : []
    return { state: await this.loadState(), firstOffset: this.index[0]?.first ?? null, lastBatch: last ? this.stored(last) : null }
  }

  private async loadState(): Promise<PersistedState | null> {
    const segment = this.states.newest(this.id)
    if (segment === undefined) return null
    const [meta, epochs, producer] = await this.db.getMany(STATE_NAMES.map((name) => this.keys.stateKey(segment, name)))
    if (!meta) return null
    return { ...decodeMeta(meta), epochs: epochs ?? EMPTY, epochsVersion: 0, producerState: producer ?? null, producerStateVersion: 0 }
  }

  private stored([key, value]: [Uint8Array, Uint8Array]): StoredBatch {
    return { baseOffset: this.keys.offsetOf(key), bytes: value }
  }

  /** The last index entry whose first offset is <= offset; -1 when none. */
  private entryFor(offset: number): number {
    let lo = 0
    let hi = this.index.length - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if (this.index[mid].first <= offset) {
        found = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    return found
  }

  async floor(offset: number, opts: { values?: boolean } = {}): Promise<StoredBatch | null> {
    const index = this.index
    const values = opts.values !== false
    for (let i = this.entryFor(offset); i >= 0; i--) {
      const { segment } = index[i]
      const { gte } = this.keys.batchRange(segment)
      const [e] = await this.db.iterator({ gte, lte: this.keys.batch(segment, offset), limit: 1, reverse: true, values }).all()
      if (e) return values ? this.stored(e) : { baseOffset: this.keys.offsetOf(e[0]), bytes: EMPTY }
    }
    return null
  }

  async *scan(from: number, to: number, opts: { values?: boolean } = {}): AsyncIterable<StoredBatch> {
    const values = opts.values !== false
    // Truncation and retention replace the index rather than edit it; appends only add entries at its end: safe to walk while it runs.
    const index = this.index
    for (let i = Math.max(0, this.entryFor(from)); i < index.length && index[i].first < to; i++) {
      const { segment } = index[i]
      const range = this.keys.batchRange(segment)
      const it = this.db.iterator({
        gte: from > index[i].first ? this.keys.batch(segment, from) : range.gte,
        lt: to >= Number.MAX_SAFE_INTEGER ? range.lt : this.keys.batch(segment, to),
        values,
      })
      try {
        for (;;) {
          const entries = await it.nextv(SCAN_CHUNK_ENTRIES)
          if (entries.length === 0) break
          for (const [key, value] of entries) yield { baseOffset: this.keys.offsetOf(key), bytes: values ? value : EMPTY }
        }
      } finally {
        await it.close()
      }
    }
  }

  write(puts: StoredBatch[], deletes: number[], change: LogChange = {}): Promise<void> {
    const ops: Op[] = []
    let bytes = 0
    // Deletes resolve their segments before the index forgets emptied ones; LevelDB applies a batch's ops in order, and these keys differ from the puts'.
    for (const d of deletes) ops.push({ type: 'del', key: this.keys.batch(this.segmentOf(d), d) })
    if (change.truncateFrom !== undefined) {
      const cut = change.truncateFrom
      this.forget(this.index.filter((e) => e.first >= cut), ops)
      this.index = this.index.filter((e) => e.first < cut)
    }
    if (change.dropBefore !== undefined) this.dropEntriesBefore(change.dropBefore, ops)
    for (const p of puts) {
      ops.push({ type: 'put', key: this.keys.batch(change.rewrite ? this.segmentOf(p.baseOffset) : this.appendSegment(p.baseOffset), p.baseOffset), value: p.bytes })
      bytes += p.bytes.length
    }
    this.segments.wrote(bytes)
    return this.groups.add(ops, bytes, this)
  }

  /** The segment a new batch goes into: the current one, entered in the index on first use. */
  private appendSegment(baseOffset: number): number {
    const segment = this.segments.current
    const last = this.index[this.index.length - 1]
    if (last === undefined || last.segment !== segment) this.index.push({ segment, first: baseOffset })
    return segment
  }

  private segmentOf(baseOffset: number): number {
    const i = this.entryFor(baseOffset)
    assert(i >= 0, `no segment holds offset ${baseOffset}`)
    return this.index[i].segment
  }

  /** Retention removed every batch ending before `logStart`: forget the segments it emptied. */
  private dropEntriesBefore(logStart: number, ops: Op[]): void {
    let keep = 0
    while (keep + 1 < this.index.length && this.index[keep + 1].first <= logStart) keep++
    this.forget(this.index.slice(0, keep), ops)
    this.index = this.index.slice(keep)
  }

  /**
   * Segments that no longer hold batches of this partition: delete its state records
   * there too. This write's group stores the state in the current segment, in the
   * same db.batch, so any other copy is garbage from then on.
   */
  private forget(emptied: SegmentEntry[], ops: Op[]): void {
    for (const { segment } of emptied) {
      if (segment === this.segments.current) continue
      for (const name of STATE_NAMES) ops.push({ type: 'del', key: this.keys.stateKey(segment, name) })
    }
  }

  /** Called when the group is sealed: the state as of every op queued so far, into the current segment. */
  writeState(ops: Op[]): void {
    const s = this.state()
    const segment = this.segments.current
    // A segment the partition has no state in yet gets all three records, so the newest segment holding its meta holds its whole state.
    const whole = this.states.newest(this.id) !== segment
    this.states.wrote(this.keys.topicId, this.keys.partition, segment)
    ops.push({ type: 'put', key: this.keys.stateKey(segment, 'meta'), value: encodeMeta(s) })
    if (whole || s.epochsVersion !== this.writtenEpochsVersion) {
      ops.push({ type: 'put', key: this.keys.stateKey(segment, 'epochs'), value: s.epochs })
      this.writtenEpochsVersion = s.epochsVersion
    }
    if (whole || s.producerStateVersion !== this.writtenProducerVersion) {
      const key = this.keys.stateKey(segment, 'producer')
      ops.push(s.producerState ? { type: 'put', key, value: s.producerState } : { type: 'del', key })
      this.writtenProducerVersion = s.producerStateVersion
    }
  }

  writable(): Promise<void> | null {
    return this.groups.writable()
  }

  async destroy(): Promise<void> {
    await this.groups.flush()
    for (const segment of this.segments.all()) await this.db.clear(this.keys.batchRange(segment))
    const states = this.segments.all().flatMap((segment) => STATE_NAMES.map((name) => ({ type: 'del' as const, key: this.keys.stateKey(segment, name) })))
    await this.db.batch(states, { sync: true })
    this.states.forget(this.id)
  }
}

/**
 * The newest segment holding each partition's state records, found at open by
 * reading the state keys of every segment (keys only); older copies are deleted then.
 */
class StateSegments {
  private readonly newestOf = new Map<string, { segment: number; topicId: string; partition: number }>()

  static async open(db: LevelDb, segments: Segments): Promise<StateSegments> {
    const states = new StateSegments()
    const stale: Op[] = []
    const keysBySegment = await Promise.all(segments.all().map((segment) => db.keys(stateRange(segment)).all()))
    for (const [i, segment] of segments.all().entries()) {
      for (const key of keysBySegment[i]) {
        const k = parseStateKey(key)
        if (k === null || k.name !== 'meta') continue
        const older = states.newest(topicPartitionKey(k.topicId, k.partition))
        if (older !== undefined) {
          const keys = new PartitionKeys(k.topicId, k.partition)
          for (const name of STATE_NAMES) stale.push({ type: 'del', key: keys.stateKey(older, name) })
        }
        states.wrote(k.topicId, k.partition, segment)
      }
    }
    if (stale.length > 0) await db.batch(stale)
    return states
  }

  newest(id: string): number | undefined {
    return this.newestOf.get(id)?.segment
  }

  wrote(topicId: string, partition: number, segment: number): void {
    this.newestOf.set(topicPartitionKey(topicId, partition), { segment, topicId, partition })
  }

  forget(id: string): void {
    this.newestOf.delete(id)
  }

  partitions(): Array<{ topicId: string; partition: number }> {
    return [...this.newestOf.values()].map(({ topicId, partition }) => ({ topicId, partition }))
  }
}

/**
 * classic-level's compactRange over a range holding no key: LevelDB flushes the
 * memtable to a table file and finds nothing else to compact. (`level`'s types
 * cover browsers too, hence the cast.)
 */
function flushMemtable(db: LevelDb): Promise<void> {
  return (db as unknown as { compactRange(start: Uint8Array, end: Uint8Array): Promise<void> }).compactRange(LOG_END, LOG_END)
}

export class LevelLogStore implements LogStore {
  private readonly logs = new Map<string, Promise<BatchLog>>()
  private readonly budget: TailCacheBudget
  private readonly opts: LevelLogStoreOptions
  /** The memtable flush asked for at the last segment's end (awaited on close). */
  private flushing: Promise<void> = Promise.resolve()

  private constructor(
    private readonly db: LevelDb,
    private readonly groups: WriteGroups,
    private readonly segments: Segments,
    private readonly states: StateSegments,
    opts: Partial<LevelLogStoreOptions>,
  ) {
    this.opts = { ...LEVEL_LOG_STORE_DEFAULTS, ...opts }
    this.budget = new TailCacheBudget(this.opts.tailCacheBytesPerPartitionMax, this.opts.tailCacheBytesTotalMax)
    groups.afterSeal = () => segments.maybeRoll()
    groups.segmentWritten = () => {
      this.flushing = flushMemtable(db).catch(() => {}) // a failed flush only costs LevelDB merges
      return new Promise((resolve) => setImmediate(resolve))
    }
  }

  /** Finds the segments and each partition's newest state; `groups` must write to `db`. */
  static async open(db: LevelDb, groups: WriteGroups, opts: Partial<LevelLogStoreOptions> = {}): Promise<LevelLogStore> {
    const segments = await Segments.open(db, opts.segmentBytes ?? LEVEL_LOG_STORE_DEFAULTS.segmentBytes)
    const states = await StateSegments.open(db, segments)
    return new LevelLogStore(db, groups, segments, states, opts)
  }

  private backend(topicId: string, partition: number): LevelPartitionBackend {
    return new LevelPartitionBackend(this.db, this.groups, this.segments, this.states, new PartitionKeys(topicId, partition))
  }

  open(topicId: string, partition: number): Promise<PartitionLog> {
    const id = topicPartitionKey(topicId, partition)
    let log = this.logs.get(id)
    if (!log) {
      const backend = this.backend(topicId, partition)
      const cache = new TailCache(this.budget)
      log = BatchLog.open(topicId, partition, backend, cache, this.opts.limits, () => this.logs.delete(id))
      this.logs.set(id, log)
      log.catch(() => {
        cache.close()
        this.logs.delete(id)
      })
    }
    return log
  }

  async delete(topicId: string, partition: number): Promise<void> {
    const open = this.logs.get(topicPartitionKey(topicId, partition))
    if (open) await (await open).close()
    await this.backend(topicId, partition).destroy()
  }

  tailCacheUsage(): TailCacheUsage {
    return { budgetBytes: this.budget.totalBytesMax, usedBytes: this.budget.usedBytes(), partitionsHolding: this.budget.holding() }
  }

  releaseIdleTailCaches(): number {
    return this.budget.releaseIdle()
  }

  list(): Promise<Array<{ topicId: string; partition: number }>> {
    return Promise.resolve(this.states.partitions())
  }

  async close(): Promise<void> {
    const logs = await Promise.allSettled(this.logs.values())
    await Promise.all(logs.map((l) => (l.status === 'fulfilled' ? l.value.close() : undefined)))
    await this.groups.flush()
    await this.flushing
  }
}
