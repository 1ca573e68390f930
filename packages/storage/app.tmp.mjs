import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openLevelStorage } from '/work/wt/segments/packages/storage/dist/index.js'
import { encodeRecordBatch } from '/work/wt/segments/packages/protocol/dist/index.js'
const records = Array.from({ length: 16 }, (_, i) => ({ key: `key-${i}`, value: new Uint8Array(1000).map((_, j) => (Math.imul(i * 1000 + j, 2654435761) >>> 24)), timestamp: 1_700_000_000_000 + i }))
const template = encodeRecordBatch(records)
const parts = Number(process.argv[2] ?? 32)
const MIB = 1 << 20
const count = Math.ceil(Number(process.env.MIB ?? 128) * MIB / template.length)
const dir = await mkdtemp(join(tmpdir(), 'app-'))
const s = await openLevelStorage(dir, process.env.GB ? { groupBytesMax: Number(process.env.GB) * 1024, groupsQueuedMax: Number(process.env.GQ ?? 4) } : {})
const logs = await Promise.all(Array.from({ length: parts }, (_, p) => s.logs.open('bench', p)))
const t0 = performance.now()
await new Promise((done, failed) => {
  let issued = 0, finished = 0, inFlight = 0
  const pump = () => {
    while (inFlight < 256 && issued < count) {
      const k = issued++ % logs.length; inFlight++
      logs[k].appendAsLeader(template.slice(), 0).then(() => { inFlight--; if (++finished === count) done(); else pump() }, failed)
    }
  }
  pump()
})
console.log(JSON.stringify({ parts, mbPerSec: Math.round(count * template.length / 1e3 / (performance.now() - t0)) }))
await s.close(); console.log(dir)
