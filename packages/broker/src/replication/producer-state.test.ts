/**
 * The idempotent producer table on its own: Kafka's sequence rules, truncation,
 * and the checkpoint blob.
 */
import { describe, expect, it } from '@jest/globals'
import { ErrorCode, readBatchHeader, type BatchHeader } from '@tributary/protocol'
import { ProducerStateTable, PRODUCER_BATCHES_KEPT } from './producer-state.js'
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
