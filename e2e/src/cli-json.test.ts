/**
 * Every command's --json against a schema (json-shape.ts): camelCase keys, the
 * same key for the same thing across commands (`groupId`, `topic`,
 * `partitionCount`), numbers as numbers, timestamps as ISO-8601, and `[]` for
 * an empty result. Runs the built bin against a real 3-node cluster, and a
 * one-node `dev --json` on its own ports.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { freeRun, runCli, startCli } from './cli-process.js'
import { startCluster, type TestCluster } from './cluster.js'
import { arrayOf, check, mapOf, nullable, obj, type Shape } from './json-shape.js'

let cluster: TestCluster
let env: Record<string, string>

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3, logLevel: 'warn' })
  env = { TRIBUTARY_BOOTSTRAP: cluster.bootstrap.join(',') }
}, 60_000)

afterAll(async () => {
  await cluster?.stop()
})

const partitionRow = obj({ partition: 'integer', leader: 'integer', replicas: arrayOf('integer'), isr: arrayOf('integer'), leaderEpoch: 'integer', logStartOffset: nullable('integer'), highWatermark: nullable('integer'), addingReplicas: arrayOf('integer'), removingReplicas: arrayOf('integer') })
const topicDescription = obj({ topic: 'string', topicId: 'string', internal: 'boolean', partitionCount: 'integer', replicationFactor: 'integer', configs: mapOf('string'), partitions: arrayOf(partitionRow) })
const topicPartitions = obj({ topic: 'string', topicId: { oneOf: ['string', 'null'] }, partitions: arrayOf('integer') })
const member = obj({ memberId: 'string', clientId: 'string', memberEpoch: 'integer', assignment: arrayOf({ oneOf: [topicPartitions, obj({ topic: 'string', partitions: arrayOf('integer') })] }) })
const lagRow = obj({ groupId: 'string', topic: 'string', partition: 'integer', currentOffset: nullable('integer'), logEndOffset: nullable('integer'), lag: nullable('integer'), memberId: nullable('string') })
const record = obj({ topic: 'string', partition: 'integer', offset: 'integer', timestamp: 'iso', key: nullable('string'), value: nullable('string'), headers: mapOf('string') })

const SCHEMAS = {
  'topics create': obj({ topic: 'string', topicId: nullable('string'), partitionCount: 'integer', replicationFactor: 'integer', configs: mapOf('string') }),
  'topics list': arrayOf('string'),
  'topics describe <topic>': topicDescription,
  'topics describe': arrayOf(topicDescription),
  'topics alter': obj({ topic: 'string', partitionCount: 'integer', configs: mapOf('string'), deletedConfigs: arrayOf('string') }),
  'topics delete': obj({ topic: 'string', deleted: 'boolean' }),
  produce: obj({ topic: 'string', records: 'integer', bytes: 'integer' }),
  'consume (one per line)': record,
  'groups list': arrayOf(obj({ groupId: 'string', state: 'string', protocolType: 'string' })),
  'groups describe': obj({ groupId: 'string', state: 'string', groupEpoch: 'integer', members: arrayOf(member), partitions: arrayOf(lagRow) }),
  'groups reset-offsets': obj({ groupId: 'string', executed: 'boolean', offsets: arrayOf(obj({ topic: 'string', partition: 'integer', previousOffset: nullable('integer'), newOffset: 'integer' })) }),
  'groups delete': obj({ groupId: 'string', deleted: 'boolean' }),
  'groups delete-offsets': obj({ groupId: 'string', topic: 'string', deleted: 'boolean' }),
  'topics delete-records': obj({ topic: 'string', partitions: arrayOf(obj({ partition: 'integer', lowWatermark: 'integer' })) }),
  'metadata status': obj({ clusterId: nullable('string'), leaderId: 'integer', leaderEpoch: 'integer', highWatermark: 'integer', maxFollowerLag: 'integer', maxFollowerLagTimeMs: 'integer', currentVoters: arrayOf('integer'), currentObservers: arrayOf('integer') }),
  'metadata replication': arrayOf(obj({ nodeId: 'integer', logEndOffset: 'integer', lag: 'integer', lastFetchTimestamp: nullable('iso'), lastCaughtUpTimestamp: nullable('iso'), status: 'string' })),
  'metadata brokers': arrayOf(obj({ nodeId: 'integer', endpoint: 'string', brokerEpoch: 'integer', fenced: 'boolean', lastHeartbeatAgeMs: nullable('integer'), rack: nullable('string'), controller: 'boolean' })),
  'metadata log (one per line)': obj({ index: 'integer', term: 'integer', type: 'string', record: 'any' }),
  'metadata image': obj({ offset: 'integer', image: obj({ version: 'integer', clusterId: nullable('string'), offset: 'integer', brokers: arrayOf('any'), topics: arrayOf('any'), nextProducerId: 'integer', users: arrayOf(obj({ name: 'string', credentials: arrayOf(obj({ mechanism: 'string', iterations: 'integer' })) })), acls: arrayOf(obj({ id: 'string', resourceType: 'integer', resourceName: 'string', resourcePatternType: 'integer', principal: 'string', host: 'string', operation: 'integer', permissionType: 'integer' })) }) }),
  'metadata snapshots': arrayOf(obj({ index: 'integer', term: 'integer', bytes: 'integer' })),
  'users create': obj({ user: 'string', mechanism: 'string', created: 'boolean' }),
  'users alter': obj({ user: 'string', mechanism: 'string', altered: 'boolean' }),
  'users list': arrayOf(obj({ user: 'string', mechanisms: arrayOf('string') })),
  'users delete': obj({ user: 'string', mechanisms: arrayOf('string'), deleted: 'boolean' }),
  'bench produce': obj({ records: 'integer', bytes: 'integer', seconds: 'number', recordsPerSec: 'number', mbPerSec: 'number', latencyMs: obj({ p50: 'number', p95: 'number', p99: 'number', p999: 'number', max: 'number' }) }),
} satisfies Record<string, Shape>

/** Run with --json; exit 0 and one JSON document (or one per line), each matching the schema. */
async function json(args: string[], schema: Shape, opts: { input?: string; lines?: boolean } = {}): Promise<unknown> {
  const r = await runCli([...args, '--json'], { env, input: opts.input })
  expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' })
  const docs = opts.lines ? r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown) : [JSON.parse(r.stdout) as unknown]
  if (!opts.lines) expect(r.stdout.trim().split('\n')).toHaveLength(1)
  for (const d of docs) expect({ args, problems: check(d, schema) }).toEqual({ args, problems: [] })
  return opts.lines ? docs : docs[0]
}

