/**
 * CreateAcls (30) and DeleteAcls (31) as the controller plans them against its
 * image, and DescribeAcls (29) as any node answers it from its own: Kafka's
 * shapes and rules. Creating a binding that exists already is a no-op success;
 * a bad binding fails alone (the others in the request still apply).
 */
import {
  aclFilterMatches, aclFilterProblem, ErrorCode,
  type AclBinding, type AclBindingFilter, type CreateAclsResponse, type DeleteAclsResponse, type DescribeAclsResource, type DescribeAclsResponse,
} from '@tributary/protocol'
import { aclOf, sameAcl } from '../metadata/acl-image.js'
import type { MetadataImage } from '../metadata/image-types.js'
import type { MetadataRecord } from '../metadata/records.js'
import type { ParsedCreateAcls, ParsedDeleteAcls } from './requests.js'

export interface CreateAclsPlan { records: MetadataRecord[]; response: CreateAclsResponse }
export interface DeleteAclsPlan { records: MetadataRecord[]; response: DeleteAclsResponse }

export function planCreateAcls(image: MetadataImage, req: ParsedCreateAcls, newId: () => string): CreateAclsPlan {
  const records: MetadataRecord[] = []
  const planned: AclBinding[] = [...image.acls.values()]
  const results = req.creations.map((c) => {
    if (!c.ok) return { errorCode: c.errorCode, errorMessage: c.errorMessage }
    const b = aclOf(c.value)
    if (!planned.some((x) => sameAcl(x, b))) {
      planned.push(b)
      records.push({ type: 'AccessControlEntry', version: 0, id: newId(), ...b })
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null }
  })
  return { records, response: { results } }
}

export function planDeleteAcls(image: MetadataImage, req: ParsedDeleteAcls): DeleteAclsPlan {
  const removed = new Set<string>()
  const records: MetadataRecord[] = []
  const filterResults = req.filters.map((f) => {
    if (!f.ok) return { errorCode: f.errorCode, errorMessage: f.errorMessage, matchingAcls: [] }
    const matchingAcls: DeleteAclsResponse['filterResults'][number]['matchingAcls'] = []
    for (const [id, b] of image.acls) {
      if (!aclFilterMatches(f.value, b)) continue
      matchingAcls.push({ errorCode: ErrorCode.NONE, errorMessage: null, ...b })
      if (!removed.has(id)) {
        removed.add(id)
        records.push({ type: 'RemoveAccessControlEntry', version: 0, id })
      }
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, matchingAcls }
  })
  return { records, response: { filterResults } }
}

/** DescribeAcls from an image: the matching bindings grouped by resource pattern, in a stable order. */
export function describeAcls(image: MetadataImage, filter: unknown): DescribeAclsResponse {
  const problem = aclFilterProblem(filter)
  if (problem) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem, resources: [] }
  const byResource = new Map<string, DescribeAclsResource>()
  for (const b of image.acls.values()) {
    if (!aclFilterMatches(filter as AclBindingFilter, b)) continue
    const key = `${b.resourceType}\n${b.resourcePatternType}\n${b.resourceName}`
    let r = byResource.get(key)
    if (!r) byResource.set(key, (r = { resourceType: b.resourceType, resourceName: b.resourceName, resourcePatternType: b.resourcePatternType, acls: [] }))
    r.acls.push({ principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType })
  }
  const resources = [...byResource.values()].sort((a, b) =>
    a.resourceType - b.resourceType || (a.resourceName < b.resourceName ? -1 : a.resourceName > b.resourceName ? 1 : 0) || a.resourcePatternType - b.resourcePatternType)
  for (const r of resources) r.acls.sort((a, b) => (a.principal < b.principal ? -1 : a.principal > b.principal ? 1 : 0) || a.operation - b.operation || a.permissionType - b.permissionType || (a.host < b.host ? -1 : 1))
  return { errorCode: ErrorCode.NONE, errorMessage: null, resources }
}
