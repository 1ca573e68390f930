import { packValue, topicPartitionKey } from '@tributary/protocol'
import { ConsumerGroup, type MemberState } from './group-state.js'
import { dirtyRecords, finishReplay, groupTombstone, offsetRecord, replayRecord } from './offsets-store.js'

const bytes = (v: string | Uint8Array | null | undefined) => (v == null ? null : typeof v === 'string' ? new TextEncoder().encode(v) : v)

function member(id: string, assigned: string[], pending: string[] = []): MemberState {
  return {
    memberId: id,
    clientId: 'c',
    subscribedTopicNames: ['t'],
    subscribedTopicRegex: 'x.*',
    sessionTimeoutMs: 1000,
    rebalanceTimeoutMs: 2000,
    memberEpoch: 4,
    previousMemberEpoch: 3,
    assigned: new Set(assigned),
    pendingRevocation: new Set(pending),
    lastSent: null,
  }
}

describe('__consumer_offsets records', () => {
  test('replaying what a group wrote rebuilds the group: epochs, members, targets, owners, offsets', () => {
    const g = new ConsumerGroup('g')
    g.addMember(member('m1', [topicPartitionKey('t', 0)], [topicPartitionKey('t', 1)]))
    g.target.set('m1', new Set([topicPartitionKey('t', 0)]))
    g.assignmentEpoch = 1
    g.metadataSignature = 't:2'
    const log = [...dirtyRecords(g, 5), offsetRecord('g', topicPartitionKey('t', 0), { offset: 42, leaderEpoch: 2, metadata: 'm', commitTimestamp: 5 }, 5)]

    const groups = new Map<string, ConsumerGroup>()
    for (const r of log) expect(replayRecord(groups, bytes(r.key), bytes(r.value)).type).toBe('applied')
    finishReplay(groups)
    const back = groups.get('g')!
    expect([back.groupEpoch, back.assignmentEpoch, back.metadataSignature]).toEqual([1, 1, 't:2'])
    expect(back.members.get('m1')).toEqual(member('m1', [topicPartitionKey('t', 0)], [topicPartitionKey('t', 1)]))
    expect(back.target.get('m1')).toEqual(new Set([topicPartitionKey('t', 0)]))
    expect(back.owners).toEqual(new Map([[topicPartitionKey('t', 0), 'm1'], [topicPartitionKey('t', 1), 'm1']]))
    expect(back.offsets.get(topicPartitionKey('t', 0))).toEqual({ offset: 42, leaderEpoch: 2, metadata: 'm', commitTimestamp: 5 })
  })

  test('tombstones delete: a member that left, an offset, a whole group', () => {
    const groups = new Map<string, ConsumerGroup>()
    const g = new ConsumerGroup('g')
    g.addMember(member('m1', []))
    g.removeMember('m1')
    const log = [
      ...dirtyRecords(g, 1),
      offsetRecord('g', topicPartitionKey('t', 0), { offset: 1, leaderEpoch: -1, metadata: null, commitTimestamp: 1 }, 1),
      offsetRecord('g', topicPartitionKey('t', 0), null, 2),
      offsetRecord('h', topicPartitionKey('t', 0), { offset: 1, leaderEpoch: -1, metadata: null, commitTimestamp: 1 }, 1),
      groupTombstone('h', 3),
    ]
    for (const r of log) replayRecord(groups, bytes(r.key), bytes(r.value))
    expect(groups.get('g')!.members.size).toBe(0)
    expect(groups.get('g')!.offsets.size).toBe(0)
    expect(groups.has('h')).toBe(false)
  })

  test('garbage records are skipped, not thrown', () => {
    const groups = new Map<string, ConsumerGroup>()
    expect(replayRecord(groups, null, null).type).toBe('skipped')
    expect(replayRecord(groups, new Uint8Array([0xc1]), null).type).toBe('skipped')
    expect(replayRecord(groups, packValue([99, 'g']), null).type).toBe('skipped')
    expect(replayRecord(groups, packValue([1, 5, 't', 0]), null).type).toBe('skipped')
    expect(replayRecord(groups, packValue([1, 'g', 't', 0]), new Uint8Array([0xc1])).type).toBe('skipped')
    expect(groups.size).toBe(0)
  })
})
