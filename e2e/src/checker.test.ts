import { check } from './checker.js'

describe('fault checker', () => {
  const read = (p: number, o: number, v: string) => ({ partition: p, offset: o, value: v })

  test('a clean history is valid', () => {
    const r = check({
      acked: [read(0, 0, 'a'), read(0, 1, 'b')],
      finalRead: [read(0, 0, 'a'), read(0, 1, 'b')],
      delivered: [read(0, 0, 'a'), read(0, 1, 'b'), read(0, 1, 'b')],
      runs: [{ consumer: 0, partition: 0, offsets: [0, 1] }, { consumer: 1, partition: 0, offsets: [1] }],
      commits: [{ partition: 0, offset: 1 }, { partition: 0, offset: 2 }, { partition: 0, offset: 2 }],
      replicas: new Map([[1, [read(0, 0, 'a'), read(0, 1, 'b')]], [2, [read(0, 0, 'a')]]]),
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

  test('an acknowledged value found at another offset than acknowledged is flagged', () => {
    const r = check({ acked: [read(0, 5, 'a')], finalRead: [read(0, 6, 'a')] })
    expect(r.ackedAtWrongOffset).toEqual([{ value: 'a', ackedOffset: 5, foundOffset: 6 }])
  })

  test('replicas that disagree below the high watermark, or hold what the final read lacks, are divergent', () => {
    const r = check({ acked: [], finalRead: [read(0, 0, 'a')], replicas: new Map([[2, [read(0, 0, 'b')]], [3, [read(0, 0, 'a'), read(0, 1, 'z')]]]) })
    expect(r.divergentReplicas).toEqual([{ nodeId: 2, partition: 0, offset: 0 }, { nodeId: 3, partition: 0, offset: 1 }])
  })

  test('a delivered value the final read lacks is lost; a delivery that disagrees with the log is inconsistent', () => {
    const r = check({ acked: [], finalRead: [read(0, 0, 'a'), read(0, 1, 'b')], delivered: [read(0, 0, 'a'), read(0, 1, 'x'), read(0, 2, 'y')] })
    expect(r.lostDelivered).toEqual(['x', 'y'])
    expect(r.inconsistent).toEqual([{ partition: 0, offset: 1, values: ['b', 'x'] }])
  })

  test('within one ownership a consumer goes forward without skipping records the log holds', () => {
    const log = [0, 1, 2, 3, 5].map((o) => read(0, o, `v${o}`))
    const ok = check({ acked: [], finalRead: log, runs: [{ consumer: 0, partition: 0, offsets: [0, 1, 2, 3, 5] }, { consumer: 1, partition: 0, offsets: [2, 3] }] })
    expect(ok.valid).toBe(true)
    const r = check({ acked: [], finalRead: log, runs: [{ consumer: 0, partition: 0, offsets: [0, 2, 1] }, { consumer: 1, partition: 0, offsets: [3, 3] }] })
    expect(r.skippedDelivery).toEqual([{ consumer: 0, partition: 0, from: 0, to: 2 }])
    expect(r.nonMonotonicDelivery).toEqual([{ consumer: 0, partition: 0, from: 2, to: 1 }, { consumer: 1, partition: 0, from: 3, to: 3 }])
  })

  test('what did not converge after healing makes the run invalid', () => {
    const r = check({ acked: [], finalRead: [], unconverged: ['p0: replica 3 at HW 1, leader at 2'] })
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
})
