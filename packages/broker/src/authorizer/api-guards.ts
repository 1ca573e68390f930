/**
 * What each API asks of the authorizer, as Kafka's KafkaApis / ControllerApis
 * check it (docs/authorization.md has the table). A guard wraps the API's
 * handler on the node the client reached: it decides from the connection's
 * session, then calls the handler with only what was allowed and adds Kafka's
 * per-item error (TOPIC_AUTHORIZATION_FAILED 29 per partition or topic,
 * GROUP_AUTHORIZATION_FAILED 30) for the rest, or refuses the whole request
 * (CLUSTER_AUTHORIZATION_FAILED 31) when the check is on the cluster.
 *
 * A body a guard cannot read is refused INVALID_REQUEST before the handler
 * sees it, so no shape can slip past a check.
 */
import { AclOperationTypes as Op, AclResourceTypes as Res, aclOperationName, ApiKey, apiName, ErrorCode, operationsBitfield, TOPIC_OPERATIONS, type AclOperationType } from '@tributary/protocol'
import type { HandlerResult, RequestContext, RequestHandler } from '../seams.js'
import type { AclAuthorizer } from './authorizer.js'

export type Guard = (body: any, ctx: RequestContext, next: RequestHandler) => Promise<HandlerResult> | HandlerResult

const refuse = (errorCode: number, errorMessage: string): HandlerResult => ({ errorCode, body: { errorMessage } })
const invalid = (what: string): HandlerResult => refuse(ErrorCode.INVALID_REQUEST, `${what} (refused before authorization)`)
const TOPIC_DENIED = 'not authorized to access this topic'
const GROUP_DENIED = 'not authorized to access this group'

type Item = Record<string, any>

/** Splits `items` by `allowed(name)`; undefined when an item has no string name. */
function split(items: unknown, nameOf: (i: any) => unknown, allowed: (name: string) => boolean): { ok: Item[]; refused: Item[] } | undefined {
  if (!Array.isArray(items)) return undefined
  const out = { ok: [] as Item[], refused: [] as Item[] }
  for (const i of items) {
    const name = nameOf(i)
    if (typeof name !== 'string') return undefined
    ;(allowed(name) ? out.ok : out.refused).push(i)
  }
  return out
}

/** Calls the handler with the allowed items under `field` and appends the refused answers to the response's `field`. */
async function withOnly(
  body: any, ctx: RequestContext, next: RequestHandler, field: string, parts: { ok: Item[]; refused: Item[] }, refusedAnswers: unknown[], emptyAnswer: () => HandlerResult,
): Promise<HandlerResult> {
  if (parts.refused.length === 0) return next(body, ctx)
  if (parts.ok.length === 0) return emptyAnswer()
  const r = await next({ ...body, [field]: parts.ok }, ctx)
  if (!r || r.errorCode !== ErrorCode.NONE || !Array.isArray((r.body as any)?.[field])) return r
  return { errorCode: r.errorCode, body: { ...(r.body as object), [field]: [...(r.body as any)[field], ...refusedAnswers] } }
}

const partitionsOf = (t: Item): unknown[] => (Array.isArray(t.partitions) ? t.partitions : [])
const partitionNo = (p: any): unknown => (typeof p === 'number' ? p : p?.partition)

export function apiGuards(authz: AclAuthorizer): Map<number, Guard> {
  const guards = new Map<number, Guard>()
  const can: Can = (ctx, op, type, name, quiet = false) => authz.authorize(ctx, op, type, name, apiName(ctx.apiKey), quiet)
  const kit: GuardKit = {
    authz,
    can,
    cluster: (op, refusal = () => refuse(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, `not authorized: ${aclOperationName(op)} on the cluster`)) =>
      (body, ctx, next) => (authz.authorizeCluster(ctx, op, apiName(ctx.apiKey)) ? next(body, ctx) : refusal()),
  }
  registerDataGuards(guards, kit)
  registerTopicAdminGuards(guards, kit)
  registerGroupGuards(guards, authz, can)
  registerClusterGuards(guards, kit)
  return guards
}

type Can = (ctx: RequestContext, op: AclOperationType, type: number, name: string, quiet?: boolean) => boolean

/** What every guard is built from: the authorizer, a check on a resource, and a guard on the cluster. */
interface GuardKit {
  authz: AclAuthorizer
  can: Can
  /** Allowed with `op` on the cluster, else the refusal (CLUSTER_AUTHORIZATION_FAILED by default). */
  cluster(op: AclOperationType, refusal?: () => HandlerResult): Guard
}

