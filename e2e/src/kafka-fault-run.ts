/**
 * One fault for a Kafka client (issue #18): while the client produces with
 * acks=all to a 3-replica topic through the Kafka listeners, the leader of
 * partition 0 is killed with SIGKILL; production goes on through the new
 * leaders, the node comes back, the replicas converge, and the Jepsen-style
 * checker (checker.ts) compares what the client was told with what every
 * replica holds. The client is driven through `ClientRun`, so KafkaJS (in
 * process) and the Python clients (child processes) share this procedure.
 */
import { Tributary } from '@tributary/client'
import { check, examples, summarize, type AckedWrite, type CheckResult } from './checker.js'
import type { TestCluster } from './cluster.js'
import { finalRead, waitConverged } from './faults/final-read.js'

/** A producing client: acknowledged writes and failed sends so far; stop() ends production and settles what is in flight. */
export interface ClientRun {
  acked(): readonly AckedWrite[]
  indeterminate(): readonly string[]
  stop(): Promise<void>
}

export interface FaultOutcome { result: CheckResult; summary: string; killed: number }

/** Acknowledgments wanted before the kill, and again after it (through the new leader). */
const ACKS_PER_PHASE = 150
const PHASE_TIMEOUT_MS = 90_000
const CONVERGE_TIMEOUT_MS = 60_000

/** Creates `topic` (3 partitions, RF 3, min.insync.replicas 2: an acknowledged write is on two nodes at least). */
export async function createFaultTopic(cluster: TestCluster, topic: string): Promise<void> {
  const client = new Tributary({ brokers: cluster.bootstrap, clientId: 'kafka-fault-setup' })
  try {
    await client.admin().createTopic({ topic, partitions: 3, replicationFactor: 3, config: { 'min.insync.replicas': '2' } })
  } finally {
    await client.close()
  }
}

/** Runs the fault against a client already producing to `topic`; always restarts the killed node and stops the client. */
export async function killLeaderDuringProduction(cluster: TestCluster, topic: string, run: ClientRun): Promise<FaultOutcome> {
  const sdk = new Tributary({ brokers: cluster.bootstrap, clientId: 'kafka-fault-observer' })
  let killed = 0
  try {
    await cluster.waitFor(() => run.acked().length >= ACKS_PER_PHASE, { timeoutMs: PHASE_TIMEOUT_MS, message: `${ACKS_PER_PHASE} acknowledged writes before the kill (${run.acked().length})` })
    killed = (await sdk.admin().describeTopic(topic)).partitions[0].leader
    await cluster.kill(killed)
    const before = run.acked().length
    const afterKill = () => run.acked().filter((a) => a.partition === 0).length
    const partition0 = afterKill()
    // Partition 0 itself must take writes again: through the leader elected after the kill.
    await cluster.waitFor(() => run.acked().length >= before + ACKS_PER_PHASE && afterKill() > partition0, {
      timeoutMs: PHASE_TIMEOUT_MS, message: `writes acknowledged after killing node ${killed} (${run.acked().length - before}, partition 0: ${afterKill() - partition0})`,
    })
    await cluster.restart(killed)
    killed = -killed // restarted
    await run.stop()
    const unconverged = await waitConverged(cluster, topic, CONVERGE_TIMEOUT_MS)
    const read = await finalRead(cluster, topic)
    const result = check({
      acked: [...run.acked()], indeterminate: [...run.indeterminate()], finalRead: read.finalRead, bounds: read.bounds,
      replicas: read.replicas, incompleteReads: read.incompleteReads, unconverged,
    })
    const summary = summarize(result, { indeterminate: run.indeterminate().length, killed: Math.abs(killed) })
    return { result, summary: result.valid ? summary : `${summary}\n${examples(result)}`, killed: Math.abs(killed) }
  } finally {
    if (killed > 0) await cluster.restart(killed).catch(() => {})
    await run.stop().catch(() => {})
    await sdk.close()
  }
}
