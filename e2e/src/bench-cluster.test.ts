/**
 * `tributary bench cluster --quick --json` as a user runs it: it starts its own
 * clusters, runs every scenario at small sizes and prints one JSON line. A smoke
 * test of the harness, not a measurement: no assertion on speed or latency.
 */
import { BROKER_BIN, runNode } from './cluster.js'

const RUN_TIMEOUT_MS = 120_000
const SOAK_TIMEOUT_MS = 240_000

interface Scenario { name: string; target: string; measured: string; met: boolean; records: number }

test('bench cluster --quick --json runs every scenario and prints one JSON line', async () => {
  // SIGINT at the timeout lets the command stop its brokers on the way out.
  const r = await runNode([BROKER_BIN, 'bench', 'cluster', '--quick', '--json'], RUN_TIMEOUT_MS, 'SIGINT')
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' })
  const lines = r.stdout.trim().split('\n')
  expect(lines).toHaveLength(1)
  const summary = JSON.parse(lines[0]!) as { bench: string; quick: boolean; scenarios: Scenario[] }
  expect(summary).toMatchObject({ bench: 'cluster', quick: true })
  const names = summary.scenarios.map((s) => s.name)
  expect(names).toEqual(['produce-rf1', 'per-record-rf1', 'startup', 'produce-rf3', 'per-record-rf3', 'memory', 'consume', 'latency-10k', 'latency-100k', 'round-trip', 'failover'])
  for (const s of summary.scenarios) {
    expect(s).toEqual(expect.objectContaining({ target: expect.any(String), measured: expect.any(String), met: expect.any(Boolean) }))
    expect({ name: s.name, records: s.records > 0 }).toEqual({ name: s.name, records: true })
  }
}, RUN_TIMEOUT_MS + 10_000)

test('bench cluster --secure --quick --acls 0 --json runs produce-rf3 on a plaintext and a TLS + SCRAM cluster and reports the ratio', async () => {
  const r = await runNode([BROKER_BIN, 'bench', 'cluster', '--secure', '--quick', '--acls', '0', '--json'], RUN_TIMEOUT_MS, 'SIGINT')
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' })
  const summary = JSON.parse(r.stdout.trim()) as { secure: boolean; scenarios: Array<Scenario & { recordsPerSec?: number; details?: { ratio: number } }> }
  expect(summary.secure).toBe(true)
  expect(summary.scenarios.map((s) => s.name)).toEqual(['produce-rf3 (plaintext)', 'produce-rf3 (TLS + SCRAM)', 'TLS + SCRAM / plaintext'])
  const [plain, tls, ratio] = summary.scenarios
  expect(plain!.records).toBeGreaterThan(0)
  expect(tls!.records).toBe(plain!.records)
  expect(ratio!.details!.ratio).toBeCloseTo(tls!.recordsPerSec! / plain!.recordsPerSec!, 3)
}, RUN_TIMEOUT_MS + 10_000)

test('bench cluster --secure --quick --acl-rounds 2 --json (1,000 ACLs by default) also compares produce-rf3 and consume with the ACL authorizer against none, in rounds', async () => {
  const r = await runNode([BROKER_BIN, 'bench', 'cluster', '--secure', '--quick', '--acl-rounds', '2', '--json'], RUN_TIMEOUT_MS, 'SIGINT')
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' })
  const summary = JSON.parse(r.stdout.trim()) as { scenarios: Array<Scenario & { recordsPerSec?: number; details?: { ratio: number; acls: number; runs: string } }> }
  expect(summary.scenarios.map((s) => s.name)).toEqual([
    'produce-rf3 (plaintext)', 'produce-rf3 (TLS + SCRAM)', 'TLS + SCRAM / plaintext',
    'produce-rf3 (no authorizer)', 'produce-rf3 (1000 ACLs)', 'consume (no authorizer)', 'consume (1000 ACLs)',
    'produce-rf3: 1000 ACLs / none', 'consume: 1000 ACLs / none',
  ])
  const byName = new Map(summary.scenarios.map((s) => [s.name, s]))
  for (const what of ['produce-rf3', 'consume']) {
    const without = byName.get(`${what} (no authorizer)`)!
    const withAcls = byName.get(`${what} (1000 ACLs)`)!
    // Two rounds each: both runs of the ACL side got through (the bench user's ACLs let every request pass).
    for (const side of [without, withAcls]) expect(side.details!.runs.split(' ').map(Number).filter((n) => n > 0)).toHaveLength(2)
    expect(byName.get(`${what}: 1000 ACLs / none`)!.details).toMatchObject({ acls: 1000, ratio: expect.closeTo(withAcls.recordsPerSec! / without.recordsPerSec!, 3) })
  }
}, RUN_TIMEOUT_MS + 10_000)

test('bench cluster --scenario soak at a tiny size (--kill-at): the controller is killed and restarted, every acknowledged record is consumed exactly once', async () => {
  const args = ['bench', 'cluster', '--scenario', 'soak', '--partitions', '40', '--minutes', '0.3', '--rate', '200', '--kill-at', '0.1', '--json']
  const r = await runNode([BROKER_BIN, ...args], SOAK_TIMEOUT_MS, 'SIGINT')
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' })
  const summary = JSON.parse(r.stdout.trim()) as { scenarios: Array<Scenario & { details: Record<string, number | string> }> }
  expect(summary.scenarios.map((s) => s.name)).toEqual(['soak (kill -9)'])
  const d = summary.scenarios[0]!.details
  expect(d).toMatchObject({ partitions: 40, topics: 2, lost: 0, inconsistent: 0, duplicated: 0, misplaced: 0, unknown: 0 })
  expect(d.acked).toBeGreaterThan(0)
  expect(d.delivered).toBeGreaterThanOrEqual(d.acked as number)
  expect([1, 2, 3]).toContain(d.killedNode)
  expect(d.rejoinS).toEqual(expect.any(Number))
  expect(String(d.rssPeakMiB).split('/')).toHaveLength(3)
}, SOAK_TIMEOUT_MS + 10_000)
