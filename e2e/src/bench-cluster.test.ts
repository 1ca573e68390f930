/**
 * `tributary bench cluster --quick --json` as a user runs it: it starts its own
 * clusters, runs every scenario at small sizes and prints one JSON line. A smoke
 * test of the harness, not a measurement: no assertion on speed or latency.
 */
import { spawn } from 'node:child_process'
import { BROKER_BIN, REPO_ROOT } from './cluster.js'

const RUN_TIMEOUT_MS = 120_000

interface Scenario { name: string; target: string; measured: string; met: boolean; records: number }

function runQuick(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BROKER_BIN, 'bench', 'cluster', '--quick', '--json'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
    // SIGINT lets the command stop its brokers on the way out.
    const timer = setTimeout(() => child.kill('SIGINT'), RUN_TIMEOUT_MS)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

test('bench cluster --quick --json runs every scenario and prints one JSON line', async () => {
  const r = await runQuick()
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' })
  const lines = r.stdout.trim().split('\n')
  expect(lines).toHaveLength(1)
  const summary = JSON.parse(lines[0]!) as { bench: string; quick: boolean; scenarios: Scenario[] }
  expect(summary).toMatchObject({ bench: 'cluster', quick: true })
  const names = summary.scenarios.map((s) => s.name)
  expect(names).toEqual(['produce-rf1', 'startup', 'produce-rf3', 'memory', 'consume', 'latency-10k', 'latency-100k', 'round-trip', 'failover'])
  for (const s of summary.scenarios) {
    expect(s).toEqual(expect.objectContaining({ target: expect.any(String), measured: expect.any(String), met: expect.any(Boolean) }))
    expect({ name: s.name, records: s.records > 0 }).toEqual({ name: s.name, records: true })
  }
}, RUN_TIMEOUT_MS + 10_000)
