/**
 * The end of a workload run in the elastic and voter e2e tests: stop the
 * producers, let the replicas converge, read every partition's log and wait
 * (with a deadline) for the consumers, then hand it all to the checker.
 */
import { check, type CheckResult } from '../checker.js'
import type { TestCluster } from '../cluster.js'
import { finalRead, waitConverged } from './final-read.js'
import type { Workload } from './workload.js'

const PRODUCER_DRAIN_MS = 5000
const CONVERGE_TIMEOUT_MS = 30_000
const DELIVERY_TIMEOUT_MS = 20_000

export async function checkWorkload(cluster: TestCluster, topic: string, w: Workload): Promise<CheckResult> {
  await w.stopProducers(PRODUCER_DRAIN_MS)
  const unconverged = await waitConverged(cluster, topic, CONVERGE_TIMEOUT_MS)
  const read = await finalRead(cluster, topic)
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS
  while (w.undelivered() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
  return check({
    acked: w.acked, indeterminate: w.indeterminate, finalRead: read.finalRead, bounds: read.bounds, replicas: read.replicas,
    incompleteReads: read.incompleteReads, delivered: w.delivered, runs: w.runs, unconverged,
  })
}