/** Per-topic checks for requests shaped `{ topics: [{ topic, partitions: [...] }] }`. */
function perTopicPartitions(kit: GuardKit, op: AclOperationType, refusedPartition: (p: unknown) => Item, opts: { clusterIfReplica?: boolean; oneWayWhen?: (body: any) => boolean } = {}): Guard {
  const { authz, can } = kit
  return async (body, ctx, next) => {
    if (opts.clusterIfReplica && body?.replicaId !== undefined && body.replicaId !== -1) {
      return authz.authorizeCluster(ctx, Op.CLUSTER_ACTION, apiName(ctx.apiKey)) ? next(body, ctx) : refuse(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'replica requests are for brokers (ClusterAction)')
    }
    const parts = split(body?.topics, (t) => t?.topic, (name) => can(ctx, op, Res.TOPIC, name))
    if (!parts) return invalid('topics must be an array of { topic, partitions }')
    const refused = parts.refused.map((t) => ({ topic: t.topic, partitions: partitionsOf(t).map((p) => ({ partition: partitionNo(p), errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, ...refusedPartition(p) })) }))
    const silent = opts.oneWayWhen?.(body) === true
    return withOnly(body, ctx, next, 'topics', parts, refused, () => (silent ? undefined : { errorCode: ErrorCode.NONE, body: { topics: refused } }))
  }
}

/** Produce, Fetch (and what an incremental fetch session adds), ListOffsets, OffsetForLeaderEpoch, DescribeProducers, DeleteRecords, Metadata. */
function registerDataGuards(guards: Map<number, Guard>, kit: GuardKit): void {
  const { can } = kit
  guards.set(ApiKey.Produce, perTopicPartitions(kit, Op.WRITE, () => ({ errorMessage: TOPIC_DENIED, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 }), { oneWayWhen: (b) => b?.acks === 0 }))
  const fetchRefused = () => ({ highWatermark: -1, logStartOffset: -1, records: new Uint8Array(0) })
  const fetchRequest = perTopicPartitions(kit, Op.READ, fetchRefused, { clusterIfReplica: true })
  guards.set(ApiKey.Fetch, async (body, ctx, next) => {
    const r = await fetchRequest(body, ctx, next)
    // An incremental fetch session reads partitions this request does not name: records leave only for topics still readable now.
    const consumerSession = (body?.replicaId ?? -1) === -1 && typeof body?.sessionEpoch === 'number' && body.sessionEpoch > 0
    if (!consumerSession || !r || r.errorCode !== ErrorCode.NONE || !Array.isArray((r.body as any)?.topics)) return r
    const topics = ((r.body as any).topics as Item[]).map((t) =>
      can(ctx, Op.READ, Res.TOPIC, t.topic, true) ? t : { ...t, partitions: partitionsOf(t).map((p) => ({ partition: partitionNo(p), errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, ...fetchRefused() })) })
    return { errorCode: r.errorCode, body: { ...(r.body as object), topics } }
  })
  guards.set(ApiKey.ListOffsets, perTopicPartitions(kit, Op.DESCRIBE, () => ({ timestamp: -1, offset: -1, leaderEpoch: -1 }), { clusterIfReplica: true }))
  guards.set(ApiKey.OffsetForLeaderEpoch, perTopicPartitions(kit, Op.DESCRIBE, () => ({ leaderEpoch: -1, endOffset: -1 }), { clusterIfReplica: true }))
  // Kafka's DescribeProducers needs Read on the topic.
  guards.set(ApiKey.DescribeProducers, perTopicPartitions(kit, Op.READ, () => ({ errorMessage: TOPIC_DENIED, activeProducers: [] })))
  // Kafka's DeleteRecords needs Delete on the topic.
  guards.set(ApiKey.DeleteRecords, perTopicPartitions(kit, Op.DELETE, () => ({ lowWatermark: -1 })))

  guards.set(ApiKey.Metadata, async (body, ctx, next) => {
    const named = Array.isArray(body?.topics)
    if (named && body.topics.some((t: unknown) => typeof t !== 'string')) return invalid('topics must be names')
    const r = await next(body, ctx)
    if (!r || r.errorCode !== ErrorCode.NONE || !Array.isArray((r.body as any)?.topics)) return r
    const topics = (r.body as any).topics as Item[]
    // All topics: the ones the principal may not Describe are left out. Named ones: refused by name, existing or not.
    const shown = named
      ? topics.map((t) => (can(ctx, Op.DESCRIBE, Res.TOPIC, t.name) ? t : { name: t.name, topicId: '', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, internal: false, partitions: [] }))
      : topics.filter((t) => can(ctx, Op.DESCRIBE, Res.TOPIC, t.name, true))
    if (body?.includeTopicAuthorizedOperations === true) {
      for (const t of shown) {
        if (t.errorCode === ErrorCode.NONE) t.authorizedOperations = operationsBitfield(TOPIC_OPERATIONS.filter((op) => can(ctx, op, Res.TOPIC, t.name, true)))
      }
    }
    return { errorCode: r.errorCode, body: { ...(r.body as object), topics: shown } }
  })
}

