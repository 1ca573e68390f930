import { describe, expect, test } from '@jest/globals'
import { decodeId, encodeId, SoakLedger } from './soak-ledger.js'

/** Sends `n` records over `partitions` slots; acks them at offset = their position in their slot. */
function sendAll(ledger: SoakLedger, n: number): Array<{ id: number; slot: number; offset: number }> {
  const perSlot = new Map<number, number>()
  return Array.from({ length: n }, () => {
    const id = ledger.next()
    const slot = ledger.slot(id)
    const offset = perSlot.get(slot) ?? 0
    perSlot.set(slot, offset + 1)
    ledger.acked(id, offset)
    return { id, slot, offset }
  })
}

describe('SoakLedger', () => {
  test('every acknowledged record delivered once at its offset: no anomaly, nothing pending', () => {
    const ledger = new SoakLedger(7)
    const sent = sendAll(ledger, 200_000) // past the initial capacity: the arrays grow
    expect(ledger.pending()).toBe(200_000)
    for (const r of sent) ledger.delivered(r.slot, r.offset, r.id)
    expect(ledger.pending()).toBe(0)
    expect(ledger.check()).toEqual({ sent: 200_000, acked: 200_000, failed: 0, delivered: 200_000, lost: 0, undelivered: 0, inconsistent: 0, duplicated: 0, misplaced: 0, unknown: 0 })
  })

  test('a redelivery of the same offset (after a rebalance) is not a duplicate; the same id at another offset is', () => {
    const ledger = new SoakLedger(2)
    const [a, b] = sendAll(ledger, 2)
    ledger.delivered(a!.slot, a!.offset, a!.id)
    ledger.delivered(a!.slot, a!.offset, a!.id)
    ledger.delivered(b!.slot, b!.offset, b!.id)
    ledger.delivered(b!.slot, b!.offset + 5, b!.id)
    expect(ledger.check()).toMatchObject({ delivered: 2, duplicated: 1, lost: 0, inconsistent: 0 })
  })

  test('lost, inconsistent, misplaced and unknown are told apart; failed sends are counted and not lost', () => {
    const ledger = new SoakLedger(3)
    const [a, b, c] = sendAll(ledger, 3)
    const failed = ledger.next()
    ledger.failed('REQUEST_TIMED_OUT')
    ledger.delivered(b!.slot, b!.offset + 1, b!.id) // acknowledged at another offset
    ledger.delivered((c!.slot + 1) % 3, c!.offset, c!.id) // from another partition
    ledger.delivered(0, 9, 12345) // never sent
    ledger.delivered(0, 10, Number.NaN) // a value without an id
    expect(ledger.check()).toEqual({ sent: 4, acked: 3, failed: 1, delivered: 2, lost: 1, undelivered: 0, inconsistent: 1, duplicated: 0, misplaced: 1, unknown: 2 })
    expect(a!.id).not.toBe(failed)
    expect(ledger.pending()).toBe(1)
    ledger.failed('NOT_LEADER_OR_FOLLOWER')
    ledger.failed('REQUEST_TIMED_OUT')
    expect(ledger.failureReasons()).toBe('REQUEST_TIMED_OUT x2, NOT_LEADER_OR_FOLLOWER x1')
  })
})

test('a record the group did not deliver but the final read finds at its offset is undelivered, not lost', () => {
  const ledger = new SoakLedger(4)
  const sent = sendAll(ledger, 8)
  for (const r of sent.slice(0, 5)) ledger.delivered(r.slot, r.offset, r.id)
  expect(ledger.pendingIds()).toEqual([5, 6, 7])
  expect(ledger.ackedOffset(5)).toBe(sent[5]!.offset)
  ledger.foundInLog(sent[5]!.slot, sent[5]!.offset, 5) // in the log where acknowledged
  ledger.foundInLog(sent[6]!.slot, sent[6]!.offset + 3, 6) // in the log, elsewhere
  ledger.foundInLog((sent[7]!.slot + 1) % 4, sent[7]!.offset, 7) // another partition's record: ignored
  expect(ledger.check()).toMatchObject({ delivered: 5, undelivered: 1, inconsistent: 1, lost: 1 })
})

describe('record ids', () => {
  test('round trip through a value of the bench size, also from a view into a larger buffer', () => {
    const v = encodeId(1_234_567, 100)
    expect(v.byteLength).toBe(100)
    expect(decodeId(v)).toBe(1_234_567)
    const inside = new Uint8Array(300)
    inside.set(v, 17)
    expect(decodeId(inside.subarray(17, 117))).toBe(1_234_567)
  })

  test('a value too short or null carries no id', () => {
    expect(decodeId(null)).toBeNaN()
    expect(decodeId(new Uint8Array(4))).toBeNaN()
  })
})
