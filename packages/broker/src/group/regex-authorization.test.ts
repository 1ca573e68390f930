import { ConsumerGroup, type TopicsView } from './group-state.js'
import { heartbeat, type HeartbeatInput } from './heartbeat.js'

const topics = (version: number): TopicsView => ({
  version,
  partitionCounts: new Map([['orders', 2], ['audit', 1], ['orders-eu', 1]]),
  topicIds: new Map([['orders', 'A'], ['audit', 'B'], ['orders-eu', 'C']]),
  regexCandidates: ['orders', 'audit', 'orders-eu'],
  authorizing: true,
})
const env = (version = 1) => ({ topics: topics(version), heartbeatIntervalMs: 1000, membersPerGroupMax: 10, newMemberId: () => 'm1' })
const input = (over: Partial<HeartbeatInput>): HeartbeatInput => ({
  memberId: '', memberEpoch: 0, clientId: 'c', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000,
  subscribedTopicNames: null, subscribedTopicRegex: '.*', owned: null, ...over,
})
const assigned = (r: ReturnType<typeof heartbeat>) => {
  if (!r.ok) throw new Error(r.message)
  return [...new Set((r.value.response.assignment?.topics ?? []).map((t) => t.topicId))].sort()
}

describe('a regex subscription with an authorizer on', () => {
  test('matches only the topics the member may Read, and follows ACL changes', () => {
    const g = new ConsumerGroup('dashboard')
    let readable = new Set(['orders'])
    const canRead = (t: string) => readable.has(t)
    const first = heartbeat(g, input({ canRead }), env(1))
    expect(assigned(first)).toEqual(['A'])
    // An ACL change bumps the topics view's version: the regex is matched again.
    readable = new Set(['orders', 'orders-eu'])
    const m = first.ok ? first.value.response : null
    const next = heartbeat(g, input({ memberId: m!.memberId, memberEpoch: m!.memberEpoch, subscribedTopicRegex: null, canRead }), env(2))
    expect(assigned(next)).toEqual(['A', 'C'])
  })

  test('a member whose principal is not known yet (restored from the log) matches nothing by regex', () => {
    const g = new ConsumerGroup('dashboard')
    const r = heartbeat(g, input({}), env())
    expect(assigned(r)).toEqual([])
  })
})
