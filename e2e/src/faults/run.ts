/**
 * One fault run, shared by the jest test (short schedule) and `npm run
 * e2e:long`: start 4 brokers (all voters, so a voter can be removed and added
 * back and a partition at RF 3 always has a broker to move to) whose peer links
 * and client links all cross proxies, run the workload, play the seeded
 * schedule, heal, wait for convergence, read everything back and check it.
 */
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import {
  AclOperationTypes as Op, AclPermissionTypes as Perm, AclResourceTypes as Res, ResourcePatternTypes as Pattern, Tributary, type AclBinding,
} from '@tributary/client'
import { anyAclFilter, CLUSTER_RESOURCE_NAME, describeAclBinding } from '@tributary/protocol'
import { rm } from 'node:fs/promises'
import { makeCerts } from '../certs.js'
import { sleep, startCluster, type TestCluster } from '../cluster.js'
import { check, examples, summarize, type CheckResult } from '../checker.js'
import { finalRead, waitConverged, type FinalRead } from './final-read.js'
import { LeaderWatch, type TermLeaders } from './leader-watch.js'
import { Nemesis, type Applied } from './nemesis.js'
import { createFaultNetwork, type FaultNetwork } from './network.js'
import { createPrng } from './prng.js'
import { describeFault, drawSchedule, type ScheduleOptions, type Step } from './schedule.js'
import { unavailableWindows, Workload } from './workload.js'

export interface FaultRunOptions {
  seed: number
  /** length of the fault phase */
  faultMs: number
  partitions?: number
  schedule?: Partial<ScheduleOptions>
  /** write the whole history (JSON) here, for digging into an anomaly */
  dumpPath?: string
  /** keep every broker's full log here (node-<id>.log), at logLevel */
  logDir?: string
  logLevel?: string
  /** progress lines (default: none) */
  log?: (line: string) => void
  /**
   * Brokers serve TLS (wss:// between peers and to clients, client certificates
   * required), with certificates made for the run by scripts/make-certs.sh.
   */
  tls?: boolean
  /**
   * TLS as above plus client SASL required of every connection (SCRAM-SHA-512) and
   * the ACL authorizer (`--authorizer acl`, default-deny): an `admin` super user
   * creates the topic and the ACLs; producers log in as `producer` (Write on the
   * topic, IdempotentWrite on the cluster), consumers as `consumer` (Read on the
   * topic and the group), and nothing else is allowed them. The harness (final
   * read, convergence, nemesis) acts as a broker.
   */
  secure?: boolean
}

export interface FaultRunReport {
  seed: number
  result: CheckResult
  /** the summary table */
  summary: string
  /** the first examples of each anomaly ('' when valid) */
  anomalies: string
  /** what the nemesis did, with times */
  timeline: string[]
  /** the newest broker log lines of each node when the run is invalid ('' otherwise) */
  brokerLogs: string
  seconds: number
}

export const TOPIC = 'faults'
/** Nodes of a fault run: one more than a partition's replicas. */
export const NODES = 4
/**
 * The brokers' --reassignment-throttle-bytes: the workload's partitions hold tens to
 * hundreds of KiB, so a reassign step copies for seconds and a cancel can land mid-copy.
 */
export const REASSIGNMENT_THROTTLE_BYTES = 16 * 1024
/** Between one node's DescribeQuorum polls of the leader watch (one leader per term). */
export const LEADER_WATCH_INTERVAL_MS = 250
/** How long the starting voter set and replica sets may take to show on every node. */
export const SHAPE_TIMEOUT_MS = 30_000
export const GROUP = 'faults-group'
/** After healing: producers keep going this long (writes must work again) before they stop. */
export const RECOVERY_MS = 3000
export const PRODUCER_DRAIN_MS = 20_000
export const READY_AFTER_HEAL_MS = 60_000
export const CONVERGE_TIMEOUT_MS = 60_000
export const DELIVERY_TIMEOUT_MS = 45_000
/** A gap between acknowledgments longer than this counts as an unavailable window. */
export const UNAVAILABLE_GAP_MS = 1000
/** Broker log lines per node kept in an invalid run's report. */
export const BROKER_LOG_LINES = 60

