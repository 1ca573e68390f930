import { editableImage } from '../testing/editable-image.js'
import { placeOnLiveBrokers, placeReplicas, placeReplicasRackAware } from './placement.js'

function counts(assignments: number[][]) {
  const replicas = new Map<number, number>()
  const leaders = new Map<number, number>()
  for (const a of assignments) {
    leaders.set(a[0]!, (leaders.get(a[0]!) ?? 0) + 1)
    for (const b of a) replicas.set(b, (replicas.get(b) ?? 0) + 1)
  }
  return { replicas, leaders }
}
const spread = (m: Map<number, number>, ids: number[]) => {
  const v = ids.map((id) => m.get(id) ?? 0)
  return Math.max(...v) - Math.min(...v)
}

describe('round-robin placement (no racks)', () => {
  test.each([[3, 6, 3], [4, 8, 3], [5, 10, 2], [5, 7, 3], [4, 12, 1]])('%i brokers, %i partitions, RF %i: replicas and leaders spread evenly, never twice on a broker', (n, partitions, rf) => {
    const brokers = Array.from({ length: n }, (_, i) => i + 1)
    for (const seed of [0, 1, 5, 17]) {
      const a = placeReplicas(brokers, partitions, rf, seed)
      expect(a).toHaveLength(partitions)
      for (const r of a) expect(new Set(r).size).toBe(rf)
      const { replicas, leaders } = counts(a)
      expect(spread(leaders, brokers)).toBeLessThanOrEqual(1)
      expect(spread(replicas, brokers)).toBeLessThanOrEqual(partitions % n === 0 ? 0 : rf)
    }
  })

  test('followers of one leader rotate over the other brokers (Kafka\'s shift), so a lost broker\'s load spreads', () => {
    const a = placeReplicas([1, 2, 3, 4], 8, 2, 0)
    const followersOf1 = a.filter((r) => r[0] === 1).map((r) => r[1])
    expect(new Set(followersOf1).size).toBe(2)
  })
})

describe('rack-aware placement', () => {
  const sixOnThree = [1, 2, 3, 4, 5, 6].map((id) => ({ id, rack: `r${(id - 1) % 3}` }))

  test('with as many racks as replicas, every partition has one replica per rack; leaders and replicas stay even', () => {
    const a = placeReplicasRackAware(sixOnThree, 12, 3, 0)
    const rackOf = new Map(sixOnThree.map((b) => [b.id, b.rack]))
    for (const r of a) expect(new Set(r.map((b) => rackOf.get(b))).size).toBe(3)
    const { replicas, leaders } = counts(a)
    expect(spread(leaders, [1, 2, 3, 4, 5, 6])).toBe(0)
    expect(spread(replicas, [1, 2, 3, 4, 5, 6])).toBeLessThanOrEqual(1)
  })

  test('more replicas than racks: every rack first, then distinct brokers', () => {
    const brokers = [{ id: 1, rack: 'a' }, { id: 2, rack: 'a' }, { id: 3, rack: 'b' }, { id: 4, rack: 'b' }]
    for (const r of placeReplicasRackAware(brokers, 8, 3, 3)) {
      expect(new Set(r).size).toBe(3)
      expect(new Set(r.map((b) => brokers.find((x) => x.id === b)!.rack)).size).toBe(2)
    }
  })

  test('uneven racks still get a replica each', () => {
    const brokers = [{ id: 1, rack: 'a' }, { id: 2, rack: 'a' }, { id: 3, rack: 'a' }, { id: 4, rack: 'b' }]
    for (const r of placeReplicasRackAware(brokers, 8, 2, 0)) expect(r.some((b) => b === 4)).toBe(true)
  })

  test('the cluster places rack-aware only when every live broker has a rack', () => {
    const image = editableImage('c')
    for (const b of sixOnThree) image.brokers.set(b.id, { nodeId: b.id, endpoint: 'ws://x:1', incarnationId: 'i', brokerEpoch: 1, rack: b.rack, fenced: false, inControlledShutdown: false })
    expect(placeOnLiveBrokers(image, [1, 2, 3, 4, 5, 6], 6, 3, 0)).toEqual(placeReplicasRackAware(sixOnThree, 6, 3, 0))
    image.brokers.set(6, { ...image.brokers.get(6)!, rack: null })
    expect(placeOnLiveBrokers(image, [1, 2, 3, 4, 5, 6], 6, 3, 0)).toEqual(placeReplicas([1, 2, 3, 4, 5, 6], 6, 3, 0))
  })
})
