import { MetadataPublisher } from './metadata-publisher.js'
import type { MetadataRecord } from './records.js'
import type { MetadataDelta, MetadataImage } from './image-types.js'

const register = (incarnationId: string): MetadataRecord[] => [{ type: 'RegisterBroker', version: 0, nodeId: 1, endpoint: 'ws://a:1', incarnationId, rack: null }]
const unfence = (brokerEpoch: number): MetadataRecord[] => [{ type: 'UnfenceBroker', version: 0, nodeId: 1, brokerEpoch }]

test('a restarted broker does not take its previous incarnation\'s registration, replayed from its log, for its own', () => {
  const restarted = new MetadataPublisher(1, { incarnationId: 'new' })
  restarted.apply(register('old'), 1)
  restarted.apply(unfence(1), 2)
  // the old registration is live and unfenced in the image, but it is not this process's
  expect(restarted.image().brokers.get(1)).toMatchObject({ brokerEpoch: 1, fenced: false })
  expect(restarted.brokerEpoch()).toBe(-1)
  restarted.apply(register('new'), 3)
  expect(restarted.brokerEpoch()).toBe(3)
})

test('without an incarnation id any registration of the node counts (test harnesses)', () => {
  const m = new MetadataPublisher(1)
  m.apply(register('any'), 4)
  expect(m.brokerEpoch()).toBe(4)
})

const topicEntry: MetadataRecord[] = [
  { type: 'Topic', version: 0, name: 't', topicId: 'T', internal: false },
  { type: 'Partition', version: 0, topicId: 'T', partition: 0, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 },
  { type: 'Partition', version: 0, topicId: 'T', partition: 1, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 },
]

test('listeners get the new image, already published, with the whole entry in its delta', () => {
  const m = new MetadataPublisher(1)
  const heard: Array<{ image: MetadataImage; delta: MetadataDelta; current: MetadataImage }> = []
  m.onPublish((image, delta) => heard.push({ image, delta, current: m.image() }))
  const before = m.image()
  m.apply(topicEntry, 1)
  expect(heard).toHaveLength(1)
  expect(heard[0]!.image).toBe(heard[0]!.current)
  expect(heard[0]!.delta.changes.map((c) => c.type)).toEqual(['partition', 'partition'])
  expect(heard[0]!.image.topicsById.get('T')!.partitions).toHaveLength(2)
  // the image a reader held before the entry is untouched: no half-applied state anywhere
  expect(before.topicsById.size).toBe(0)
  expect(before.offset).toBe(0)
})

test('a published image is frozen: trying to change it throws, and the next entry shares what it did not touch', () => {
  const m = new MetadataPublisher(1, { freeze: true })
  m.apply([...register('a'), ...topicEntry], 1)
  const first = m.image()
  expect(() => (first.brokers as Map<number, unknown>).set(9, {})).toThrow(/immutable/)
  expect(() => { (first.topicsByName.get('t')!.partitions as unknown[]).push(1) }).toThrow(TypeError)
  expect(() => { first.topicsByName.get('t')!.partitions[0]!.isr.push(2) }).toThrow(TypeError)
  m.apply(unfence(1), 2)
  const second = m.image()
  expect(second.brokers.get(1)!.fenced).toBe(false)
  expect(first.brokers.get(1)!.fenced).toBe(true)
  expect(second.topicsByName).toBe(first.topicsByName)
})

test('a snapshot install hands listeners the difference as a delta', () => {
  const m = new MetadataPublisher(1)
  m.apply(topicEntry, 1)
  const deltas: MetadataDelta[] = []
  m.onPublish((_image, delta) => deltas.push(delta))
  m.replace(new MetadataPublisher(2).image())
  expect(deltas.map((d) => d.changes.map((c) => c.type))).toEqual([['topic-removed']])
})
