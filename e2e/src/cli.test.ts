/**
 * The `tributary` command as a user runs it: the built bin.js as a subprocess
 * against a real 3-node cluster. Each command's happy path and its main error
 * path (unknown topic, unreachable bootstrap → exit 1 and one line; bad flag →
 * exit 2). Tests run in order and build on one cluster; the last ones stop node 3
 * to read it --offline, run a single broker from a --config file, and run `dev`
 * on its own ports.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { openLevelStorage } from '@tributary/storage'
import { ApiKey, ErrorCode } from '@tributary/protocol'
import { BROKER_BIN, freePort, REPO_ROOT, rpc, startCluster, type TestCluster } from './cluster.js'
import { DEV_KAFKA_PORT_OFFSET, freeRun } from './cli-process.js'

let cluster: TestCluster

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3, logLevel: 'warn' })
}, 60_000)

afterAll(async () => {
  await cluster?.stop()
})

interface Run { code: number | null; stdout: string; stderr: string }

/** Run the CLI to completion (killed after timeoutMs). */
function cli(args: string[], opts: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BROKER_BIN, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, TRIBUTARY_BOOTSTRAP: cluster.bootstrap.join(','), ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(opts.input ?? '')
  })
}

const oneLine = (s: string) => s.trim().split('\n')

/** Start the CLI and leave it running (follow modes, `dev`, `broker`); the caller signals and awaits `exit`. */
function start(args: string[]): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [BROKER_BIN, ...args], {
    cwd: REPO_ROOT,
    // Brokers among them exit when our stdin pipe closes, even if this test process is killed.
    env: { ...process.env, TRIBUTARY_BOOTSTRAP: cluster.bootstrap.join(','), TRIBUTARY_EXIT_WITH_PARENT: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c))
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (out += c))
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, output: () => out, exit }
}

/** Topic ids with partition data in a stopped node's LevelDB. */
async function storedTopicIds(dataDir: string): Promise<string[]> {
  const storage = await openLevelStorage(dataDir)
  try {
    return [...new Set((await storage.logs.list()).map((p) => p.topicId))]
  } finally {
    await storage.close()
  }
}

/** A topic's id as node 1 knows it (once the creation has reached node 1). */
const topicId = (name: string): Promise<string> =>
  cluster.waitFor(async () => (await cluster.metadata(1)).topics.find((t) => t.name === name)?.topicId, { message: `${name} on node 1` })

test('topics create, list, describe (Kafka columns), alter, and unknown topic → exit 1, one line', async () => {
  const c = await cli(['topics', 'create', 'orders', '--partitions', '3', '--replication-factor', '3', '--config', 'retention.ms=86400000'])
  expect(c).toMatchObject({ code: 0, stderr: '' })
  expect(c.stdout).toMatch(/^Created topic orders/)
  expect((await cli(['topics', 'list'])).stdout.trim().split('\n')).toContain('orders')

  const d = await cli(['topics', 'describe', 'orders'])
  expect(d.code).toBe(0)
  for (const label of ['Topic:', 'TopicId:', 'PartitionCount:', 'ReplicationFactor:', 'Configs:']) expect(d.stdout).toContain(label)
  expect(d.stdout).toMatch(/Partition\s+Leader\s+Replicas\s+Isr\s+LeaderEpoch\s+LogStart\s+HighWatermark/)
  expect(d.stdout).toContain('retention.ms=86400000')

  const j = JSON.parse((await cli(['topics', 'describe', 'orders', '--json'])).stdout)
  expect(j).toMatchObject({ topic: 'orders', partitionCount: 3, replicationFactor: 3 })

  const alter = await cli(['topics', 'alter', 'orders', '--partitions', '4'])
  expect(alter.code).toBe(0)
  expect(JSON.parse((await cli(['topics', 'describe', 'orders', '--json'])).stdout).partitionCount).toBe(4)

  const missing = await cli(['topics', 'describe', 'nope'])
  expect(missing.code).toBe(1)
  expect(oneLine(missing.stderr)).toHaveLength(1)
  expect(missing.stderr).toMatch(/UNKNOWN_TOPIC_OR_PARTITION/)
  expect(missing.stdout).toBe('')
})

