import { check, type ReadRecord, type ReplicaRead } from './checker.js'

describe('fault checker', () => {
  const read = (p: number, o: number, v: string): ReadRecord => ({ partition: p, offset: o, value: v })
  const log = (p: number, offsets: number[]): ReadRecord[] => offsets.map((o) => read(p, o, `v${o}`))
  const replica = (nodeId: number, p: number, highWatermark: number, records: ReadRecord[]): ReplicaRead =>
    ({ nodeId, partition: p, logStartOffset: 0, highWatermark, records })

  test('a clean history is valid', () => {
    const r = check({
      acked: [read(0, 0, 'a'), read(0, 1, 'b')],
      indeterminate: ['c'],
      finalRead: [read(0, 0, 'a'), read(0, 1, 'b')],
      bounds: [{ partition: 0, logStartOffset: 0, highWatermark: 2 }],
      delivered: [read(0, 0, 'a'), read(0, 1, 'b'), read(0, 1, 'b')],
      runs: [{ consumer: 0, partition: 0, offsets: [0, 1] }, { consumer: 1, partition: 0, offsets: [1] }],
      commits: [{ partition: 0, offset: 1 }, { partition: 0, offset: 2 }, { partition: 0, offset: 2 }],
      // replica 2 is behind: its HW is 1, so offset 1 is not yet owed
      replicas: [replica(1, 0, 2, [read(0, 0, 'a'), read(0, 1, 'b')]), replica(2, 0, 1, [read(0, 0, 'a')])],
    })
    expect(r.valid).toBe(true)
  })

  test('an acknowledged value missing from the final read is lost', () => {
    const r = check({ acked: [read(0, 0, 'a'), read(0, 1, 'b')], finalRead: [read(0, 0, 'a')] })
    expect(r.lost).toEqual(['b'])
    expect(r.valid).toBe(false)
  })

  test('a value at two offsets is a duplicate; two values at one offset are inconsistent', () => {
    const r = check({ acked: [], finalRead: [read(0, 0, 'a'), read(0, 1, 'a'), read(1, 0, 'x'), read(1, 0, 'y')] })
    expect(r.duplicated).toEqual(['a'])
    expect(r.inconsistent).toEqual([{ partition: 1, offset: 0, values: ['x', 'y'] }])
    expect(r.nonMonotonic).toEqual([{ partition: 1, offset: 0 }])
  })

  test('a final read whose batches overlap or go backwards is non-monotonic, not silently merged', () => {
    // served: batch 0-2, then a batch 1-3 overlapping it, then a batch 0-1 going backwards
    const served = [...log(0, [0, 1, 2]), ...log(0, [1, 2, 3]), ...log(0, [0, 1])]
    const r = check({ acked: [read(0, 3, 'v3')], finalRead: served, bounds: [{ partition: 0, logStartOffset: 0, highWatermark: 4 }] })
    expect(r.nonMonotonic).toEqual([{ partition: 0, offset: 1 }, { partition: 0, offset: 2 }, { partition: 0, offset: 0 }, { partition: 0, offset: 1 }])
    expect(r.duplicated).toEqual([]) // the same record served twice is not a value at two offsets
    expect(r.lost).toEqual([])
    expect(r.valid).toBe(false)
  })

  test('offsets between the leader\'s log start and HW that the final read lacks are gaps', () => {
    const r = check({ acked: [], finalRead: log(0, [1, 2, 5]), bounds: [{ partition: 0, logStartOffset: 0, highWatermark: 8 }, { partition: 1, logStartOffset: 3, highWatermark: 5 }] })
    expect(r.offsetGaps).toEqual([
      { partition: 0, from: 0, to: 0 }, { partition: 0, from: 3, to: 4 }, { partition: 0, from: 6, to: 7 }, { partition: 1, from: 3, to: 4 },
    ])
    expect(check({ acked: [], finalRead: log(0, [3, 4]), bounds: [{ partition: 0, logStartOffset: 3, highWatermark: 5 }] }).valid).toBe(true)
  })

  test('an acknowledged value found at another offset than acknowledged is flagged', () => {
    const r = check({ acked: [read(0, 5, 'a')], finalRead: [read(0, 6, 'a')] })
    expect(r.ackedAtWrongOffset).toEqual([{ value: 'a', ackedOffset: 5, foundOffset: 6 }])
  })

  test('replicas that disagree below the high watermark, or hold what the final read lacks, are divergent', () => {
    const r = check({ acked: [], finalRead: [read(0, 0, 'a')], replicas: [replica(2, 0, 1, [read(0, 0, 'b')]), replica(3, 0, 2, [read(0, 0, 'a'), read(0, 1, 'z')])] })
    expect(r.divergentReplicas).toEqual([{ nodeId: 2, partition: 0, offset: 0, why: 'differs' }, { nodeId: 3, partition: 0, offset: 1, why: 'extra' }])
  })

  test('a replica missing a record the leader has below that replica\'s HW is divergent', () => {
    const leader = log(0, [0, 1, 2, 3])
    const r = check({
      acked: [],
      finalRead: leader,
      replicas: [
        replica(2, 0, 4, log(0, [0, 2, 3])), // lacks 1
        replica(3, 0, 3, log(0, [0, 1])), // HW 3 but lacks 2; 3 is above its HW, not owed
        replica(1, 0, 4, [...log(0, [0, 1]), ...log(0, [1, 2, 3])]), // served 1 twice
      ],
    })
    expect(r.divergentReplicas).toEqual([
      { nodeId: 2, partition: 0, offset: 1, why: 'missing' },
      { nodeId: 3, partition: 0, offset: 2, why: 'missing' },
      { nodeId: 1, partition: 0, offset: 1, why: 'out-of-order' },
    ])
  })

  test('a delivered value the final read lacks is lost; a delivery that disagrees with the log is inconsistent', () => {
    const r = check({ acked: [], finalRead: [read(0, 0, 'a'), read(0, 1, 'b')], delivered: [read(0, 0, 'a'), read(0, 1, 'x'), read(0, 2, 'y')] })
    expect(r.lostDelivered).toEqual(['x', 'y'])
    expect(r.inconsistent).toEqual([{ partition: 0, offset: 1, values: ['b', 'x'] }])
  })

  test('a delivered value the log holds at another offset is flagged, even where the log has nothing at the delivered offset', () => {
    const r = check({ acked: [], finalRead: [read(0, 0, 'a'), read(0, 1, 'b')], delivered: [read(0, 7, 'b'), read(0, 7, 'b')] })
    expect(r.deliveredAtWrongOffset).toEqual([{ value: 'b', partition: 0, deliveredOffset: 7, foundOffset: 1 }])
    expect(r.inconsistent).toEqual([])
    expect(r.lostDelivered).toEqual([])
  })

  test('values no producer sent, in a log or a delivery, are unknown once every sent value is listed', () => {
    const input = {
      acked: [read(0, 0, 'a')],
      finalRead: [read(0, 0, 'a'), read(0, 1, 'maybe'), read(0, 2, 'junk')],
      delivered: [read(0, 0, 'a'), read(0, 3, 'ghost')],
      replicas: [replica(2, 0, 3, [read(0, 0, 'a'), read(0, 1, 'maybe'), read(0, 2, 'junk'), read(0, 3, 'stray')])],
    }
    expect(check({ ...input, indeterminate: ['maybe'] }).unknownValues).toEqual(['junk', 'ghost', 'stray'])
    expect(check(input).unknownValues).toEqual([]) // without the list of sent values there is nothing to compare with
  })

  test('within one ownership a consumer goes forward without skipping records the log holds', () => {
    const records = [0, 1, 2, 3, 5].map((o) => read(0, o, `v${o}`))
    const ok = check({ acked: [], finalRead: records, runs: [{ consumer: 0, partition: 0, offsets: [0, 1, 2, 3, 5] }, { consumer: 1, partition: 0, offsets: [2, 3] }] })
    expect(ok.valid).toBe(true)
    const r = check({ acked: [], finalRead: records, runs: [{ consumer: 0, partition: 0, offsets: [0, 2, 1] }, { consumer: 1, partition: 0, offsets: [3, 3] }] })
    expect(r.skippedDelivery).toEqual([{ consumer: 0, partition: 0, from: 0, to: 2 }])
    expect(r.nonMonotonicDelivery).toEqual([{ consumer: 0, partition: 0, from: 2, to: 1 }, { consumer: 1, partition: 0, from: 3, to: 3 }])
  })

  test('a Raft term seen with two leaders (a split brain) makes the run invalid; one leader per term is fine', () => {
    expect(check({ acked: [], finalRead: [], raftTerms: [{ term: 1, leaders: [2] }, { term: 2, leaders: [1, 3] }] })).toMatchObject({ valid: false, twoLeadersInATerm: [{ term: 2, leaders: [1, 3] }] })
    expect(check({ acked: [], finalRead: [], raftTerms: [{ term: 1, leaders: [2] }, { term: 2, leaders: [3] }] })).toMatchObject({ valid: true, twoLeadersInATerm: [] })
  })

  test('what did not converge after healing, or a final read that did not complete, makes the run invalid', () => {
    expect(check({ acked: [], finalRead: [], unconverged: ['p0: replica 3 at HW 1, leader at 2'] }).valid).toBe(false)
    const r = check({ acked: [], finalRead: [], incompleteReads: ['node 2 p0: read stuck at 4 below HW 9'] })
    expect(r.incompleteReads).toEqual(['node 2 p0: read stuck at 4 below HW 9'])
    expect(r.valid).toBe(false)
  })

  test('committed offsets going backwards and undelivered acks are flagged', () => {
    const r = check({
      acked: [read(0, 0, 'a')],
      finalRead: [read(0, 0, 'a')],
      commits: [{ partition: 0, offset: 5 }, { partition: 0, offset: 3 }],
      delivered: [],
    })
    expect(r.committedBackwards).toEqual([{ partition: 0, from: 5, to: 3 }])
    expect(r.undelivered).toEqual(['a'])
  })

  test('an ownership that starts below a commit acknowledged before its assignment is flagged (the commit was lost)', () => {
    const records = log(0, [0, 1, 2, 3])
    const r = check({
      acked: records, finalRead: records, delivered: records,
      commits: [{ partition: 0, offset: 3, at: 100 }, { partition: 0, offset: 4, at: 300 }, { partition: 1, offset: 9, at: 50 }],
      runs: [
        { consumer: 0, partition: 0, offsets: [0, 1, 2], assignedAt: 10 },
        { consumer: 1, partition: 0, offsets: [1, 2, 3], assignedAt: 200 },
        { consumer: 2, partition: 0, offsets: [3], assignedAt: 250 },
        { consumer: 3, partition: 0, offsets: [], assignedAt: 400 },
      ],
    })
    expect(r.startedBelowCommit).toEqual([{ consumer: 1, partition: 0, first: 1, committed: 3 }])
    expect(r.valid).toBe(false)
  })

  test('a commit past the log end, or past a record the group never delivered, is flagged', () => {
    const records = log(0, [0, 1, 2, 3])
    const r = check({
      acked: [],
      finalRead: records,
      bounds: [{ partition: 0, logStartOffset: 0, highWatermark: 4 }],
      delivered: [records[0]!, records[1]!, records[3]!], // 2 was never delivered
      commits: [{ partition: 0, offset: 2 }, { partition: 0, offset: 4 }, { partition: 0, offset: 6 }],
    })
    expect(r.committedUndelivered).toEqual([{ partition: 0, offset: 4, firstUndelivered: 2 }, { partition: 0, offset: 6, firstUndelivered: 2 }])
    expect(r.committedBeyondLog).toEqual([{ partition: 0, offset: 6, highWatermark: 4 }])
  })
})
