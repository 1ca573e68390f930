/**
 * The reassignment fields of a partition (KIP-455) in records and snapshots:
 * new records carry them, and logs and snapshots written before they existed
 * still load to the same image.
 */
import { packValue } from '@tributary/protocol'
import { decodeImage, emptyImage, encodeImage } from './metadata-image.js'
import { applyRecords } from './metadata-delta.js'
import { decodeRecords, encodeRecords, type MetadataRecord } from './records.js'

const base: MetadataRecord[] = [
  { type: 'Topic', version: 0, name: 't', topicId: 'T', internal: false },
  { type: 'Partition', version: 0, topicId: 'T', partition: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0, partitionEpoch: 0 },
]
const start: MetadataRecord = {
  type: 'PartitionChange', version: 1, topicId: 'T', partition: 0, replicas: [3, 2, 1], addingReplicas: [3], removingReplicas: [1], leaderEpoch: 0, partitionEpoch: 1,
}

function imageOf(...entries: MetadataRecord[][]) {
  return entries.reduce((image, rs, i) => applyRecords(image, rs, i + 1).image, emptyImage())
}
const p0 = (image: ReturnType<typeof emptyImage>) => image.topicsById.get('T')!.partitions[0]!

test('a version 1 change starts a reassignment; a later version 0 change (ISR) keeps it; an empty set ends it', () => {
  const image = imageOf(base, [start], [{ type: 'PartitionChange', version: 0, topicId: 'T', partition: 0, isr: [2, 1], leaderEpoch: 0, partitionEpoch: 2 }])
  expect(p0(image)).toMatchObject({ replicas: [3, 2, 1], isr: [2, 1], addingReplicas: [3], removingReplicas: [1], partitionEpoch: 2 })
  const done = applyRecords(image, [{ type: 'PartitionChange', version: 1, topicId: 'T', partition: 0, replicas: [3, 2], isr: [3, 2], addingReplicas: [], removingReplicas: [], leader: 3, leaderEpoch: 1, partitionEpoch: 3 }], 4).image
  expect(p0(done)).toEqual({ topicId: 'T', topic: 't', partition: 0, replicas: [3, 2], isr: [3, 2], leader: 3, leaderEpoch: 1, partitionEpoch: 3 })
})

test('an entry written before reassignments existed decodes and applies as before', () => {
  const old = packValue([{ type: 'PartitionChange', version: 0, topicId: 'T', partition: 0, leader: 2, leaderEpoch: 1, partitionEpoch: 1 }])
  const decoded = decodeRecords(old)
  expect(decoded.ok).toBe(true)
  const image = imageOf(base, decoded.ok ? decoded.value : [])
  expect(p0(image)).toEqual({ topicId: 'T', topic: 't', partition: 0, replicas: [1, 2], isr: [1, 2], leader: 2, leaderEpoch: 1, partitionEpoch: 1 })
  expect(decodeRecords(encodeRecords([start]))).toEqual({ ok: true, value: [start] })
  expect(decodeRecords(packValue([{ ...start, version: 2 }])).ok).toBe(false)
})

test('snapshots keep a reassignment in progress, and an old snapshot without the fields loads', () => {
  const image = imageOf(base, [start])
  const back = decodeImage(encodeImage(image))
  expect(back.ok && p0(back.value)).toEqual(p0(image))
  const oldSnapshot = packValue({ version: 0, clusterId: 'c', offset: 1, brokers: [], nextProducerId: 1000, topics: [
    { name: 't', topicId: 'T', internal: false, configs: {}, partitions: [{ topicId: 'T', topic: 't', partition: 0, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 }] },
  ] })
  const loaded = decodeImage(oldSnapshot)
  expect(loaded.ok && p0(loaded.value)).toEqual({ topicId: 'T', topic: 't', partition: 0, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 })
})
