/**
 * Rebuilds the groups of one `__consumer_offsets` partition from its log when
 * this node becomes its leader.
 *
 * First a load marker is appended with acks=all: once it is durable, every
 * record the previous leader wrote before it is below the high watermark (or
 * was truncated away), so reading up to the marker sees the whole committed
 * history — no matter how far the high watermark lagged the log end at the
 * moment of election. Then the partition is read from its start and replayed.
 */
import { decodeRecordBatch, encodeRecordBatch, ErrorCode, lastOffsetOf, splitBatches, ATTR_CONTROL } from '@tributary/protocol'
import { sleep, type Clock } from '../seams.js'
import type { ConsumerGroup } from './group-state.js'
import { finishReplay, loadMarkerRecord, replayRecord } from './offsets-store.js'
import { OFFSETS_TOPIC } from './offsets-topic.js'
import type { GroupReplicas } from './types.js'
import type { PartLogger } from '../seams.js'


export interface LoaderDeps {
  nodeId: number
  replicas: GroupReplicas
  clock: Clock
  logger: PartLogger
  loadReadBytesMax: number
  loadRetryBackoffMs: number
}

export interface LoadStats {
  records: number
  skipped: number
  batches: number
  ms: number
}

/** null when cancelled (`current()` turned false: leadership moved on). */
export async function loadShard(
  deps: LoaderDeps,
  partition: number,
  nonce: string,
  current: () => boolean,
): Promise<{ groups: Map<string, ConsumerGroup>; stats: LoadStats } | null> {
  const started = deps.clock.now()
  const markerOffset = await appendMarker(deps, partition, nonce, current)
  if (markerOffset === null) return null

  const groups = new Map<string, ConsumerGroup>()
  const stats: LoadStats = { records: 0, skipped: 0, batches: 0, ms: 0 }
  let from = 0
  while (from <= markerOffset) {
    if (!current()) return null
    const r = await deps.replicas.readLocal(OFFSETS_TOPIC, partition, from, deps.loadReadBytesMax)
    if (r.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE && from < r.logStartOffset) {
      from = r.logStartOffset
      continue
    }
    const slices = r.errorCode === ErrorCode.NONE ? splitBatches(r.records, { allowPartialTail: true }) : null
    if (slices === null || !slices.ok || slices.value.length === 0) {
      // Not readable yet (high watermark still behind) or a transient error: wait and retry.
      if (slices !== null && !slices.ok) deps.logger.warn({ partition, from, error: slices.message }, 'unreadable __consumer_offsets data; retrying')
      await sleep(deps.clock, deps.loadRetryBackoffMs)
      continue
    }
    for (const slice of slices.value) {
      stats.batches++
      from = lastOffsetOf(slice.header) + 1
      if ((slice.header.attributes & ATTR_CONTROL) !== 0) continue
      const decoded = decodeRecordBatch(slice.bytes)
      if (!decoded.ok) {
        deps.logger.error({ partition, offset: slice.header.baseOffset, error: decoded.message }, 'skipping a corrupt __consumer_offsets batch')
        continue
      }
      for (const rec of decoded.value.records) {
        if (rec.offset < slice.header.baseOffset) continue
        const ev = replayRecord(groups, rec.key, rec.value)
        if (ev.type === 'skipped') stats.skipped++
        else stats.records++
      }
    }
    // Give request handling a turn between chunks of a long log.
    await sleep(deps.clock, 0)
  }
  finishReplay(groups)
  stats.ms = deps.clock.now() - started
  return { groups, stats }
}

async function appendMarker(deps: LoaderDeps, partition: number, nonce: string, current: () => boolean): Promise<number | null> {
  const batch = () => encodeRecordBatch([loadMarkerRecord(deps.nodeId, nonce, deps.clock.now())])
  for (;;) {
    if (!current()) return null
    try {
      const r = await deps.replicas.appendAsLeader(OFFSETS_TOPIC, partition, batch(), -1)
      if (r.errorCode === ErrorCode.NONE) return r.baseOffset
      deps.logger.debug({ partition, errorCode: r.errorCode }, 'load marker not yet durable; retrying')
    } catch (err) {
      deps.logger.warn({ partition, err: String(err) }, 'load marker append threw; retrying')
    }
    await sleep(deps.clock, deps.loadRetryBackoffMs)
  }
}