export interface FaultRun {
  run(): Promise<FaultRunReport>
  /** Stop every process, proxy and client this run started. Idempotent; safe while run() is still going. */
  stop(): Promise<void>
}

export function createFaultRun(o: FaultRunOptions): FaultRun {
  const r = new FaultRunner(o)
  return {
    run: async () => {
      try {
        return await r.run()
      } finally {
        await r.stop()
      }
    },
    stop: () => r.stop(),
  }
}

/** What the workload left once the faults are healed: the history the checker judges. */
interface RunHistory {
  read: FinalRead
  unconverged: string[]
  commits: Array<{ partition: number; offset: number }>
  /** Writes acknowledged after healing: producing must work again. */
  recoveryAcks: number
  /** the metadata quorum's leaders seen in each term */
  raftTerms: TermLeaders[]
}

/** One run's processes and timeline; each step of run() is a method. */
class FaultRunner {
  private readonly log: (line: string) => void
  private readonly partitions: number
  private net: FaultNetwork | undefined
  private cluster: TestCluster | undefined
  private workload: Workload | undefined
  private observer: Tributary | undefined
  private watch: LeaderWatch | undefined
  private certs: string | undefined
  private stopped = false
  private stopping: Promise<void> | undefined
  private readonly started = Date.now()
  private readonly timeline: string[] = []

  constructor(private readonly o: FaultRunOptions) {
    this.log = o.log ?? (() => {})
    this.partitions = o.partitions ?? 4
  }

