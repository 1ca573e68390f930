import fc from 'fast-check'
import { seededRandom } from '@tributary/raft'
import { assignPartitions, type AssignorMember } from './assignor.js'
import { parseTopicPartitionKey, topicPartitionKey } from '@tributary/protocol'
import { difference, type PartitionSet } from './topic-partitions.js'

const TOPICS = ['a', 'b', 'c', 'd']

const world = fc.record({
  counts: fc.array(fc.integer({ min: 0, max: 12 }), { minLength: TOPICS.length, maxLength: TOPICS.length }),
  members: fc.uniqueArray(
    fc.record({ memberId: fc.string({ minLength: 1, maxLength: 4 }), topics: fc.subarray(TOPICS) }),
    { selector: (m) => m.memberId, maxLength: 7 },
  ),
})

function countsOf(counts: number[]): Map<string, number> {
  return new Map(TOPICS.map((t, i) => [t, counts[i]]))
}

function membersOf(ms: Array<{ memberId: string; topics: string[] }>): AssignorMember[] {
  return ms.map((m) => ({ memberId: m.memberId, topics: new Set(m.topics) }))
}

function perTopic(set: PartitionSet, topic: string): number {
  let n = 0
  for (const k of set) if (parseTopicPartitionKey(k).topic === topic) n++
  return n
}

describe('assignor', () => {
  test('every partition of a subscribed topic goes to exactly one member subscribed to it', () => {
    fc.assert(
      fc.property(world, ({ counts, members }) => {
        const partitionCounts = countsOf(counts)
        const ms = membersOf(members)
        const out = assignPartitions({ members: ms, partitionCounts, previous: new Map() })
        const owner = new Map<string, string>()
        for (const [memberId, set] of out) {
          for (const k of set) {
            expect(owner.has(k)).toBe(false)
            owner.set(k, memberId)
            const { topic, partition } = parseTopicPartitionKey(k)
            expect(ms.find((m) => m.memberId === memberId)!.topics.has(topic)).toBe(true)
            expect(partition).toBeLessThan(partitionCounts.get(topic)!)
          }
        }
        for (const t of TOPICS) {
          const subscribed = ms.some((m) => m.topics.has(t))
          for (let p = 0; p < partitionCounts.get(t)!; p++) expect(owner.has(topicPartitionKey(t, p))).toBe(subscribed)
        }
      }),
    )
  })

  test('per topic, subscribers differ by at most one partition', () => {
    fc.assert(
      fc.property(world, ({ counts, members }) => {
        const ms = membersOf(members)
        const out = assignPartitions({ members: ms, partitionCounts: countsOf(counts), previous: new Map() })
        for (const t of TOPICS) {
          const sizes = ms.filter((m) => m.topics.has(t)).map((m) => perTopic(out.get(m.memberId)!, t))
          if (sizes.length > 0) expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1)
        }
      }),
    )
  })

  test('with equal subscriptions, totals differ by at most one, whatever the previous assignment', () => {
    fc.assert(
      fc.property(world, fc.integer({ min: 0, max: 1000 }), ({ counts, members }, seed) => {
        const ms = members.map((m) => ({ memberId: m.memberId, topics: new Set(TOPICS) }))
        const partitionCounts = countsOf(counts)
        // an arbitrary (unbalanced) previous assignment
        const previous = new Map<string, PartitionSet>(ms.map((m) => [m.memberId, new Set<string>()]))
        const random = seededRandom(seed)
        for (const t of TOPICS) {
          for (let p = 0; p < partitionCounts.get(t)! && ms.length > 0; p++) {
            previous.get(ms[random.int(ms.length)].memberId)!.add(topicPartitionKey(t, p))
          }
        }
        const out = assignPartitions({ members: ms, partitionCounts, previous })
        const sizes = [...out.values()].map((s) => s.size)
        if (sizes.length > 0) expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1)
      }),
    )
  })

  test('sticky: given its own output, it returns the same assignment', () => {
    fc.assert(
      fc.property(world, ({ counts, members }) => {
        const input = { members: membersOf(members), partitionCounts: countsOf(counts) }
        const first = assignPartitions({ ...input, previous: new Map() })
        const second = assignPartitions({ ...input, previous: first })
        expect(second).toEqual(first)
      }),
    )
  })

  test('sticky: when a member joins a one-topic group, only the partitions it receives move', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 8 }), (count, k) => {
        const partitionCounts = new Map([['a', count]])
        const before = Array.from({ length: k }, (_, i) => ({ memberId: `m${i}`, topics: new Set(['a']) }))
        const first = assignPartitions({ members: before, partitionCounts, previous: new Map() })
        const after = [...before, { memberId: 'new', topics: new Set(['a']) }]
        const second = assignPartitions({ members: after, partitionCounts, previous: first })
        let moved = 0
        for (const m of before) moved += difference(first.get(m.memberId)!, second.get(m.memberId)!).size
        expect(moved).toBe(second.get('new')!.size)
        expect(second.get('new')!.size).toBe(Math.floor(count / (k + 1)))
      }),
    )
  })

  test('3 members and 6 partitions: 2/2/2; a 4th member takes 1 and nobody else changes hands', () => {
    const partitionCounts = new Map([['orders', 6]])
    const three = ['m1', 'm2', 'm3'].map((memberId) => ({ memberId, topics: new Set(['orders']) }))
    const first = assignPartitions({ members: three, partitionCounts, previous: new Map() })
    expect([...first.values()].map((s) => s.size)).toEqual([2, 2, 2])
    const four = [...three, { memberId: 'm4', topics: new Set(['orders']) }]
    const second = assignPartitions({ members: four, partitionCounts, previous: first })
    expect(second.get('m4')!.size).toBe(1)
    const lost = three.map((m) => difference(first.get(m.memberId)!, second.get(m.memberId)!).size)
    expect(lost.reduce((a, b) => a + b)).toBe(1)
    for (const m of three) expect(difference(second.get(m.memberId)!, first.get(m.memberId)!).size).toBe(0)
  })

  test('partitions of topics that no longer exist, or members that left, are not carried over', () => {
    const previous = new Map<string, PartitionSet>([
      ['gone', new Set([topicPartitionKey('a', 0)])],
      ['m1', new Set([topicPartitionKey('a', 1), topicPartitionKey('x', 0), topicPartitionKey('a', 9)])],
    ])
    const out = assignPartitions({
      members: [{ memberId: 'm1', topics: new Set(['a', 'x']) }],
      partitionCounts: new Map([['a', 2]]),
      previous,
    })
    expect([...out.get('m1')!].sort()).toEqual([topicPartitionKey('a', 0), topicPartitionKey('a', 1)])
  })
})
