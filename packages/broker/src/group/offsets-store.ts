/**
 * The records the coordinator keeps in `__consumer_offsets`, and their replay.
 *
 * Key and value are msgpack (the wire's encoding). The key is a tuple whose
 * first element is the record type, so compaction keeps the newest record per
 * (type, group, ...) and a null value (tombstone) deletes:
 *
 *   [0, nodeId]                          load marker  { nonce }
 *   [1, groupId, topic, partition]       offset       { offset, leaderEpoch, metadata, commitTimestamp }
 *   [2, groupId]                         group        { groupEpoch, assignmentEpoch, metadataSignature }   (tombstone: group deleted)
 *   [3, groupId, memberId]               member       { clientId, subscribedTopicNames, subscribedTopicRegex,
 *                                                      sessionTimeoutMs, rebalanceTimeoutMs, memberEpoch,
 *                                                      previousMemberEpoch, assigned, pending, target }
 *
 * Partition sets are stored as [[topic, [partition, ...]], ...].
 * Replaying the log in order rebuilds exactly the state that wrote it.
 */
import { packValue, parseTopicPartitionKey, topicPartitionKey, unpackValue, type RecordInput } from '@tributary/protocol'
import { ConsumerGroup, type CommittedOffset, type MemberState } from './group-state.js'
import { toWire, type PartitionSet } from './topic-partitions.js'

export const RecordType = { LoadMarker: 0, Offset: 1, Group: 2, Member: 3 } as const

type StoredSet = Array<[string, number[]]>

export function loadMarkerRecord(nodeId: number, nonce: string, timestamp: number): RecordInput {
  return { key: packValue([RecordType.LoadMarker, nodeId]), value: packValue({ nonce }), timestamp }
}

export function offsetRecord(groupId: string, key: string, value: CommittedOffset | null, timestamp: number): RecordInput {
  const { topic, partition } = parseTopicPartitionKey(key)
  return { key: packValue([RecordType.Offset, groupId, topic, partition]), value: value === null ? null : packValue(value), timestamp }
}

export function groupRecord(group: ConsumerGroup, timestamp: number): RecordInput {
  const value = { groupEpoch: group.groupEpoch, assignmentEpoch: group.assignmentEpoch, metadataSignature: group.metadataSignature }
  return { key: packValue([RecordType.Group, group.groupId]), value: packValue(value), timestamp }
}

export function groupTombstone(groupId: string, timestamp: number): RecordInput {
  return { key: packValue([RecordType.Group, groupId]), value: null, timestamp }
}

/** The member's record, or its tombstone when it is no longer in the group. */
export function memberRecord(group: ConsumerGroup, memberId: string, timestamp: number): RecordInput {
  const key = packValue([RecordType.Member, group.groupId, memberId])
  const m = group.members.get(memberId)
  if (!m) return { key, value: null, timestamp }
  const value = {
    clientId: m.clientId,
    subscribedTopicNames: m.subscribedTopicNames,
    subscribedTopicRegex: m.subscribedTopicRegex,
    sessionTimeoutMs: m.sessionTimeoutMs,
    rebalanceTimeoutMs: m.rebalanceTimeoutMs,
    memberEpoch: m.memberEpoch,
    previousMemberEpoch: m.previousMemberEpoch,
    assigned: storeSet(m.assigned),
    pending: storeSet(m.pendingRevocation),
    target: storeSet(group.target.get(memberId) ?? new Set()),
  }
  return { key, value: packValue(value), timestamp }
}

/** Everything the group marked dirty, as records. */
export function dirtyRecords(group: ConsumerGroup, timestamp: number): RecordInput[] {
  const dirty = group.takeDirty()
  const out: RecordInput[] = []
  if (dirty.group) out.push(groupRecord(group, timestamp))
  for (const memberId of dirty.members) out.push(memberRecord(group, memberId, timestamp))
  return out
}

export type ReplayEvent = { type: 'marker'; nodeId: number; nonce: string } | { type: 'applied' } | { type: 'skipped'; reason: string }

/**
 * Applies one record to the groups of a partition. Malformed records are
 * skipped (reported, never thrown): a bad record must not stop a coordinator from loading.
 */
