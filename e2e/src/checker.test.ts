import { check } from './checker.js'

describe('fault checker', () => {
  const read = (p: number, o: number, v: string) => ({ partition: p, offset: o, value: v })

  test('a clean history is valid', () => {
    const r = check({ acked: [read(0, 0, 'a'), read(0, 1, 'b')], finalRead: [read(0, 0, 'a'), read(0, 1, 'b')], delivered: ['a', 'b'] })
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

  test('replicas that disagree below the high watermark are divergent', () => {
    const r = check({ acked: [], finalRead: [read(0, 0, 'a')], replicas: new Map([[2, [read(0, 0, 'b')]], [3, [read(0, 0, 'a')]]]) })
    expect(r.divergentReplicas).toEqual([{ nodeId: 2, partition: 0, offset: 0 }])
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
