import type { DescribeQuorumResponse } from '@tributary/protocol'
import { logHeader, logLines, quorumStatus, renderQuorumStatus, renderTree, replicationRows, selectPath } from './metadata-view.js'

const quorum: DescribeQuorumResponse = {
  clusterId: 'c-1',
  leaderId: 2,
  leaderEpoch: 7,
  highWatermark: 40,
  voters: [
    { nodeId: 1, logEndOffset: 38, lastFetchTimestamp: 9_900, lastCaughtUpTimestamp: 9_700 },
    { nodeId: 2, logEndOffset: 41, lastFetchTimestamp: -1, lastCaughtUpTimestamp: -1 },
    { nodeId: 3, logEndOffset: 41, lastFetchTimestamp: 9_950, lastCaughtUpTimestamp: 9_950 },
  ],
  observers: [{ nodeId: 4, logEndOffset: 30, lastFetchTimestamp: 9_000, lastCaughtUpTimestamp: 8_000 }],
}

describe('metadata status', () => {
  it('computes the Kafka quorum summary: lag from the leader, lag time from the slowest follower', () => {
    expect(quorumStatus(quorum, 10_000)).toEqual({
      ClusterId: 'c-1',
      LeaderId: 2,
      LeaderEpoch: 7,
      HighWatermark: 40,
      MaxFollowerLag: 3,
      MaxFollowerLagTimeMs: 300,
      CurrentVoters: [1, 2, 3],
      CurrentObservers: [4],
    })
  })
  it('renders one aligned key: value per line', () => {
    const text = renderQuorumStatus(quorumStatus(quorum, 10_000))
    expect(text.split('\n')).toContain('CurrentVoters:        [1,2,3]')
    expect(text.split('\n')[0]).toBe('ClusterId:            c-1')
  })
})

describe('metadata replication', () => {
  it('lists the leader first, then followers, then observers, with lag against the leader', () => {
    expect(replicationRows(quorum).map((r) => [r.NodeId, r.Lag, r.Status])).toEqual([
      [2, 0, 'Leader'],
      [1, 3, 'Follower'],
      [3, 0, 'Follower'],
      [4, 11, 'Observer'],
    ])
  })
})

describe('metadata log lines', () => {
  it('prints index, term, type and the record fields without type/version', () => {
    const entries = [{ index: 12, term: 3, type: 'Topic', record: { type: 'Topic', version: 0, name: 'orders', topicId: 'abc', internal: false } }]
    expect(logHeader(entries)).toBe('INDEX  TERM  TYPE   RECORD')
    expect(logLines(entries)).toEqual(['   12     3  Topic  name=orders topicId=abc internal=false'])
  })
})

describe('metadata image', () => {
  const image = {
    clusterId: 'c-1',
    brokers: [{ nodeId: 1, endpoint: 'ws://h:1', fenced: false }],
    topics: [{ name: 'orders', topicId: 't1', configs: {}, partitions: [{ partition: 0, leader: 1, isr: [1] }] }],
  }
  it('selects a branch by element name or id', () => {
    expect(selectPath(image, 'topics/orders/partitions/0')).toEqual({ partition: 0, leader: 1, isr: [1] })
    expect(selectPath(image, 'brokers/1')).toMatchObject({ endpoint: 'ws://h:1' })
    expect(() => selectPath(image, 'topics/nope')).toThrow("--path: nothing at 'topics/nope'")
  })
  it('renders a tree named by each element id', () => {
    expect(renderTree(image)).toEqual([
      'clusterId: c-1',
      'brokers:',
      '  1',
      '    nodeId: 1',
      '    endpoint: ws://h:1',
      '    fenced: false',
      'topics:',
      '  orders',
      '    name: orders',
      '    topicId: t1',
      '    configs: {}',
      '    partitions:',
      '      0',
      '        partition: 0',
      '        leader: 1',
      '        isr: [1]',
    ])
  })
})