export function replayRecord(groups: Map<string, ConsumerGroup>, key: Uint8Array | null, value: Uint8Array | null): ReplayEvent {
  if (key === null) return { type: 'skipped', reason: 'null key' }
  const k = unpackValue(key)
  if (!k.ok || !Array.isArray(k.value)) return { type: 'skipped', reason: 'undecodable key' }
  const v = value === null ? null : unpackValue(value)
  if (v !== null && !v.ok) return { type: 'skipped', reason: 'undecodable value' }
  const body = (v === null ? null : v.value) as Record<string, any> | null
  if (body !== null && (typeof body !== 'object' || Array.isArray(body))) return { type: 'skipped', reason: 'value is not a map' }
  const [type, a, b, c] = k.value as [unknown, unknown, unknown, unknown]
  const group = (id: unknown) => {
    let g = groups.get(id as string)
    if (!g) groups.set(id as string, (g = new ConsumerGroup(id as string)))
    return g
  }
  if (type === RecordType.LoadMarker) {
    return body !== null && typeof body.nonce === 'string' ? { type: 'marker', nodeId: a as number, nonce: body.nonce } : { type: 'applied' }
  }
  if (typeof a !== 'string') return { type: 'skipped', reason: 'key without a group id' }
  if (type === RecordType.Offset && typeof b === 'string' && Number.isInteger(c)) {
    if (body !== null && typeof body.offset !== 'number') return { type: 'skipped', reason: 'offset record without an offset' }
    const g = body === null ? groups.get(a) : group(a)
    if (body === null) g?.offsets.delete(topicPartitionKey(b, c as number))
    else g!.offsets.set(topicPartitionKey(b, c as number), readOffset(body))
    return { type: 'applied' }
  }
  if (type === RecordType.Group) {
    if (body === null) {
      groups.delete(a)
      return { type: 'applied' }
    }
    const g = group(a)
    g.groupEpoch = num(body.groupEpoch, 0)
    g.assignmentEpoch = num(body.assignmentEpoch, 0)
    g.metadataSignature = typeof body.metadataSignature === 'string' ? body.metadataSignature : ''
    return { type: 'applied' }
  }
  if (type === RecordType.Member && typeof b === 'string') {
    if (body === null) {
      const g = groups.get(a)
      g?.members.delete(b)
      g?.target.delete(b)
      return { type: 'applied' }
    }
    const g = group(a)
    g.members.set(b, readMember(b, body))
    g.target.set(b, loadSet(body.target))
    return { type: 'applied' }
  }
  return { type: 'skipped', reason: `unknown record type ${String(type)}` }
}

/** After a replay: derive what is not stored. */
export function finishReplay(groups: Map<string, ConsumerGroup>): void {
  for (const g of groups.values()) {
    g.rebuildOwners()
    g.takeDirty()
  }
}

function readOffset(body: Record<string, any>): CommittedOffset {
  return {
    offset: num(body.offset, -1),
    leaderEpoch: num(body.leaderEpoch, -1),
    metadata: typeof body.metadata === 'string' ? body.metadata : null,
    commitTimestamp: num(body.commitTimestamp, -1),
  }
}

function readMember(memberId: string, body: Record<string, any>): MemberState {
  return {
    memberId,
    clientId: typeof body.clientId === 'string' ? body.clientId : '',
    subscribedTopicNames: Array.isArray(body.subscribedTopicNames) ? body.subscribedTopicNames.filter((t: unknown) => typeof t === 'string') : [],
    subscribedTopicRegex: typeof body.subscribedTopicRegex === 'string' ? body.subscribedTopicRegex : null,
    sessionTimeoutMs: num(body.sessionTimeoutMs, 0),
    rebalanceTimeoutMs: num(body.rebalanceTimeoutMs, 0),
    memberEpoch: num(body.memberEpoch, 0),
    previousMemberEpoch: num(body.previousMemberEpoch, -1),
    assigned: loadSet(body.assigned),
    pendingRevocation: loadSet(body.pending),
    lastSent: null,
  }
}

function num(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback
}

function storeSet(set: ReadonlySet<string>): StoredSet {
  return toWire(set).map((tp) => [tp.topic, tp.partitions])
}

function loadSet(v: unknown): PartitionSet {
  const out = new Set<string>()
  if (!Array.isArray(v)) return out
  for (const entry of v) {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !Array.isArray(entry[1])) continue
    for (const p of entry[1]) if (Number.isInteger(p)) out.add(topicPartitionKey(entry[0], p))
  }
  return out
}
