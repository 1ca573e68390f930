/**
 * The reassignment throttle as a dynamic broker config, on real processes:
 * `partitions reassign --execute --throttle` sets it on the brokers of the move
 * without a restart, the copy obeys it (bytes copied over a window against the
 * rate, never a timed assertion on the machine's speed), it survives a kill -9
 * of the receiving broker, lifting it live lets the move finish, and `--verify`
 * removes it once the move is complete.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { setTimeout as delay } from 'node:timers/promises'
import os from 'node:os'
import path from 'node:path'
import { FOLLOWER_THROTTLED_RATE, LEADER_THROTTLED_RATE } from '@tributary/broker'
import { Tributary } from '@tributary/client'
import { runCli } from './cli-process.js'
import { startCluster, type TestCluster } from './cluster.js'

const TOPIC = 'moving'
const RECORD_BYTES = 64 * 1024
/** 16 MiB, one record per batch so a fetch overdraws the throttle by at most one small batch */
const RECORDS = 256
/** 16 MiB at 512 KiB/s takes over 30 s: room for the CLI runs (node start-up, seconds on a loaded machine) before the move could end */
const RATE_BYTES = 512 * 1024
/** What one batch adds to its record's value (batch and record headers), with room to spare. */
const BATCH_OVERHEAD_BYTES = 256
/** The bucket's one second of burst on top of the rate, and a fetch's overdraft of one batch per bucket (leader and follower). */
const allowedBytes = (elapsedMs: number) => RATE_BYTES * (elapsedMs / 1000 + 1) + 2 * (RECORD_BYTES + BATCH_OVERHEAD_BYTES)
const SAMPLE_EVERY_MS = 200

let cluster: TestCluster
let client: Tributary
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-throttle-'))
  cluster = await startCluster({ nodes: 3 })
  client = new Tributary({ brokers: cluster.bootstrap, clientId: 'e2e-throttle' })
}, 60_000)

afterAll(async () => {
  await client?.close()
  await cluster?.stop()
  await rm(dir, { recursive: true, force: true })
}, 30_000)

const cli = (args: string[]) => runCli([...args, '--bootstrap', cluster.bootstrap.join(',')], { timeoutMs: 30_000 })

/** Records of TOPIC partition 0 broker `nodeId` holds (its log end offset, from /metrics); 0 before it hosts the replica. */
async function copiedRecords(nodeId: number): Promise<number> {
  const { text } = await cluster.http(nodeId, '/metrics')
  for (const m of text.matchAll(/^tributary_partition_log_end_offset\{([^}]*)\} (\d+)/gm)) {
    if (m[1]!.includes(`topic="${TOPIC}"`) && m[1]!.includes('partition="0"')) return Number(m[2])
  }
  return 0
}

/** The throttle rates broker `nodeId` reports, with where each comes from. */
async function rates(nodeId: number): Promise<Record<string, { value: string; source: string }>> {
  const r = await cli(['configs', 'describe', '--broker', String(nodeId), '--json'])
  expect(r).toMatchObject({ code: 0, stderr: '' })
  const configs = (JSON.parse(r.stdout) as { configs: Array<{ name: string; value: string; source: string }> }).configs
  return Object.fromEntries(configs.filter((c) => c.name === LEADER_THROTTLED_RATE || c.name === FOLLOWER_THROTTLED_RATE).map((c) => [c.name, { value: c.value, source: c.source }]))
}

/**
 * Samples broker 2's copy for `windowMs` from `startMs` on: at every sample the
 * bytes copied since `fromRecords` stay within what the rate allows for the time
 * since `startMs` (which only over-counts the time, so the bound is loose).
 */
async function copyObeysRate(startMs: number, fromRecords: number, windowMs: number): Promise<number> {
  let copied = fromRecords
  while (Date.now() - startMs < windowMs) {
    copied = await copiedRecords(2)
    const elapsedMs = Date.now() - startMs
    expect({ elapsedMs, copiedBytes: (copied - fromRecords) * RECORD_BYTES, within: (copied - fromRecords) * RECORD_BYTES <= allowedBytes(elapsedMs) }).toMatchObject({ within: true })
    await delay(SAMPLE_EVERY_MS) // the sampling pace: nothing waits on this for a condition
  }
  return copied
}