test('an empty cluster answers [] for every list', async () => {
  expect(await json(['topics', 'list'], SCHEMAS['topics list'])).toEqual([])
  expect(await json(['topics', 'describe'], SCHEMAS['topics describe'])).toEqual([])
  expect(await json(['groups', 'list'], SCHEMAS['groups list'])).toEqual([])
  expect(await json(['metadata', 'snapshots'], SCHEMAS['metadata snapshots'])).toEqual([])
  expect(await json(['users', 'list'], SCHEMAS['users list'])).toEqual([])
})

test('users: each --json matches its schema', async () => {
  expect(await json(['users', 'create', 'shaper', '--new-password', 'pw-1'], SCHEMAS['users create'])).toEqual({ user: 'shaper', mechanism: 'SCRAM-SHA-256', created: true })
  expect(await json(['users', 'alter', 'shaper', '--new-password', 'pw-2', '--iterations', '8192'], SCHEMAS['users alter'])).toEqual({ user: 'shaper', mechanism: 'SCRAM-SHA-256', altered: true })
  expect(await json(['users', 'list'], SCHEMAS['users list'])).toEqual([{ user: 'shaper', mechanisms: ['SCRAM-SHA-256'] }])
  const image = (await json(['metadata', 'image'], SCHEMAS['metadata image'])) as { image: { users: unknown } }
  expect(image.image.users).toEqual([{ name: 'shaper', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 8192 }] }])
  expect(await json(['users', 'delete', 'shaper'], SCHEMAS['users delete'])).toEqual({ user: 'shaper', mechanisms: ['SCRAM-SHA-256'], deleted: true })
}, 60_000)

