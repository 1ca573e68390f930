import { TestCluster, bytes, text } from './testing/cluster.js'

test('a 3-node cluster elects a leader and commits proposals everywhere', () => {
  const c = new TestCluster([1, 2, 3])
  const leader = c.elect(1)
  expect(leader.status().term).toBe(1)
  for (let i = 0; i < 10; i++) expect(leader.propose(bytes(`v${i}`)).ok).toBe(true)
  c.deliverAll()
  c.tick(1)
  c.deliverAll()
  for (const id of [1, 2, 3]) {
    const normal = c.applied.get(id)!.filter((e) => e.type === 'normal').map((e) => text(e.data))
    expect(normal).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`))
    expect(c.node(id).status().commit).toBe(11)
  }
})

test('a sole voter leads from its first tick; a voter with peers waits out its election timeout', () => {
  const alone = new TestCluster([1])
  alone.tick(1)
  alone.deliverAll()
  expect(alone.node(1).role).toBe('leader')

  const three = new TestCluster([1, 2, 3])
  three.tick(1)
  three.deliverAll()
  expect(three.node(1).role).toBe('follower')
})
