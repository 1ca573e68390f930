/**
 * Crash safety: a child process appends as fast as it can and is SIGKILLed
 * mid-stream (twice: the second run continues the recovered log). After each kill
 * the log must be a clean prefix of what was appended: offsets contiguous from 0,
 * every record where it was meant to land, every batch CRC-valid (nothing torn is
 * served), and every acknowledged append present.
 *
 * The child runs our sources, bundled with esbuild at test time (jest runs sources;
 * dist may be stale). LevelDB stays external and is found through NODE_PATH.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { decodeRecordBatch, splitBatches } from '@tributary/protocol'
import { openLevelStorage } from './level-storage.js'

const here = dirname(fileURLToPath(import.meta.url))
const repo = resolve(here, '../../..')
const PARTITIONS = 3
/** Kill once this many appends have been acknowledged. */
const ACKS_BEFORE_KILL = 1500
const DEADLINE_MS = 30_000

let work: string
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'tributary-crash-'))
  await build({
    entryPoints: [join(here, '../test-fixtures/crash-child.ts')],
    outfile: join(work, 'crash-child.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['level'],
    alias: {
      '@tributary/protocol': join(repo, 'packages/protocol/src/index.ts'),
      '@tributary/raft': join(repo, 'packages/raft/src/index.ts'),
    },
    logLevel: 'error',
  })
})
afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

/** Runs the child until `acks` appends are acknowledged, then SIGKILLs it; returns the highest acked offset per partition. */
async function runAndKill(dbDir: string, acks: number): Promise<number[]> {
  const child: ChildProcess = spawn(process.execPath, [join(work, 'crash-child.cjs'), dbDir, String(PARTITIONS)], {
    env: { ...process.env, NODE_PATH: join(repo, 'node_modules') },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const acked = new Array<number>(PARTITIONS).fill(-1)
  let stderr = ''
  try {
    await new Promise<void>((done, failed) => {
      let count = 0
      let buffered = ''
      const timer = setTimeout(() => failed(new Error(`only ${count} acks before the deadline; stderr: ${stderr}`)), DEADLINE_MS)
      child.stderr!.on('data', (d) => (stderr += String(d)))
      child.on('exit', (code) => failed(new Error(`child exited early (${code}): ${stderr}`)))
      child.stdout!.on('data', (d) => {
        buffered += String(d)
        const lines = buffered.split('\n')
        buffered = lines.pop()!
        for (const line of lines) {
          const [word, p, last] = line.split(' ')
          if (word !== 'ack') continue
          acked[Number(p)] = Math.max(acked[Number(p)], Number(last))
          if (++count === acks) {
            clearTimeout(timer)
            child.kill('SIGKILL')
            done()
          }
        }
      })
    })
  } finally {
    child.kill('SIGKILL')
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r))
  }
  return acked
}

/** Reads every partition back and checks the clean-prefix property; returns each LEO. */
async function verify(dbDir: string, acked: number[]): Promise<number[]> {
  const storage = await openLevelStorage(dbDir, { writeBufferBytes: 4 << 20, tailCacheBytesPerPartitionMax: 0 })
  const dec = new TextDecoder()
  try {
    const ends: number[] = []
    for (let p = 0; p < PARTITIONS; p++) {
      const log = await storage.logs.open('crash', p)
      let expected = 0
      for (let next = 0; next < log.logEndOffset(); ) {
        const r = await log.read(next, 1 << 20)
        if (!r.ok) throw new Error(r.message)
        const split = splitBatches(r.value.records, { validate: true })
        expect(split.ok).toBe(true)
        for (const s of split.ok ? split.value : []) {
          const d = decodeRecordBatch(s.bytes)
          if (!d.ok) throw new Error(d.message)
          for (const rec of d.value.records) {
            expect(rec.offset).toBe(expected)
            expect(dec.decode(rec.value!).split(':').slice(0, 2).join(':')).toBe(`${p}:${rec.offset}`)
            expected++
          }
        }
        next = r.value.nextOffset
      }
      expect(expected).toBe(log.logEndOffset())
      expect(log.logEndOffset()).toBeGreaterThan(acked[p])
      ends.push(log.logEndOffset())
    }
    return ends
  } finally {
    await storage.close()
  }
}

test('after SIGKILL mid-stream the log is a clean, CRC-valid prefix holding every acknowledged append', async () => {
  const dbDir = join(work, 'db')
  const firstAcks = await runAndKill(dbDir, ACKS_BEFORE_KILL)
  const firstEnds = await verify(dbDir, firstAcks)
  const secondAcks = await runAndKill(dbDir, ACKS_BEFORE_KILL)
  const secondEnds = await verify(dbDir, secondAcks)
  for (let p = 0; p < PARTITIONS; p++) expect(secondEnds[p]).toBeGreaterThan(firstEnds[p])
})
