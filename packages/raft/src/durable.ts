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
   * contiguous. It reads the whole log, which the restart path needs (the core reads
   * its log synchronously from memory); `entries` reads one range.
   */
  load(): Promise<{ hardState: HardState | null; snapshot: Snapshot | null; entries: Entry[] }>
  /**
   * The stored entries in [lo, hi), in order, stopping before their total size
   * (`entryBytes`) passes maxBytes — but at least one entry if any is stored at lo.
   * The range may run past the last stored entry (the read stops there), so a reader
   * pages with `entries(next, Infinity, pageBytes)` until it gets []. Throws
   * CompactedError when lo is at or below the snapshot's index.
   */
  entries(lo: number, hi: number, maxBytes: number): Promise<Entry[]>
  /**
   * Append entries (contiguous, ascending). They may overwrite a suffix: an entry at
   * index i deletes every stored entry >= i first.
   */
  append(entries: Entry[]): Promise<void>
  /**
   * Delete every stored entry with index >= index; the snapshot and hard state stay.
   * Refuses (throws) to delete an entry at or below the stored commit index: a
   * committed entry is never taken back.
   */
  truncateFrom(index: number): Promise<void>
  setHardState(hs: HardState): Promise<void>
  /**
   * Optional: one Ready's entries (as `append`) and hard state in one write: one
   * fsync instead of two. With `sync: false` (nothing but the commit index
   * changed: etcd's MustSync) it resolves without waiting for the disk; a commit
   * index lost to a power failure is learnt again from the leader, and the next
   * synced write makes it durable with everything before it.
   */
  saveReady?(entries: Entry[], hardState: HardState | null, opts: { sync: boolean }): Promise<void>
  /**
   * Store the snapshot and drop the log it replaces (Raft §7): if the stored entry at
   * s.index has term s.term, drop the entries up to s.index and keep those after it;
   * otherwise drop every entry. So a restart loads exactly what the node held in
   * memory after installing it. A snapshot at or below the stored one changes nothing.
   */
  saveSnapshot(s: Snapshot): Promise<void>
  close(): Promise<void>
}
