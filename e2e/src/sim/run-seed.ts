/**
 * One seed, start to verdict: build the world from the seed, boot the nodes,
 * run the fault suite's workload (idempotent acks=all producers, a consumer
 * group) through the seed's faults, heal, demand convergence, read every log
 * and hand it all to the fault suite's checker. The world's hash of
 * everything that happened is the run's fingerprint: one seed, one hash.
 */
import { ApiKey, ErrorCode } from '@tributary/protocol'
import type { SeededRandom } from '@tributary/raft'
import { examples, type CheckResult } from '../checker.js'
import { checkWorkload } from '../faults/check-workload.js'
import { CLIENT_REQUEST_TIMEOUT_MS, Workload } from '../faults/workload.js'
import { Tributary } from '@tributary/client'
import { Guard, type Leak } from './guard.js'
import { MetadataInvariants } from './invariants.js'
import { checkHighWatermarks, PowerLossExemptions, type NodeReplicas } from './data-invariants.js'
import { SimNetwork } from './network.js'
import { SimCluster } from './sim-cluster.js'
import { choosePlan, CLOCK_JUMP_WEIGHT_ON, describePlan, type SimPlan, type SimSize } from './plan.js'
import { describeStep, NO_FAULT_STATS, planFaults, runFaults, type FaultStats, type FaultStep } from './faults.js'
import { SIM_EPOCH_MS, SimWorld } from './world.js'

export const TOPIC = 'sim'
const GROUP = 'sim-group'
/** Virtual time a seed may take in all before it fails as stuck. */
export const RUN_VIRTUAL_MS_MAX = 600_000
/** How long the cluster has to elect a controller and register every broker. */
const BOOT_MS_MAX = 30_000
/** After the heal, every partition must take acknowledged writes again within this long (virtual). */
export const RECOVERY_MS_MAX = 20_000
/**
 * After the final read, the group must deliver every acknowledged write within this
 * long (virtual), as the real-process fault runs do. A member whose join answer was
 * lost (seed 225) used to stay behind as a zombie holding its target until its
 * 45 s session expired; members now pick their own ids (KIP-1082), so the retried
 * join is the same member.
 */
export const DELIVERY_MS_MAX = 20_000
/**
 * The SDK consumer's session timeout. A member leaves best-effort: when its leave
 * is lost (its coordinator lost power meanwhile, seed 100019 of the issue size), it
 * keeps its partitions until the session expires, counted from the last coordinator
 * change, all before the heal. So once a member has left, the group has this much
 * more to deliver (the wait ends as soon as everything is delivered).
 */
export const GROUP_SESSION_TIMEOUT_MS = 45_000
/** Idempotent producers' clients and consumers' clients get owner ids from here. */
const FIRST_CLIENT_OWNER = 101

export interface SeedOptions {
  seed: number
  nodes?: number
  /** Every event as a line, and the nodes' logs (--trace). */
  trace?: (line: string) => void
  /** The run's size (default the issue's: two producers, a group of two, a minute of faults). */
  size?: SimSize
  /** Override what the seed would draw (tests pin faults off). */
  plan?: Partial<SimPlan>
  /** Add wall-clock jumps to the seed's faults (off by default). */
  clockJumps?: boolean
  /** Run only these of the seed's fault steps (indexes into its plan; shrinking and its replay). */
  steps?: readonly number[]
}

export interface SeedResult {
  seed: number
  nodes: number
  ok: boolean
  failure?: string
  /** Fingerprint of the event trace: equal for every run of the seed. */
  hash: string
  virtualMs: number
  events: number
  plan: SimPlan
  /** The seed's fault steps (all of them, also when `steps` ran a subset). */
  steps: FaultStep[]
  faults: FaultStats
  network: SimNetwork['stats']
  check?: CheckResult
  leaks: Leak[]
  /** Metadata images the invariants looked at. */
  imagesChecked: number
}