/** Requests naming topics in `field` (CreateTopics, DeleteTopics, CreatePartitions); with clusterOp on the cluster, every topic is allowed. */
function perTopicName(kit: GuardKit, field: string, nameOf: (t: any) => unknown, op: AclOperationType, answer: (name: string) => Item, clusterOp?: AclOperationType): Guard {
  const { authz, can } = kit
  return (body, ctx, next) => {
    if (clusterOp !== undefined && authz.authorizeCluster(ctx, clusterOp, apiName(ctx.apiKey))) return next(body, ctx)
    const parts = split(body?.[field], nameOf, (name) => can(ctx, op, Res.TOPIC, name))
    if (!parts) return invalid(`${field} must name topics`)
    const refused = parts.refused.map((t) => answer(nameOf(t) as string))
    return withOnly(body, ctx, next, field, parts, refused, () => ({ errorCode: ErrorCode.NONE, body: { [field]: refused } }))
  }
}

/** Config resources: a topic needs the operation on the topic, a broker on the cluster. */
function perConfigResource(kit: GuardKit, op: AclOperationType, extra: Item): Guard {
  const { authz, can } = kit
  return (body, ctx, next) => {
    if (!Array.isArray(body?.resources)) return invalid('resources must be an array')
    const allowedResource = (r: any): boolean | undefined => {
      if (typeof r?.name !== 'string') return undefined
      return r.type === 'topic' ? can(ctx, op, Res.TOPIC, r.name) : authz.authorizeCluster(ctx, op, apiName(ctx.apiKey))
    }
    const parts = { ok: [] as Item[], refused: [] as Item[] }
    for (const r of body.resources) {
      const a = allowedResource(r)
      if (a === undefined) return invalid('each resource needs a name')
      ;(a ? parts.ok : parts.refused).push(r)
    }
    const refused = parts.refused.map((r) => ({
      type: r.type, name: r.name, ...extra,
      errorCode: r.type === 'topic' ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'not authorized',
    }))
    return withOnly(body, ctx, next, 'resources', parts, refused, () => ({ errorCode: ErrorCode.NONE, body: { resources: refused } }))
  }
}

/** Topics and configs, and the idempotent producer's id. */
function registerTopicAdminGuards(guards: Map<number, Guard>, kit: GuardKit): void {
  const { authz } = kit
  const topicRefused = (name: string) => ({ name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: TOPIC_DENIED })
  guards.set(ApiKey.CreateTopics, perTopicName(kit, 'topics', (t) => t?.name, Op.CREATE, (name) => ({ ...topicRefused(name), topicId: null, numPartitions: -1, replicationFactor: -1 }), Op.CREATE))
  guards.set(ApiKey.DeleteTopics, perTopicName(kit, 'topics', (t) => t, Op.DELETE, topicRefused))
  guards.set(ApiKey.CreatePartitions, perTopicName(kit, 'topics', (t) => t?.name, Op.ALTER, topicRefused))
  guards.set(ApiKey.AlterConfigs, perConfigResource(kit, Op.ALTER_CONFIGS, {}))
  guards.set(ApiKey.DescribeConfigs, perConfigResource(kit, Op.DESCRIBE_CONFIGS, { configs: [] }))

  guards.set(ApiKey.InitProducerId, (body, ctx, next) => {
    const api = apiName(ctx.apiKey)
    if (authz.authorize(ctx, Op.IDEMPOTENT_WRITE, Res.CLUSTER, 'kafka-cluster', api, true) || authz.authorizeAnyOfType(ctx, Op.WRITE, Res.TOPIC)) return next(body, ctx)
    authz.authorizeCluster(ctx, Op.IDEMPOTENT_WRITE, api) // audits the denial
    return refuse(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'an idempotent producer needs IdempotentWrite on the cluster or Write on a topic')
  })
}

