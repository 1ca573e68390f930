/**
 * What the whole-cluster simulation needs of the memory store beyond the
 * LogStore contract (log-store.contract.test.ts): a disk that outlives the
 * store, a crash after which nothing of the dead store lands, and timers on
 * the clock it is given.
 */
import { describe, expect, test } from '@jest/globals'
import { encodeRecordBatch, type Clock } from '@tributary/protocol'
import { MemoryLogDisk, MemoryLogStore } from './memory-log-store.js'

const T0 = 1_700_000_000_000
const batch = (...values: string[]): Uint8Array => encodeRecordBatch(values.map((value, i) => ({ key: null, value, timestamp: T0 + i })), { baseOffset: 0, partitionLeaderEpoch: -1 })

/** Timers fire only when the test says so. */
class StepClock implements Clock {
  t = T0
  readonly timers: Array<{ at: number; fn: () => void }> = []
  now = (): number => this.t
  setTimeout(fn: () => void, ms: number): () => void {
    const timer = { at: this.t + ms, fn }
    this.timers.push(timer)
    return () => void this.timers.splice(this.timers.indexOf(timer), 1)
  }
  advance(ms: number): void {
    this.t += ms
    for (const timer of this.timers.filter((x) => x.at <= this.t)) {
      this.timers.splice(this.timers.indexOf(timer), 1)
      timer.fn()
    }
  }
}

const settled = (p: Promise<unknown>): Promise<boolean> => Promise.race([p.then(() => true, () => true), new Promise<boolean>((r) => setImmediate(() => r(false)))])

describe('MemoryLogStore over a MemoryLogDisk', () => {
  test('a store opened on the disk of a crashed one sees every completed write, and none the dead store tried after', async () => {
    const disk = new MemoryLogDisk()
    const first = new MemoryLogStore({ disk })
    const log = await first.open('T', 0)
    await log.appendAsLeader(batch('a', 'b'), 0)
    first.crash()
    const late = log.appendAsLeader(batch('c'), 0)
    expect(await settled(late)).toBe(false) // a dead process hears nothing back
    expect(await settled(first.open('T', 1))).toBe(false)
    const second = new MemoryLogStore({ disk })
    const again = await second.open('T', 0)
    expect(again.logEndOffset()).toBe(2)
    expect(await second.list()).toEqual([{ topicId: 'T', partition: 0 }])
  })

  test('the idle HW checkpoint runs on the clock it is given, and the next store reads the HW it stored', async () => {
    const disk = new MemoryLogDisk()
    const clock = new StepClock()
    const store = new MemoryLogStore({ disk, clock })
    const log = await store.open('T', 0)
    await log.appendAsLeader(batch('a', 'b', 'c'), 0)
    log.setHighWatermark(3)
    expect(clock.timers).toHaveLength(1)
    clock.advance(1000)
    await Promise.resolve()
    store.crash()
    expect((await new MemoryLogStore({ disk }).open('T', 0)).highWatermark()).toBe(3)
  })
})