  private note(line: string): void {
    const t = `+${((Date.now() - this.started) / 1000).toFixed(1)}s ${line}`
    this.timeline.push(t)
    this.log(t)
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopped = true
      await this.workload?.close().catch(() => {})
      await this.watch?.stop()
      await this.observer?.close().catch(() => {})
      await this.cluster?.stop().catch(() => {})
      await this.net?.close().catch(() => {})
      if (this.certs) await rm(this.certs, { recursive: true, force: true })
    })()
    return this.stopping
  }

  async run(): Promise<FaultRunReport> {
    const o = this.o
    const schedule = drawSchedule(createPrng(o.seed), { durationMs: o.faultMs, partitions: this.partitions, ...o.schedule })
    this.note(`seed ${o.seed} (replay: TRIBUTARY_FAULT_SEED=${o.seed}); ${schedule.length} steps over ${o.faultMs / 1000} s`)
    const { network, cluster, sasl } = await this.setUp()
    const nemesis = new Nemesis(cluster, network, TOPIC, createPrng(o.seed ^ 0x5eed), this.observer!.admin())
    await nemesis.elastic.init(SHAPE_TIMEOUT_MS)
    const w = new Workload({ bootstrap: network.bootstrap, tls: cluster.clientTls, producerSasl: sasl?.producer, consumerSasl: sasl?.consumer, topic: TOPIC, partitions: this.partitions, groupId: GROUP })
    this.workload = w
    await w.startConsumers()
    w.startProducers()
    const { faultStart, faultEnd } = await this.playSchedule(nemesis, schedule)
    const undone = await nemesis.healAll(READY_AFTER_HEAL_MS)
    this.note(`healed everything${undone.length > 0 ? ` (still in effect: ${undone.join('; ')})` : ''}; every node ready`)
    const history = await this.collectHistory(cluster, w, faultEnd, nemesis)
    const { read, unconverged, commits, raftTerms } = history
    const result = check({
      acked: w.acked, indeterminate: w.indeterminate, finalRead: read.finalRead, bounds: read.bounds, replicas: read.replicas,
      incompleteReads: read.incompleteReads, commits, delivered: w.delivered, runs: w.runs, unconverged, raftTerms,
    })
    if (o.dumpPath) await this.dumpHistory(o.dumpPath, w, history, result)
    const summary = summarize(result, { ...this.figures(w, schedule.length, history.recoveryAcks, faultStart, faultEnd), 'raft-terms-seen': raftTerms.length })
    const brokerLogs = result.valid ? '' : cluster.nodes.map((n) => `--- node ${n.nodeId}\n${n.logs.slice(-BROKER_LOG_LINES).join('\n')}`).join('\n')
    return { seed: o.seed, result, summary, anomalies: examples(result), timeline: this.timeline, brokerLogs, seconds: (Date.now() - this.started) / 1000 }
  }

  /** The proxied network, the certificates and users of a secure run, the cluster, the topic and its ACLs. */
  private async setUp(): Promise<{ network: FaultNetwork; cluster: TestCluster; sasl: SaslSetup | undefined }> {
    const o = this.o
    const tls = o.tls || o.secure
    const network = createFaultNetwork(tls ? 'wss' : 'ws')
    this.net = network
    if (tls) this.certs = await makeCerts({ nodes: NODES, clients: ['client'] })
    const sasl = o.secure ? await saslSetup(this.certs!) : undefined
    const cluster = await startCluster({
      tls: this.certs ? { certsDir: this.certs, clientAuth: 'required' } : undefined,
      nodes: NODES,
      logLevel: o.logLevel ?? 'warn',
      logDir: o.logDir,
      beforeStart: (nodes) => network.start(nodes),
      votersFor: (id, nodes) => network.votersFor(id, nodes),
      advertiseFor: (id) => network.advertiseFor(id),
      brokerArgs: ['--offsets-topic-partitions', '4', '--reassignment-throttle-bytes', String(REASSIGNMENT_THROTTLE_BYTES), ...(sasl?.brokerArgs ?? [])],
      harnessAuth: sasl ? 'broker' : 'anonymous',
    })
    this.cluster = cluster
    this.watch = new LeaderWatch(cluster, cluster.nodes.map((n) => n.nodeId), LEADER_WATCH_INTERVAL_MS)
    this.note(`cluster up: ${cluster.nodes.map((n) => `node ${n.nodeId} ${n.url}`).join(', ')}${sasl ? ' (TLS, SCRAM-SHA-512 required, ACL authorizer)' : ''}`)
    this.observer = new Tributary({ brokers: network.bootstrap, clientId: 'faults-observer', tls: cluster.clientTls, sasl: sasl?.admin })
    const admin = this.observer.admin()
    // The bootstrap users commit with the cluster id on the first controller: wait until a node lets admin in.
    if (sasl) await cluster.waitFor(async () => (await admin.describeUsers().catch(() => [])).length > 0, { message: 'the bootstrap SCRAM users' })
    await admin.createTopic({ topic: TOPIC, partitions: this.partitions, replicationFactor: 3, config: { 'min.insync.replicas': '2' } })
    if (sasl) {
      await grantWorkloadAcls(cluster, sasl)
      this.note(`ACLs: ${WORKLOAD_ACLS.map(describeAclBinding).join('; ')}`)
    }
    return { network, cluster, sasl }
  }

  /** Each step at its time, then the rest of the fault phase. */
  private async playSchedule(nemesis: Nemesis, schedule: Step[]): Promise<{ faultStart: number; faultEnd: number }> {
    const faultStart = Date.now()
    for (const step of schedule) {
      if (this.stopped) throw new Error('stopped')
      await sleep(faultStart + step.atMs - Date.now())
      await this.playStep(nemesis, step)
    }
    await sleep(faultStart + this.o.faultMs - Date.now())
    return { faultStart, faultEnd: Date.now() }
  }

  private async playStep(nemesis: Nemesis, step: Step): Promise<void> {
    const applied: Applied[] = []
    for (const f of step.faults) {
      try {
        const a = await nemesis.apply(f)
        applied.push(a)
        this.note(a.text)
      } catch (err) {
        this.note(`${describeFault(f)}: failed to apply (${(err as Error).message})`)
      }
    }
    await sleep(step.holdMs)
    for (const a of applied.reverse()) {
      const outcome = await a.heal()
      this.note(`healed: ${a.text}${outcome ? ` ⇒ ${outcome}` : ''}`)
    }
  }

  /**
   * After healing: producers recover then stop, replicas converge, the voter set and
   * replica sets are what the reassign and voter-change heals recorded, every log is
   * read, consumers catch up, the group's offsets are read.
   */
  private async collectHistory(cluster: TestCluster, w: Workload, faultEnd: number, nemesis: Nemesis): Promise<RunHistory> {
    await sleep(RECOVERY_MS)
    await w.stopProducers(PRODUCER_DRAIN_MS)
    const recoveryAcks = w.ackTimes.filter((t) => t > faultEnd).length
    this.note(`producers stopped: ${w.acked.length} acked (${recoveryAcks} after healing), ${w.indeterminate.length} indeterminate`)
    const unconverged = await waitConverged(cluster, TOPIC, CONVERGE_TIMEOUT_MS)
    this.note(unconverged.length === 0 ? 'replicas converged' : `NOT converged: ${unconverged.join('; ')}`)
    const shape = await nemesis.elastic.finalProblems()
    this.note(shape.length === 0 ? 'voters and replica sets as the heals say' : `NOT as the heals say: ${shape.join('; ')}`)
    unconverged.push(...shape)
    const read = await finalRead(cluster, TOPIC)
    if (read.incompleteReads.length > 0) this.note(`final read incomplete: ${read.incompleteReads.join('; ')}`)
    const deadline = Date.now() + DELIVERY_TIMEOUT_MS
    while (w.undelivered() > 0 && Date.now() < deadline) await sleep(100)
    this.note(`consumers: ${w.undelivered()} acknowledged values undelivered, ${w.consumerCrashes} crashes`)
    await w.close()
    const committed = await this.observer!.admin().fetchOffsets({ groupId: GROUP, topics: [TOPIC] }).catch((err: Error) => {
      // after healing the group's offsets must be readable: unchecked commits would be an anomaly passing unseen
      unconverged.push(`final OffsetFetch failed: ${err.message}`)
      this.note(`final OffsetFetch failed: ${err.message}`)
      return []
    })
    const commits = [...w.commits, ...committed.map((c) => ({ partition: c.partition, offset: c.offset }))]
    return { read, unconverged, commits, recoveryAcks, raftTerms: await this.watch!.stop() }
  }

  /** The whole history with the cluster's metadata log, as JSON, for digging into an anomaly. */
  private async dumpHistory(file: string, w: Workload, h: RunHistory, result: CheckResult): Promise<void> {
    const metadataLog: unknown[] = []
    for (let from = 0; ;) {
      const page = await this.observer!.admin().metadataLog({ fromIndex: from, maxRecords: 1000 }).catch(() => null)
      if (!page || page.entries.length === 0) break
      metadataLog.push(...page.entries)
      from = page.entries[page.entries.length - 1]!.index + 1
    }
    const { read } = h
    await writeFile(file, JSON.stringify({ seed: this.o.seed, started: this.started, timeline: this.timeline, metadataLog, acked: w.acked, indeterminate: w.indeterminate, commits: h.commits, runs: w.runs, delivered: w.delivered, finalRead: read.finalRead, bounds: read.bounds, replicas: read.replicas, incompleteReads: read.incompleteReads, result }))
    this.note(`history written to ${file}`)
  }

  /** The run's figures for the summary table. */
  private figures(w: Workload, steps: number, recoveryAcks: number, faultStart: number, faultEnd: number): Record<string, string | number> {
    const windows = unavailableWindows(w.ackTimes, faultStart, faultEnd, UNAVAILABLE_GAP_MS)
    const partitionOutages = Array.from({ length: this.partitions }, (_, p) =>
      Math.max(0, ...unavailableWindows(w.acked.filter((a) => a.partition === p).map((a) => a.at), faultStart, faultEnd, UNAVAILABLE_GAP_MS)))
    return {
      seed: this.o.seed,
      'fault-seconds': Math.round(this.o.faultMs / 1000),
      steps,
      'acked-after-heal': recoveryAcks,
      indeterminate: w.indeterminate.length,
      delivered: w.delivered.length,
      [`unavailable-windows(>${UNAVAILABLE_GAP_MS}ms)`]: windows.length,
      'longest-produce-outage-ms': windows.length > 0 ? Math.max(...windows) : 0,
      'longest-outage-per-partition-ms': partitionOutages.join(' '),
      'consumer-crashes': w.consumerCrashes,
      'client-errors': [...w.sendErrors].map(([k, n]) => `${k}×${n}`).join(', ') || 'none',
    }
  }
}