test('topics alter --config sets and --delete-config removes configs; an unknown config → exit 1, one line', async () => {
  expect(await cli(['topics', 'alter', 'orders', '--config', 'retention.ms=3600000', '--config', 'max.message.bytes=65536'])).toMatchObject({ code: 0, stderr: '' })
  const set = JSON.parse((await cli(['topics', 'describe', 'orders', '--json'])).stdout)
  expect(set.configs).toMatchObject({ 'retention.ms': '3600000', 'max.message.bytes': '65536' })
  expect(await cli(['topics', 'alter', 'orders', '--delete-config', 'max.message.bytes'])).toMatchObject({ code: 0, stderr: '' })
  const removed = JSON.parse((await cli(['topics', 'describe', 'orders', '--json'])).stdout)
  expect(removed.configs['max.message.bytes']).toBeUndefined()
  expect(removed.configs['retention.ms']).toBe('3600000')

  const bad = await cli(['topics', 'alter', 'orders', '--config', 'no.such.config=1'])
  expect(bad.code).toBe(1)
  expect(oneLine(bad.stderr)).toEqual([expect.stringMatching(/no\.such\.config/)])
})

test('produce stdin lines with keys and headers; consume them back and stop after --max-messages', async () => {
  const p = await cli(['produce', 'orders', '--key-separator', ':', '--headers', 'src=cli', '--partition', '0'], { input: 'k1:one\nk2:two\nk3:three\n' })
  expect(p).toMatchObject({ code: 0, stderr: '' })

  const c = await cli(['consume', 'orders', '--from-beginning', '--max-messages', '3', '--format', 'json'])
  expect(c.code).toBe(0)
  const records = c.stdout.trim().split('\n').map((l) => JSON.parse(l))
  expect(records.map((r) => [r.key, r.value, r.headers.src, r.partition])).toEqual([
    ['k1', 'one', 'cli', 0],
    ['k2', 'two', 'cli', 0],
    ['k3', 'three', 'cli', 0],
  ])

  const fromOffset = await cli(['consume', 'orders', '--partition', '0', '--offset', '2', '--max-messages', '1'])
  expect(fromOffset).toMatchObject({ code: 0, stdout: 'three\n' })

  const unknown = await cli(['produce', 'nope'], { input: 'x\n' })
  expect(unknown.code).toBe(1)
  expect(oneLine(unknown.stderr)).toHaveLength(1)
  const unknownConsume = await cli(['consume', 'nope', '--max-messages', '1'])
  expect(unknownConsume).toMatchObject({ code: 1, stdout: '' })
  expect(oneLine(unknownConsume.stderr)).toEqual([expect.stringMatching(/UNKNOWN_TOPIC_OR_PARTITION/)])
})

test('groups: describe shows lag per partition; reset-offsets is a dry run until --execute', async () => {
  expect((await cli(['consume', 'orders', '--group', 'billing', '--from-beginning', '--max-messages', '3'])).code).toBe(0)
  expect((await cli(['groups', 'list'])).stdout).toMatch(/billing/)

  const d = await cli(['groups', 'describe', 'billing'])
  expect(d.code).toBe(0)
  expect(d.stdout).toMatch(/GROUP\s+TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG\s+MEMBER/)

  const dry = await cli(['groups', 'reset-offsets', 'billing', '--topic', 'orders', '--to-earliest', '--json'])
  expect(JSON.parse(dry.stdout)).toMatchObject({ executed: false })
  const exec = await cli(['groups', 'reset-offsets', 'billing', '--topic', 'orders', '--to-earliest', '--execute', '--json'])
  expect(exec.code).toBe(0)
  const after = JSON.parse((await cli(['groups', 'describe', 'billing', '--json'])).stdout)
  const p0 = after.partitions.find((r: { partition: number }) => r.partition === 0)
  expect(p0).toMatchObject({ currentOffset: 0, lag: 3 })

  const bad = await cli(['groups', 'reset-offsets', 'billing', '--to-earliest', '--to-latest'])
  expect(bad.code).toBe(2)
})

test('groups delete removes an empty group and its offsets; an unknown group → exit 1, one line', async () => {
  expect(await cli(['groups', 'delete', 'billing'])).toMatchObject({ code: 0, stderr: '', stdout: 'Deleted group billing.\n' })
  expect((await cli(['groups', 'list'])).stdout).not.toMatch(/billing/)
  const again = await cli(['groups', 'delete', 'billing'])
  expect(again.code).toBe(1)
  expect(oneLine(again.stderr)).toHaveLength(1)
})

