export type {
  AppendResult,
  ReadResult,
  EpochEntry,
  RetentionPolicy,
  CompactionPolicy,
  PartitionLog,
  LogStore,
} from './partition-log.js'
