/**
 * The built `tributary` binary's output through a pipe whose reader falls
 * behind arrives whole. Found as a flaky `--offline` test in cli.test.ts: under
 * load the test process read the CLI's stdout late, the kernel pipe held 64 KiB,
 * Node queued the rest in the CLI, and bin.ts's process.exit() dropped it: the
 * log "ended" at a row boundary, exit code 0.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { encodeRecords } from '@tributary/broker'
import type { Entry } from '@tributary/raft'
import { openLevelStorage } from '@tributary/storage'
import { BROKER_BIN, REPO_ROOT } from './cluster.js'

/** Far more output than a pipe (64 KiB) and the reader's stream buffer hold together. */
const ENTRIES = 3000
/** How long the reader holds off when the CLI does not exit first: it has long since written everything it can. */
const READER_HOLD_MS_MAX = 3000

let dir: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-pipe-'))
  const storage = await openLevelStorage(dir)
  const entries: Entry[] = []
  for (let i = 1; i <= ENTRIES; i++) {
    entries.push({ index: i, term: 1, type: 'normal', data: encodeRecords([{ type: 'Topic', version: 0, name: `topic-${i}`, topicId: `id-${i}`, internal: false }]) })
  }
  await storage.raft.append(entries)
  await storage.raft.setHardState({ term: 1, vote: 1, commit: ENTRIES })
  await storage.close()
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

test('metadata log --offline --json to a reader that reads nothing until the CLI is done: every row arrives', async () => {
  const child = spawn(process.execPath, [BROKER_BIN, 'metadata', 'log', '--json', '--offline', '--data-dir', dir], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  try {
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
    child.stdout.pause()
    const closed = once(child, 'close')
    // A CLI that exits with rows still queued exits while we hold off; one that
    // waits for its output blocks on the full pipe until we read.
    let hold: NodeJS.Timeout | undefined
    await Promise.race([once(child, 'exit'), new Promise((resolve) => (hold = setTimeout(resolve, READER_HOLD_MS_MAX)))])
    clearTimeout(hold)
    child.stdout.resume()
    const [code] = await closed
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    const rows = stdout.trim().split('\n').map((l) => JSON.parse(l) as { index: number })
    expect(rows.map((r) => r.index)).toEqual(Array.from({ length: ENTRIES }, (_, i) => i + 1))
  } finally {
    child.kill('SIGKILL')
  }
})
