/**
 * `npm run bench:floor` (scripts/latency-floor.mjs) as a user runs it: three bare
 * broker processes and a client, no Tributary code. A smoke test of the script, not a
 * measurement: it checks that every record arrives, the figures are printed, bad
 * flags are refused and nothing is left behind; no assertion on latency.
 */
import { readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { REPO_ROOT, runNode } from './cluster.js'

const SCRIPT = path.join(REPO_ROOT, 'scripts', 'latency-floor.mjs')
const RUN_TIMEOUT_MS = 60_000
const run = (args: string[]) => runNode([SCRIPT, ...args], RUN_TIMEOUT_MS)

const floorDirs = () => readdirSync(tmpdir()).filter((d) => d.startsWith('tributary-floor-'))

test.each([[[] as string[]], [['--no-storage']]])('latency floor %j: every record arrives, one JSON line, temp data removed', async (extra) => {
  const before = new Set(floorDirs())
  const r = await run(['--rate', '2000', '--seconds', '1', '--warmup', '0.5', '--json', ...extra])
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' })
  const lines = r.stdout.trim().split('\n')
  expect(lines).toHaveLength(1)
  const result = JSON.parse(lines[0]!) as Record<string, unknown>
  expect(result).toMatchObject({ storage: extra.length === 0, rate: 2000, sent: 3000, received: 3000 })
  for (const k of ['p50', 'p99', 'p999', 'max']) expect(result[k]).toEqual(expect.any(Number))
  expect(floorDirs().filter((d) => !before.has(d))).toEqual([])
}, RUN_TIMEOUT_MS + 10_000)

test.each([
  [['--rate', 'fast'], '--rate must be a positive number, not fast'],
  [['--warmup=-1'], '--warmup must be a non-negative number, not -1'],
  [['--fast'], "Unknown option '--fast'"],
])('latency floor refuses %j with a clear message', async (args, message) => {
  const r = await run(args)
  expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' })
  expect(r.stderr).toContain(message)
})
