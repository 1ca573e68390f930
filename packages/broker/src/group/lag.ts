/**
 * Consumer-group lag for /metrics, on the node that coordinates the group: its
 * committed offsets (held in memory by the coordinator) against each partition's
 * high watermark, which is what a consumer can read up to. A partition led here is
 * read locally; the others are asked of their leaders with one ListOffsets per
 * leader, in parallel, when Prometheus scrapes (not on any request path).
 */
import { ApiKey, ErrorCode, LATEST_TIMESTAMP, topicPartitionKey as key, type ListOffsetsResponse } from '@tributary/protocol'
import type { MetadataView } from '../metadata/image-types.js'
import type { PeerClients } from '../seams.js'

/** How long a scrape waits for other leaders' end offsets; a partition without one gets no lag sample. */
export const LAG_END_OFFSETS_TIMEOUT_MS = 2_000

export interface CommittedOffsetRow {
  groupId: string
  topic: string
  partition: number
  offset: number
}

export interface GroupLagRow extends CommittedOffsetRow {
  /** High watermark minus committed offset (never negative); undefined when the end offset is unknown. */
  lag: number | undefined
}

export interface LagDeps {
  nodeId: number
  metadata: MetadataView
  /** Of a partition hosted here, -1 if not. */
  localHighWatermark(topic: string, partition: number): number
  peers: PeerClients
  timeoutMs?: number
}

export async function groupLag(rows: CommittedOffsetRow[], deps: LagDeps): Promise<GroupLagRow[]> {
  if (rows.length === 0) return []
  const ends = await endOffsets(rows, deps)
  return rows.map((r) => {
    const end = ends.get(key(r.topic, r.partition))
    return { ...r, lag: end === undefined ? undefined : Math.max(0, end - r.offset) }
  })
}

/** High watermarks of the given partitions, by `topic\0partition`; partitions whose leader did not answer are absent. */
async function endOffsets(parts: Array<{ topic: string; partition: number }>, deps: LagDeps): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  const byLeader = new Map<number, Map<string, Set<number>>>()
  const image = deps.metadata.image()
  for (const { topic, partition } of parts) {
    const k = key(topic, partition)
    if (out.has(k)) continue
    const leader = image.topicsByName.get(topic)?.partitions[partition]?.leader ?? -1
    if (leader < 0) continue
    if (leader === deps.nodeId) {
      const hw = deps.localHighWatermark(topic, partition)
      if (hw >= 0) out.set(k, hw)
      continue
    }
    let topics = byLeader.get(leader)
    if (!topics) byLeader.set(leader, (topics = new Map()))
    let set = topics.get(topic)
    if (!set) topics.set(topic, (set = new Set()))
    set.add(partition)
  }
  await Promise.all(
    [...byLeader].map(async ([leader, topics]) => {
      const body = { replicaId: -1, topics: [...topics].map(([topic, ps]) => ({ topic, partitions: [...ps].map((partition) => ({ partition, timestamp: LATEST_TIMESTAMP })) })) }
      try {
        const r = await deps.peers.request<ListOffsetsResponse>(leader, ApiKey.ListOffsets, body, { timeoutMs: deps.timeoutMs ?? LAG_END_OFFSETS_TIMEOUT_MS })
        if (r.errorCode !== ErrorCode.NONE) return
        for (const t of r.body.topics ?? []) for (const p of t.partitions ?? []) if (p.errorCode === ErrorCode.NONE) out.set(key(t.topic, p.partition), p.offset)
      } catch {
        // the leader is unreachable: its partitions get no lag sample this scrape
      }
    }),
  )
  return out
}
