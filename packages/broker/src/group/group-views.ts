/**
 * The coordinator's read-only views of its groups, in the wire shapes: ListGroups
 * over every loaded shard (classic and consumer-protocol groups, filtered by
 * state), and DescribeGroups of one consumer-protocol group with each member's
 * current and target assignment; and their committed offsets, for /metrics.
 */
import { ErrorCode, parseTopicPartitionKey, type DescribeGroupsResponse, type ListGroupsResponse } from '@tributary/protocol'
import type { ConsumerGroup } from './group-state.js'
import type { CommittedOffsetRow } from './lag.js'
import { toWire } from './topic-partitions.js'

type DescribedGroup = DescribeGroupsResponse['groups'][number]
type ListedGroup = ListGroupsResponse['groups'][number]

/** One shard's groups: what its classic coordinator lists, and its consumer-protocol groups. */
export interface ShardGroups { classic: ListedGroup[]; groups: Iterable<ConsumerGroup> }

/** Groups in any of `statesFilter` (empty: all; a classic group also matches by its Kafka state name), sorted by id. */
export function listShardGroups(shards: ShardGroups[], statesFilter: readonly string[]): ListGroupsResponse {
  const wanted = new Set(statesFilter.map((s) => s.toLowerCase()))
  const groups: ListedGroup[] = []
  const match = (state: string, classicState?: string) => wanted.size === 0 || wanted.has(state) || (classicState !== undefined && wanted.has(classicState.toLowerCase()))
  for (const shard of shards) {
    for (const c of shard.classic) if (match(c.state, c.classicState)) groups.push(c)
    const live = new Set(shard.classic.map((c) => c.groupId))
    for (const g of shard.groups) {
      const state = g.state()
      if (!live.has(g.groupId) && match(state)) groups.push({ groupId: g.groupId, state, protocolType: 'consumer' })
    }
  }
  return { groups: groups.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0)) }
}

/** A consumer-protocol group as DescribeGroups shows it; `topicIds` names each topic's id in the assignments. */
export function describeConsumerGroup(g: ConsumerGroup, topicIds: ReadonlyMap<string, string>): DescribedGroup {
  const ids = (t: string) => topicIds.get(t)
  return {
    groupId: g.groupId,
    errorCode: ErrorCode.NONE,
    state: g.state(),
    groupEpoch: g.groupEpoch,
    assignmentEpoch: g.assignmentEpoch,
    members: [...g.members.values()].map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      memberEpoch: m.memberEpoch,
      subscribedTopicNames: m.subscribedTopicNames,
      subscribedTopicRegex: m.subscribedTopicRegex,
      assignment: toWire(m.assigned, ids),
      targetAssignment: toWire(g.target.get(m.memberId) ?? new Set(), ids),
    })),
  }
}

/** Every committed offset of these groups (for /metrics). */
export function committedOffsetRows(groups: Iterable<ConsumerGroup>): CommittedOffsetRow[] {
  const rows: CommittedOffsetRow[] = []
  for (const g of groups) {
    for (const [k, c] of g.offsets) {
      const { topic, partition } = parseTopicPartitionKey(k)
      rows.push({ groupId: g.groupId, topic, partition, offset: c.offset })
    }
  }
  return rows
}
