/**
 * `bench cluster --secure --acls N`: what authorization costs. Two TLS + SCRAM
 * clusters run at once, one without an authorizer and one with `--authorizer
 * acl` and N ACL bindings in the image, where the bench logs in as a user that
 * holds only what it needs (not a super user, so every request is checked). The
 * rest of the N are other principals' bindings, some of them patterns that
 * cover the bench's topics, so the index has real work when a decision is not
 * cached. Produce RF 3 and consume then run on one cluster and the other in
 * turn, `rounds` times (ABBA order), so a busy stretch of the machine hits both
 * alike; the medians are compared. Target: authorization costs at most 5 %.
 */
import {
  AclOperationTypes as Op, AclPermissionTypes as Perm, AclResourceTypes as Res, ResourcePatternTypes as Pattern,
  type AclBinding, type Tributary,
} from '@tributary/client'
import { anyAclFilter, CLUSTER_RESOURCE_NAME } from '@tributary/protocol'
import { LocalCluster } from './local-cluster.js'
import { PARTITIONS, VALUE_BYTES, type ScenarioResult, type Sizes } from './scenarios.js'
import { secureSetup, type Scram } from './secure-setup.js'
import { consumeAll, createTopic, newBenchClient, produceFast, type Throughput } from './workloads.js'

export const ACLS_DEFAULT = 1000
/** Rounds of the comparison: odd, for a median; each round runs both scenarios on both clusters. */
export const ACL_ROUNDS_DEFAULT = 3
/** Authorization may cost at most this share of produce RF 3 and consume throughput. */
export const ACL_OVERHEAD_MAX = 0.05
const PRODUCE_TOPIC = 'acl-produce-rf3'
const CONSUME_TOPIC = 'acl-consume'
/** The topics the comparison writes and reads. */
export const ACL_BENCH_TOPICS = [PRODUCE_TOPIC, CONSUME_TOPIC]
/** Bindings per CreateAcls request (the broker takes at most 1,000). */
const ACLS_PER_REQUEST = 500
const ACLS_APPLIED_TIMEOUT_MS = 30_000
const ACLS_APPLIED_POLL_MS = 50

const binding = (principal: string, resourceType: number, resourceName: string, operation: number, over: Partial<AclBinding> = {}): AclBinding => ({
  resourceType, resourceName, resourcePatternType: Pattern.LITERAL, principal, host: '*', operation, permissionType: Perm.ALLOW, ...over,
} as AclBinding)

/** What the bench's user needs: create topics, an idempotent producer, write and read its topics. */
export function benchUserAcls(user: string): AclBinding[] {
  const principal = `User:${user}`
  return [
    binding(principal, Res.CLUSTER, CLUSTER_RESOURCE_NAME, Op.CREATE),
    binding(principal, Res.CLUSTER, CLUSTER_RESOURCE_NAME, Op.IDEMPOTENT_WRITE),
    ...ACL_BENCH_TOPICS.flatMap((t) => [binding(principal, Res.TOPIC, t, Op.WRITE), binding(principal, Res.TOPIC, t, Op.READ)]),
  ]
}

/**
 * `total` bindings: the bench user's, then others' up to the count. Every 16th
 * is a PREFIXED pattern over the bench's topic names (other principals, so they
 * are evaluated but decide nothing for the bench), every 10th a DENY, every 8th
 * bound to a host, every 7th one more grant of the bench user's on another topic.
 */
export function benchAcls(user: string, total: number): AclBinding[] {
  const out = benchUserAcls(user)
  const ops = [Op.READ, Op.WRITE, Op.DESCRIBE, Op.CREATE, Op.ALTER]
  for (let i = 0; out.length < total; i++) {
    const principal = i % 7 === 0 ? `User:${user}` : `User:app-${i % 50}`
    const over: Partial<AclBinding> = {}
    if (i % 10 === 0 && principal !== `User:${user}`) over.permissionType = Perm.DENY
    if (i % 8 === 0) over.host = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
    const name = i % 16 === 0 && principal !== `User:${user}` ? ACL_BENCH_TOPICS[(i >> 4) % ACL_BENCH_TOPICS.length]!.slice(0, 1 + (i % 5)) : `app-topic-${i}`
    if (i % 16 === 0 && principal !== `User:${user}`) over.resourcePatternType = Pattern.PREFIXED
    out.push(i % 13 === 0 ? binding(principal, Res.GROUP, `app-group-${i}`, Op.READ, over) : binding(principal, Res.TOPIC, name, ops[i % ops.length]!, over))
  }
  return out
}

export interface AclBenchOptions {
  certsDir: string
  acls: number
  rounds: number
  sizes: Sizes
  execArgv: string[]
  signal: AbortSignal
  log: (line: string) => void
}

interface Side { name: string; cluster: LocalCluster; client: Tributary; produce: number[]; consume: number[] }

