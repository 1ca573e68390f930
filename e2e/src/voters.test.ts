/**
 * Dynamic quorum membership with real processes on loopback (KIP-853): under an
 * idempotent acks=all workload, observer 4 becomes a voter and old voter 1 is
 * removed, the Raft leader killed (-9) during each change; then broker 5 is
 * drained, stopped and unregistered. Checked: one leader per term (every node's
 * DescribeQuorum polled throughout), the voter set `metadata status` shows, nothing
 * acknowledged lost (the checker), nothing under-replicated.
 *
 * The cluster has no cluster secret, so the anonymous CLI is an operator for
 * `brokers unregister` (on a secured cluster an operator authenticates:
 * packages/broker/src/controller/unregister-access.test.ts).
 */
import { examples, summarize } from './checker.js'
import { runCli } from './cli-process.js'
import { startCluster, type TestCluster } from './cluster.js'
import { partitionsOf } from './faults/final-read.js'
import { checkWorkload } from './faults/check-workload.js'
import { LeaderWatch } from './faults/leader-watch.js'
import { Workload } from './faults/workload.js'

const TOPIC = 'voters'

async function cli(cluster: TestCluster, args: string[]) {
  return runCli([...args, '--bootstrap', cluster.bootstrap.join(',')], { timeoutMs: 30_000 })
}

async function voters(cluster: TestCluster): Promise<{ leaderId: number; leaderEpoch: number; voters: number[] }> {
  const r = await cli(cluster, ['metadata', 'status', '--json'])
  if (r.code !== 0) throw new Error(r.stderr)
  const s = JSON.parse(r.stdout) as { leaderId: number; leaderEpoch: number; currentVoters: number[] }
  return { leaderId: s.leaderId, leaderEpoch: s.leaderEpoch, voters: [...s.currentVoters].sort((a, b) => a - b) }
}

/**
 * Start a voter change, kill -9 the Raft leader while it is under way, bring it back,
 * and retry the change until the voter set is `want` (the first attempt may or may
 * not have committed before the kill).
 */
async function changeKillingLeader(cluster: TestCluster, action: 'add' | 'remove', id: number, want: number[]): Promise<number> {
  const { leaderId } = await voters(cluster)
  const first = cli(cluster, ['metadata', 'voters', action, String(id)])
  await new Promise((r) => setTimeout(r, 30))
  await cluster.kill(leaderId)
  await first
  await cluster.restart(leaderId)
  await cluster.waitFor(async () => {
    const now = await voters(cluster).catch(() => undefined)
    if (now && JSON.stringify(now.voters) === JSON.stringify(want)) return true
    await cli(cluster, ['metadata', 'voters', action, String(id)])
    return false
  }, { message: `voters ${want.join(',')} after ${action} ${id}`, timeoutMs: 60_000, intervalMs: 500 })
  return leaderId
}

describe('quorum membership under load', () => {
  let cluster: TestCluster
  let workload: Workload | undefined
  afterAll(async () => {
    await workload?.close()
    await cluster?.stop()
  })

  test('add a voter and remove an old one, the leader killed during each; drain, stop and unregister a broker; one leader per term, nothing lost', async () => {
    cluster = await startCluster({
      nodes: 5, voters: 3, clusterSecretFile: false,
      // 4 may become a voter; 5 is broker-only (the default for a node not in --voters).
      brokerArgs: (id) => (id === 4 ? ['--process-roles', 'broker,controller'] : []),
    })
    const watch = new LeaderWatch(cluster, [1, 2, 3, 4, 5])
    expect((await voters(cluster)).voters).toEqual([1, 2, 3])
    expect(await cli(cluster, ['topics', 'create', TOPIC, '--partitions', '6', '--replication-factor', '3', '--config', 'min.insync.replicas=2'])).toMatchObject({ code: 0 })
    const w = new Workload({ bootstrap: cluster.bootstrap, topic: TOPIC, partitions: 6, groupId: 'voters', producers: 2, consumers: 1, sendGapMs: 5 })
    workload = w
    await w.startConsumers()
    w.startProducers()
    await cluster.waitFor(() => w.acked.length >= 200, { message: 'the workload running', timeoutMs: 30_000 })

    // A broker-only node is never made a voter.
    const refused = await cli(cluster, ['metadata', 'voters', 'add', '5'])
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringMatching(/5 never votes \(a broker-only node\)/) })

    const killed1 = await changeKillingLeader(cluster, 'add', 4, [1, 2, 3, 4])
    const killed2 = await changeKillingLeader(cluster, 'remove', 1, [2, 3, 4])
    const after = await voters(cluster)
    expect(after.voters).toEqual([2, 3, 4])
    expect([2, 3, 4]).toContain(after.leaderId)
    const appended = w.acked.length

    // --- drain broker 5, refuse to unregister it while it lives, stop it, unregister it
    const drained = await cli(cluster, ['brokers', 'drain', '5', '--json'])
    expect(drained).toMatchObject({ code: 0 })
    const live = await cli(cluster, ['brokers', 'unregister', '5'])
    expect(live).toMatchObject({ code: 1, stderr: expect.stringMatching(/broker 5 is live \(unfenced\)/) })
    await cluster.kill(5)
    await cluster.waitFor(async () => (await cli(cluster, ['brokers', 'unregister', '5'])).code === 0, { message: 'broker 5 unregistered once fenced', timeoutMs: 30_000, intervalMs: 500 })
    const listed = JSON.parse((await cli(cluster, ['brokers', 'list', '--json'])).stdout) as Array<{ nodeId: number }>
    expect(listed.map((b) => b.nodeId).sort()).toEqual([1, 2, 3, 4])
    await cluster.waitFor(async () => (await partitionsOf(cluster, TOPIC)).every((p) => !p.replicas.includes(5) && p.isr.length === p.replicas.length && p.leader > 0), { message: 'nothing under-replicated' })

    // --- the checker, and one leader per term
    const result = await checkWorkload(cluster, TOPIC, w)
    const terms = await watch.stop()
    console.log(`killed leaders ${killed1} (add 4) and ${killed2} (remove 1); terms seen ${terms.map((t) => `${t.term}:${t.leaders.join('/')}`).join(' ')}; acked ${appended} during the changes\n${summarize(result, { acked: w.acked.length, indeterminate: w.indeterminate.length })}`)
    expect(terms.filter((t) => t.leaders.length > 1)).toEqual([])
    expect(terms.length).toBeGreaterThanOrEqual(3)
    expect({ valid: result.valid, anomalies: examples(result) }).toEqual({ valid: true, anomalies: '' })
  }, 300_000)
})
