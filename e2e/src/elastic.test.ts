/**
 * The elastic cluster with real processes on loopback: preferred leadership
 * returning after a restart, and growing from 3 to 5 brokers under an
 * idempotent acks=all workload — a generated plan executed and verified, a
 * reassignment cancelled halfway, the controller and then the moving
 * partition's leader killed (-9) in the middle of one, a broker drained — with
 * the Jepsen-style checker finding nothing lost, duplicated or out of order.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Tributary, type Admin } from '@tributary/client'
import { examples, summarize } from './checker.js'
import { runCli } from './cli-process.js'
import { startCluster, type TestCluster } from './cluster.js'
import { partitionsOf } from './faults/final-read.js'
import { checkWorkload } from './faults/check-workload.js'
import { Workload } from './faults/workload.js'

const CHECK_INTERVAL_MS = 2000
/** Headroom over the two check intervals for a loaded machine: the broker's own timers are what is measured. */
const LOAD_SLACK_MS = 3000

/** Partitions of `topic` this node hosts, from its /metrics (one log_end_offset series per hosted replica). */
async function hosted(cluster: TestCluster, nodeId: number, topic: string): Promise<number[]> {
  const { text } = await cluster.http(nodeId, '/metrics')
  const out: number[] = []
  for (const m of text.matchAll(/^tributary_partition_log_end_offset\{([^}]*)\}/gm)) {
    const labels = m[1]!
    if (labels.includes(`topic="${topic}"`)) out.push(Number(/partition="(\d+)"/.exec(labels)![1]))
  }
  return out.sort((a, b) => a - b)
}

async function cli(cluster: TestCluster, args: string[], bootstrap = cluster.bootstrap.slice(0, 3)) {
  return runCli([...args, '--bootstrap', bootstrap.join(',')], { timeoutMs: 30_000 })
}

describe('preferred leader election', () => {
  let cluster: TestCluster
  let client: Tributary
  afterAll(async () => {
    await client?.close()
    await cluster?.stop()
  })

  test('after a restarted broker catches up, its preferred leaderships return within two check intervals', async () => {
    cluster = await startCluster({ nodes: 3, brokerArgs: ['--leader-imbalance-check-interval-ms', String(CHECK_INTERVAL_MS)] })
    client = new Tributary({ brokers: cluster.bootstrap, clientId: 'elastic-pref' })
    const admin = client.admin()
    await admin.createTopic({ topic: 'pref', partitions: 6, replicationFactor: 3 })
    const producer = client.producer({ acks: 'all', idempotent: true })
    for (let p = 0; p < 6; p++) await producer.send({ topic: 'pref', messages: [{ value: `before-${p}`, partition: p }] })
    const initial = await partitionsOf(cluster, 'pref')
    expect(initial.every((p) => p.leader === p.replicas[0])).toBe(true)
    const controller = (await cluster.metadata(1)).controllerId
    const victim = [1, 2, 3].find((id) => id !== controller)!
    const survivor = [1, 2, 3].find((id) => id !== victim)!
    await cluster.kill(victim)
    await cluster.waitFor(async () => (await cluster.metadata(survivor)).topics.find((t) => t.name === 'pref')!.partitions.every((p) => p.leader !== victim), { message: `leadership off broker ${victim}` })
    // writes while it is away: it must catch up before it may lead again
    for (let p = 0; p < 6; p++) await producer.send({ topic: 'pref', messages: [{ value: `during-${p}`, partition: p }] })
    await cluster.restart(victim)
    await cluster.waitFor(async () => (await partitionsOf(cluster, 'pref')).every((p) => p.isr.includes(victim)), { message: `broker ${victim} back in every ISR`, timeoutMs: 30_000 })
    const caughtUp = Date.now()
    await cluster.waitFor(async () => (await partitionsOf(cluster, 'pref')).every((p) => p.leader === p.replicas[0]), {
      message: 'every partition led by its preferred replica', timeoutMs: 2 * CHECK_INTERVAL_MS + LOAD_SLACK_MS, intervalMs: 100,
    })
    console.log(`preferred leadership returned ${Date.now() - caughtUp} ms after broker ${victim} was back in sync (check interval ${CHECK_INTERVAL_MS} ms)`)
    await producer.disconnect()
  }, 120_000)
})