test('topics delete-records moves a partition\'s log start (reads below it fail); past the high watermark → exit 1, one line; a bad --offset → exit 2', async () => {
  const r = await cli(['topics', 'delete-records', 'orders', '--offset', '1', '--partition', '0'])
  expect(r).toMatchObject({ code: 0, stderr: '' })
  expect(r.stdout).toMatch(/Partition\s+LogStart\n\s*0\s+1\n/)
  const p0 = JSON.parse((await cli(['topics', 'describe', 'orders', '--json'])).stdout).partitions[0]
  expect([p0.logStartOffset, p0.highWatermark]).toEqual([1, 3])
  expect(await cli(['consume', 'orders', '--partition', '0', '--offset', '1', '--max-messages', '2'])).toMatchObject({ code: 0, stdout: 'two\nthree\n' })
  const past = await cli(['topics', 'delete-records', 'orders', '--offset', '99', '--partition', '0'])
  expect(past.code).toBe(1)
  expect(oneLine(past.stderr)).toEqual([expect.stringMatching(/OFFSET_OUT_OF_RANGE/)])
  expect((await cli(['topics', 'delete-records', 'orders', '--offset', '-2'])).code).toBe(2)
})

test('topics delete removes the data of every replica, also of a node killed -9 right after the delete; unknown topic → exit 1, one line', async () => {
  expect((await cli(['topics', 'create', 'doomed', '--partitions', '2', '--replication-factor', '3'])).code).toBe(0)
  expect((await cli(['produce', 'doomed', '--acks', 'all'], { input: 'a\nb\nc\nd\n' })).code).toBe(0)
  const id = await topicId('doomed')
  const ordersId = await topicId('orders')
  expect(await cli(['topics', 'delete', 'doomed'])).toMatchObject({ code: 0, stdout: 'Deleted topic doomed.\n' })
  await cluster.kill(2, 'SIGKILL')
  const missing = await cli(['topics', 'delete', 'doomed'])
  expect(missing.code).toBe(1)
  expect(oneLine(missing.stderr)).toEqual([expect.stringMatching(/UNKNOWN_TOPIC_OR_PARTITION/)])

  await cluster.restart(2)
  await cluster.waitFor(async () => {
    const all = await Promise.all([1, 2, 3].map((n) => cluster.metadata(n)))
    return all.every((m) => !m.topics.some((t) => t.name === 'doomed'))
  }, { message: 'every node to apply the delete' })
  // A deletion may be cut short by kill -9 on any node: a node that starts again finishes it before it is ready.
  await Promise.all([1, 2, 3].map((n) => cluster.kill(n, 'SIGKILL')))
  await Promise.all([1, 2, 3].map((n) => cluster.restart(n)))
  await Promise.all([1, 2, 3].map((n) => cluster.kill(n, 'SIGKILL')))
  for (const n of [1, 2, 3]) {
    const stored = await storedTopicIds(cluster.node(n).dataDir)
    expect(stored).not.toContain(id)
    expect(stored).toContain(ordersId) // what is still assigned here stays
  }
  await Promise.all([1, 2, 3].map((n) => cluster.restart(n)))
})

test('metadata status --json has the Kafka quorum fields; replication and brokers list every node', async () => {
  const s = JSON.parse((await cli(['metadata', 'status', '--json'])).stdout)
  expect(Object.keys(s)).toEqual(['clusterId', 'leaderId', 'leaderEpoch', 'highWatermark', 'maxFollowerLag', 'maxFollowerLagTimeMs', 'currentVoters', 'currentObservers'])
  expect(s.currentVoters).toEqual([1, 2, 3])
  expect(s.leaderId).toBeGreaterThan(0)
  expect(s.highWatermark).toBeGreaterThan(0)

  const r = JSON.parse((await cli(['metadata', 'replication', '--json'])).stdout)
  expect(r.map((x: { status: string }) => x.status).sort()).toEqual(['Follower', 'Follower', 'Leader'])
  const b = await cli(['metadata', 'brokers'])
  expect(b.stdout.trim().split('\n')).toHaveLength(4)
})

