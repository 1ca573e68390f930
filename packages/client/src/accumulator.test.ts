import { describe, expect, test } from '@jest/globals'
import { Accumulator } from './accumulator.js'

const opts = { batchBytes: 1_000, lingerMs: 0, bufferBytes: 100_000, maxInFlight: 1 }
const record = { value: 'v' }
const queueOf = (acc: Accumulator, topic: string, partition: number) => acc.queues.get(`${topic}\u0000${partition}`)

describe('Accumulator', () => {
  test('appends to one partition after another each land in the queue of their partition', () => {
    const acc = new Accumulator(opts)
    const a = acc.append('t', 0, record, 10, 0)
    const b = acc.append('t', 1, record, 10, 0)
    const c = acc.append('u', 0, record, 10, 0)
    const a2 = acc.append('t', 0, record, 10, 0)
    expect(a2).toBe(a)
    expect(queueOf(acc, 't', 0)!.batches).toEqual([a])
    expect(queueOf(acc, 't', 1)!.batches).toEqual([b])
    expect(queueOf(acc, 'u', 0)!.batches).toEqual([c])
    expect(a.count).toBe(2)
  })

  test('an append that throws (a clock reading that is not an integer) leaves no empty batch behind to seal', () => {
    // Found by the whole-cluster simulation (seed 3, 5 nodes): the batch stayed queued without a builder, and the sender's next drain threw out of a microtask.
    const acc = new Accumulator(opts)
    expect(() => acc.append('t', 0, record, 10, 1.5)).toThrow(RangeError)
    const q = queueOf(acc, 't', 0)!
    expect(q.batches).toEqual([])
    expect(acc.nextToSend(q, 0)).toBeUndefined()
    const next = acc.append('t', 0, record, 10, 2)
    expect(q.batches).toEqual([next])
  })

  test('a queue emptied by its acknowledgement is not reused: the next record gets a new, registered queue', () => {
    const acc = new Accumulator(opts)
    expect(acc.tryReserve(10)).toBe(true)
    const first = acc.append('t', 0, record, 10, 0)
    const q = queueOf(acc, 't', 0)!
    acc.markSent(q, first)
    acc.complete(q, first, true)
    expect(queueOf(acc, 't', 0)).toBeUndefined()
    const next = acc.append('t', 0, record, 10, 1)
    expect(next).not.toBe(first)
    expect(queueOf(acc, 't', 0)!.batches).toEqual([next])
  })

  test('after failAll, appends start over in registered queues', () => {
    const acc = new Accumulator(opts)
    const first = acc.append('t', 0, record, 10, 0)
    first.promise.catch(() => {})
    acc.failAll(new Error('stopped'))
    const next = acc.append('t', 0, record, 10, 1)
    expect(queueOf(acc, 't', 0)!.batches).toEqual([next])
  })
})