/** APIs checked on the cluster alone: views of the cluster, ACLs, elastic operations, quorum membership, users, and the brokers' own. */
function registerClusterGuards(guards: Map<number, Guard>, { cluster }: GuardKit): void {
  for (const key of [ApiKey.DescribeQuorum, ApiKey.DescribeCluster, ApiKey.MetadataLog, ApiKey.MetadataImage, ApiKey.MetadataSnapshots, ApiKey.DescribeAcls]) guards.set(key, cluster(Op.DESCRIBE))
  // Reassignments and elections: Alter on the cluster to change, Describe to list, as Kafka's ControllerApis.
  for (const key of [ApiKey.CreateAcls, ApiKey.DeleteAcls, ApiKey.ElectLeaders, ApiKey.AlterPartitionReassignments]) guards.set(key, cluster(Op.ALTER))
  // Quorum membership (KIP-853), as Kafka's: Alter on the cluster.
  for (const key of [ApiKey.AddRaftVoter, ApiKey.RemoveRaftVoter]) guards.set(key, cluster(Op.ALTER))
  guards.set(ApiKey.ListPartitionReassignments, cluster(Op.DESCRIBE))
  // The user APIs (by name: they come with SCRAM), as Kafka's Describe/AlterUserScramCredentials.
  const byName = ApiKey as Readonly<Record<string, number>>
  if (byName.DescribeUserScramCredentials !== undefined) guards.set(byName.DescribeUserScramCredentials, cluster(Op.DESCRIBE))
  if (byName.AlterUserScramCredentials !== undefined) guards.set(byName.AlterUserScramCredentials, cluster(Op.ALTER))
  for (const key of [ApiKey.BrokerRegistration, ApiKey.BrokerHeartbeat, ApiKey.AlterPartition]) guards.set(key, cluster(Op.CLUSTER_ACTION))
  // A broker unregisters itself (ClusterAction); an operator unregisters a fenced broker
  // with Alter on the cluster, as Kafka's kafka-cluster.sh unregister (controller/unregister-access.ts).
  guards.set(ApiKey.UnregisterBroker, (body, ctx, next) =>
    ctx.session?.brokerId !== undefined ? cluster(Op.CLUSTER_ACTION)(body, ctx, next) : cluster(Op.ALTER)(body, ctx, next))
  // One-way: a refused Raft message is dropped, as an unreachable peer's would be.
  guards.set(ApiKey.Raft, cluster(Op.CLUSTER_ACTION, () => undefined))
}