type Scram = { mechanism: 'scram-sha-512'; username: string; password: string }
type SaslSetup = { admin: Scram; producer: Scram; consumer: Scram; brokerArgs: string[] }

/** The SCRAM users of a secure run, bootstrapped from a file beside the certificates; the brokers run the ACL authorizer. */
async function saslSetup(dir: string): Promise<SaslSetup> {
  const user = (username: string): Scram => ({ mechanism: 'scram-sha-512', username, password: `${username}-${randomBytes(12).toString('hex')}` })
  const [admin, producer, consumer] = [user('admin'), user('producer'), user('consumer')]
  const users = path.join(dir, 'scram-users')
  await writeFile(users, [admin, producer, consumer].map((u) => `${u.username}:scram-sha-512:${u.password}\n`).join(''), { mode: 0o600 })
  const brokerArgs = ['--sasl-mechanisms', 'scram-sha-512', '--bootstrap-scram-users', users, '--super-users', 'User:admin', '--authorizer', 'acl']
  return { admin, producer, consumer, brokerArgs }
}

const allow = (principal: string, resourceType: number, resourceName: string, operation: number): AclBinding => ({
  resourceType, resourceName, resourcePatternType: Pattern.LITERAL, principal, host: '*', operation, permissionType: Perm.ALLOW,
} as AclBinding)