describe('growing from 3 to 5 brokers under load', () => {
  let cluster: TestCluster
  let client: Tributary
  let admin: Admin
  let dir: string
  let workload: Workload | undefined
  const TOPIC = 'orders'
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-elastic-'))
    cluster = await startCluster({ nodes: 5, voters: 3, startNodes: 3, brokerArgs: ['--auto-leader-rebalance', 'false'] })
    client = new Tributary({ brokers: cluster.bootstrap.slice(0, 3), clientId: 'elastic-admin' })
    admin = client.admin()
  }, 60_000)
  afterAll(async () => {
    await workload?.close()
    await client?.close()
    await cluster?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  const assignment = async () => (await partitionsOf(cluster, TOPIC)).map((p) => ({ ...p }))

  test('generate, execute and verify a plan; cancel one halfway; kill -9 the controller and the leader mid-move; drain a broker; nothing acknowledged is lost', async () => {
    let phaseStart = Date.now()
    const phases: string[] = []
    const phase = (name: string) => { phases.push(`${name} ${Date.now() - phaseStart} ms`); phaseStart = Date.now() }
    await admin.createTopic({ topic: TOPIC, partitions: 6, replicationFactor: 3, config: { 'min.insync.replicas': '2' } })
    const w = new Workload({ bootstrap: cluster.bootstrap.slice(0, 3), topic: TOPIC, partitions: 6, groupId: 'elastic', producers: 2, consumers: 1, sendGapMs: 5 })
    workload = w
    await w.startConsumers()
    w.startProducers()
    await cluster.waitFor(() => w.acked.length >= 200, { message: 'the workload running', timeoutMs: 30_000 })

    // --- grow: two new brokers register and receive nothing yet
    await cluster.restart(4)
    await cluster.restart(5)
    expect(await hosted(cluster, 4, TOPIC)).toEqual([])

    phase('grow')
    // --- generate, execute, verify
    const generated = await cli(cluster, ['partitions', 'reassign', '--generate', '--brokers', '1,2,3,4,5', '--topics', TOPIC, '--json'])
    expect(generated).toMatchObject({ code: 0, stderr: '' })
    const plan = JSON.parse(generated.stdout).proposed as { partitions: Array<{ partition: number; replicas: number[] }> }
    expect(plan.partitions.length).toBeGreaterThan(0)
    const planFile = path.join(dir, 'plan.json')
    await writeFile(planFile, JSON.stringify(plan))
    expect(await cli(cluster, ['partitions', 'reassign', '--execute', planFile])).toMatchObject({ code: 0 })
    // kill -9 an adding replica at once: it comes back, catches up, and the moves still complete
    await cluster.kill(4)
    await cluster.restart(4)
    await cluster.waitFor(async () => (await cli(cluster, ['partitions', 'reassign', '--verify', planFile])).code === 0, { message: 'the plan complete', timeoutMs: 60_000, intervalMs: 500 })
    const balanced = await assignment()
    const replicasOn = (id: number) => balanced.filter((p) => p.replicas.includes(id)).length
    const preferredOn = (id: number) => balanced.filter((p) => p.replicas[0] === id).length
    for (const id of [1, 2, 3, 4, 5]) {
      expect([3, 4]).toContain(replicasOn(id)) // 18 replicas over 5 brokers
      expect([1, 2]).toContain(preferredOn(id)) // 6 preferred leaders over 5 brokers
    }
    // removed replicas are dropped (and their data deleted) on the brokers that held them
    await cluster.waitFor(async () => {
      for (const id of [1, 2, 3, 4, 5]) {
        const want = balanced.filter((p) => p.replicas.includes(id)).map((p) => p.partition)
        if ((await hosted(cluster, id, TOPIC)).join(',') !== want.join(',')) return false
      }
      return true
    }, { message: 'each broker hosting exactly its assigned replicas' })

    phase('reassign + verify')
    // --- an explicit preferred election puts every leader on its first replica
    expect(await cli(cluster, ['partitions', 'elect-leaders'])).toMatchObject({ code: 0 })
    await cluster.waitFor(async () => (await assignment()).every((p) => p.leader === p.replicas[0]), { message: 'preferred leaders after elect-leaders' })

    phase('elect-leaders')
    // --- cancel halfway: one adding replica (live) copies, the other (broker 5, down) never can
    const moving = balanced.find((p) => !p.replicas.includes(5))!
    const live = [1, 2, 3, 4].find((id) => !moving.replicas.includes(id))!
    await cluster.kill(5)
    await admin.alterPartitionReassignments({ topics: [{ topic: TOPIC, partitions: [{ partition: moving.partition, replicas: [moving.replicas[0]!, live, 5] }] }] })
    await cluster.waitFor(async () => (await partitionsOf(cluster, TOPIC)).find((p) => p.partition === moving.partition)!.isr.includes(live), { message: `adding replica ${live} in sync` })
    expect((await admin.listPartitionReassignments()).map((r) => r.partition)).toEqual([moving.partition])
    // Broker 5 was just killed: until its leaderships move, a describe that asks it for offsets fails; ask again.
    let described = { code: -1 as number | null, stdout: '', stderr: '' }
    await cluster.waitFor(async () => {
      described = await cli(cluster, ['topics', 'describe', TOPIC])
      return described.code === 0
    }, { message: 'topics describe to answer' }).catch((err: Error) => { throw new Error(`${err.message}\nlast describe: ${described.stderr}`) })
    expect(described.stdout).toMatch(/AddingReplicas\s+RemovingReplicas/)
    expect(await cli(cluster, ['partitions', 'reassign', '--cancel'])).toMatchObject({ code: 0 })
    await cluster.waitFor(async () => {
      const p = (await partitionsOf(cluster, TOPIC)).find((x) => x.partition === moving.partition)!
      return [...p.replicas].sort().join(',') === [...moving.replicas].sort().join(',') && !(await hosted(cluster, live, TOPIC)).includes(moving.partition)
    }, { message: 'the original replicas back and the partial copy deleted' })
    expect(await admin.listPartitionReassignments()).toEqual([])

    phase('cancel')
    // --- kill -9 the controller, then the partition's leader, while a reassignment waits for broker 5
    await admin.alterPartitionReassignments({ topics: [{ topic: TOPIC, partitions: [{ partition: moving.partition, replicas: [5, ...moving.replicas.slice(1)] }] }] })
    const controller = (await cluster.metadata(1)).controllerId
    expect(controller).toBeGreaterThan(0)
    await cluster.kill(controller)
    const other = [1, 2, 3].find((id) => id !== controller)!
    await cluster.waitFor(async () => { const c = (await cluster.metadata(other)).controllerId; return c > 0 && c !== controller }, { message: 'a new controller' })
    await cluster.restart(controller)
    // ... and kill -9 the partition's leader (whichever replica leads it now) while the move still waits
    const leading = (await partitionsOf(cluster, TOPIC)).find((x) => x.partition === moving.partition)!.leader
    await cluster.kill(leading)
    await cluster.waitFor(async () => { const l = (await partitionsOf(cluster, TOPIC)).find((x) => x.partition === moving.partition)!.leader; return l > 0 && l !== leading }, { message: 'a new leader mid-move' })
    await cluster.restart(leading)
    await cluster.restart(5)
    await cluster.waitFor(async () => {
      const p = (await partitionsOf(cluster, TOPIC)).find((x) => x.partition === moving.partition)!
      return p.replicas.join(',') === [5, ...moving.replicas.slice(1)].join(',') && (await admin.listPartitionReassignments()).length === 0
    }, { message: 'the reassignment completed under the new controller', timeoutMs: 30_000 })

    phase('controller + leader kill')
    // --- drain broker 4 under load, then stop it: nothing is left under-replicated
    const drained = await cli(cluster, ['brokers', 'drain', '4', '--json'])
    expect(drained).toMatchObject({ code: 0, stderr: '' })
    expect(JSON.parse(drained.stdout)).toMatchObject({ broker: 4, drained: true })
    const listed = JSON.parse((await cli(cluster, ['brokers', 'list', '--json'])).stdout) as Array<{ nodeId: number; replicas: number; leaders: number }>
    expect(listed.find((b) => b.nodeId === 4)).toMatchObject({ replicas: 0, leaders: 0 })
    await cluster.kill(4)
    await cluster.waitFor(async () => (await partitionsOf(cluster, TOPIC)).every((p) => !p.replicas.includes(4) && p.isr.length === p.replicas.length && p.leader > 0), { message: 'nothing under-replicated after stopping the drained broker' })

    phase('drain')
    // --- the checker: nothing acknowledged lost, duplicated or out of order
    const result = await checkWorkload(cluster, TOPIC, w)
    phase('final read')
    console.log(`${phases.join('\n')}\n${summarize(result, { acked: w.acked.length, indeterminate: w.indeterminate.length })}`)
    expect({ valid: result.valid, anomalies: examples(result) }).toEqual({ valid: true, anomalies: '' })
    expect(w.acked.length).toBeGreaterThan(200)
  }, 300_000)
})
