/**
 * `bench cluster --secure --acls N`: what authorization costs. The TLS + SCRAM
 * cluster runs produce RF 3 and consume once without an authorizer and once
 * with `--authorizer acl` and N ACL bindings in the image, the bench logging in
 * as a user that holds only what it needs (not a super user, so every request
 * is checked). The rest of the N are other principals' bindings, some of them
 * patterns that cover the bench's topics, so the index has real work when a
 * decision is not cached. Target: authorization costs at most 5 %.
 */
import {
  AclOperationTypes as Op, AclPermissionTypes as Perm, AclResourceTypes as Res, ResourcePatternTypes as Pattern,
  type AclBinding, type ClientConfig, type Tributary,
} from '@tributary/client'
import { anyAclFilter, CLUSTER_RESOURCE_NAME } from '@tributary/protocol'
import type { ScenarioResult } from './scenarios.js'
import { newBenchClient } from './workloads.js'
import type { LocalCluster } from './local-cluster.js'

export const ACLS_DEFAULT = 1000
/** Authorization may cost at most this share of produce RF 3 and consume throughput. */
export const ACL_OVERHEAD_MAX = 0.05
/** The topics the scenarios that run with ACLs write and read. */
export const ACL_BENCH_TOPICS = ['produce-rf3', 'consume']
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

/** Creates the bindings as `admin` and waits until every node of the cluster holds them all. */
export async function installAcls(cluster: LocalCluster, tlsCa: Buffer | undefined, admin: ClientConfig['sasl'], acls: AclBinding[]): Promise<void> {
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

/** One row: the ACL run's figure against the run without an authorizer. */
export function aclComparison(scenario: string, without: ScenarioResult, withAcls: ScenarioResult, acls: number): ScenarioResult {
  without.name = `${scenario} (TLS + SCRAM)`
  withAcls.name = `${scenario} (TLS + SCRAM + ${acls} ACLs)`
  const ratio = (withAcls.recordsPerSec ?? 0) / Math.max(1, without.recordsPerSec ?? 0)
  return {
    name: `${scenario}: ${acls} ACLs / none`,
    target: `>= ${(1 - ACL_OVERHEAD_MAX) * 100} %`,
    measured: `${(ratio * 100).toFixed(1)} %`,
    met: ratio >= 1 - ACL_OVERHEAD_MAX,
    details: { ratio: Number(ratio.toFixed(4)), acls, withoutRecordsPerSec: without.recordsPerSec ?? 0, withAclsRecordsPerSec: withAcls.recordsPerSec ?? 0 },
  }
}
