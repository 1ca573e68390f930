/**
 * One LevelDB per node: the partition logs and the Raft log live in it side by side.
 * Only the broker's main.ts opens it; everything else takes a LogStore or a
 * DurableRaftLog.
 */
import { Level } from 'level'
import { LevelLogStore, type LevelDb, type LevelLogStoreOptions } from './level-log-store.js'
import { LevelRaftLog } from './raft-log.js'
import { WriteGroups, type WriteGroupOptions } from './write-group.js'

export interface LevelStorageOptions extends Partial<LevelLogStoreOptions>, Partial<WriteGroupOptions> {
  /** LevelDB memtable size: bigger means fewer, larger level-0 files under heavy writes. */
  writeBufferBytes?: number
  /** LevelDB block cache (reads that miss the tail cache). */
  blockCacheBytes?: number
  /** LevelDB table file size. */
  tableFileBytes?: number
}

export interface LevelStorage {
  db: LevelDb
  logs: LevelLogStore
  raft: LevelRaftLog
  /** Closes the logs (flushing pending writes), then the database. */
  close(): Promise<void>
}

/**
 * Memtable size is the write-throughput knob (storage bench, 16 KiB batches, quiet
 * machine, TRIBUTARY_BENCH_WRITE_BUFFER_MIB=N): 64 MiB appends 407-425 MB/s, 32 MiB
 * 344-433 MB/s, 16 MiB 207-237 MB/s. LevelDB holds up to two memtables, so 32 MiB
 * keeps the issue's >= 300 MB/s while bounding a broker's anonymous memory; the
 * block cache stays small because tail reads come from the tail cache and cold
 * reads from the OS page cache.
 */
export const LEVEL_DEFAULTS = {
  writeBufferBytes: 32 * 1024 * 1024,
  blockCacheBytes: 8 * 1024 * 1024,
  tableFileBytes: 32 * 1024 * 1024,
}

export async function openLevelStorage(dir: string, opts: LevelStorageOptions = {}): Promise<LevelStorage> {
  const db: LevelDb = new Level<Uint8Array, Uint8Array>(dir, {
    keyEncoding: 'view',
    valueEncoding: 'view',
    writeBufferSize: opts.writeBufferBytes ?? LEVEL_DEFAULTS.writeBufferBytes,
    cacheSize: opts.blockCacheBytes ?? LEVEL_DEFAULTS.blockCacheBytes,
    maxFileSize: opts.tableFileBytes ?? LEVEL_DEFAULTS.tableFileBytes,
    // Record batches are usually compressed by producers or random in benchmarks: snappy only costs CPU.
    compression: false,
  })
  await db.open()
  const groups = new WriteGroups(db, opts)
  const logs = new LevelLogStore(db, groups, opts)
  const raft = new LevelRaftLog(db)
  return {
    db,
    logs,
    raft,
    async close() {
      await logs.close()
      await raft.close()
      await db.close()
    },
  }
}