function registerGroupGuards(guards: Map<number, Guard>, authz: AclAuthorizer, can: Can): void {
  const groupRefused = () => refuse(ErrorCode.GROUP_AUTHORIZATION_FAILED, GROUP_DENIED)
  const group = (op: AclOperationType, nameOf: (body: any) => unknown, then?: Guard, refusal: () => HandlerResult = groupRefused): Guard => (body, ctx, next) => {
    const id = nameOf(body)
    if (typeof id !== 'string') return invalid('groupId must be a string')
    if (!can(ctx, op, Res.GROUP, id)) return refusal()
    return then ? then(body, ctx, next) : next(body, ctx)
  }

  guards.set(ApiKey.FindCoordinator, group(Op.DESCRIBE, (b) => b?.key, undefined, () => ({ errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, body: { errorMessage: GROUP_DENIED, nodeId: -1, endpoint: '' } })))

  guards.set(ApiKey.ConsumerGroupHeartbeat, group(Op.READ, (b) => b?.groupId, (body, ctx, next) => {
    const names: unknown = body?.subscribedTopicNames
    if (names !== undefined && names !== null) {
      if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) return invalid('subscribedTopicNames must be names')
      const refused = (names as string[]).filter((n) => !can(ctx, Op.READ, Res.TOPIC, n))
      if (refused.length > 0) return refuse(ErrorCode.TOPIC_AUTHORIZATION_FAILED, `not authorized to read ${refused.join(', ')}`)
    }
    return next(body, ctx)
  }))

  // The classic group protocol, as Kafka checks it: Read on the group (the topics are checked where offsets and records are).
  for (const key of [ApiKey.JoinGroup, ApiKey.SyncGroup, ApiKey.Heartbeat, ApiKey.LeaveGroup]) guards.set(key, group(Op.READ, (b) => b?.groupId))

  // Offsets are committed and deleted only for topics the principal may Read (refused per partition).
  const readableTopicsOnly: Guard = (body, ctx, next) => {
    const parts = split(body?.topics, (t) => t?.topic, (name) => can(ctx, Op.READ, Res.TOPIC, name))
    if (!parts) return invalid('topics must be an array of { topic, partitions }')
    const refused = parts.refused.map((t) => ({ topic: t.topic, partitions: partitionsOf(t).map((p) => ({ partition: partitionNo(p), errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) }))
    return withOnly(body, ctx, next, 'topics', parts, refused, () => ({ errorCode: ErrorCode.NONE, body: { topics: refused } }))
  }
  guards.set(ApiKey.OffsetCommit, group(Op.READ, (b) => b?.groupId, readableTopicsOnly))

  // OffsetDelete, as Kafka: Delete on the group, then Read on each topic (refused per partition).
  guards.set(ApiKey.OffsetDelete, group(Op.DELETE, (b) => b?.groupId, readableTopicsOnly))

  guards.set(ApiKey.OffsetFetch, group(Op.DESCRIBE, (b) => b?.groupId, async (body, ctx, next) => {
    if (body?.topics === null || body?.topics === undefined) {
      // Every committed partition: the topics the principal may not Describe are left out.
      const r = await next(body, ctx)
      if (!r || r.errorCode !== ErrorCode.NONE || !Array.isArray((r.body as any)?.topics)) return r
      return { errorCode: r.errorCode, body: { ...(r.body as object), topics: (r.body as any).topics.filter((t: Item) => can(ctx, Op.DESCRIBE, Res.TOPIC, t.topic, true)) } }
    }
    const parts = split(body.topics, (t) => t?.topic, (name) => can(ctx, Op.DESCRIBE, Res.TOPIC, name))
    if (!parts) return invalid('topics must be an array of { topic, partitions }')
    const refused = parts.refused.map((t) => ({ topic: t.topic, partitions: partitionsOf(t).map((p) => ({ partition: partitionNo(p), offset: -1, metadata: null, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) }))
    return withOnly(body, ctx, next, 'topics', parts, refused, () => ({ errorCode: ErrorCode.NONE, body: { topics: refused } }))
  }))

  guards.set(ApiKey.ListGroups, async (body, ctx, next) => {
    const all = authz.authorize(ctx, Op.DESCRIBE, Res.CLUSTER, 'kafka-cluster', apiName(ctx.apiKey), true)
    const r = await next(body, ctx)
    if (all || !r || r.errorCode !== ErrorCode.NONE || !Array.isArray((r.body as any)?.groups)) return r
    return { errorCode: r.errorCode, body: { ...(r.body as object), groups: (r.body as any).groups.filter((g: Item) => can(ctx, Op.DESCRIBE, Res.GROUP, g.groupId, true)) } }
  })

  const perGroup = (op: AclOperationType, field: string, answer: (groupId: string) => Item): Guard => (body, ctx, next) => {
    const parts = split(body?.groupIds, (g) => g, (id) => can(ctx, op, Res.GROUP, id))
    if (!parts) return invalid('groupIds must be names')
    const refused = parts.refused.map((g) => answer(g as unknown as string))
    if (parts.refused.length === 0) return next(body, ctx)
    if (parts.ok.length === 0) return { errorCode: ErrorCode.NONE, body: { [field]: refused } }
    return (async () => {
      const r = await next({ ...body, groupIds: parts.ok }, ctx)
      if (!r || !Array.isArray((r.body as any)?.[field])) return r
      return { errorCode: r.errorCode, body: { ...(r.body as object), [field]: [...(r.body as any)[field], ...refused] } }
    })()
  }
  guards.set(ApiKey.DescribeGroups, perGroup(Op.DESCRIBE, 'groups', (groupId) => ({ groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, state: 'dead', groupEpoch: -1, assignmentEpoch: -1, members: [] })))
  guards.set(ApiKey.DeleteGroups, perGroup(Op.DELETE, 'results', (groupId) => ({ groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED })))
}

/** APIs every connection may call: they come before or carry no authorization (SASL ones are added by name once they exist). */
export const UNGUARDED_APIS: ReadonlySet<string> = new Set(['ApiVersions', 'SaslHandshake', 'SaslAuthenticate'])
