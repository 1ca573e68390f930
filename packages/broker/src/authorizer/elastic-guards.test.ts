/**
 * The elastic-cluster admin APIs are authorized as Kafka's ControllerApis does:
 * ElectLeaders and AlterPartitionReassignments need Alter on the cluster,
 * ListPartitionReassignments needs Describe on the cluster.
 */
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { AclOperationTypes as Op, AclResourceTypes as Res, ApiKey, ErrorCode, type AclBinding } from '@tributary/protocol'
import { Handlers } from '../net/handler-registry.js'
import type { RequestContext } from '../seams.js'
import { ManualClock } from '../testing/manual-clock.js'
import { installAuthorization } from './acl-apis.js'
import { AclAuthorizer } from './authorizer.js'
import { DenialAudit } from './denial-audit.js'

function world() {
  const acls: AclBinding[] = []
  const audit = new DenialAudit({ clock: new ManualClock(), logger: pino({ level: 'silent' }), registry: new Registry() })
  const authz = new AclAuthorizer({ superUsers: [], allowEveryoneIfNoAclFound: false, acls: () => acls, audit })
  const handlers = new Handlers()
  const reached: number[] = []
  for (const key of [ApiKey.ElectLeaders, ApiKey.AlterPartitionReassignments, ApiKey.ListPartitionReassignments]) {
    handlers.register(key, () => { reached.push(key); return { errorCode: ErrorCode.NONE, body: {} } })
  }
  installAuthorization(handlers, authz)
  const call = async (apiKey: number) => {
    const ctx: RequestContext = {
      connectionId: 1, remoteAddress: '10.0.0.1', apiKey, apiVersion: 0, correlationId: 1, signal: new AbortController().signal,
      session: { principal: 'User:ops', authenticated: true }, tls: false, clusterAccess: false,
    }
    return (await handlers.get(apiKey)!({ topics: null, topicPartitions: null, electionType: 0 }, ctx))!.errorCode
  }
  const allow = (operation: number) => {
    acls.push({ resourceType: Res.CLUSTER, resourceName: 'kafka-cluster', resourcePatternType: 3, principal: 'User:ops', host: '*', operation, permissionType: 3 } as AclBinding)
    authz.invalidate()
  }
  return { call, allow, reached }
}

test('without ACLs every elastic admin API is refused with CLUSTER_AUTHORIZATION_FAILED before its handler', async () => {
  const w = world()
  for (const key of [ApiKey.ElectLeaders, ApiKey.AlterPartitionReassignments, ApiKey.ListPartitionReassignments]) {
    expect(await w.call(key)).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
  }
  expect(w.reached).toEqual([])
})

test('Describe on the cluster lists reassignments but changes nothing; Alter allows elections and reassignments', async () => {
  const w = world()
  w.allow(Op.DESCRIBE)
  expect(await w.call(ApiKey.ListPartitionReassignments)).toBe(ErrorCode.NONE)
  expect(await w.call(ApiKey.AlterPartitionReassignments)).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
  expect(await w.call(ApiKey.ElectLeaders)).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
  w.allow(Op.ALTER)
  expect(await w.call(ApiKey.AlterPartitionReassignments)).toBe(ErrorCode.NONE)
  expect(await w.call(ApiKey.ElectLeaders)).toBe(ErrorCode.NONE)
  expect(w.reached).toEqual([ApiKey.ListPartitionReassignments, ApiKey.AlterPartitionReassignments, ApiKey.ElectLeaders])
})
