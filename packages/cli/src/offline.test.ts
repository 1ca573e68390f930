import { encodeImage, encodeRecords, emptyImage, applyRecords, type MetadataRecord } from '@tributary/broker'
import { offlineView } from './offline.js'

const entry = (index: number, term: number, records: MetadataRecord[]) => ({ index, term, type: 'normal' as const, data: encodeRecords(records) })
const topic: MetadataRecord[] = [
  { type: 'Topic', version: 0, name: 'orders', topicId: 't1', internal: false },
  { type: 'Partition', version: 0, topicId: 't1', partition: 0, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 },
]

describe('offline view of a stopped node', () => {
  it('lists committed records only and rebuilds the image with the broker applier', async () => {
    const v = offlineView({
      hardState: { term: 4, vote: 1, commit: 2 },
      snapshot: null,
      entries: [
        entry(1, 1, [{ type: 'ClusterId', version: 0, clusterId: 'c1' }]),
        entry(2, 4, topic),
        entry(3, 4, [{ type: 'RemoveTopic', version: 0, topicId: 't1' }]), // not committed: not shown, not applied
      ],
    })
    const log = await v.metadataLog(0, 1000)
    expect(log.entries.map((e) => [e.index, e.term, e.type])).toEqual([[1, 1, 'ClusterId'], [2, 4, 'Topic'], [2, 4, 'Partition']])
    const img = (await v.metadataImage()).image as { clusterId: string; topics: Array<{ name: string }> }
    expect(img.clusterId).toBe('c1')
    expect(img.topics.map((t) => t.name)).toEqual(['orders'])
    expect(await v.describeQuorum()).toMatchObject({ clusterId: 'c1', leaderId: -1, leaderEpoch: 4, highWatermark: 2 })
  })

  it('starts from the snapshot and applies only the entries after it', async () => {
    const base = emptyImage()
    applyRecords(base, [{ type: 'ClusterId', version: 0, clusterId: 'c2' }], 5)
    const v = offlineView({
      hardState: { term: 2, vote: 0, commit: 6 },
      snapshot: { index: 5, term: 2, voters: [1, 2, 3], observers: [], data: encodeImage(base) },
      entries: [entry(6, 2, topic)],
    })
    expect((await v.metadataLog(0, 1000)).logStartIndex).toBe(6)
    expect((await v.metadataSnapshots()).snapshots).toEqual([{ index: 5, term: 2, bytes: expect.any(Number) }])
    const q = await v.describeQuorum()
    expect(q.voters.map((x) => x.nodeId)).toEqual([1, 2, 3])
    expect(((await v.metadataImage()).image as { clusterId: string }).clusterId).toBe('c2')
  })
})
