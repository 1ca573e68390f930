import { decodeRecordBatch, ErrorCode, splitBatches } from '@tributary/protocol'
import { PartitionWriter, type AppendFn } from './partition-writer.js'
import { ManualClock } from '../testing/manual-clock.js'

const bounds = { writeQueueRecordsMax: 10, writeBatchRecordsMax: 4, writeBatchBytesMax: 1 << 20, writeTimeoutMs: 1000 }
const rec = (v: string) => ({ key: v, value: v, timestamp: 1 })

/** An append that completes only when the test says so, recording each batch's values. */
function controlledAppend() {
  const batches: string[][] = []
  const waiting: Array<(r: { errorCode: number; baseOffset: number }) => void> = []
  const append: AppendFn = (batch) => {
    const slices = splitBatches(batch)
    if (!slices.ok) throw new Error(slices.message)
    const decoded = decodeRecordBatch(slices.value[0].bytes)
    if (!decoded.ok) throw new Error(decoded.message)
    batches.push(decoded.value.records.map((r) => new TextDecoder().decode(r.value!)))
    return new Promise((resolve) => waiting.push(resolve))
  }
  return { append, batches, complete: (errorCode: number = ErrorCode.NONE) => waiting.shift()!({ errorCode, baseOffset: 0 }) }
}

const tick = () => new Promise((r) => setImmediate(r))

describe('partition writer', () => {
  test('writes that arrive while a batch is in flight share the next batch, in order', async () => {
    const a = controlledAppend()
    const w = new PartitionWriter(a.append, new ManualClock(), bounds, () => {})
    const first = w.write([rec('1')])
    await tick()
    const rest = [w.write([rec('2'), rec('3')]), w.write([rec('4')]), w.write([rec('5'), rec('6')])]
    a.complete()
    expect(await first).toBe(ErrorCode.NONE)
    await tick()
    // writeBatchRecordsMax = 4: '5' joins the batch, '6' waits for the next one.
    expect(a.batches).toEqual([['1'], ['2', '3', '4', '5']])
    a.complete()
    await tick()
    expect(a.batches[2]).toEqual(['6'])
    a.complete()
    expect(await Promise.all(rest)).toEqual([ErrorCode.NONE, ErrorCode.NONE, ErrorCode.NONE])
  })

  test('a failed append fails everything queued behind it and closes the writer', async () => {
    const a = controlledAppend()
    let failure = -1
    const w = new PartitionWriter(a.append, new ManualClock(), bounds, (code) => (failure = code))
    const first = w.write([rec('1')])
    await tick()
    const second = w.write([rec('2')])
    a.complete(ErrorCode.NOT_ENOUGH_REPLICAS)
    expect([await first, await second]).toEqual([ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.NOT_ENOUGH_REPLICAS])
    expect(failure).toBe(ErrorCode.NOT_ENOUGH_REPLICAS)
    expect(await w.write([rec('3')])).toBe(ErrorCode.NOT_ENOUGH_REPLICAS)
    expect(a.batches).toEqual([['1']])
  })

  test('an append that never completes times out; a full queue refuses at once', async () => {
    const clock = new ManualClock()
    const a = controlledAppend()
    const w = new PartitionWriter(a.append, clock, bounds, () => {})
    const first = w.write([rec('1')])
    await tick()
    const queued = w.write(Array.from({ length: 10 }, (_, i) => rec(`q${i}`)))
    expect(await w.write([rec('overflow')])).toBe(ErrorCode.REQUEST_TIMED_OUT)
    await clock.advance(bounds.writeTimeoutMs)
    expect(await first).toBe(ErrorCode.REQUEST_TIMED_OUT)
    expect(await queued).toBe(ErrorCode.REQUEST_TIMED_OUT)
  })
})
