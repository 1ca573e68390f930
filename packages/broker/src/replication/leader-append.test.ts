/**
 * The leader's group-commit queue answers REQUEST_TIMED_OUT at a request's deadline
 * wherever it is stuck (waiting for queue room, queued, behind the partition's
 * exclusive lock, or in a slow storage write) without losing or duplicating a
 * batch: a request dropped before its write is never appended, one whose write was
 * under way is written once, and an idempotent retry gets its original offsets.
 */
import { describe, expect, it } from '@jest/globals'
import { encodeRecordBatch, ErrorCode, splitBatches, type BatchSlice } from '@tributary/protocol'
import type { AppendResult, PartitionLog } from '@tributary/storage'
import { ManualClock, settle } from '../testing/manual-clock.js'
import { APPEND_QUEUE_BYTES_MAX, LeaderAppender, type AppendOutcome } from './leader-append.js'
import { ProducerStateTable } from './producer-state.js'

interface Gate { promise: Promise<void>; open(): void }
function gate(): Gate {
  let open = (): void => {}
  const promise = new Promise<void>((resolve) => { open = resolve })
  return { promise, open }
}

/** A log that assigns offsets at once and finishes each write when the test opens `writes` (or at once if null). */
class FakeLog {
  leo = 0
  readonly appended: Array<{ baseOffset: number; bytes: number }> = []
  writes: Gate | null = null

  logEndOffset(): number {
    return this.leo
  }

  appendAsLeader(bytes: Uint8Array): Promise<AppendResult> {
    const split = splitBatches(bytes)
    const records = split.ok ? split.value.reduce((n, s) => n + s.header.lastOffsetDelta + 1, 0) : 1
    const baseOffset = this.leo
    this.leo += records
    this.appended.push({ baseOffset, bytes: bytes.length })
    const result: AppendResult = { baseOffset, lastOffset: this.leo - 1, maxTimestamp: -1, logAppendTimeMs: -1, batches: 1, bytes: bytes.length }
    return (this.writes?.promise ?? Promise.resolve()).then(() => result)
  }
}

function world() {
  const clock = new ManualClock()
  const log = new FakeLog()
  let lock: Gate | null = null
  const appender = new LeaderAppender({
    log: log as unknown as PartitionLog,
    producers: new ProducerStateTable(),
    leaderEpochForAppend: () => 1,
    exclusive: async (fn) => {
      if (lock) await lock.promise
      return fn()
    },
    afterAssign: () => {},
    afterAppend: () => {},
    nowMs: () => clock.now(),
    setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
  })
  return { clock, log, appender, lockExclusive: () => (lock = gate()) }
}

const idempotent = (values: string[], baseSequence: number): BatchSlice[] => {
  const split = splitBatches(encodeRecordBatch(values.map((value) => ({ value })), { producerId: 7, producerEpoch: 0, baseSequence }))
  if (!split.ok) throw new Error(split.message)
  return split.value
}

/** A slice of `bytes` bytes (the queue only counts bytes; nothing decodes them). */
function bulky(bytes: number): BatchSlice[] {
  const [s] = idempotent(['x'], 0)
  return [{ ...s, header: { ...s.header, producerId: -1 }, bytes: new Uint8Array(bytes) }]
}

/** The outcome once settled, read without awaiting (undefined while pending). */
function track(p: Promise<AppendOutcome>): { outcome: AppendOutcome | undefined } {
  const t: { outcome: AppendOutcome | undefined } = { outcome: undefined }
  void p.then((o) => { t.outcome = o })
  return t
}

describe('leader append deadlines', () => {
  it('a request stuck behind the exclusive lock times out and is never appended; its retry is appended once', async () => {
    const w = world()
    const lock = w.lockExclusive()
    const first = track(w.appender.append(idempotent(['a', 'b'], 0), w.clock.now() + 100))
    await w.clock.advance(99)
    expect(first.outcome).toBeUndefined()
    await w.clock.advance(1)
    expect(first.outcome).toMatchObject({ errorCode: ErrorCode.REQUEST_TIMED_OUT, baseOffset: -1 })
    lock.open()
    await w.clock.advance(10)
    expect(w.log.appended).toEqual([])
    const retry = await w.appender.append(idempotent(['a', 'b'], 0), w.clock.now() + 100)
    expect(retry).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0, lastOffset: 1, duplicate: false })
    expect(w.log.appended.map((a) => a.baseOffset)).toEqual([0])
  })

  it('a request whose storage write outlives its deadline times out, the write lands once, and an idempotent retry gets the original offsets when it is stored', async () => {
    const w = world()
    await w.appender.append(idempotent(['a'], 0), w.clock.now() + 100)
    w.log.writes = gate()
    const slow = track(w.appender.append(idempotent(['b', 'c'], 1), w.clock.now() + 100))
    await settle()
    expect(w.log.appended.map((a) => a.baseOffset)).toEqual([0, 1]) // handed to the log, write in flight
    await w.clock.advance(100)
    expect(slow.outcome).toMatchObject({ errorCode: ErrorCode.REQUEST_TIMED_OUT })
    const retry = track(w.appender.append(idempotent(['b', 'c'], 1), w.clock.now() + 1000))
    await w.clock.advance(10)
    expect(retry.outcome).toBeUndefined() // its original write is not stored yet
    w.log.writes.open()
    await w.clock.advance(10)
    expect(retry.outcome).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 1, lastOffset: 2, duplicate: true })
    expect(w.log.appended.map((a) => a.baseOffset)).toEqual([0, 1])
    expect((await w.appender.append(idempotent(['d'], 3), w.clock.now() + 100)).baseOffset).toBe(3)
  })

  it('requests queued or waiting for queue room time out and leave the queue; later ones are appended in order', async () => {
    const w = world()
    const lock = w.lockExclusive()
    const half = Math.ceil(APPEND_QUEUE_BYTES_MAX / 2) + 1
    const taken = track(w.appender.append(bulky(half), w.clock.now() + 10_000)) // taken by the drain, waits for the lock
    const queued = track(w.appender.append(bulky(half), w.clock.now() + 100))
    const waiting = track(w.appender.append(bulky(half), w.clock.now() + 100)) // two halves do not fit: waits for room
    await w.clock.advance(100)
    expect(queued.outcome).toMatchObject({ errorCode: ErrorCode.REQUEST_TIMED_OUT })
    expect(waiting.outcome).toMatchObject({ errorCode: ErrorCode.REQUEST_TIMED_OUT })
    const later = track(w.appender.append(bulky(half), w.clock.now() + 10_000)) // room again: queued at once
    lock.open()
    await w.clock.advance(10)
    expect(taken.outcome).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0 })
    expect(later.outcome).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 1 })
    expect(w.log.appended).toEqual([{ baseOffset: 0, bytes: half }, { baseOffset: 1, bytes: half }])
  })
})