test('metadata log shows the Topic and Partition records of a created topic, with index and term', async () => {
  const created = JSON.parse((await cli(['topics', 'create', 'audit', '--partitions', '2', '--replication-factor', '1', '--json'])).stdout)
  const log = await cli(['metadata', 'log', '--type', 'Topic,Partition', '--json'])
  expect(log.code).toBe(0)
  const entries = log.stdout.trim().split('\n').map((l) => JSON.parse(l))
  const topic = entries.find((e) => e.type === 'Topic' && e.record.name === 'audit')
  expect(topic).toBeDefined()
  expect(topic.record.topicId).toBe(created.topicId)
  expect(topic.index).toBeGreaterThan(0)
  expect(topic.term).toBeGreaterThan(0)
  expect(entries.filter((e) => e.type === 'Partition' && e.record.topicId === created.topicId)).toHaveLength(2)

  const text = await cli(['metadata', 'log'])
  expect(text.stdout).toMatch(/INDEX\s+TERM\s+TYPE\s+RECORD/)
  expect(text.stdout).toMatch(/Topic\s+name=audit/)

  const image = JSON.parse((await cli(['metadata', 'image', '--path', 'topics/audit', '--json'])).stdout)
  expect(image).toMatchObject({ name: 'audit', topicId: created.topicId })
  const tree = await cli(['metadata', 'image', '--path', 'topics/audit'])
  expect(tree.code).toBe(0)
  expect(tree.stdout).toMatch(/^name: audit$/m)
  expect(tree.stdout).toMatch(new RegExp(`^topicId: ${created.topicId}$`, 'm'))
  expect(tree.stdout).toMatch(/^partitions:$/m)
})

test('metadata log --follow prints a record as soon as it commits, and exits 0 on Ctrl-C', async () => {
  const f = start(['metadata', 'log', '--follow', '--type', 'Topic', '--json'])
  try {
    await cluster.waitFor(() => f.output().includes('"name":"audit"'), { message: 'the log so far' })
    expect((await cli(['topics', 'create', 'followed', '--partitions', '1', '--replication-factor', '1'])).code).toBe(0)
    await cluster.waitFor(() => f.output().includes('"name":"followed"'), { timeoutMs: 10_000, message: 'the new Topic record' })
    f.child.kill('SIGINT')
    expect(await f.exit).toBe(0)
    expect(f.output().trim().split('\n').every((l) => JSON.parse(l).type === 'Topic')).toBe(true)
  } finally {
    f.child.kill('SIGKILL')
  }
})

test('bench produce --json prints exactly one result object', async () => {
  const r = await cli(['bench', 'produce', '--records', '2000', '--size', '64', '--topic', 'bench', '--json'], { timeoutMs: 60_000 })
  expect(r.code).toBe(0)
  const lines = r.stdout.trim().split('\n')
  expect(lines).toHaveLength(1)
  const o = JSON.parse(lines[0]!)
  expect(Object.keys(o)).toEqual(['records', 'bytes', 'seconds', 'recordsPerSec', 'mbPerSec', 'latencyMs'])
  expect(o).toMatchObject({ records: 2000, bytes: 128_000 })
  expect(Object.keys(o.latencyMs)).toEqual(['p50', 'p95', 'p99', 'p999', 'max'])

  const consumed = await cli(['bench', 'consume', '--records', '2000', '--topic', 'bench', '--json'], { timeoutMs: 60_000 })
  expect(consumed).toMatchObject({ code: 0, stderr: '' })
  expect(JSON.parse(consumed.stdout)).toMatchObject({ records: 2000, bytes: 128_000 })

  const latency = await cli(['bench', 'latency', '--records', '200', '--size', '32', '--rate', '2000', '--topic', 'bench-latency', '--json'], { timeoutMs: 60_000 })
  expect(latency.code).toBe(0)
  const latencyLines = latency.stdout.trim().split('\n')
  expect(latencyLines).toHaveLength(1)
  const l = JSON.parse(latencyLines[0]!)
  expect(l).toMatchObject({ records: 200 })
  expect(Object.keys(l.latencyMs)).toEqual(['p50', 'p95', 'p99', 'p999', 'max'])
  expect(l.latencyMs.max).toBeGreaterThanOrEqual(l.latencyMs.p50)
})

