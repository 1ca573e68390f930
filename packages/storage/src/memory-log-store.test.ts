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

  test('a volatile disk loses on a power loss what was not synced, keeping a prefix of the writes', async () => {
    const run = async (kept: (unsynced: number) => number): Promise<number> => {
      const disk = new MemoryLogDisk({ volatile: true })
      const first = new MemoryLogStore({ disk })
      const log = await first.open('T', 0)
      await log.appendAsLeader(batch('a', 'b'), 0)
      await log.flush()
      disk.sync()
      await log.appendAsLeader(batch('c'), 0)
      await log.flush()
      await log.appendAsLeader(batch('d'), 0)
      await log.flush()
      expect(disk.unsynced).toBeGreaterThanOrEqual(2)
      first.crash()
      disk.powerLoss(kept(disk.unsynced))
      expect(disk.unsynced).toBe(0)
      return (await new MemoryLogStore({ disk }).open('T', 0)).logEndOffset()
    }
    expect(await run(() => 0)).toBe(2) // back to the sync
    expect(await run((n) => n)).toBe(4) // everything reached the platters
    expect(await run(() => 1)).toBe(3) // 'c' did, 'd' was lost (or torn)
    // A plain crash (the OS lives on) loses nothing.
    const plain = new MemoryLogDisk()
    const s1 = new MemoryLogStore({ disk: plain })
    await (await s1.open('T', 0)).appendAsLeader(batch('a'), 0)
    s1.crash()
    plain.powerLoss(0)
    expect((await new MemoryLogStore({ disk: plain }).open('T', 0)).logEndOffset()).toBe(1)
  })

  test('a partition created after the last sync is gone after a power loss that keeps none of its writes', async () => {
    const disk = new MemoryLogDisk({ volatile: true })
    const store = new MemoryLogStore({ disk })
    await (await store.open('T', 0)).appendAsLeader(batch('a'), 0)
    store.crash()
    disk.powerLoss(0)
    expect(await new MemoryLogStore({ disk }).list()).toEqual([])
  })

  test('a failing disk refuses the write: the append fails with KAFKA_STORAGE_ERROR and nothing lands', async () => {
    for (const fault of ['eio', 'enospc'] as const) {
      const disk = new MemoryLogDisk()
      const store = new MemoryLogStore({ disk })
      const log = await store.open('T', 0)
      await log.appendAsLeader(batch('a'), 0)
      await log.flush()
      disk.fail(fault)
      const late = log.appendAsLeader(batch('b'), 0).then(() => log.flush())
      await expect(late).rejects.toThrow(fault === 'eio' ? /EIO/ : /ENOSPC/)
      await expect(log.appendAsLeader(batch('c'), 0)).rejects.toMatchObject({ code: 56 }) // the log is fenced (KAFKA_STORAGE_ERROR)
      // A read of the fenced log answers the error as a value (a fetch carries it for the partition; sim seed 38 --size ci).
      expect(await log.read(0, 1 << 20)).toMatchObject({ ok: false, code: 56 })
      disk.fail(null)
      store.crash()
      expect((await new MemoryLogStore({ disk }).open('T', 0)).logEndOffset()).toBe(1)
    }
  })
})
