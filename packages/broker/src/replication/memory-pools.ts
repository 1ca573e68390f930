/**
 * The node-wide memory budgets every per-partition buffer draws from (README
 * "Scale: memory"), with what each holds now, for /metrics
 * (tributary_memory_budget_bytes / tributary_memory_used_bytes).
 */
import type { LogStore } from '@tributary/storage'
import { FETCH_SESSION_PARTITION_BYTES, type FetchSessionCache } from './fetch-session-cache.js'
import type { MemoryPool } from './partition-stats.js'
import { PRODUCER_ENTRY_BYTES, type ProducerStateBudget } from './producer-state.js'

export function memoryPools(logStore: LogStore, sessions: FetchSessionCache, producers: ProducerStateBudget, storageBudgetBytes: Record<string, number>): MemoryPool[] {
  const pools: MemoryPool[] = []
  const tail = logStore.tailCacheUsage?.()
  if (tail) pools.push({ pool: 'tail_cache', budgetBytes: tail.budgetBytes, usedBytes: tail.usedBytes })
  pools.push({ pool: 'fetch_sessions', budgetBytes: sessions.limits.partitionsMax * FETCH_SESSION_PARTITION_BYTES, usedBytes: sessions.cachedPartitions * FETCH_SESSION_PARTITION_BYTES })
  pools.push({ pool: 'producer_state', budgetBytes: producers.entriesMax * PRODUCER_ENTRY_BYTES, usedBytes: producers.entries * PRODUCER_ENTRY_BYTES })
  // LevelDB does not say what its memtable and block cache hold: their budgets only
  for (const [pool, budgetBytes] of Object.entries(storageBudgetBytes)) pools.push({ pool, budgetBytes })
  return pools
}
