/**
 * AlterPartition as a pure plan: a leader's ISR changes, checked against the
 * image (its leadership, both epochs, the new ISR's members), and the records
 * they commit. An ISR change that brings in a reassignment's last target
 * replica also completes the reassignment (reassignment.ts `isrChange`).
 *
 * The request arrives typed (requests.ts `parseAlterPartition` checked its
 * shapes); what is checked here depends on the image and is answered per partition.
 */
import { ErrorCode, type AlterPartitionRequest, type AlterPartitionResponse } from '@tributary/protocol'
import type { MetadataImage } from '../metadata/image-types.js'
import type { MetadataRecord } from '../metadata/records.js'
import { isLive } from './partition-election.js'
import { isrChange } from './reassignment.js'

type PartitionAnswer = AlterPartitionResponse['topics'][number]['partitions'][number]

/** `brokerId` is the (current, checked) broker asking: only a partition's leader may change its ISR. */
export function planAlterPartition(image: MetadataImage, brokerId: number, req: AlterPartitionRequest): { records: MetadataRecord[]; response: AlterPartitionResponse } {
  const records: MetadataRecord[] = []
  const topics: AlterPartitionResponse['topics'] = []
  // a batch is planned against one image: a partition named twice would get two changes from the same epoch
  const seen = new Set<string>()
  for (const rt of req.topics) {
    const t = image.topicsById.get(rt.topicId)
    const partitions: PartitionAnswer[] = []
    for (const rp of rt.partitions) {
      const p = t?.partitions[rp.partition]
      const out = (errorCode: number): PartitionAnswer => ({
        partition: rp.partition, errorCode,
        leader: p?.leader ?? -1, leaderEpoch: p?.leaderEpoch ?? -1, partitionEpoch: p?.partitionEpoch ?? -1, isr: p?.isr ?? [],
      })
      if (!p) { partitions.push(out(t ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.UNKNOWN_TOPIC_ID)); continue }
      const key = `${t!.topicId}/${p.partition}`
      if (seen.has(key)) { partitions.push(out(ErrorCode.INVALID_REQUEST)); continue }
      seen.add(key)
      if (p.leader !== brokerId) { partitions.push(out(ErrorCode.NOT_LEADER_OR_FOLLOWER)); continue }
      if (rp.leaderEpoch !== p.leaderEpoch) { partitions.push(out(rp.leaderEpoch < p.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH)); continue }
      if (rp.partitionEpoch !== p.partitionEpoch) { partitions.push(out(ErrorCode.INVALID_UPDATE_VERSION)); continue }
      const newIsr = rp.newIsr
      if (!isrProposalValid(newIsr, brokerId, p.replicas)) { partitions.push(out(ErrorCode.INVALID_REQUEST)); continue }
      if (newIsr.some((r) => !p.isr.includes(r) && !isLive(image, r))) { partitions.push(out(ErrorCode.INELIGIBLE_REPLICA)); continue }
      const ordered = p.replicas.filter((r) => newIsr.includes(r))
      const change = isrChange(p, ordered, (id) => isLive(image, id))
      if (change) records.push(change)
      partitions.push({
        ...out(ErrorCode.NONE), isr: change?.isr ?? ordered, partitionEpoch: change ? change.partitionEpoch : p.partitionEpoch,
        leader: change?.leader ?? p.leader, leaderEpoch: change?.leaderEpoch ?? p.leaderEpoch,
      })
    }
    topics.push({ topicId: rt.topicId, partitions })
  }
  return { records, response: { topics } }
}

/** A proposed ISR: not empty, holding the leader asking, no broker twice, only the partition's replicas. */
function isrProposalValid(newIsr: number[], leader: number, replicas: number[]): boolean {
  return newIsr.length > 0 && newIsr.includes(leader) && new Set(newIsr).size === newIsr.length && newIsr.every((r) => replicas.includes(r))
}
