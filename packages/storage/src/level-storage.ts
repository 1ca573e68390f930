/**
 * Two LevelDBs per node, `<dir>/log` for the partition logs and `<dir>/raft` for the
 * Raft log. Apart, the Raft log's small synced writes neither fsync the partitions'
 * write-ahead log nor put keys outside the current log segment into its table
 * files (keys.ts says why that matters). Only the broker's main.ts (and the CLI's
 * offline reader) opens them; everything else takes a LogStore or a DurableRaftLog.
 */
import { join } from 'node:path'
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
  /** The partition logs' database. */
  db: LevelDb
  raftDb: LevelDb
  logs: LevelLogStore
  raft: LevelRaftLog
  /** Closes the logs (flushing pending writes), then the database. */
  close(): Promise<void>
}

/**
 * The memtable never fills on its own: the log flushes it at the end of every
 * segment (segments.ts), well under this size. The size is headroom for a flush that
 * falls behind; LevelDB stalls writes past it rather than merging overlapping files.
 * The block cache stays small because tail reads come from the tail cache and cold
 * reads from the OS page cache.
 */
export const LEVEL_DEFAULTS = {
  writeBufferBytes: 32 * 1024 * 1024,
  blockCacheBytes: 8 * 1024 * 1024,
  tableFileBytes: 32 * 1024 * 1024,
}

/** The Raft log is small and rarely written: LevelDB's small defaults. */
const RAFT_WRITE_BUFFER_BYTES = 1024 * 1024

const openRaftDb = (dir: string, createIfMissing = true): LevelDb =>
  new Level<Uint8Array, Uint8Array>(join(dir, 'raft'), { keyEncoding: 'view', valueEncoding: 'view', writeBufferSize: RAFT_WRITE_BUFFER_BYTES, createIfMissing })

/** The Raft database of a node's storage directory alone, for readers such as the CLI's offline view; fails when there is none. */
export async function openRaftStorage(dir: string): Promise<{ raft: LevelRaftLog; close(): Promise<void> }> {
  const raftDb = openRaftDb(dir, false)
  await raftDb.open()
  const raft = new LevelRaftLog(raftDb)
  return {
    raft,
    async close() {
      await raft.close()
      await raftDb.close()
    },
  }
}

/** Whether `dir` is a storage directory (openLevelStorage made it). */
export const RAFT_DB_MARKER = join('raft', 'CURRENT')

export async function openLevelStorage(dir: string, opts: LevelStorageOptions = {}): Promise<LevelStorage> {
  const db: LevelDb = new Level<Uint8Array, Uint8Array>(join(dir, 'log'), {
    keyEncoding: 'view',
    valueEncoding: 'view',
    writeBufferSize: opts.writeBufferBytes ?? LEVEL_DEFAULTS.writeBufferBytes,
    cacheSize: opts.blockCacheBytes ?? LEVEL_DEFAULTS.blockCacheBytes,
    maxFileSize: opts.tableFileBytes ?? LEVEL_DEFAULTS.tableFileBytes,
    // Record batches are usually compressed by producers or random in benchmarks: snappy only costs CPU.
    compression: false,
  })
  const raftDb = openRaftDb(dir)
  await db.open()
  try {
    await raftDb.open()
    const groups = new WriteGroups(db, opts)
    const logs = await LevelLogStore.open(db, groups, opts)
    const raft = new LevelRaftLog(raftDb)
    return {
      db,
      raftDb,
      logs,
      raft,
      async close() {
        await logs.close()
        await raft.close()
        await Promise.all([db.close(), raftDb.close()])
      },
    }
  } catch (err) {
    await Promise.allSettled([db.close(), raftDb.close()])
    throw err
  }
}
