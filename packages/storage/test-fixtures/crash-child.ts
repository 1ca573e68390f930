/**
 * The process the crash test SIGKILLs. It appends to a few partitions as fast as it
 * can (bounded in flight) and prints `ack <partition> <lastOffset>` to stdout after
 * each append's promise resolves. Every record's value is `<partition>:<offset>`
 * (the offset it must land at: appends to one partition are assigned in issue
 * order), padded to a varying size, so the parent can check each record is where it
 * belongs. Bundled by esbuild from these sources at test time.
 *
 * argv: <dbDir> <partitions>
 */
import { encodeRecordBatch } from '@tributary/protocol'
import { openLevelStorage, type PartitionLog } from '../src/index.js'

const APPENDS_IN_FLIGHT_MAX = 64
const PAD = 'x'.repeat(6000)

async function main(): Promise<void> {
  const [dir, partitionsArg] = process.argv.slice(2)
  // Small segments: the kill lands among many segment changes.
  const storage = await openLevelStorage(dir, { writeBufferBytes: 4 << 20, segmentBytes: 256 << 10 })
  const logs: PartitionLog[] = []
  for (let p = 0; p < Number(partitionsArg); p++) logs.push(await storage.logs.open('crash', p))
  let issued = 0
  let inFlight = 0
  const issue = (): void => {
    const p = issued % logs.length
    const log = logs[p]
    const records = 1 + (issued % 4)
    const expected = log.logEndOffset()
    const pad = PAD.slice(0, (issued * 997) % PAD.length)
    const batch = encodeRecordBatch(
      Array.from({ length: records }, (_, i) => ({ key: null, value: `${p}:${expected + i}:${pad}`, timestamp: issued })),
    )
    issued++
    inFlight++
    log.appendAsLeader(batch, 1).then(
      (r) => {
        if (r.baseOffset !== expected) throw new Error(`append landed at ${r.baseOffset}, expected ${expected}`)
        process.stdout.write(`ack ${p} ${r.lastOffset}\n`)
        inFlight--
        pump()
      },
      (err) => {
        process.stderr.write(`append failed: ${String(err)}\n`)
        process.exit(2)
      },
    )
  }
  const pump = (): void => {
    while (inFlight < APPENDS_IN_FLIGHT_MAX) issue()
  }
  process.stdout.write('ready\n')
  pump()
}

main().catch((err) => {
  process.stderr.write(`crash child failed: ${String(err)}\n`)
  process.exit(1)
})
