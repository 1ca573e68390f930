/**
 * The idempotent producer table on its own: Kafka's sequence rules, truncation,
 * and the checkpoint blob.
 */
import { describe, expect, it } from '@jest/globals'
import { ErrorCode, readBatchHeader, type BatchHeader } from '@tributary/protocol'
import { ProducerStateBudget, ProducerStateTable, PRODUCER_BATCHES_KEPT } from './producer-state.js'
import { batchOf } from './sim-client.js'

function header(baseSequence: number, count = 1, producerEpoch = 0, producerId = 9): BatchHeader {
  const r = readBatchHeader(batchOf(Array.from({ length: count }, (_, i) => `v${i}`), { producerId, producerEpoch, baseSequence }))
  if (!r.ok) throw new Error(r.message)
  return r.value
}

describe('ProducerStateTable', () => {
  it('accepts an unknown producer at any sequence, then requires the next one', () => {
    const t = new ProducerStateTable()
    expect(t.check(header(17)).kind).toBe('append')
    t.record(header(17, 3), 100, 0)
    expect(t.check(header(20)).kind).toBe('append')
    expect(t.check(header(21))).toMatchObject({ kind: 'error', code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER })
  })

  it(`remembers the last ${PRODUCER_BATCHES_KEPT} batches for duplicates`, () => {
    const t = new ProducerStateTable()
    for (let i = 0; i < 7; i++) t.record(header(i), i * 10, 0)
    expect(t.check(header(6))).toEqual({ kind: 'duplicate', baseOffset: 60, lastOffset: 60 })
    expect(t.check(header(2))).toEqual({ kind: 'duplicate', baseOffset: 20, lastOffset: 20 })
    expect(t.check(header(1)).kind).toBe('error') // forgotten: an old sequence is out of order
  })

  it('wraps sequences at Int32.MAX_VALUE', () => {
    const t = new ProducerStateTable()
    t.record(header(0x7fffffff - 1, 2), 0, 0)
    expect(t.check(header(0)).kind).toBe('append')
  })

  it('fences old epochs and starts new epochs at 0', () => {
    const t = new ProducerStateTable()
    t.record(header(0, 1, 3), 0, 0)
    expect(t.check(header(1, 1, 2))).toMatchObject({ code: ErrorCode.INVALID_PRODUCER_EPOCH })
    expect(t.check(header(5, 1, 4))).toMatchObject({ code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER })
    expect(t.check(header(0, 1, 4)).kind).toBe('append')
  })

  it('truncation forgets batches at or above the offset; the blob round-trips', () => {
    const t = new ProducerStateTable()
    t.record(header(0, 2), 0, 5)
    t.record(header(2, 2), 2, 5)
    t.record(header(0, 1, 0, 10), 4, 5)
    t.truncateFrom(2)
    expect(t.check(header(2, 2))).toEqual({ kind: 'append' })
    expect(t.size).toBe(1)
    const copy = new ProducerStateTable()
    expect(copy.decode(t.encode(2))).toBe(2)
    expect(copy.check(header(0, 2))).toEqual({ kind: 'duplicate', baseOffset: 0, lastOffset: 1 })
    expect(copy.decode(new Uint8Array([1, 2, 3]))).toBe(-1)
  })

  it('forgets idle producers', () => {
    const t = new ProducerStateTable()
    t.record(header(0), 0, 1000)
    expect(t.expire(500)).toBe(0)
    expect(t.expire(Date.now() + 1)).toBe(1)
  })
})

describe('ProducerStateBudget: producer entries bounded node-wide', () => {
  it('counts every entry of every table; past the bound the adding table forgets its oldest producer, never the new one', () => {
    const budget = new ProducerStateBudget(3)
    const a = new ProducerStateTable(budget)
    const b = new ProducerStateTable(budget)
    a.record(header(0, 1, 0, 1), 0, 0)
    a.record(header(0, 1, 0, 2), 1, 0)
    b.record(header(0, 1, 0, 1), 0, 0)
    a.record(header(1, 1, 0, 1), 2, 0) // a known producer's next batch is no new entry
    expect([budget.entries, budget.evictions]).toEqual([3, 0])
    a.record(header(0, 1, 0, 3), 3, 0) // a fourth entry: a forgets producer 1, its oldest
    expect([budget.entries, budget.evictions, a.size, b.size]).toEqual([3, 1, 2, 1])
    expect(a.check(header(5, 1, 0, 1)).kind).toBe('append') // forgotten: treated as new
    expect(a.check(header(5, 1, 0, 2))).toMatchObject({ kind: 'error', code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER }) // kept
    b.record(header(0, 1, 0, 2), 1, 0) // b has one other producer to give up
    expect([budget.entries, b.size]).toEqual([3, 1])
  })

  it('a table with a single producer keeps it even over the bound (at most one entry per partition over)', () => {
    const budget = new ProducerStateBudget(1)
    const a = new ProducerStateTable(budget)
    const b = new ProducerStateTable(budget)
    a.record(header(0, 1, 0, 1), 0, 0)
    b.record(header(0, 1, 0, 2), 0, 0)
    expect([budget.entries, a.size, b.size]).toEqual([2, 1, 1])
  })

  it('truncation, expiry, clearing and loading a checkpoint keep the count; a detached table stops counting but keeps its entries', () => {
    const budget = new ProducerStateBudget(100)
    const t = new ProducerStateTable(budget)
    for (let pid = 1; pid <= 4; pid++) t.record(header(0, 1, 0, pid), pid * 10, pid)
    expect(budget.entries).toBe(4)
    t.truncateFrom(40) // producer 4's only batch goes
    expect(budget.entries).toBe(3)
    const blob = t.encode(50)
    expect(t.expire(Number.MAX_SAFE_INTEGER)).toBe(3) // every producer idle past the cutoff
    expect(budget.entries).toBe(0)
    expect(t.decode(blob)).toBe(50)
    expect(budget.entries).toBe(3)
    t.clear()
    expect(budget.entries).toBe(0)
    t.decode(blob)
    t.detach()
    expect([budget.entries, t.size]).toEqual([0, 3]) // still there for a last checkpoint
    t.record(header(0, 1, 0, 9), 60, 0)
    expect(budget.entries).toBe(0)
  })
})