/** Both clusters, the rounds, and the rows: each side's medians, then the two ratios. */
export async function aclComparisonBench(o: AclBenchOptions): Promise<ScenarioResult[]> {
  const setups = [
    { name: 'no authorizer', setup: await secureSetup(o.certsDir) },
    { name: `${o.acls} ACLs`, setup: await secureSetup(o.certsDir, { label: `${o.acls} ACLs`, prepare: (cluster, admin, bench) => installAcls(cluster, cluster.tlsCa, admin, benchAcls(bench.username, o.acls)) }) },
  ]
  const sides: Side[] = []
  try {
    for (const { name, setup } of setups) {
      o.log(`starting a 3-node ${setup.label} cluster`)
      const cluster = await LocalCluster.start({ nodes: 3, execArgv: o.execArgv, tlsCertsDir: setup.certsDir, brokerArgs: setup.brokerArgs })
      const side: Side = { name, cluster, client: newBenchClient(cluster.bootstrap, 'bench-acls', cluster.tlsCa, setup.sasl), produce: [], consume: [] }
      sides.push(side)
      await setup.prepare?.(cluster)
    }
    const records = Math.ceil(o.sizes.consumeBytes / VALUE_BYTES)
    for (const { client } of sides) {
      await createTopic(client, PRODUCE_TOPIC, PARTITIONS, 3)
      await createTopic(client, CONSUME_TOPIC, PARTITIONS, 3)
      await produceFast(client, CONSUME_TOPIC, records, VALUE_BYTES, { acks: 1, idempotent: false }, o.signal)
    }
    for (let round = 0; round < o.rounds && !o.signal.aborted; round++) {
      const order = round % 2 === 0 ? sides : [...sides].reverse()
      for (const s of order) s.produce.push(rate(await produceFast(s.client, PRODUCE_TOPIC, o.sizes.produceRf3Records, VALUE_BYTES, { acks: 'all', idempotent: true }, o.signal)))
      for (const s of order) s.consume.push(rate(await consumeAll(s.client, CONSUME_TOPIC, PARTITIONS, records, o.signal)))
      o.log(`  round ${round + 1}: ${sides.map((s) => `${s.name} produce-rf3 ${s.produce.at(-1)} rec/s, consume ${s.consume.at(-1)} rec/s`).join('; ')}`)
    }
  } finally {
    for (const s of sides) await s.client.close().catch(() => {})
    for (const s of sides) await s.cluster.stop('SIGKILL')
  }
  if (sides.length < 2 || sides[0]!.produce.length === 0) return []
  const row = (scenario: 'produce-rf3' | 'consume', s: Side): ScenarioResult => {
    const runs = scenario === 'produce-rf3' ? s.produce : s.consume
    const recordsPerSec = median(runs)
    return { name: `${scenario} (${s.name})`, target: 'reported', measured: `${recordsPerSec.toLocaleString('en-US')} rec/s`, met: true, recordsPerSec, details: { runs: runs.join(' ') } }
  }
  const [without, withAcls] = sides as [Side, Side]
  const rows = { produce: [row('produce-rf3', without), row('produce-rf3', withAcls)], consume: [row('consume', without), row('consume', withAcls)] }
  return [...rows.produce, ...rows.consume, aclComparison('produce-rf3', rows.produce[0]!, rows.produce[1]!, o.acls), aclComparison('consume', rows.consume[0]!, rows.consume[1]!, o.acls)]
}

const rate = (t: Throughput): number => Math.round(t.records / t.seconds)

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2)
}

/** Creates the bindings as `admin` and waits until every node of the cluster holds them all. */
export async function installAcls(cluster: LocalCluster, tlsCa: Buffer | undefined, admin: Scram, acls: AclBinding[]): Promise<void> {
  const client = newBenchClient(cluster.bootstrap, 'bench-acls', tlsCa, admin)
  try {
    for (let i = 0; i < acls.length; i += ACLS_PER_REQUEST) await client.admin().createAcls({ acl: acls.slice(i, i + ACLS_PER_REQUEST) })
  } finally {
    await client.close().catch(() => {})
  }
  const deadline = Date.now() + ACLS_APPLIED_TIMEOUT_MS
  for (const url of cluster.bootstrap) {
    const one = newBenchClient([url], 'bench-acls-check', tlsCa, admin)
    try {
      while ((await countAcls(one)) < acls.length) {
        if (Date.now() > deadline) throw new Error(`${url} did not apply ${acls.length} ACLs within ${ACLS_APPLIED_TIMEOUT_MS} ms`)
        await new Promise((r) => setTimeout(r, ACLS_APPLIED_POLL_MS))
      }
    } finally {
      await one.close().catch(() => {})
    }
  }
}

async function countAcls(client: Tributary): Promise<number> {
  const r = await client.admin().describeAcls(anyAclFilter())
  return r.resources.reduce((sum, x) => sum + x.acls.length, 0)
}

/** One row: the ACL side's median against the side without an authorizer. */
export function aclComparison(scenario: string, without: ScenarioResult, withAcls: ScenarioResult, acls: number): ScenarioResult {
  const ratio = (withAcls.recordsPerSec ?? 0) / Math.max(1, without.recordsPerSec ?? 0)
  return {
    name: `${scenario}: ${acls} ACLs / none`,
    target: `>= ${(1 - ACL_OVERHEAD_MAX) * 100} %`,
    measured: `${(ratio * 100).toFixed(1)} %`,
    met: ratio >= 1 - ACL_OVERHEAD_MAX,
    details: { ratio: Number(ratio.toFixed(4)), acls, withoutRecordsPerSec: without.recordsPerSec ?? 0, withAclsRecordsPerSec: withAcls.recordsPerSec ?? 0 },
  }
}
