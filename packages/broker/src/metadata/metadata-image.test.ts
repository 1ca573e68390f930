import { packValue } from '@tributary/protocol'
import { decodeImage, diffImages, emptyImage, encodeImage, imageToPlain } from './metadata-image.js'
import { applyRecords } from './metadata-delta.js'
import { decodeRecords, encodeRecords, type MetadataRecord } from './records.js'

const records: MetadataRecord[][] = [
  [{ type: 'ClusterId', version: 0, clusterId: 'c1' }],
  [{ type: 'RegisterBroker', version: 0, nodeId: 1, endpoint: 'ws://a:1', incarnationId: 'i1', rack: null }],
  [{ type: 'UnfenceBroker', version: 0, nodeId: 1, brokerEpoch: 2 }],
  [
    { type: 'Topic', version: 0, name: 't', topicId: 'T', internal: false },
    { type: 'Config', version: 0, resourceType: 'topic', name: 't', key: 'retention.ms', value: '5' },
    { type: 'Partition', version: 0, topicId: 'T', partition: 0, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 },
  ],
  [{ type: 'PartitionChange', version: 0, topicId: 'T', partition: 0, leader: -1, leaderEpoch: 1, partitionEpoch: 1 }],
  [{ type: 'ProducerIds', version: 0, brokerId: 1, brokerEpoch: -1, nextProducerId: 5000 }],
]

function build() {
  return imageOf(records)
}

const imageOf = (entries: MetadataRecord[][]) => entries.reduce((image, rs, i) => applyRecords(image, rs, i + 1).image, emptyImage())

test('records apply in order to the image', () => {
  const image = build()
  expect(image.clusterId).toBe('c1')
  expect(image.offset).toBe(records.length)
  expect(image.brokers.get(1)).toMatchObject({ brokerEpoch: 2, fenced: false })
  expect(image.topicsByName.get('t')!.configs).toEqual({ 'retention.ms': '5' })
  expect(image.topicsById.get('T')!.partitions[0]).toMatchObject({ leader: -1, isr: [1], leaderEpoch: 1, partitionEpoch: 1 })
  expect(image.nextProducerId).toBe(5000)
})

test('a change reports the partition before and after, and never mutates the previous object', () => {
  const image = imageOf(records.slice(0, 4))
  const before = image.topicsById.get('T')!.partitions[0]!
  const [change] = applyRecords(image, records[4]!, 5).delta.changes
  expect(change).toEqual({ type: 'partition', partition: expect.objectContaining({ leader: -1 }), previous: before })
  expect(before.leader).toBe(1)
})

test('records for stale broker epochs and missing topics are skipped the same way everywhere', () => {
  const applied = applyRecords(build(), [
    { type: 'FenceBroker', version: 0, nodeId: 1, brokerEpoch: 999 },
    { type: 'PartitionChange', version: 0, topicId: 'nope', partition: 0, leaderEpoch: 1, partitionEpoch: 1 },
    { type: 'Partition', version: 0, topicId: 'T', partition: 5, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 },
  ], 10)
  expect(applied.delta.changes).toEqual([])
  expect(applied.image.brokers.get(1)!.fenced).toBe(false)
})

test('a snapshot round-trips the image exactly', () => {
  const image = build()
  const back = decodeImage(encodeImage(image))
  expect(back.ok && imageToPlain(back.value)).toEqual(imageToPlain(image))
})

test('replacing an image by a snapshot reports what differs', () => {
  const older = imageOf(records.slice(0, 3))
  const types = diffImages(older, build()).changes.map((c) => c.type)
  expect(types).toEqual(['partition'])
  expect(diffImages(build(), older).changes.map((c) => c.type)).toEqual(['topic-removed'])
})

test('entries decode only when every record is known and not newer than this broker reads', () => {
  expect(decodeRecords(encodeRecords(records[3]!))).toEqual({ ok: true, value: records[3] })
  expect(decodeRecords(new Uint8Array(0))).toEqual({ ok: true, value: [] })
  expect(decodeRecords(packValue([{ type: 'Mystery', version: 0 }])).ok).toBe(false)
  expect(decodeRecords(packValue([{ type: 'Topic', version: 9 }])).ok).toBe(false)
  expect(decodeRecords(packValue({ not: 'an array' })).ok).toBe(false)
})
