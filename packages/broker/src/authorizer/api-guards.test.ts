import { pino } from 'pino'
import { Registry } from 'prom-client'
import { AclOperationTypes as Op, ApiKey, ErrorCode, hasOperation, operationsBitfield, TOPIC_OPERATIONS, type AclBinding } from '@tributary/protocol'
import { Handlers } from '../net/handler-registry.js'
import type { HandlerResult, RequestContext, Session } from '../seams.js'
import { ManualClock } from '../testing/manual-clock.js'
import { installAuthorization } from './acl-apis.js'
import { AclAuthorizer } from './authorizer.js'
import { DenialAudit } from './denial-audit.js'

/**
 * The guards in front of stub handlers that answer from what reached them, so
 * each test sees both what the handler was given and what the client gets.
 */
function world(opts: { superUsers?: string[]; allowEveryoneIfNoAclFound?: boolean } = {}) {
  const acls: AclBinding[] = []
  const registry = new Registry()
  const clock = new ManualClock()
  const lines: Array<Record<string, unknown>> = []
  const logger = pino({ level: 'warn' }, { write: (s: string) => { lines.push(JSON.parse(s)) } })
  const audit = new DenialAudit({ clock, logger, registry })
  const authz = new AclAuthorizer({ superUsers: opts.superUsers ?? [], allowEveryoneIfNoAclFound: opts.allowEveryoneIfNoAclFound ?? false, acls: () => acls, audit })
  const handlers = new Handlers()
  const seen = new Map<number, any>()
  const echo = (apiKey: number, answer: (body: any) => unknown) => handlers.register(apiKey, (body): HandlerResult => {
    seen.set(apiKey, body)
    return { errorCode: ErrorCode.NONE, body: answer(body) }
  })
  echo(ApiKey.Produce, (b) => ({ topics: b.topics.map((t: any) => ({ topic: t.topic, partitions: t.partitions.map((p: any) => ({ partition: p.partition, errorCode: 0, baseOffset: 0 })) })) }))
  // an incremental fetch (sessionEpoch > 0) also answers what its session holds: orders-0, not named in the request
  const heldBySession = (b: any) => (b.sessionEpoch > 0 ? [{ topic: 'orders', partitions: [{ partition: 0, errorCode: 0, records: new Uint8Array(3) }] }] : [])
  echo(ApiKey.Fetch, (b) => ({ topics: [...b.topics.map((t: any) => ({ topic: t.topic, partitions: t.partitions.map((p: any) => ({ partition: p.partition, errorCode: 0 })) })), ...heldBySession(b)] }))
  echo(ApiKey.Metadata, () => ({ topics: ['orders', 'audit', 'ord-eu'].map((name) => ({ name, errorCode: 0, partitions: [{}] })) }))
  echo(ApiKey.CreateTopics, (b) => ({ topics: b.topics.map((t: any) => ({ name: t.name, errorCode: 0 })) }))
  echo(ApiKey.DeleteTopics, (b) => ({ topics: b.topics.map((name: string) => ({ name, errorCode: 0 })) }))
  echo(ApiKey.DescribeConfigs, (b) => ({ resources: b.resources.map((r: any) => ({ ...r, errorCode: 0, configs: [{}] })) }))
  echo(ApiKey.AlterConfigs, (b) => ({ resources: b.resources.map((r: any) => ({ type: r.type, name: r.name, errorCode: 0 })) }))
  echo(ApiKey.ListGroups, () => ({ groups: [{ groupId: 'billing' }, { groupId: 'dashboard' }] }))
  echo(ApiKey.DescribeGroups, (b) => ({ groups: b.groupIds.map((groupId: string) => ({ groupId, errorCode: 0 })) }))
  echo(ApiKey.ConsumerGroupHeartbeat, () => ({ memberId: 'm' }))
  echo(ApiKey.OffsetCommit, (b) => ({ topics: b.topics.map((t: any) => ({ topic: t.topic, partitions: t.partitions.map((p: any) => ({ partition: p.partition, errorCode: 0 })) })) }))
  echo(ApiKey.InitProducerId, () => ({ producerId: 1 }))
  echo(ApiKey.DescribeQuorum, () => ({}))
  echo(ApiKey.DescribeProducers, (b) => ({ topics: b.topics.map((t: any) => ({ topic: t.topic, partitions: t.partitions.map((partition: number) => ({ partition, errorCode: 0, activeProducers: [] })) })) }))
  echo(ApiKey.DeleteRecords, (b) => ({ topics: b.topics.map((t: any) => ({ topic: t.topic, partitions: t.partitions.map((p: any) => ({ partition: p.partition, lowWatermark: p.offset, errorCode: 0 })) })) }))
  echo(ApiKey.OffsetDelete, (b) => ({ topics: b.topics.map((t: any) => ({ topic: t.topic, partitions: t.partitions.map((partition: number) => ({ partition, errorCode: 0 })) })) }))
  echo(ApiKey.CreateAcls, () => ({ results: [] }))
  echo(ApiKey.ApiVersions, () => ({}))
  echo(ApiKey.FindCoordinator, () => ({ nodeId: 1 }))
  installAuthorization(handlers, authz)
  const call = async (apiKey: number, body: unknown, who: Partial<Session> & { host?: string } = {}) => {
    seen.delete(apiKey)
    const session: Session = { principal: who.principal ?? 'User:alice', authenticated: true, brokerId: who.brokerId }
    const ctx: RequestContext = { connectionId: 1, remoteAddress: who.host ?? '::ffff:10.0.0.1', apiKey, apiVersion: 0, correlationId: 1, signal: new AbortController().signal, session, tls: false, clusterAccess: who.brokerId !== undefined }
    const r = await handlers.get(apiKey)!(body, ctx)
    return { errorCode: r?.errorCode, body: r?.body as any, handled: seen.get(apiKey) }
  }
  const allow = (over: Partial<AclBinding>) => {
    acls.push({ resourceType: 2, resourceName: 'orders', resourcePatternType: 3, principal: 'User:alice', host: '*', operation: 3, permissionType: 3, ...over } as AclBinding)
    authz.invalidate()
  }
  return { call, allow, acls, authz, registry, clock, lines }
}