export async function runSeed(o: SeedOptions): Promise<SeedResult> {
  const world = new SimWorld(o.seed, o.trace)
  const plan = { ...choosePlan(world.rng.fork(), o.size), ...o.plan }
  if (o.clockJumps) plan.weights = { ...plan.weights, clockJump: CLOCK_JUMP_WEIGHT_ON }
  const guardRandom = world.rng.fork()
  const guard = new Guard({ now: () => world.now, monotonic: () => world.now - SIM_EPOCH_MS, random: () => guardRandom.next() })
  const network = new SimNetwork(world, world.rng.fork(), plan.network)
  const cluster = new SimCluster(world, network, o.nodes ?? 3, o.trace !== undefined)
  const rngs = { faults: world.rng.fork(), clients: world.rng.fork() }
  const allSteps = planFaults(plan, rngs.faults)
  const only = o.steps && new Set(o.steps)
  const steps = only ? allSteps.filter((_, i) => only.has(i)) : allSteps
  world.record(0, 'plan', describePlan(plan))
  allSteps.forEach((s, i) => { if (!only || only.has(i)) world.record(0, 'step', describeStep(s, i)) })
  const invariants = new MetadataInvariants()
  const exemptions = new PowerLossExemptions()
  const replicas = (): NodeReplicas[] => cluster.nodes.map((n) => ({ nodeId: n.nodeId, replicas: n.handle?.hostedReplicas() ?? null }))
  for (const n of cluster.nodes) n.onLostWrites = () => exemptions.powerLoss(n.nodeId, replicas())
  world.invariant = () =>
    invariants.check(cluster.nodes.map((n) => ({ nodeId: n.nodeId, incarnation: n.starts, image: n.handle?.metadata.image() ?? null }))) ??
    checkHighWatermarks(replicas(), exemptions)
  const faults: FaultStats = { ...NO_FAULT_STATS }
  let verdict: { check?: CheckResult; failure?: string } | undefined

  // An error nobody catches inside the world fails the seed, not the process running the seeds.
  const uncaught = (err: unknown): void => world.fail(`uncaught: ${(err as Error)?.stack ?? String(err)}`)
  process.on('uncaughtException', uncaught)
  process.on('unhandledRejection', uncaught)
  guard.install()
  try {
    scenario(cluster, plan, steps, rngs, faults).then((r) => { verdict = { check: r } }, (err: Error) => { verdict = { failure: `scenario failed: ${err.stack ?? err.message}` } })
    const end = await world.runUntil(() => verdict !== undefined, SIM_EPOCH_MS + RUN_VIRTUAL_MS_MAX)
    verdict ??= { failure: end === 'idle' ? 'deadlock: nothing left to run and the scenario has not ended' : `stuck: no verdict after ${RUN_VIRTUAL_MS_MAX} virtual ms` }
  } finally {
    guard.uninstall()
    for (const n of cluster.nodes) n.crash()
    process.off('uncaughtException', uncaught)
    process.off('unhandledRejection', uncaught)
  }
  const leak = guard.leaks[0]
  const failure = world.failures[0] ?? verdict.failure ?? (leak ? `${guard.leakCount} leaks out of the simulation: ${leak.what} at\n${leak.stack}` : undefined)
    ?? (verdict.check && !verdict.check.valid ? `checker: ${examples(verdict.check, 3)}` : undefined)
  return {
    seed: o.seed, nodes: cluster.nodes.length, ok: failure === undefined, failure, hash: world.digest(), virtualMs: world.now - SIM_EPOCH_MS, events: world.events,
    plan, steps: allSteps, faults, network: network.stats, check: verdict.check, leaks: guard.leaks, imagesChecked: invariants.checked,
  }
}

