/**
 * AlterPartition as a pure plan: a leader's ISR changes, checked against the
 * image (its leadership, both epochs, the new ISR's members), and the records
 * they commit. An ISR change that brings in a reassignment's last target
 * replica also completes the reassignment (reassignment.ts `isrChange`).
 *
 * Request bodies are untrusted msgpack: every field is checked here.
 */
import { ErrorCode, isInt } from '@tributary/protocol'
import type { MetadataImage } from '../metadata/image-types.js'
import type { MetadataRecord } from '../metadata/records.js'
import { isLive } from './partition-election.js'
import { isrChange } from './reassignment.js'

interface PartitionAnswer { partition: number; errorCode: number; leader: number; leaderEpoch: number; partitionEpoch: number; isr: number[] }

/** `brokerId` is the (current, checked) broker asking: only a partition's leader may change its ISR. */
export function planAlterPartition(image: MetadataImage, brokerId: number, body: any): { records: MetadataRecord[]; response: unknown } | { error: string } {
  if (!Array.isArray(body?.topics)) return { error: 'topics must be an array' }
  const records: MetadataRecord[] = []
  const topics = []
  // a batch is planned against one image: a partition named twice would get two changes from the same epoch
  const seen = new Set<string>()
  for (const rt of body.topics) {
    const t = typeof rt?.topicId === 'string' ? image.topicsById.get(rt.topicId) : undefined
    const partitions: PartitionAnswer[] = []
    for (const rp of Array.isArray(rt?.partitions) ? rt.partitions : []) {
      const p = t && isInt(rp?.partition) ? t.partitions[rp.partition] : undefined
      const out = (errorCode: number): PartitionAnswer => ({
        partition: isInt(rp?.partition) ? rp.partition : -1, errorCode,
        leader: p?.leader ?? -1, leaderEpoch: p?.leaderEpoch ?? -1, partitionEpoch: p?.partitionEpoch ?? -1, isr: p?.isr ?? [],
      })
      if (!p) { partitions.push(out(t ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.UNKNOWN_TOPIC_ID)); continue }
      const key = `${t!.topicId}/${p.partition}`
      if (seen.has(key)) { partitions.push(out(ErrorCode.INVALID_REQUEST)); continue }
      seen.add(key)
      if (p.leader !== brokerId) { partitions.push(out(ErrorCode.NOT_LEADER_OR_FOLLOWER)); continue }
      if (rp.leaderEpoch !== p.leaderEpoch) { partitions.push(out(isInt(rp.leaderEpoch) && rp.leaderEpoch < p.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH)); continue }
      if (rp.partitionEpoch !== p.partitionEpoch) { partitions.push(out(ErrorCode.INVALID_UPDATE_VERSION)); continue }
      const newIsr = rp.newIsr
      if (!Array.isArray(newIsr) || newIsr.length === 0 || !newIsr.includes(brokerId) || new Set(newIsr).size !== newIsr.length || !newIsr.every((r: unknown) => isInt(r) && p.replicas.includes(r))) {
        partitions.push(out(ErrorCode.INVALID_REQUEST))
        continue
      }
      if (newIsr.some((r: number) => !p.isr.includes(r) && !isLive(image, r))) { partitions.push(out(ErrorCode.INELIGIBLE_REPLICA)); continue }
      const ordered = p.replicas.filter((r) => newIsr.includes(r))
      const change = isrChange(p, ordered, (id) => isLive(image, id))
      if (change) records.push(change)
      partitions.push({
        ...out(ErrorCode.NONE), isr: change?.isr ?? ordered, partitionEpoch: change ? change.partitionEpoch : p.partitionEpoch,
        leader: change?.leader ?? p.leader, leaderEpoch: change?.leaderEpoch ?? p.leaderEpoch,
      })
    }
    topics.push({ topicId: String(rt?.topicId), partitions })
  }
  return { records, response: { topics } }
}
