import type { Entry, HardState, Snapshot } from './types.js'

/**
 * The durable Raft log a node keeps on disk (implemented over LevelDB in
 * packages/storage). The Raft core never calls it: the driving loop persists each
 * Ready through it, then appends the same data to the MemoryRaftStorage the core
 * reads. On restart `load()` rebuilds that MemoryRaftStorage.
 *
 * Every promise resolves only once the write is durable (fsynced): the caller sends
 * the Ready's messages after `append` + `setHardState` resolve, never before.
 */
export interface DurableRaftLog {
  /**
   * Everything stored: the last hard state (null if never written), the latest
   * snapshot (null if none), and the entries after the snapshot in index order,
   * contiguous.
   */
  load(): Promise<{ hardState: HardState | null; snapshot: Snapshot | null; entries: Entry[] }>
  /**
   * Append entries (contiguous, ascending). They may overwrite a suffix: an entry at
   * index i deletes every stored entry >= i first.
   */
  append(entries: Entry[]): Promise<void>
  setHardState(hs: HardState): Promise<void>
  /**
   * Store the snapshot and drop every entry with index <= s.index. Entries after it
   * may stay: MemoryRaftStorage.fromDurable keeps only those that can follow the
   * snapshot (it drops a stale tail left when a leader's snapshot replaced a
   * divergent log). Implementations may also drop every entry after s.index when the
   * stored entry at s.index does not have term s.term.
   */
  saveSnapshot(s: Snapshot): Promise<void>
  close(): Promise<void>
}
