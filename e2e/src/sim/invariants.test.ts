/**
 * The metadata invariants, each broken on purpose: otherwise a clean
 * simulation would prove nothing.
 */
import { describe, expect, test } from '@jest/globals'
import type { MetadataImage, PartitionState } from '@tributary/broker'
import { MetadataInvariants, type NodeImage } from './invariants.js'

function image(offset: number, p: Partial<PartitionState> = {}): MetadataImage {
  const partition: PartitionState = { topic: 't', topicId: 'T', partition: 0, replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 1, partitionEpoch: 1, ...p }
  const topic = { name: 't', topicId: 'T', internal: false, configs: {}, partitions: [partition] }
  return {
    clusterId: 'c', offset, brokers: new Map(), topicsByName: new Map([['t', topic]]), topicsById: new Map([['T', topic]]),
    nextProducerId: 0, users: new Map(), acls: new Map(), brokerConfigs: new Map(),
  }
}

const node = (nodeId: number, img: MetadataImage, incarnation = 1): NodeImage => ({ nodeId, incarnation, image: img })

describe('metadata invariants', () => {
  test('agreeing images that move forward pass, and an unchanged image is not looked at again', () => {
    const inv = new MetadataInvariants()
    const a = image(5)
    expect(inv.check([node(1, a), node(2, image(5)), { nodeId: 3, incarnation: 1, image: null }])).toBeUndefined()
    expect(inv.check([node(1, a)])).toBeUndefined()
    expect(inv.checked).toBe(2)
    expect(inv.check([node(1, image(9, { leader: 2, leaderEpoch: 2, partitionEpoch: 2 }))])).toBeUndefined()
  })

  test('two leaders for one leader epoch, even on different nodes and at different times', () => {
    const inv = new MetadataInvariants()
    expect(inv.check([node(1, image(5, { leader: 1, leaderEpoch: 3 }))])).toBeUndefined()
    expect(inv.check([node(2, image(7, { leader: 2, leaderEpoch: 3 }))])).toMatch(/leader epoch 3 has two leaders, 1 and 2/)
  })

  test('a leader outside the ISR, an ISR outside the replicas', () => {
    expect(new MetadataInvariants().check([node(1, image(5, { leader: 3, isr: [1, 2] }))])).toMatch(/leader 3 is not in the ISR/)
    expect(new MetadataInvariants().check([node(1, image(5, { isr: [1, 4] }))])).toMatch(/ISR \[1,4\] holds non-replicas \[4\]/)
  })

  test('a node going back in applied offset or epochs within one process life, but not across a restart', () => {
    const inv = new MetadataInvariants()
    expect(inv.check([node(1, image(9, { leaderEpoch: 4, partitionEpoch: 6 }))])).toBeUndefined()
    expect(inv.check([node(1, image(8, { leaderEpoch: 4, partitionEpoch: 6 }))])).toMatch(/applied offset went back from 9 to 8/)
    const inv2 = new MetadataInvariants()
    expect(inv2.check([node(1, image(9, { leaderEpoch: 4, partitionEpoch: 6 }))])).toBeUndefined()
    expect(inv2.check([node(1, image(10, { leaderEpoch: 4, partitionEpoch: 5 }))])).toMatch(/epochs went back/)
    const inv3 = new MetadataInvariants()
    expect(inv3.check([node(1, image(9, { leaderEpoch: 4 }))])).toBeUndefined()
    expect(inv3.check([node(1, image(2, { leaderEpoch: 1, partitionEpoch: 1 }), 2)])).toBeUndefined() // restarted: replays from the start
  })
})