test('--execute --throttle sets the rate live; the copy obeys it, also after a kill -9; lifted, the move completes; --verify removes it', async () => {
  await client.admin().createTopic({ topic: TOPIC, partitions: 1, replicationFactor: 1, assignments: [[1]] })
  const producer = client.producer({ acks: 1, lingerMs: 0 })
  const value = new Uint8Array(RECORD_BYTES).fill(7)
  for (let i = 0; i < RECORDS; i++) await producer.send({ topic: TOPIC, messages: [{ value, partition: 0 }] })
  await producer.close()
  expect(await copiedRecords(1)).toBe(RECORDS)

  // the move: broker 1's only replica goes to broker 2, throttled on both
  const plan = path.join(dir, 'plan.json')
  await writeFile(plan, JSON.stringify({ version: 1, partitions: [{ topic: TOPIC, partition: 0, replicas: [2] }] }))
  const started = Date.now()
  const executed = await cli(['partitions', 'reassign', '--execute', plan, '--throttle', '512KiB'])
  expect(executed).toMatchObject({ code: 0, stderr: '' })
  expect(executed.stdout).toContain(`The inter-broker throttle limit was set to ${RATE_BYTES} B/s on brokers 1,2`)
  // at 512 KiB/s, 2 s more of copying (however long the CLI took) move a small part of 16 MiB, and the move is not complete
  const copied = await copyObeysRate(started, 0, Date.now() - started + 2000)
  expect(copied).toBeLessThan(RECORDS)
  expect(await client.admin().listPartitionReassignments()).toEqual([expect.objectContaining({ topic: TOPIC, partition: 0, addingReplicas: [2], removingReplicas: [1] })])
  expect(await rates(2)).toEqual({ [LEADER_THROTTLED_RATE]: { value: String(RATE_BYTES), source: 'dynamic-broker' }, [FOLLOWER_THROTTLED_RATE]: { value: String(RATE_BYTES), source: 'dynamic-broker' } })
  expect((await rates(3))[FOLLOWER_THROTTLED_RATE]).toEqual({ value: '0', source: 'default' }) // not part of the move
  const inProgress = await cli(['partitions', 'reassign', '--verify', plan, '--json'])
  expect(inProgress.code).toBe(1)
  expect(JSON.parse(inProgress.stdout)).toMatchObject({ partitions: [{ status: 'in progress' }], throttleRemoved: false })
  expect((await rates(1))[LEADER_THROTTLED_RATE]).toEqual({ value: String(RATE_BYTES), source: 'dynamic-broker' }) // still set: the move goes on

  // kill -9 the receiving broker: the setting lives in the metadata log, so it is in force again when it is back
  await cluster.kill(2)
  await cluster.restart(2)
  expect((await rates(2))[FOLLOWER_THROTTLED_RATE]).toEqual({ value: String(RATE_BYTES), source: 'dynamic-broker' })
  const resumed = Date.now()
  const before = await copiedRecords(2)
  await copyObeysRate(resumed, before, 1500)

  // lifted live (0 = unthrottled, still a dynamic setting): the rest copies and the move completes
  for (const id of [1, 2]) expect(await cli(['configs', 'alter', '--broker', String(id), '--add-config', `${LEADER_THROTTLED_RATE}=0,${FOLLOWER_THROTTLED_RATE}=0`])).toMatchObject({ code: 0 })
  let verified = { code: null as number | null, stdout: '' }
  await cluster.waitFor(async () => (verified = await cli(['partitions', 'reassign', '--verify', plan])).code === 0, { message: 'the move complete', timeoutMs: 60_000, intervalMs: 500 })
  expect(verified.stdout).toContain('Throttle was removed.')
  expect(await copiedRecords(2)).toBe(RECORDS)
  for (const id of [1, 2]) expect(await rates(id)).toEqual({ [LEADER_THROTTLED_RATE]: { value: '0', source: 'default' }, [FOLLOWER_THROTTLED_RATE]: { value: '0', source: 'default' } })
  const described = await client.admin().describeTopic(TOPIC)
  expect(described.partitions[0]).toMatchObject({ replicas: [2], leader: 2 })
}, 180_000)

test('configs alter: the cluster default applies where a broker has none of its own; a bad name or value is refused with the reason, changing nothing', async () => {
  expect(await cli(['configs', 'alter', '--broker-defaults', '--add-config', `${FOLLOWER_THROTTLED_RATE}=3000000`])).toMatchObject({ code: 0, stdout: expect.stringContaining('the broker defaults') })
  expect(await cli(['configs', 'alter', '--broker', '1', '--add-config', `${FOLLOWER_THROTTLED_RATE}=1000`])).toMatchObject({ code: 0 })
  expect((await rates(3))[FOLLOWER_THROTTLED_RATE]).toEqual({ value: '3000000', source: 'dynamic-default-broker' })
  expect((await rates(1))[FOLLOWER_THROTTLED_RATE]).toEqual({ value: '1000', source: 'dynamic-broker' })
  const defaults = await cli(['configs', 'describe', '--broker-defaults', '--json'])
  expect(JSON.parse(defaults.stdout)).toEqual({ type: 'broker', name: '', configs: [{ name: FOLLOWER_THROTTLED_RATE, value: '3000000', isDefault: false, readOnly: false, source: 'dynamic-default-broker' }] })

  const unknown = await cli(['configs', 'alter', '--broker', '3', '--add-config', 'log.retention.hours=1'])
  expect(unknown.code).toBe(1)
  expect(unknown.stderr).toMatch(/'log.retention.hours' is not a dynamic broker config/)
  const badValue = await cli(['configs', 'alter', '--broker', '3', '--add-config', `${LEADER_THROTTLED_RATE}=fast`])
  expect(badValue.code).toBe(1)
  expect(badValue.stderr).toMatch(/'fast' is not a rate in bytes\/s/)
  expect((await rates(3))[LEADER_THROTTLED_RATE]).toEqual({ value: '0', source: 'default' })

  for (const target of [['--broker-defaults'], ['--broker', '1']]) expect(await cli(['configs', 'alter', ...target, '--delete-config', FOLLOWER_THROTTLED_RATE])).toMatchObject({ code: 0 })
  expect((await rates(3))[FOLLOWER_THROTTLED_RATE]).toEqual({ value: '0', source: 'default' })
}, 60_000)