test('bad flags → exit 2, one line; unreachable bootstrap → exit 1, one line', async () => {
  const bad = await cli(['topics', 'list', '--bogus'])
  expect(bad.code).toBe(2)
  expect(oneLine(bad.stderr)).toHaveLength(1)
  expect(bad.stdout).toBe('') // the command must not have run
  const badValue = await cli(['topics', 'create', 'x', '--partitions', '0'])
  expect(badValue.code).toBe(2)
  expect(badValue.stderr).toMatch(/--partitions/)
  const broker = await cli(['broker', '--node-id', 'x', '--listen', 'ws://127.0.0.1:1', '--data-dir', '/tmp/x', '--voters', '1@ws://127.0.0.1:1'])
  expect(broker.code).toBe(2)
  expect(broker.stderr).toMatch(/^error: --node-id/)

  const port = await freePort()
  const down = await cli(['metadata', 'status', '--bootstrap', `ws://127.0.0.1:${port}`, '--timeout', '2000'])
  expect(down.code).toBe(1)
  expect(oneLine(down.stderr)).toEqual([`error: cannot reach the cluster at ws://127.0.0.1:${port}: ECONNREFUSED (no cluster running? \`npm start\` runs one here)`])
})

test('--offline on a stopped node agrees with what the live node reported', async () => {
  const live = JSON.parse((await cli(['metadata', 'image', '--json', '--bootstrap', cluster.node(3).url])).stdout)
  const liveStatus = JSON.parse((await cli(['metadata', 'status', '--json', '--bootstrap', cluster.node(3).url])).stdout)
  const rows = (out: string) => out.trim().split('\n').map((l) => JSON.parse(l))
  const liveLog = rows((await cli(['metadata', 'log', '--json', '--bootstrap', cluster.node(3).url])).stdout)
  await cluster.kill(3, 'SIGTERM')
  const off = await cli(['metadata', 'image', '--json', '--offline', '--data-dir', cluster.node(3).dataDir])
  expect(off.code).toBe(0)
  const image = JSON.parse(off.stdout)
  expect(image.image.clusterId).toBe(live.image.clusterId)
  const shape = (img: { topics: Array<{ name: string; topicId: string; partitions: unknown[] }> }) => img.topics.map((t) => [t.name, t.topicId, t.partitions.length])
  expect(shape(image.image)).toEqual(shape(live.image))
  expect(image.offset).toBeGreaterThanOrEqual(live.offset)

  const status = JSON.parse((await cli(['metadata', 'status', '--json', '--offline', '--data-dir', cluster.node(3).dataDir])).stdout)
  expect(status).toMatchObject({ clusterId: liveStatus.clusterId, leaderId: -1 })
  expect(status.leaderEpoch).toBeGreaterThanOrEqual(liveStatus.leaderEpoch)
  const log = (await cli(['metadata', 'log', '--json', '--offline', '--data-dir', cluster.node(3).dataDir, '--type', 'Topic'])).stdout
  expect(log).toContain('"name":"audit"')
  // The whole log, row for row, including the LeaderChange row of each election's no-op entry (the node stopped later: it may hold more).
  const offLog = rows((await cli(['metadata', 'log', '--json', '--offline', '--data-dir', cluster.node(3).dataDir])).stdout)
  expect(liveLog.filter((e) => e.type === 'LeaderChange').length).toBeGreaterThan(1)
  expect(offLog.slice(0, liveLog.length)).toEqual(liveLog)
})

test('broker --config FILE: the file\'s options are honoured; an unknown key → exit 2 naming it', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-config-'))
  const file = path.join(dir, 'broker.json')
  const port = await freePort()
  const url = `ws://127.0.0.1:${port}`
  // A snapshot every 2 entries (the default is 1000): `metadata snapshots` shows the file was read.
  await writeFile(file, JSON.stringify({ nodeId: 7, listen: url, dataDir: path.join(dir, 'data'), voters: `7@${url}`, metadataSnapshotIntervalEntries: 2, logLevel: 'warn' }))
  const b = start(['broker', '--config', file])
  try {
    await cluster.waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) })).status === 200, { message: 'the broker started from --config to be ready' })
    const brokers = JSON.parse((await cli(['metadata', 'brokers', '--json', '--bootstrap', url])).stdout)
    expect(brokers.map((x: { nodeId: number }) => x.nodeId)).toEqual([7])
    const snapshots = await cluster.waitFor(async () => {
      const r = JSON.parse((await cli(['metadata', 'snapshots', '--json', '--bootstrap', url])).stdout)
      return r.length > 0 ? r : undefined
    }, { message: 'a metadata snapshot' })
    expect(snapshots).toEqual([{ index: expect.any(Number), term: expect.any(Number), bytes: expect.any(Number) }])
    expect(snapshots[0].index).toBeGreaterThanOrEqual(2)
    const text = await cli(['metadata', 'snapshots', '--bootstrap', url])
    expect(text.stdout).toMatch(new RegExp(`^INDEX\\s+TERM\\s+BYTES\\s*\\n\\s*${snapshots[0].index}\\s`))
    b.child.kill('SIGTERM')
    expect(await b.exit).toBe(0)

    await writeFile(file, JSON.stringify({ nodeId: 7, listen: url, bogusOption: 1 }))
    const bad = await cli(['broker', '--config', file])
    expect(bad.code).toBe(2)
    expect(oneLine(bad.stderr)).toEqual([expect.stringMatching(/bogusOption/)])
  } finally {
    b.child.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  }
})