/** The run inside the world: boot, topic, workload, faults, heal, liveness, the checker's verdict. */
async function scenario(cluster: SimCluster, plan: SimPlan, steps: FaultStep[], rngs: { clients: SeededRandom }, faults: FaultStats): Promise<CheckResult> {
  const { world, network } = cluster
  let owner = FIRST_CLIENT_OWNER
  const adminOwner = owner++
  const adminRandom = rngs.clients.fork()
  const adminClient = new Tributary({
    brokers: cluster.bootstrap, clientId: 'sim-admin', requestTimeoutMs: CLIENT_REQUEST_TIMEOUT_MS,
    connector: network.endpoint(adminOwner).connector, clock: world.clockFor(adminOwner), random: () => adminRandom.next(), logger: { warn: () => {} },
  })
  const w = new Workload({
    bootstrap: cluster.bootstrap, topic: TOPIC, partitions: plan.partitions, groupId: GROUP,
    producers: plan.producers, sendersPerProducer: 2, consumers: plan.consumers, sendGapMs: plan.sendGapMs,
    clock: cluster.clock,
    // Each client its own process on the network, its own clock and its own random stream.
    clientConfig: () => {
      const id = owner++
      const random = rngs.clients.fork()
      return { connector: network.endpoint(id).connector, clock: world.clockFor(id), random: () => random.next(), logger: { warn: () => {} } }
    },
  })
  await boot(cluster)
  await createTopic(cluster, plan.partitions)
  await w.startConsumers()
  w.startProducers()
  await runFaults(cluster, plan, steps, {
    workload: w,
    admin: {
      admin: adminClient.admin(), topic: TOPIC, sideTopics: [], created: 0, voterChange: null,
      nodeIds: cluster.nodes.map((n) => n.nodeId), allUp: () => cluster.nodes.every((n) => n.up), sleep: (ms) => cluster.sleep(ms),
    },
  }, faults)
  const stalled = await producersRecover(cluster, w)
  const deliveryTimeoutMs = DELIVERY_MS_MAX + (w.membersLeft > 0 ? GROUP_SESSION_TIMEOUT_MS : 0)
  const result = await checkWorkload(cluster, TOPIC, w, { clock: cluster.clock, deliveryTimeoutMs })
  if (stalled) result.unconverged.push(stalled)
  result.valid &&= !stalled
  await w.close()
  await adminClient.close()
  return result
}

/**
 * Liveness after the heal: every send in flight at the heal is answered, and
 * the producers get fresh acknowledgments on every partition, within a bounded
 * virtual time. Undefined when they do, else why not.
 */
async function producersRecover(cluster: SimCluster, w: Workload): Promise<string | undefined> {
  const from = w.acked.length
  const stuck = new Set(w.inFlight())
  const partitions = (): Set<number> => new Set(w.acked.slice(from).map((a) => a.partition))
  const unanswered = (): string[] => w.inFlight().filter((v) => stuck.has(v))
  const recovered = await cluster.waitFor(() => partitions().size === w.partitionCount && unanswered().length === 0, RECOVERY_MS_MAX)
  if (recovered) return undefined
  return `liveness: within ${RECOVERY_MS_MAX} virtual ms of the heal, ${w.acked.length - from} acknowledgments on partitions [${[...partitions()]}] of ${w.partitionCount}, ` +
    `${unanswered().length} sends from before the heal unanswered ${JSON.stringify(unanswered().slice(0, 5))}`
}

/** Start every node; wait until one is the controller and every broker is registered and unfenced. */
async function boot(cluster: SimCluster): Promise<void> {
  for (const n of cluster.nodes) void n.start()
  const ready = await cluster.waitFor(async () => {
    if (!cluster.nodes.some((n) => n.isController())) return false
    const brokers = await cluster.metadata(cluster.nodes[0]!.nodeId).then((m) => m.brokers.length, () => 0)
    return brokers === cluster.nodes.length
  }, BOOT_MS_MAX)
  if (!ready) throw new Error(`the cluster did not come up within ${BOOT_MS_MAX} virtual ms`)
}

/** Create the topic (min.insync.replicas 2), retrying while the controller settles. */
async function createTopic(cluster: SimCluster, partitions: number): Promise<void> {
  const body = { topics: [{ name: TOPIC, numPartitions: partitions, replicationFactor: cluster.nodes.length, configs: { 'min.insync.replicas': '2' }, assignments: null }] }
  let last = ''
  const created = await cluster.waitFor(async () => {
    const c = await cluster.brokerRpc(cluster.nodes[0]!.nodeId).catch(() => null)
    if (!c) return false
    try {
      const r = await c.request<{ topics: Array<{ errorCode: number; errorMessage?: string }> }>(ApiKey.CreateTopics, body)
      const code = r.errorCode || r.body.topics[0]!.errorCode
      last = `error ${code} ${r.body.topics[0]?.errorMessage ?? ''}`
      return code === ErrorCode.NONE || code === ErrorCode.TOPIC_ALREADY_EXISTS
    } catch (err) {
      last = (err as Error).message
      return false
    } finally {
      c.close()
    }
  }, BOOT_MS_MAX, 200)
  if (!created) throw new Error(`CreateTopics did not succeed within ${BOOT_MS_MAX} virtual ms: ${last}`)
}