const produce = (...topics: string[]) => ({ acks: -1, timeoutMs: 1000, topics: topics.map((topic) => ({ topic, partitions: [{ partition: 0, records: new Uint8Array(1) }, { partition: 1, records: new Uint8Array(1) }] })) })

describe('authorization in front of each API', () => {
  test('Produce to several topics: only the unauthorized topics fail, per partition, and are never handed to the handler', async () => {
    const w = world()
    w.allow({ operation: 4 })
    const r = await w.call(ApiKey.Produce, produce('orders', 'audit'))
    expect(r.errorCode).toBe(ErrorCode.NONE)
    expect(r.handled.topics.map((t: any) => t.topic)).toEqual(['orders'])
    const codes = Object.fromEntries(r.body.topics.map((t: any) => [t.topic, t.partitions.map((p: any) => p.errorCode)]))
    expect(codes).toEqual({ orders: [0, 0], audit: [ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.TOPIC_AUTHORIZATION_FAILED] })
  })

  test('a principal with nothing gets TOPIC_AUTHORIZATION_FAILED and the handler never runs; acks=0 gets no answer', async () => {
    const w = world()
    const r = await w.call(ApiKey.Produce, produce('orders'))
    expect(r.handled).toBeUndefined()
    expect(r.body.topics[0].partitions[0].errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
    const silent = await w.call(ApiKey.Produce, { ...produce('orders'), acks: 0 })
    expect(silent.errorCode).toBeUndefined()
    expect(silent.handled).toBeUndefined()
  })

  test('DENY beats ALLOW; a new ACL takes effect on the next request (cache invalidated)', async () => {
    const w = world()
    w.allow({ operation: 4 })
    expect((await w.call(ApiKey.Produce, produce('orders'))).handled).toBeDefined()
    w.allow({ operation: 4, permissionType: 2, principal: 'User:*' })
    expect((await w.call(ApiKey.Produce, produce('orders'))).handled).toBeUndefined()
  })

  test('brokers and super users pass; the session decides, never a request field', async () => {
    const w = world({ superUsers: ['User:admin'] })
    expect((await w.call(ApiKey.Produce, produce('orders'), { principal: 'Broker:2', brokerId: 2 })).handled).toBeDefined()
    expect((await w.call(ApiKey.Produce, produce('orders'), { principal: 'User:admin' })).handled).toBeDefined()
    // A frame claiming to be forwarded or to come from a replica changes nothing.
    expect((await w.call(ApiKey.Fetch, { replicaId: 2, topics: [{ topic: 'orders', partitions: [{ partition: 0 }] }] })).errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
    expect((await w.call(ApiKey.CreateTopics, { forwardedBy: 1, topics: [{ name: 'x' }] })).body.topics[0].errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
  })

  test('Fetch needs Read: a Describe-only principal is refused per partition', async () => {
    const w = world()
    w.allow({ operation: 8 })
    const r = await w.call(ApiKey.Fetch, { replicaId: -1, topics: [{ topic: 'orders', partitions: [{ partition: 0 }] }] })
    expect(r.body.topics[0].partitions[0]).toMatchObject({ partition: 0, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, records: new Uint8Array(0) })
    w.allow({ operation: 3 })
    expect((await w.call(ApiKey.Fetch, { replicaId: -1, topics: [{ topic: 'orders', partitions: [{ partition: 0 }] }] })).body.topics[0].partitions[0].errorCode).toBe(0)
  })

  test('DescribeProducers needs Read on each topic: the others are refused per partition and never reach the handler', async () => {
    const w = world()
    w.allow({ operation: 8 }) // Describe on orders is not enough
    w.allow({ operation: 3, resourceName: 'audit' })
    const r = await w.call(ApiKey.DescribeProducers, { topics: [{ topic: 'orders', partitions: [0, 1] }, { topic: 'audit', partitions: [0] }] })
    expect(r.handled.topics.map((t: any) => t.topic)).toEqual(['audit'])
    expect(r.body.topics.map((t: any) => [t.topic, t.partitions.map((p: any) => [p.partition, p.errorCode])])).toEqual([
      ['audit', [[0, 0]]],
      ['orders', [[0, ErrorCode.TOPIC_AUTHORIZATION_FAILED], [1, ErrorCode.TOPIC_AUTHORIZATION_FAILED]]],
    ])
  })

  test('a consumer\'s fetch session serves records only of topics still readable: a revoked Read stops what the session holds', async () => {
    const w = world()
    w.allow({ operation: 3 })
    const incremental = { replicaId: -1, sessionId: 7, sessionEpoch: 3, topics: [] }
    const before = await w.call(ApiKey.Fetch, incremental)
    expect(before.body.topics[0].partitions[0]).toMatchObject({ partition: 0, errorCode: 0, records: new Uint8Array(3) })
    w.allow({ operation: 3, permissionType: 2 }) // DENY Read on orders
    const after = await w.call(ApiKey.Fetch, { ...incremental, sessionEpoch: 4 })
    expect(after.body.topics[0].partitions[0]).toMatchObject({ partition: 0, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, records: new Uint8Array(0) })
  })

  test('DeleteRecords needs Delete on each topic: Write or Read is not enough; the others are refused per partition and never reach the handler', async () => {
    const w = world()
    w.allow({ operation: 4 })
    w.allow({ operation: 3 })
    w.allow({ operation: 6, resourceName: 'audit' })
    const body = { topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: 5 }] }, { topic: 'audit', partitions: [{ partition: 1, offset: -1 }] }] }
    const r = await w.call(ApiKey.DeleteRecords, body)
    expect(r.handled.topics.map((t: any) => t.topic)).toEqual(['audit'])
    expect(r.body.topics).toEqual([
      { topic: 'audit', partitions: [{ partition: 1, lowWatermark: -1, errorCode: 0 }] },
      { topic: 'orders', partitions: [{ partition: 0, lowWatermark: -1, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED }] },
    ])
  })

  test('OffsetDelete needs Delete on the group (GROUP_AUTHORIZATION_FAILED), then Read on each topic (refused per partition)', async () => {
    const w = world()
    const body = { groupId: 'billing', topics: [{ topic: 'orders', partitions: [0, 1] }, { topic: 'audit', partitions: [0] }] }
    w.allow({ resourceType: 3, resourceName: 'billing', operation: 3 }) // Read on the group is not Delete
    w.allow({ operation: 3 })
    const refused = await w.call(ApiKey.OffsetDelete, body)
    expect([refused.errorCode, refused.handled]).toEqual([ErrorCode.GROUP_AUTHORIZATION_FAILED, undefined])
    w.allow({ resourceType: 3, resourceName: 'billing', operation: 6 })
    const r = await w.call(ApiKey.OffsetDelete, body)
    expect(r.handled.topics.map((t: any) => t.topic)).toEqual(['orders'])
    expect(r.body.topics).toEqual([
      { topic: 'orders', partitions: [{ partition: 0, errorCode: 0 }, { partition: 1, errorCode: 0 }] },
      { topic: 'audit', partitions: [{ partition: 0, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED }] },
    ])
    expect((await w.call(ApiKey.OffsetDelete, { groupId: 'billing', topics: 'orders' })).errorCode).toBe(ErrorCode.INVALID_REQUEST)
  })

  test('Metadata lists only describable topics; a named one is refused whether it exists or not', async () => {
    const w = world()
    w.allow({ resourceName: 'ord', resourcePatternType: 4, operation: 3 })
    const all = await w.call(ApiKey.Metadata, {})
    expect(all.body.topics.map((t: any) => t.name)).toEqual(['orders', 'ord-eu'])
    const named = await w.call(ApiKey.Metadata, { topics: ['orders', 'audit'] })
    const byName = Object.fromEntries(named.body.topics.map((t: any) => [t.name, t.errorCode]))
    expect(byName.audit).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
    expect(byName.orders).toBe(0)
  })

  test('Metadata answers each topic\'s authorized operations (KIP-430) from the principal\'s ACLs when asked, and only then', async () => {
    const w = world({ superUsers: ['User:admin'] })
    w.allow({ operation: Op.READ })
    w.allow({ operation: Op.ALTER_CONFIGS })
    w.allow({ resourceName: 'ord', resourcePatternType: 4, operation: Op.WRITE })
    const asked = await w.call(ApiKey.Metadata, { topics: ['orders', 'audit'], includeTopicAuthorizedOperations: true })
    const orders = asked.body.topics.find((t: any) => t.name === 'orders')
    const allowed = TOPIC_OPERATIONS.filter((op) => hasOperation(orders.authorizedOperations, op))
    // Read and Write imply Describe, AlterConfigs implies DescribeConfigs, as in Kafka.
    expect(allowed.sort()).toEqual([Op.READ, Op.WRITE, Op.DESCRIBE, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS].sort())
    expect(asked.body.topics.find((t: any) => t.name === 'audit').authorizedOperations).toBeUndefined()
    expect((await w.call(ApiKey.Metadata, { topics: ['orders'] })).body.topics[0].authorizedOperations).toBeUndefined()
    const admin = await w.call(ApiKey.Metadata, { topics: ['audit'], includeTopicAuthorizedOperations: true }, { principal: 'User:admin' })
    expect(admin.body.topics[0].authorizedOperations).toBe(operationsBitfield(TOPIC_OPERATIONS))
    // Working out the bits audits nothing (a question, not an attempt): the one denial is naming 'audit'.
    expect(w.lines.filter((l) => String(l.msg).includes('denied')).map((l) => [l.operation, l.resource])).toEqual([['Describe', 'audit']])
  })

  test('CreateTopics: Create on the cluster covers every topic; Create on a topic only that one', async () => {
    const w = world()
    w.allow({ resourceName: 'new', operation: 5 })
    const r = await w.call(ApiKey.CreateTopics, { topics: [{ name: 'new' }, { name: 'other' }], timeoutMs: 1 })
    expect(r.handled.topics.map((t: any) => t.name)).toEqual(['new'])
    expect(r.body.topics.find((t: any) => t.name === 'other').errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
    w.allow({ resourceType: 4, resourceName: 'kafka-cluster', operation: 5 })
    expect((await w.call(ApiKey.CreateTopics, { topics: [{ name: 'new' }, { name: 'other' }], timeoutMs: 1 })).handled.topics).toHaveLength(2)
  })

  test('DeleteTopics needs Delete; DescribeConfigs on a broker needs DescribeConfigs on the cluster (AlterConfigs implies it)', async () => {
    const w = world()
    expect((await w.call(ApiKey.DeleteTopics, { topics: ['orders'] })).body.topics[0].errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
    const dc = await w.call(ApiKey.DescribeConfigs, { resources: [{ type: 'broker', name: '1' }] })
    expect(dc.body.resources[0].errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
    w.allow({ resourceType: 4, resourceName: 'kafka-cluster', operation: 11 })
    expect((await w.call(ApiKey.DescribeConfigs, { resources: [{ type: 'broker', name: '1' }] })).body.resources[0].errorCode).toBe(0)
  })

  test('AlterConfigs on a broker (the throttle) needs AlterConfigs on the cluster: not on a topic, not Alter', async () => {
    const w = world()
    const body = { resources: [{ type: 'broker', name: '2', configs: [{ name: 'follower.replication.throttled.rate', op: 'set', value: '1' }] }, { type: 'broker', name: '', configs: [] }] }
    w.allow({ operation: 11 }) // AlterConfigs on topic orders
    w.allow({ resourceType: 4, resourceName: 'kafka-cluster', operation: 4 }) // Alter on the cluster
    const refused = await w.call(ApiKey.AlterConfigs, body)
    expect(refused.handled).toBeUndefined()
    expect(refused.body.resources.map((r: any) => r.errorCode)).toEqual([ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED])
    w.allow({ resourceType: 4, resourceName: 'kafka-cluster', operation: 11 })
    const allowed = await w.call(ApiKey.AlterConfigs, body)
    expect(allowed.handled.resources.map((r: any) => r.name)).toEqual(['2', ''])
    expect(allowed.body.resources.map((r: any) => r.errorCode)).toEqual([0, 0])
  })

  test('groups: Read on the group to heartbeat (GROUP_AUTHORIZATION_FAILED), Read on each named topic; ListGroups shows describable groups', async () => {
    const w = world()
    const hb = { groupId: 'dashboard', memberId: '', memberEpoch: 0, subscribedTopicNames: ['orders'] }
    expect((await w.call(ApiKey.ConsumerGroupHeartbeat, hb)).errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED)
    expect((await w.call(ApiKey.FindCoordinator, { key: 'dashboard', keyType: 0 })).errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED)
    w.allow({ resourceType: 3, resourceName: 'dashboard', operation: 3 })
    expect((await w.call(ApiKey.ConsumerGroupHeartbeat, hb)).errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
    w.allow({ operation: 3 })
    expect((await w.call(ApiKey.ConsumerGroupHeartbeat, hb)).errorCode).toBe(ErrorCode.NONE)
    expect((await w.call(ApiKey.ListGroups, {})).body.groups.map((g: any) => g.groupId)).toEqual(['dashboard'])
    const dg = await w.call(ApiKey.DescribeGroups, { groupIds: ['dashboard', 'billing'] })
    expect(dg.body.groups.map((g: any) => [g.groupId, g.errorCode])).toEqual([['dashboard', 0], ['billing', ErrorCode.GROUP_AUTHORIZATION_FAILED]])
    const oc = await w.call(ApiKey.OffsetCommit, { groupId: 'dashboard', topics: [{ topic: 'orders', partitions: [{ partition: 0 }] }, { topic: 'audit', partitions: [{ partition: 0 }] }] })
    expect(oc.handled.topics.map((t: any) => t.topic)).toEqual(['orders'])
    expect(oc.body.topics.find((t: any) => t.topic === 'audit').partitions[0].errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
  })

  test('InitProducerId: IdempotentWrite on the cluster or Write on some topic, else CLUSTER_AUTHORIZATION_FAILED', async () => {
    const w = world()
    expect((await w.call(ApiKey.InitProducerId, {})).errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
    w.allow({ resourceName: 'ord', resourcePatternType: 4, operation: 4 })
    expect((await w.call(ApiKey.InitProducerId, {})).errorCode).toBe(ErrorCode.NONE)
    w.allow({ resourceName: 'o', resourcePatternType: 4, operation: 4, permissionType: 2 })
    expect((await w.call(ApiKey.InitProducerId, {})).errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
    // Kafka's authorizeByResourceType: with no ACLs and allow-everyone, a made-up topic name is allowed.
    expect((await world({ allowEveryoneIfNoAclFound: true }).call(ApiKey.InitProducerId, {})).errorCode).toBe(ErrorCode.NONE)
  })

  test('cluster APIs need Describe / Alter on the cluster; ApiVersions needs nothing; unreadable bodies are refused, not passed on', async () => {
    const w = world()
    expect((await w.call(ApiKey.DescribeQuorum, {})).errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
    expect((await w.call(ApiKey.CreateAcls, { creations: [] })).errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
    expect((await w.call(ApiKey.ApiVersions, {})).errorCode).toBe(ErrorCode.NONE)
    w.allow({ resourceType: 4, resourceName: 'kafka-cluster', operation: 7 })
    expect((await w.call(ApiKey.DescribeQuorum, {})).errorCode).toBe(ErrorCode.NONE) // Alter implies Describe
    expect((await w.call(ApiKey.CreateAcls, { creations: [] })).errorCode).toBe(ErrorCode.NONE)
    const bad = await w.call(ApiKey.Produce, { acks: 1, topics: [{ topic: 7, partitions: [] }] })
    expect(bad.errorCode).toBe(ErrorCode.INVALID_REQUEST)
    expect(bad.handled).toBeUndefined()
  })

  test('host rules: an ACL for one address does not cover another', async () => {
    const w = world()
    w.allow({ operation: 4, host: '10.0.0.1' })
    expect((await w.call(ApiKey.Produce, produce('orders'), { host: '::ffff:10.0.0.1' })).handled).toBeDefined()
    expect((await w.call(ApiKey.Produce, produce('orders'), { host: '10.0.0.2' })).handled).toBeUndefined()
  })

  test('denials are counted by operation and resource type, and logged once per principal/operation/resource per minute', async () => {
    const w = world()
    for (let i = 0; i < 3; i++) await w.call(ApiKey.Produce, produce('orders'))
    await w.call(ApiKey.Produce, produce('audit'))
    const denials = w.lines.filter((l) => l.msg === 'authorization denied')
    expect(denials.map((l) => [l.principal, l.operation, l.resource, l.remoteAddress])).toEqual([['User:alice', 'Write', 'orders', '10.0.0.1'], ['User:alice', 'Write', 'audit', '10.0.0.1']])
    const metric = (await w.registry.getSingleMetric('tributary_authorization_denials_total')!.get()).values
    expect(metric).toEqual([{ labels: { operation: 'Write', resource_type: 'Topic' }, value: 4 }])
    await w.clock.advance(60_000)
    await w.call(ApiKey.Produce, produce('orders'))
    expect(w.lines.filter((l) => l.msg === 'authorization denied')).toHaveLength(3)
  })
})

test('without an authorizer nothing is wrapped, and the ACL APIs answer SECURITY_DISABLED', async () => {
  const handlers = new Handlers()
  const produceHandler = () => ({ errorCode: 0, body: {} })
  handlers.register(ApiKey.Produce, produceHandler)
  handlers.register(ApiKey.DescribeAcls, produceHandler)
  installAuthorization(handlers, null)
  expect(handlers.get(ApiKey.Produce)).toBe(produceHandler)
  const r = await handlers.get(ApiKey.DescribeAcls)!({}, {} as RequestContext)
  expect(r?.errorCode).toBe(ErrorCode.SECURITY_DISABLED)
})