test('dev starts a cluster, reports a leader, refuses busy ports, stops cleanly on SIGTERM, and resumes on the same data', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-dev-'))
  const base = await freeRun(3)
  const child = spawn(process.execPath, [BROKER_BIN, 'dev', '--data-dir', dir, '--base-port', String(base), '--log-level', 'warn'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  let resumed: ReturnType<typeof start> | undefined
  try {
    await cluster.waitFor(() => /leader [1-3] {2}term \d+ {2}commit \d+ {2}nodes up 3\/3/.test(out), { timeoutMs: 60_000, message: 'dev to report a leader' }).catch((err: Error) => { throw new Error(`${err.message.split('\n')[0]}; dev printed:\n${out}`) })
    expect(out).toContain(`bootstrap: ws://127.0.0.1:${base},ws://127.0.0.1:${base + 1},ws://127.0.0.1:${base + 2}`)
    const k = base + DEV_KAFKA_PORT_OFFSET
    expect(out).toContain(`Kafka clients (kcat, KafkaJS, librdkafka): bootstrap.servers=127.0.0.1:${k},127.0.0.1:${k + 1},127.0.0.1:${k + 2}`)

    const busy = await cli(['dev', '--data-dir', dir, '--base-port', String(base)])
    expect(busy.code).toBe(1)
    expect(oneLine(busy.stderr)).toEqual([expect.stringMatching(new RegExp(`port ${base} .* in use`))])
    const devBootstrap = `ws://127.0.0.1:${base},ws://127.0.0.1:${base + 1},ws://127.0.0.1:${base + 2}`
    expect((await cli(['topics', 'create', 'kept', '--partitions', '1', '--replication-factor', '3', '--bootstrap', devBootstrap])).code).toBe(0)
    // Secured by default: a secret only the owner may read, and a connection without it cannot act as a broker.
    const secretFile = path.join(dir, 'cluster.secret')
    expect((await stat(secretFile)).mode & 0o777).toBe(0o600)
    const secret = (await readFile(secretFile, 'utf8')).trim()
    expect(secret).toMatch(/^[0-9a-f]{64}$/)
    const raw = await rpc(`ws://127.0.0.1:${base}`)
    try {
      expect((await raw.request(ApiKey.UnregisterBroker, { nodeId: 2 })).errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
    } finally {
      raw.close()
    }

    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(out).toMatch(/stopped\n$/)

    // Rerun on the same --data-dir: the cluster resumes with what it had.
    resumed = start(['dev', '--data-dir', dir, '--base-port', String(base), '--log-level', 'warn'])
    const again = resumed
    await cluster.waitFor(() => /leader [1-3] {2}term \d+ {2}commit \d+ {2}nodes up 3\/3/.test(again.output()), { timeoutMs: 30_000, message: 'the resumed dev to report a leader' })
    const topics = await cli(['topics', 'list', '--bootstrap', devBootstrap])
    expect(topics.stdout.trim().split('\n')).toContain('kept')
    again.child.kill('SIGTERM')
    expect(await again.exit).toBe(0)
    // The same secret across the restart (the nodes knew each other again), and in no node's log.
    expect((await readFile(secretFile, 'utf8')).trim()).toBe(secret)
    for (const id of [1, 2, 3]) {
      const log = await readFile(path.join(dir, `node-${id}.log`), 'utf8')
      expect(log).not.toContain(secret)
    }
  } finally {
    child.kill('SIGKILL')
    resumed?.child.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  }
}, 120_000)
