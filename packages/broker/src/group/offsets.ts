/**
 * OffsetCommit and OffsetFetch against one group, as pure planning functions:
 * epoch checks and per-partition validation here, the durable write in the
 * coordinator.
 *
 * Decision (the issue asks that committed offsets never go backwards): a
 * member commit lower than the partition's committed offset is ignored —
 * nothing is written — and still answered NONE, because the member did
 * nothing wrong (a slower, older commit overtaken by a newer one). Only an
 * admin commit (memberId '' and memberEpoch -1, accepted only while the group
 * has no members) may move an offset backwards: that is how offsets are reset.
 */
import {
  ErrorCode,
  fail,
  ok,
  parseTopicPartitionKey,
  topicPartitionKey,
  type OffsetCommitResponse,
  type OffsetFetchResponse,
  type Result,
} from '@tributary/protocol'
import type { CommittedOffset, ConsumerGroup, TopicsView } from './group-state.js'

export interface CommitInput {
  memberId: string
  memberEpoch: number
  topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: number; leaderEpoch: number; metadata: string | null }> }>
}

export interface CommitPlan {
  response: OffsetCommitResponse
  /** partition key → the offset to write */
  writes: Map<string, CommittedOffset>
}

export function isAdminCommit(input: { memberId: string; memberEpoch: number }): boolean {
  return input.memberId === '' && input.memberEpoch === -1
}

export function planCommit(
  group: ConsumerGroup | undefined,
  input: CommitInput,
  topics: TopicsView,
  now: number,
  metadataBytesMax: number,
): Result<CommitPlan> {
  const admin = isAdminCommit(input)
  let member = undefined
  if (admin) {
    if (group && group.members.size > 0) return fail(ErrorCode.NON_EMPTY_GROUP, `group ${group.groupId} has members: only they may commit`)
  } else {
    member = group?.members.get(input.memberId)
    if (!member) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `member ${input.memberId} is not in the group`)
    if (input.memberEpoch > member.memberEpoch) {
      return fail(ErrorCode.FENCED_MEMBER_EPOCH, `epoch ${input.memberEpoch} is ahead of the member's ${member.memberEpoch}`)
    }
    if (input.memberEpoch < member.memberEpoch && !isPreviousEpoch(member, input.memberEpoch)) {
      return fail(ErrorCode.STALE_MEMBER_EPOCH, `epoch ${input.memberEpoch} is stale, the member's is ${member.memberEpoch}`)
    }
  }

  const writes = new Map<string, CommittedOffset>()
  const response: OffsetCommitResponse = { topics: [] }
  for (const t of input.topics) {
    const count = topics.partitionCounts.get(t.topic)
    const partitions = t.partitions.map((p) => {
      const key = topicPartitionKey(t.topic, p.partition)
      const code = (() => {
        if (count === undefined || p.partition >= count) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        if (!Number.isSafeInteger(p.offset) || p.offset < 0) return ErrorCode.INVALID_REQUEST
        if (p.metadata !== null && p.metadata.length > metadataBytesMax) return ErrorCode.INVALID_REQUEST
        // One epoch behind is accepted only for partitions the member still holds (its commit raced the bump).
        if (member && input.memberEpoch !== member.memberEpoch && group!.owners.get(key) !== member.memberId) return ErrorCode.STALE_MEMBER_EPOCH
        return ErrorCode.NONE
      })()
      if (code === ErrorCode.NONE) {
        const current = group?.pendingOffsets.get(key) ?? group?.offsets.get(key)
        if (admin || current === undefined || p.offset >= current.offset) {
          writes.set(key, { offset: p.offset, leaderEpoch: p.leaderEpoch, metadata: p.metadata, commitTimestamp: now })
        }
      }
      return { partition: p.partition, errorCode: code }
    })
    response.topics.push({ topic: t.topic, partitions })
  }
  return ok({ response, writes })
}

/** Marks every partition that was to be written with the write's error. */
export function failWrites(plan: CommitPlan, errorCode: number): OffsetCommitResponse {
  return {
    topics: plan.response.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => ({
        partition: p.partition,
        errorCode: p.errorCode === ErrorCode.NONE && plan.writes.has(topicPartitionKey(t.topic, p.partition)) ? errorCode : p.errorCode,
      })),
    })),
  }
}

/** The epoch just before the member's current one (a commit or fetch that raced the bump). */
function isPreviousEpoch(m: { previousMemberEpoch: number }, epoch: number): boolean {
  return epoch > 0 && epoch === m.previousMemberEpoch
}

export interface FetchInput {
  topics: Array<{ topic: string; partitions: number[] }> | null
  memberId: string
  memberEpoch: number
}

/** Durable offsets only; partitions never committed answer offset -1 with NONE, as in Kafka. */
export function fetchOffsets(group: ConsumerGroup | undefined, input: FetchInput): Result<OffsetFetchResponse> {
  if (input.memberId !== '' && input.memberEpoch >= 0) {
    const m = group?.members.get(input.memberId)
    if (!m) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `member ${input.memberId} is not in the group`)
    if (input.memberEpoch > m.memberEpoch) return fail(ErrorCode.FENCED_MEMBER_EPOCH, `epoch ${input.memberEpoch} is ahead of ${m.memberEpoch}`)
    if (input.memberEpoch < m.memberEpoch && !isPreviousEpoch(m, input.memberEpoch)) {
      return fail(ErrorCode.STALE_MEMBER_EPOCH, `epoch ${input.memberEpoch} is stale, the member's is ${m.memberEpoch}`)
    }
  }
  const entry = (key: string, partition: number) => {
    const o = group?.offsets.get(key)
    return o
      ? { partition, offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.NONE }
      : { partition, offset: -1, leaderEpoch: -1, metadata: null, errorCode: ErrorCode.NONE }
  }
  if (input.topics !== null) {
    return ok({ topics: input.topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => entry(topicPartitionKey(t.topic, p), p)) })) })
  }
  const byTopic = new Map<string, number[]>()
  for (const key of group?.offsets.keys() ?? []) {
    const { topic, partition } = parseTopicPartitionKey(key)
    let list = byTopic.get(topic)
    if (!list) byTopic.set(topic, (list = []))
    list.push(partition)
  }
  const topicsOut = [...byTopic.keys()].sort().map((topic) => ({
    topic,
    partitions: byTopic.get(topic)!.sort((a, b) => a - b).map((p) => entry(topicPartitionKey(topic, p), p)),
  }))
  return ok({ topics: topicsOut })
}
