export type {
  AppendResult,
  ReadResult,
  EpochEntry,
  RetentionPolicy,
  CompactionPolicy,
  PartitionLog,
  LogStore,
  TailCacheUsage,
} from './partition-log.js'
export { LeaderEpochCache, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from './epoch-cache.js'
export { BatchLog, BATCH_LOG_LIMITS_DEFAULT, type BatchLogLimits } from './batch-log.js'
export { MemoryLogDisk, MemoryLogStore, type DiskFault, type MemoryLogStoreOptions } from './memory-log-store.js'
export { LevelLogStore, LEVEL_LOG_STORE_DEFAULTS, type LevelDb, type LevelLogStoreOptions } from './level-log-store.js'
export { openLevelStorage, openRaftStorage, LEVEL_DEFAULTS, RAFT_DB_MARKER, type LevelStorage, type LevelStorageOptions } from './level-storage.js'
export { LevelRaftLog, MemoryRaftLog } from './raft-log.js'
export { WriteGroups, WRITE_GROUP_DEFAULTS, type WriteGroupOptions } from './write-group.js'
export { TailCache, TailCacheBudget } from './tail-cache.js'
