/**
 * The admin client's group offsets: committed offsets with the log end and lag of
 * each partition, and where a reset moves a group's offsets (earliest, latest, an
 * offset, or the first record at a timestamp).
 */
import { ApiKey, EARLIEST_TIMESTAMP, ErrorCode, LATEST_TIMESTAMP } from '@tributary/protocol'
import type { Cluster } from './cluster.js'
import type { Coordinators } from './coordinator.js'
import { ArgumentError, assertArg, responseError } from './errors.js'
import { listOffsets, tpKey } from './list-offsets.js'

export interface GroupOffset { topic: string; partition: number; offset: number; highWatermark: number; lag: number; metadata: string | null }
export type ResetTarget = 'earliest' | 'latest' | { offset: number } | { timestamp: number }

/** The timestamp a reset target looks up (undefined: a fixed offset); a bad target is an ArgumentError. */
function resetTimestamp(to: ResetTarget): number | undefined {
  if (typeof to === 'object' && to !== null && 'offset' in to) {
    assertArg(Number.isSafeInteger(to.offset) && to.offset >= 0, `offset must be a non-negative integer, got ${to.offset}`)
    return undefined
  }
  if (to === 'earliest') return EARLIEST_TIMESTAMP
  if (to === 'latest') return LATEST_TIMESTAMP
  if (typeof to === 'object' && to !== null && 'timestamp' in to && Number.isSafeInteger(to.timestamp) && to.timestamp >= 0) return to.timestamp
  throw new ArgumentError(`to must be 'earliest', 'latest', { offset } or { timestamp }, got ${JSON.stringify(to)}`)
}

/** Where a reset to `to` puts each of `partitions` of `topic` (default: every partition). */
export async function resetPositions(cluster: Cluster, topic: string, to: ResetTarget, partitionsAsked?: number[]): Promise<Array<{ partition: number; offset: number }>> {
  const ts = resetTimestamp(to)
  const t = await cluster.topicMetadata(topic)
  const partitions = partitionsAsked ?? t.partitions.map((p) => p.partition)
  for (const p of partitions) assertArg(Number.isInteger(p) && p >= 0 && p < t.partitions.length, `partition ${p} does not exist in ${topic}`)
  if (ts === undefined) {
    const fixed = (to as { offset: number }).offset
    return partitions.map((partition) => ({ partition, offset: fixed }))
  }
  const found = await listOffsets(cluster, partitions.map((partition) => ({ topic, partition, timestamp: ts })))
  // A timestamp past the last record finds nothing (-1): use the end of the log.
  const latest = ts >= 0 ? await listOffsets(cluster, partitions.map((partition) => ({ topic, partition, timestamp: LATEST_TIMESTAMP }))) : found
  return partitions.map((partition) => {
    const o = found.get(tpKey(topic, partition))?.offset ?? -1
    return { partition, offset: o >= 0 ? o : latest.get(tpKey(topic, partition))?.offset ?? 0 }
  })
}

/** A group's committed offsets, each with its partition's high watermark and the lag (-1 when the partition is gone). */
export async function groupOffsets(cluster: Cluster, coordinators: Coordinators, groupId: string): Promise<GroupOffset[]> {
  const r = await coordinators.call(groupId, ApiKey.OffsetFetch, { groupId, topics: null })
  const committed = r.topics.flatMap((t) => t.partitions.filter((p) => p.errorCode === ErrorCode.NONE && p.offset >= 0).map((p) => ({ topic: t.topic, ...p })))
  if (committed.length === 0) return []
  await cluster.refreshMetadata()
  const live = committed.filter((c) => cluster.metadata.partition(c.topic, c.partition))
  const ends = await listOffsets(cluster, live.map((c) => ({ topic: c.topic, partition: c.partition, timestamp: LATEST_TIMESTAMP })))
  return committed
    .map((c) => {
      const hw = ends.get(tpKey(c.topic, c.partition))?.offset ?? -1
      return { topic: c.topic, partition: c.partition, offset: c.offset, highWatermark: hw, lag: hw >= 0 ? Math.max(0, hw - c.offset) : -1, metadata: c.metadata }
    })
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
}

/** Every group on every broker (each coordinator knows only its own groups); fails only when no broker answers. */
export async function listGroups(cluster: Cluster): Promise<Array<{ groupId: string; state: string; protocolType: string }>> {
  const brokers = await cluster.allBrokerConnections()
  const seen = new Map<string, { groupId: string; state: string; protocolType: string }>()
  const answers = await Promise.allSettled(brokers.map((b) => b.connection.call(ApiKey.ListGroups, {})))
  for (const a of answers) if (a.status === 'fulfilled') for (const g of a.value.groups) seen.set(g.groupId, g)
  const failed = answers.filter((a): a is PromiseRejectedResult => a.status === 'rejected')
  if (failed.length === answers.length && failed.length > 0) throw failed[0].reason
  return [...seen.values()].sort((a, b) => a.groupId.localeCompare(b.groupId))
}

/** Admin OffsetCommit (memberId '', memberEpoch -1): accepted only while the group has no members. */
export async function setOffsets(coordinators: Coordinators, groupId: string, topic: string, partitions: Array<{ partition: number; offset: number }>): Promise<void> {
  const r = await coordinators.call(groupId, ApiKey.OffsetCommit, {
    groupId,
    memberId: '',
    memberEpoch: -1,
    topics: [{ topic, partitions: partitions.map((p) => ({ partition: p.partition, offset: p.offset, metadata: null })) }],
  })
  for (const t of r.topics) for (const p of t.partitions) if (p.errorCode !== ErrorCode.NONE) throw responseError(p.errorCode, undefined, `commit ${t.topic}-${p.partition} for group ${groupId}`)
}

/** Delete groups one by one at their coordinators; the first refusal throws. */
export async function deleteGroups(coordinators: Coordinators, groupIds: string[]): Promise<void> {
  for (const groupId of groupIds) {
    const r = await coordinators.call(groupId, ApiKey.DeleteGroups, { groupIds: [groupId] })
    const e = r.results.find((x) => x.errorCode !== ErrorCode.NONE)
    if (e) throw responseError(e.errorCode, undefined, `deleteGroup ${e.groupId}`)
  }
}