/** Exactly what the workload needs: an idempotent producer of TOPIC, consumers of TOPIC in GROUP. */
export const WORKLOAD_ACLS: readonly AclBinding[] = [
  allow('User:producer', Res.TOPIC, TOPIC, Op.WRITE),
  allow('User:producer', Res.CLUSTER, CLUSTER_RESOURCE_NAME, Op.IDEMPOTENT_WRITE),
  allow('User:consumer', Res.TOPIC, TOPIC, Op.READ),
  allow('User:consumer', Res.GROUP, GROUP, Op.READ),
]

/** Creates WORKLOAD_ACLS and waits until every node applied them (a consumer refused its group would crash, not retry). */
async function grantWorkloadAcls(cluster: TestCluster, sasl: { admin: Scram }): Promise<void> {
  const admin = new Tributary({ brokers: cluster.bootstrap, clientId: 'faults-acls', tls: cluster.clientTls, sasl: sasl.admin })
  try {
    await admin.admin().createAcls({ acl: [...WORKLOAD_ACLS] })
  } finally {
    await admin.close()
  }
  await cluster.waitFor(async () => {
    for (const n of cluster.nodes) {
      const c = new Tributary({ brokers: [n.url], clientId: `faults-acls-${n.nodeId}`, tls: cluster.clientTls, sasl: sasl.admin })
      try {
        const r = await c.admin().describeAcls(anyAclFilter())
        if (r.resources.reduce((sum, x) => sum + x.acls.length, 0) < WORKLOAD_ACLS.length) return false
      } catch {
        return false
      } finally {
        await c.close()
      }
    }
    return true
  }, { timeoutMs: 10_000, message: 'every node to apply the workload ACLs' })
}
