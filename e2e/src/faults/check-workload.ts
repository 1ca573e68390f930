/**
 * The end of a workload run in the elastic and voter e2e tests: stop the
 * producers, let the replicas converge, read every partition's log and wait
 * (with a deadline) for the consumers, then hand it all to the checker.
 */
import { systemClock, type Clock } from '@tributary/protocol'
import { check, type CheckResult } from '../checker.js'
import { finalRead, waitConverged, type ClusterReads } from './final-read.js'
import type { Workload } from './workload.js'

const PRODUCER_DRAIN_MS = 5000
const CONVERGE_TIMEOUT_MS = 30_000
const DELIVERY_TIMEOUT_MS = 20_000

export interface CheckWorkloadOptions {
  /** the simulation's (default the system clock) */
  clock?: Clock
  /** how long the consumers have to deliver every acknowledged write after the final read */
  deliveryTimeoutMs?: number
}

export async function checkWorkload(cluster: ClusterReads, topic: string, w: Workload, opts: CheckWorkloadOptions = {}): Promise<CheckResult> {
  const clock = opts.clock ?? systemClock
  await w.stopProducers(PRODUCER_DRAIN_MS)
  const unconverged = await waitConverged(cluster, topic, CONVERGE_TIMEOUT_MS, clock)
  const read = await finalRead(cluster, topic)
  const deadline = clock.now() + (opts.deliveryTimeoutMs ?? DELIVERY_TIMEOUT_MS)
  while (w.undelivered() > 0 && clock.now() < deadline) await new Promise((r) => clock.setTimeout(() => r(undefined), 100))
  return check({
    acked: w.acked, indeterminate: w.indeterminate, finalRead: read.finalRead, bounds: read.bounds, replicas: read.replicas,
    incompleteReads: read.incompleteReads, commits: w.commits, delivered: w.delivered, runs: w.runs, unconverged,
  })
}