test('topics, produce, consume, groups and bench: each --json matches its schema', async () => {
  const created = await json(['topics', 'create', 'shapes', '--replication-factor', '3', '--config', 'retention.ms=86400000'], SCHEMAS['topics create'])
  // Left to the broker's default, the count is the one the cluster chose, not -1.
  expect(created).toMatchObject({ topic: 'shapes', partitionCount: 1, replicationFactor: 3, configs: { 'retention.ms': '86400000' } })
  await json(['topics', 'alter', 'shapes', '--partitions', '2', '--config', 'cleanup.policy=delete', '--delete-config', 'retention.ms'], SCHEMAS['topics alter'])
  expect(await json(['produce', 'shapes', '--key-separator', ':', '--headers', 'src=test'], SCHEMAS.produce, { input: 'k1:v1\nk2:v2\n' })).toEqual({ topic: 'shapes', records: 2, bytes: 8 })
  const described = await json(['topics', 'describe', 'shapes'], SCHEMAS['topics describe <topic>'])
  expect(described).toMatchObject({ topic: 'shapes', partitionCount: 2 })
  expect(await json(['topics', 'list'], SCHEMAS['topics list'])).toEqual(['shapes'])
  await json(['topics', 'describe'], SCHEMAS['topics describe'])

  const records = (await json(['consume', 'shapes', '--from-beginning', '--max-messages', '2', '--group', 'shapers'], SCHEMAS['consume (one per line)'], { lines: true })) as Array<{ timestamp: string }>
  expect(records).toHaveLength(2)
  for (const r of records) expect(Math.abs(Date.parse(r.timestamp) - Date.now())).toBeLessThan(10 * 60_000)

  expect(await json(['groups', 'list'], SCHEMAS['groups list'])).toEqual([expect.objectContaining({ groupId: 'shapers' })])
  await json(['groups', 'describe', 'shapers'], SCHEMAS['groups describe'])
  const reset = await json(['groups', 'reset-offsets', 'shapers', '--to-earliest', '--execute'], SCHEMAS['groups reset-offsets'])
  expect(reset).toMatchObject({ groupId: 'shapers', executed: true })
  expect(await json(['groups', 'delete-offsets', 'shapers', '--topic', 'shapes', '--partition', '1'], SCHEMAS['groups delete-offsets'])).toEqual({ groupId: 'shapers', topic: 'shapes', deleted: true })
  expect(await json(['groups', 'delete', 'shapers'], SCHEMAS['groups delete'])).toEqual({ groupId: 'shapers', deleted: true })
  await json(['bench', 'produce', '--records', '200', '--topic', 'shapes-bench', '--partitions', '1'], SCHEMAS['bench produce'])
  const trimmed = (await json(['topics', 'delete-records', 'shapes', '--offset', '-1'], SCHEMAS['topics delete-records'])) as { partitions: Array<{ partition: number; lowWatermark: number }> }
  expect(trimmed.partitions.map((p) => p.partition)).toEqual([0, 1])
  expect(trimmed.partitions.reduce((n, p) => n + p.lowWatermark, 0)).toBe(2) // both records, wherever their keys put them
  expect(await json(['topics', 'delete', 'shapes'], SCHEMAS['topics delete'])).toEqual({ topic: 'shapes', deleted: true })
}, 120_000)

test('metadata: each --json matches its schema, live and --offline', async () => {
  const status = await json(['metadata', 'status'], SCHEMAS['metadata status'])
  expect(status).toMatchObject({ currentVoters: [1, 2, 3] })
  const replication = (await json(['metadata', 'replication'], SCHEMAS['metadata replication'])) as Array<{ lastFetchTimestamp: string | null }>
  expect(replication.filter((r) => r.lastFetchTimestamp !== null).length).toBeGreaterThan(0)
  const brokers = (await json(['metadata', 'brokers'], SCHEMAS['metadata brokers'])) as Array<{ lastHeartbeatAgeMs: number | null }>
  expect(brokers).toHaveLength(3)
  await json(['metadata', 'log', '--limit', '20'], SCHEMAS['metadata log (one per line)'], { lines: true })
  await json(['metadata', 'image'], SCHEMAS['metadata image'])

  await cluster.kill(3, 'SIGTERM')
  const offline = ['--offline', '--data-dir', cluster.node(3).dataDir]
  // Offline there is no leader and no fetch times: -1 and null, never a string.
  expect(await json(['metadata', 'status', ...offline], SCHEMAS['metadata status'])).toMatchObject({ leaderId: -1 })
  const rows = (await json(['metadata', 'replication', ...offline], SCHEMAS['metadata replication'])) as Array<{ lastFetchTimestamp: string | null }>
  expect(rows.every((r) => r.lastFetchTimestamp === null)).toBe(true)
  expect(((await json(['metadata', 'brokers', ...offline], SCHEMAS['metadata brokers'])) as Array<{ lastHeartbeatAgeMs: number | null }>).every((b) => b.lastHeartbeatAgeMs === null)).toBe(true)
  await json(['metadata', 'snapshots', ...offline], SCHEMAS['metadata snapshots'])
  await cluster.restart(3)
}, 120_000)

test('dev --json: every event line matches its schema', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-devjson-'))
  const base = await freeRun(1)
  const dev = startCli(['dev', '--json', '--nodes', '1', '--data-dir', dir, '--base-port', String(base), '--log-level', 'warn'])
  const events: Record<string, Shape> = {
    started: obj({ event: 'string', bootstrap: 'string', dataDir: 'string', kafkaBootstrap: 'string', clusterSecretFile: 'string', nodes: arrayOf(obj({ nodeId: 'integer', url: 'string', kafka: 'string', dataDir: 'string', log: 'string', pid: 'integer' })) }),
    status: obj({ event: 'string', leaderId: 'integer', term: 'integer', commit: 'integer', nodesUp: 'integer', nodes: 'integer' }),
    stopped: obj({ event: 'string' }),
  }
  try {
    await cluster.waitFor(() => dev.output().includes('"nodesUp":1'), { timeoutMs: 30_000, message: `dev --json to report the node up:\n${dev.output()}` })
    dev.child.kill('SIGTERM')
    expect(await dev.exit).toBe(0)
    const lines = dev.output().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string })
    expect(lines.map((l) => l.event)).toEqual(expect.arrayContaining(['started', 'status', 'stopped']))
    for (const l of lines) expect({ l, problems: check(l, events[l.event] ?? 'null') }).toEqual({ l, problems: [] })
  } finally {
    dev.child.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  }
}, 60_000)
