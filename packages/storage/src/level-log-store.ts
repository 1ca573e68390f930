/**
 * LogStore over one LevelDB shared by every partition of the node (and the Raft log,
 * under its own prefix). See keys.ts for the layout and write-group.ts for how
 * writes are grouped.
 */
import type { Level } from 'level'
import { assert } from './assert.js'
import type { LoadedPartition, PartitionBackend, PersistedState, StateSource, StoredBatch } from './backend.js'
import { BATCH_LOG_LIMITS_DEFAULT, BatchLog, type BatchLogLimits } from './batch-log.js'
import { parseMetaKey, partitionKeys, STATE_END, STATE_PREFIX, type PartitionKeys } from './keys.js'
import type { LogStore, PartitionLog } from './partition-log.js'
import { TailCache, TailCacheBudget } from './tail-cache.js'
import type { Op, StateWriter, WriteGroups } from './write-group.js'

export type LevelDb = Level<Uint8Array, Uint8Array>

export interface LevelLogStoreOptions {
  /** Tail cache per partition. */
  tailCacheBytesPerPartitionMax: number
  /** Tail cache shared by every open partition. */
  tailCacheBytesTotalMax: number
  limits: BatchLogLimits
}

export const LEVEL_LOG_STORE_DEFAULTS: LevelLogStoreOptions = {
  tailCacheBytesPerPartitionMax: 1024 * 1024,
  tailCacheBytesTotalMax: 128 * 1024 * 1024,
  limits: BATCH_LOG_LIMITS_DEFAULT,
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

class LevelPartitionBackend implements PartitionBackend, StateWriter {
  private state: StateSource = () => {
    throw new Error('backend not attached')
  }
  private writtenEpochsVersion = 0
  private writtenProducerVersion = 0

  constructor(
    private readonly db: LevelDb,
    private readonly groups: WriteGroups,
    private readonly keys: PartitionKeys,
  ) {}

  attach(state: StateSource): void {
    this.state = state
  }

  async load(): Promise<LoadedPartition> {
    const [meta, epochs, producer] = await this.db.getMany([this.keys.meta, this.keys.epochs, this.keys.producer])
    const { prefix, end } = this.keys.batches
    const [first] = await this.db.iterator({ gte: prefix, lt: end, limit: 1 }).all()
    const [last] = await this.db.iterator({ gte: prefix, lt: end, limit: 1, reverse: true }).all()
    const batch = (e: [Uint8Array, Uint8Array] | undefined): StoredBatch | null =>
      e ? { baseOffset: this.keys.batches.offsetOf(e[0]), bytes: e[1] } : null
    const state: PersistedState | null = meta
      ? {
          ...decodeMeta(meta),
          epochs: epochs ?? EMPTY,
          epochsVersion: 0,
          producerState: producer ?? null,
          producerStateVersion: 0,
        }
      : null
    return { state, firstBatch: batch(first), lastBatch: batch(last) }
  }

  async floor(offset: number): Promise<StoredBatch | null> {
    const k = this.keys.batches
    const [e] = await this.db.iterator({ gte: k.prefix, lte: k.key(offset), limit: 1, reverse: true }).all()
    return e ? { baseOffset: k.offsetOf(e[0]), bytes: e[1] } : null
  }

  async *scan(from: number, to: number, opts: { values?: boolean } = {}): AsyncIterable<StoredBatch> {
    const k = this.keys.batches
    const values = opts.values !== false
    const it = this.db.iterator({ gte: k.key(from), lt: to >= Number.MAX_SAFE_INTEGER ? k.end : k.key(to), values })
    try {
      for (;;) {
        const entries = await it.nextv(SCAN_CHUNK_ENTRIES)
        if (entries.length === 0) return
        for (const [key, value] of entries) yield { baseOffset: k.offsetOf(key), bytes: values ? value : EMPTY }
      }
    } finally {
      await it.close()
    }
  }

  write(puts: StoredBatch[], deletes: number[]): Promise<void> {
    const k = this.keys.batches
    const ops: Op[] = []
    let bytes = 0
    for (const p of puts) {
      ops.push({ type: 'put', key: k.key(p.baseOffset), value: p.bytes })
      bytes += p.bytes.length
    }
    for (const d of deletes) ops.push({ type: 'del', key: k.key(d) })
    return this.groups.add(ops, bytes, this)
  }

  /** Called when the group is sealed: the state as of every op queued so far. */
  writeState(ops: Op[]): void {
    const s = this.state()
    ops.push({ type: 'put', key: this.keys.meta, value: encodeMeta(s) })
    if (s.epochsVersion !== this.writtenEpochsVersion) {
      ops.push({ type: 'put', key: this.keys.epochs, value: s.epochs })
      this.writtenEpochsVersion = s.epochsVersion
    }
    if (s.producerStateVersion !== this.writtenProducerVersion) {
      ops.push(s.producerState ? { type: 'put', key: this.keys.producer, value: s.producerState } : { type: 'del', key: this.keys.producer })
      this.writtenProducerVersion = s.producerStateVersion
    }
  }

  writable(): Promise<void> | null {
    return this.groups.writable()
  }

  async destroy(): Promise<void> {
    await this.groups.flush()
    await this.db.clear({ gte: this.keys.batches.prefix, lt: this.keys.batches.end })
    await this.db.batch(
      [this.keys.meta, this.keys.epochs, this.keys.producer].map((key) => ({ type: 'del' as const, key })),
      { sync: true },
    )
  }
}

export class LevelLogStore implements LogStore {
  private readonly logs = new Map<string, Promise<BatchLog>>()
  private readonly budget: TailCacheBudget
  private readonly opts: LevelLogStoreOptions

  constructor(
    private readonly db: LevelDb,
    private readonly groups: WriteGroups,
    opts: Partial<LevelLogStoreOptions> = {},
  ) {
    this.opts = { ...LEVEL_LOG_STORE_DEFAULTS, ...opts }
    this.budget = new TailCacheBudget(this.opts.tailCacheBytesPerPartitionMax, this.opts.tailCacheBytesTotalMax)
  }

  open(topicId: string, partition: number): Promise<PartitionLog> {
    const id = `${topicId}/${partition}`
    let log = this.logs.get(id)
    if (!log) {
      const backend = new LevelPartitionBackend(this.db, this.groups, partitionKeys(topicId, partition))
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
    const id = `${topicId}/${partition}`
    const open = this.logs.get(id)
    if (open) await (await open).close()
    await new LevelPartitionBackend(this.db, this.groups, partitionKeys(topicId, partition)).destroy()
  }

  async list(): Promise<Array<{ topicId: string; partition: number }>> {
    const out: Array<{ topicId: string; partition: number }> = []
    for await (const key of this.db.keys({ gte: STATE_PREFIX, lt: STATE_END })) {
      const p = parseMetaKey(key)
      if (p) out.push(p)
    }
    return out
  }

  async close(): Promise<void> {
    const logs = await Promise.allSettled(this.logs.values())
    await Promise.all(logs.map((l) => (l.status === 'fulfilled' ? l.value.close() : undefined)))
    await this.groups.flush()
  }
}
