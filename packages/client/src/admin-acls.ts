/**
 * The admin client's ACL calls, in KafkaJS's shapes (admin.createAcls,
 * describeAcls, deleteAcls) with Kafka's numeric enums (AclResourceTypes,
 * AclOperationTypes, AclPermissionTypes, ResourcePatternTypes, exported from
 * the package). Creations and deletions go through the controller; a
 * description comes from any broker's image.
 */
import {
  aclBindingProblem, aclFilterProblem, ApiKey, ErrorCode,
  type AclBinding, type AclBindingFilter, type DeleteAclsResponse, type DescribeAclsResponse,
} from '@tributary/protocol'
import type { Cluster } from './cluster.js'
import { ArgumentError, responseError } from './errors.js'

/** A filter as KafkaJS takes it: resourceName, principal and host may be left out (= any). */
export type AclFilter = Omit<AclBindingFilter, 'resourceName' | 'principal' | 'host'> & { resourceName?: string | null; principal?: string | null; host?: string | null }

function toFilter(f: AclFilter, what: string): AclBindingFilter {
  const filter: AclBindingFilter = {
    resourceType: f?.resourceType, resourceName: f?.resourceName ?? null, resourcePatternType: f?.resourcePatternType,
    principal: f?.principal ?? null, host: f?.host ?? null, operation: f?.operation, permissionType: f?.permissionType,
  }
  const problem = aclFilterProblem(filter)
  if (problem) throw new ArgumentError(`${what}: ${problem}`)
  return filter
}

/** Resolves true once every binding is stored (an existing one counts), as KafkaJS's createAcls. */
export async function createAcls(cluster: Cluster, args: { acl: AclBinding[] }): Promise<boolean> {
  if (!args || !Array.isArray(args.acl) || args.acl.length === 0) throw new ArgumentError('createAcls expects { acl: [{ resourceType, resourceName, resourcePatternType, principal, host, operation, permissionType }] }')
  args.acl.forEach((b, i) => {
    const problem = aclBindingProblem(b)
    if (problem) throw new ArgumentError(`acl[${i}]: ${problem.errorMessage}`)
  })
  const r = await cluster.controllerCall(ApiKey.CreateAcls, { creations: args.acl })
  const failed = r.results.findIndex((x) => x.errorCode !== ErrorCode.NONE)
  if (failed >= 0) throw responseError(r.results[failed]!.errorCode, r.results[failed]!.errorMessage, `createAcls acl[${failed}]`)
  return true
}

export async function describeAcls(cluster: Cluster, filter: AclFilter): Promise<DescribeAclsResponse & { throttleTime: number }> {
  const r = await cluster.callAny(ApiKey.DescribeAcls, toFilter(filter, 'describeAcls'))
  if (r.errorCode !== ErrorCode.NONE) throw responseError(r.errorCode, r.errorMessage, 'describeAcls')
  return { throttleTime: 0, ...r }
}

export async function deleteAcls(cluster: Cluster, args: { filters: AclFilter[] }): Promise<{ filterResponses: DeleteAclsResponse['filterResults'] }> {
  if (!args || !Array.isArray(args.filters) || args.filters.length === 0) throw new ArgumentError('deleteAcls expects { filters: [{ resourceType, resourcePatternType, operation, permissionType, ... }] }')
  const filters = args.filters.map((f, i) => toFilter(f, `filters[${i}]`))
  const r = await cluster.controllerCall(ApiKey.DeleteAcls, { filters })
  const failed = r.filterResults.find((x) => x.errorCode !== ErrorCode.NONE)
  if (failed) throw responseError(failed.errorCode, failed.errorMessage, 'deleteAcls')
  return { filterResponses: r.filterResults }
}
