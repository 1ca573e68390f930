/**
 * LogStore in memory, for unit tests and the deterministic simulation. It runs the
 * same BatchLog as the LevelDB store over a sorted array, so the semantics are
 * identical; data survives close/open of a partition for as long as the store lives
 * (like a process restart). A simulation restarts a node on a new store over the
 * crashed one's `MemoryLogDisk`, which may lie as a real disk does (memory-log-disk.ts).
 */
import { parseTopicPartitionKey, systemClock, topicPartitionKey, type Clock } from '@tributary/protocol'
import type { LoadedPartition, PartitionBackend, StateSource, StoredBatch } from './backend.js'
import { lowerBound, MemoryLogDisk, type PartitionData } from './memory-log-disk.js'
import { BATCH_LOG_LIMITS_DEFAULT, BatchLog, type BatchLogLimits } from './batch-log.js'
import type { LogStore, PartitionLog } from './partition-log.js'
import { TailCache } from './tail-cache.js'

export { MemoryLogDisk, type DiskFault } from './memory-log-disk.js'

export interface MemoryLogStoreOptions {
  limits?: BatchLogLimits
  /** The disk to write (default a fresh one). */
  disk?: MemoryLogDisk
  /** The partition logs' timers and append time (default the system clock). */
  clock?: Clock
}

/** A write of a crashed store: a dead process never hears back, and nothing reaches the disk. */
const NEVER = new Promise<never>(() => {})

const NO_KEYS = new Uint8Array(0)

class MemoryPartitionBackend implements PartitionBackend {
  private state: StateSource = () => {
    throw new Error('backend not attached')
  }
  constructor(
    private readonly id: string,
    private readonly disk: MemoryLogDisk,
    private readonly crashed: () => boolean,
  ) {}

  private get data(): PartitionData {
    return this.disk.data(this.id)
  }

  attach(state: StateSource): void {
    this.state = state
  }

  async load(): Promise<LoadedPartition> {
    const { batches, state } = this.data
    return { state: state && { ...state }, firstOffset: batches[0]?.baseOffset ?? null, lastBatch: batches[batches.length - 1] ?? null }
  }

  async floor(offset: number, opts: { values?: boolean } = {}): Promise<StoredBatch | null> {
    const { batches } = this.data
    const i = lowerBound(batches, offset)
    const b = i < batches.length && batches[i].baseOffset === offset ? batches[i] : i > 0 ? batches[i - 1] : null
    return b !== null && opts.values === false ? { baseOffset: b.baseOffset, bytes: NO_KEYS } : b
  }

  async *scan(from: number, to: number, opts: { values?: boolean } = {}): AsyncIterable<StoredBatch> {
    // Re-search each step: the array may change between yields.
    for (let next = from; ; ) {
      const b = this.data.batches[lowerBound(this.data.batches, next)]
      if (b === undefined || b.baseOffset >= to) return
      yield opts.values === false ? { baseOffset: b.baseOffset, bytes: NO_KEYS } : b
      next = b.baseOffset + 1
    }
  }

  write(puts: StoredBatch[], deletes: number[]): Promise<void> {
    if (this.crashed()) return NEVER
    const refused = this.disk.refusal()
    if (refused) return Promise.reject(refused)
    this.disk.write(this.id, puts, deletes, this.state())
    return Promise.resolve()
  }

  writable(): null {
    return null
  }

  async destroy(): Promise<void> {
    if (this.crashed()) return NEVER
    const refused = this.disk.refusal()
    if (refused) throw refused
    this.disk.write(this.id, [], this.data.batches.map((b) => b.baseOffset), null)
  }
}

export class MemoryLogStore implements LogStore {
  private readonly disk: MemoryLogDisk
  private readonly logs = new Map<string, Promise<BatchLog>>()
  private readonly limits: BatchLogLimits
  private readonly clock: Clock
  private crashed = false

  constructor(opts: MemoryLogStoreOptions = {}) {
    this.limits = opts.limits ?? BATCH_LOG_LIMITS_DEFAULT
    this.disk = opts.disk ?? new MemoryLogDisk()
    this.clock = opts.clock ?? systemClock
  }

  /** The process died: from now on no write of this store reaches the disk or resolves. */
  crash(): void {
    this.crashed = true
  }

  open(topicId: string, partition: number): Promise<PartitionLog> {
    const id = topicPartitionKey(topicId, partition)
    let log = this.logs.get(id)
    if (!log) {
      if (this.crashed) return NEVER
      const backend = new MemoryPartitionBackend(id, this.disk, () => this.crashed)
      log = BatchLog.open(topicId, partition, backend, new TailCache(null), this.limits, () => this.logs.delete(id), this.clock)
      this.logs.set(id, log)
      log.catch(() => this.logs.delete(id))
    }
    return log
  }

  async delete(topicId: string, partition: number): Promise<void> {
    const id = topicPartitionKey(topicId, partition)
    const log = this.logs.get(id)
    if (log) await (await log).close()
    if (this.crashed) return NEVER
    const refused = this.disk.refusal()
    if (refused) throw refused
    this.disk.remove(id)
  }

  async list(): Promise<Array<{ topicId: string; partition: number }>> {
    return [...this.disk.partitions.keys()].map((id) => {
      const { topic: topicId, partition } = parseTopicPartitionKey(id)
      return { topicId, partition }
    })
  }

  async close(): Promise<void> {
    const logs = await Promise.all(this.logs.values())
    await Promise.all(logs.map((l) => l.close()))
  }
}
