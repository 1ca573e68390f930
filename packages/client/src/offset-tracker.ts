/**
 * Which offsets this consumer has processed and which it has committed, per
 * partition, and the OffsetCommit / OffsetFetch calls that move them. The
 * offset committed is the next one to consume (last processed + 1), as in Kafka.
 */
import { ApiKey, ErrorCode, TributaryError, type OffsetCommitRequest } from '@tributary/protocol'
import type { Coordinators } from './coordinator.js'
import { responseError } from './errors.js'
import type { GroupMember, TopicPartition } from './group-member.js'
import { tpKey } from './list-offsets.js'

export interface TopicPartitionOffset extends TopicPartition { offset: number }

export class OffsetTracker {
  /** Next offset to consume, by partition, once something was processed (or sought). */
  private readonly resolved = new Map<string, TopicPartitionOffset>()
  private readonly committed = new Map<string, number>()
  /** The last commit issued; the next one starts once it settled. */
  private commitChain: Promise<void> = Promise.resolve()
  private commitsQueued = 0

  constructor(private readonly groupId: string | undefined, private readonly coordinators: Coordinators, private readonly member: GroupMember | undefined) {}

  resolve(topic: string, partition: number, nextOffset: number): void {
    this.resolved.set(tpKey(topic, partition), { topic, partition, offset: nextOffset })
  }

  forget(tps: TopicPartition[]): void {
    for (const tp of tps) {
      this.resolved.delete(tpKey(tp.topic, tp.partition))
      this.committed.delete(tpKey(tp.topic, tp.partition))
    }
  }

  /** Processed-but-uncommitted offsets, for the given partitions or all. */
  pending(tps?: TopicPartition[]): TopicPartitionOffset[] {
    const keys = tps ? tps.map((tp) => tpKey(tp.topic, tp.partition)) : [...this.resolved.keys()]
    const out: TopicPartitionOffset[] = []
    for (const k of keys) {
      const r = this.resolved.get(k)
      if (r && this.committed.get(k) !== r.offset) out.push(r)
    }
    return out
  }

  /** Committed offsets for these partitions (-1 where none). */
  async fetchCommitted(tps: TopicPartition[]): Promise<Map<string, number>> {
    const out = new Map<string, number>()
    if (!this.groupId || tps.length === 0) return out
    const byTopic = new Map<string, number[]>()
    for (const tp of tps) {
      let ps = byTopic.get(tp.topic)
      if (!ps) byTopic.set(tp.topic, (ps = []))
      ps.push(tp.partition)
    }
    const r = await this.coordinators.call(this.groupId, ApiKey.OffsetFetch, {
      groupId: this.groupId,
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
      memberId: this.member?.memberId,
      memberEpoch: this.member?.memberEpoch,
    })
    for (const t of r.topics) {
      for (const p of t.partitions) {
        const offset = p.errorCode === ErrorCode.NONE ? p.offset : -1
        out.set(tpKey(t.topic, p.partition), offset)
        if (offset >= 0) this.committed.set(tpKey(t.topic, p.partition), offset)
      }
    }
    return out
  }

  /**
   * Commit offsets (default: everything processed and not yet committed, as of
   * when this commit's turn comes). Commits go out one at a time in call order:
   * an older commit still retrying must never land after a newer one, or the
   * group's committed offset would go backwards.
   */
  commit(offsets?: TopicPartitionOffset[]): Promise<TopicPartitionOffset[]> {
    this.commitsQueued++
    const turn = this.commitChain.then(() => this.commitNow(offsets ?? this.pending()))
    const settled = turn.then(() => {}, () => {}).then(() => void this.commitsQueued--)
    this.commitChain = settled
    return turn
  }

  /** Commits issued and not yet answered (an auto-commit tick skips while one is). */
  get commitsInFlight(): number {
    return this.commitsQueued
  }

  private async commitNow(offsets: TopicPartitionOffset[]): Promise<TopicPartitionOffset[]> {
    if (!this.groupId) throw new TributaryError(ErrorCode.INVALID_GROUP_ID, 'this consumer has no groupId: there is nowhere to commit offsets')
    if (offsets.length === 0) return []
    const topics = new Map<string, OffsetCommitRequest['topics'][number]>()
    for (const o of offsets) {
      let t = topics.get(o.topic)
      if (!t) topics.set(o.topic, (t = { topic: o.topic, partitions: [] }))
      t.partitions.push({ partition: o.partition, offset: o.offset, metadata: null })
    }
    const r = await this.coordinators.call(this.groupId, ApiKey.OffsetCommit, {
      groupId: this.groupId,
      memberId: this.member?.memberId ?? '',
      memberEpoch: this.member?.memberEpoch ?? -1,
      topics: [...topics.values()],
    })
    let firstError: TributaryError | undefined
    for (const t of r.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== ErrorCode.NONE) {
          firstError ??= responseError(p.errorCode, undefined, `commit ${t.topic}-${p.partition} for group ${this.groupId}`)
          continue
        }
        const o = offsets.find((x) => x.topic === t.topic && x.partition === p.partition)
        if (o) this.committed.set(tpKey(o.topic, o.partition), o.offset)
      }
    }
    if (firstError) throw firstError
    return offsets
  }
}
