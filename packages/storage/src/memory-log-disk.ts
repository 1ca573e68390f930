/**
 * The disk under a MemoryLogStore: it outlives the store, as a disk outlives a
 * process. By default every completed write is durable (a process crash, kill -9,
 * loses nothing the OS has: LevelDB without sync still has its log in the page
 * cache). A `volatile` disk lies as a real one may on a power loss:
 *
 * - writes since the last `sync()` (the OS writing its dirty pages back, or an
 *   fsync) are in the page cache only; `powerLoss(kept)` keeps the first `kept` of
 *   them (a prefix: LevelDB's log is one file, written in order) and loses the
 *   rest. The first one lost may have been torn half-written: LevelDB's recovery
 *   drops a record whose checksum fails and everything after it, so a torn write
 *   reads back as a lost one;
 * - `fail(fault)`: every write (and partition removal) is refused with an EIO or
 *   ENOSPC error and changes nothing, until `fail(null)`.
 */
import type { PersistedState, StoredBatch } from './backend.js'

export interface PartitionData {
  batches: StoredBatch[]
  state: PersistedState | null
}

/** What a failing disk answers, as Node's fs would. */
export type DiskFault = 'eio' | 'enospc'

const FAULT_MESSAGES: Record<DiskFault, string> = {
  eio: 'EIO: i/o error, write',
  enospc: 'ENOSPC: no space left on device, write',
}

/** One write not yet synced: what it did to one partition (or its removal). */
interface PendingWrite {
  id: string
  puts: StoredBatch[]
  deletes: number[]
  state: PersistedState | null
  removed: boolean
}

/** Deletes this many or more are applied with one filter pass instead of one splice each. */
const DELETES_FILTER_MIN = 8

export class MemoryLogDisk {
  /** What a reader sees now (the page cache on a volatile disk). */
  readonly partitions = new Map<string, PartitionData>()
  /** The failure every write gets now, null when writes succeed. */
  failing: DiskFault | null = null
  /** Writes since the last sync, oldest first (volatile disks only). */
  private pending: PendingWrite[] = []
  /** Each partition as it was at the last sync (those written since; absent = did not exist). */
  private durable = new Map<string, PartitionData | null>()

  constructor(private readonly opts: { volatile?: boolean } = {}) {}

  /** Writes since the last sync, which a power loss may lose. */
  get unsynced(): number {
    return this.pending.length
  }

  /** Every write and removal so far reaches the platters. */
  sync(): void {
    this.pending = []
    this.durable.clear()
  }

  /** The machine loses power: the first `kept` unsynced writes survive, the rest are lost (the first of them torn). */
  powerLoss(kept: number): void {
    const survivors = this.pending.slice(0, Math.max(0, kept))
    for (const [id, before] of this.durable) {
      if (before === null) this.partitions.delete(id)
      else this.partitions.set(id, before)
    }
    this.pending = []
    this.durable.clear()
    for (const w of survivors) {
      if (w.removed) {
        this.remove(w.id)
        continue
      }
      this.write(w.id, w.puts, w.deletes, w.state)
    }
    this.sync() // what survived is on the platters now
  }

  /** From now on every write gets `fault` (null: writes succeed again). */
  fail(fault: DiskFault | null): void {
    this.failing = fault
  }

  /** The error of a refused write, null when the disk takes it. */
  refusal(): Error | null {
    if (this.failing === null) return null
    return Object.assign(new Error(FAULT_MESSAGES[this.failing]), { code: this.failing.toUpperCase() })
  }

  /** The partition's data, created empty on first use. */
  data(id: string): PartitionData {
    let data = this.partitions.get(id)
    if (!data) {
      this.remember(id)
      this.partitions.set(id, (data = { batches: [], state: null }))
    }
    return data
  }

  /** Puts then deletes (by baseOffset) and the state record, as one write. */
  write(id: string, puts: StoredBatch[], deletes: number[], state: PersistedState | null): void {
    const data = this.data(id)
    this.remember(id)
    const batches = data.batches
    for (const put of puts) {
      const i = lowerBound(batches, put.baseOffset)
      if (batches[i]?.baseOffset === put.baseOffset) batches[i] = put
      else batches.splice(i, 0, put)
    }
    if (deletes.length >= DELETES_FILTER_MIN) {
      const gone = new Set(deletes)
      data.batches = batches.filter((b) => !gone.has(b.baseOffset))
    } else {
      for (const d of deletes) {
        const i = lowerBound(batches, d)
        if (batches[i]?.baseOffset === d) batches.splice(i, 1)
      }
    }
    data.state = state
    if (this.opts.volatile) this.pending.push({ id, puts, deletes, state, removed: false })
  }

  /** The partition and all it held are gone. */
  remove(id: string): void {
    this.remember(id)
    this.partitions.delete(id)
    if (this.opts.volatile) this.pending.push({ id, puts: [], deletes: [], state: null, removed: true })
  }

  /** Before the first unsynced change to a partition: how it was at the last sync. */
  private remember(id: string): void {
    if (!this.opts.volatile || this.durable.has(id)) return
    const data = this.partitions.get(id)
    this.durable.set(id, data ? { batches: data.batches.slice(), state: data.state } : null)
  }
}

/** Index of the first batch with baseOffset >= offset. */
export function lowerBound(batches: StoredBatch[], offset: number): number {
  let lo = 0
  let hi = batches.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (batches[mid].baseOffset < offset) lo = mid + 1
    else hi = mid
  }
  return lo
}
