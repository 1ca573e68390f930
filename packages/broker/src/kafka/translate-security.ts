/**
 * The ACL and SCRAM user APIs on the Kafka listener ↔ ours, which already have
 * Kafka's numbers and shapes (protocol/src/acl.ts, api-users.ts): the same
 * guarded handlers as the WebSocket listener, so who may list or change ACLs
 * and users is decided identically on both ports. Without `--authorizer acl`
 * the ACL APIs answer SECURITY_DISABLED (54), as Kafka without an authorizer.
 *
 * v0 of the ACL APIs predates pattern types: its filters are LITERAL, and
 * prefixed bindings, which it cannot carry, are left out of its answers.
 */
import {
  ApiKey, ResourcePatternTypes,
  type AclBindingFilter, type DeleteAclsResponse, type DescribeAclsResponse, type AlterUserScramCredentialsResponse, type DescribeUserScramCredentialsResponse,
} from '@tributary/protocol'
import { arr, byKafkaKey, type Obj, type Translation } from './translation.js'

const PATTERN_TYPES_MIN_VERSION = 1

const filterOf = (k: Obj): AclBindingFilter => ({
  resourceType: k.resourceTypeFilter,
  resourceName: k.resourceNameFilter,
  resourcePatternType: k.patternTypeFilter,
  principal: k.principalFilter,
  host: k.hostFilter,
  operation: k.operation,
  permissionType: k.permissionType,
})

/** A pattern type version 0 can carry (it has no field for one: LITERAL is implied). */
const expressible = (patternType: number, version: number): boolean => version >= PATTERN_TYPES_MIN_VERSION || patternType === ResourcePatternTypes.LITERAL

const describeAcls: Translation = {
  apiKey: ApiKey.DescribeAcls,
  request: (k) => filterOf(k),
  response: (ours, _e, _m, version) => {
    const r = ours as DescribeAclsResponse
    return {
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      resources: r.resources.filter((x) => expressible(x.resourcePatternType, version)).map((x) => ({
        resourceType: x.resourceType, resourceName: x.resourceName, patternType: x.resourcePatternType, acls: x.acls,
      })),
    }
  },
  error: (_k, errorCode, errorMessage) => ({ errorCode, errorMessage, resources: [] }),
}

const createAcls: Translation = {
  apiKey: ApiKey.CreateAcls,
  request: (k) => ({
    creations: arr(k.creations).map((c) => ({
      resourceType: c.resourceType, resourceName: c.resourceName, resourcePatternType: c.resourcePatternType,
      principal: c.principal, host: c.host, operation: c.operation, permissionType: c.permissionType,
    })),
  }),
  response: (ours) => ({ results: (ours as { results: Obj[] }).results.map((x) => ({ errorCode: x.errorCode, errorMessage: x.errorMessage ?? null })) }),
  error: (k, errorCode, errorMessage) => ({ results: arr(k.creations).map(() => ({ errorCode, errorMessage })) }),
}

const deleteAcls: Translation = {
  apiKey: ApiKey.DeleteAcls,
  request: (k) => ({ filters: arr(k.filters).map(filterOf) }),
  response: (ours, _e, _m, version) => ({
    filterResults: (ours as DeleteAclsResponse).filterResults.map((f) => ({
      errorCode: f.errorCode,
      errorMessage: f.errorMessage,
      matchingAcls: f.matchingAcls.filter((a) => expressible(a.resourcePatternType, version)).map((a) => ({
        errorCode: a.errorCode, errorMessage: a.errorMessage, resourceType: a.resourceType, resourceName: a.resourceName,
        patternType: a.resourcePatternType, principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permissionType,
      })),
    })),
  }),
  error: (k, errorCode, errorMessage) => ({ filterResults: arr(k.filters).map(() => ({ errorCode, errorMessage, matchingAcls: [] })) }),
}

const describeUsers: Translation = {
  apiKey: ApiKey.DescribeUserScramCredentials,
  request: (k) => ({ users: k.users === null ? null : arr(k.users).map((u) => ({ name: u.name })) }),
  response: (ours) => {
    const r = ours as DescribeUserScramCredentialsResponse
    return { errorCode: r.errorCode, errorMessage: r.errorMessage, results: r.results }
  },
  error: (_k, errorCode, errorMessage) => ({ errorCode, errorMessage, results: [] }),
}

/** Every user a request names, once, in order: the answer has one result per user. */
const usersNamed = (k: Obj): string[] => [...new Set([...arr(k.deletions), ...arr(k.upsertions)].map((x) => String(x.name)))]

const alterUsers: Translation = {
  apiKey: ApiKey.AlterUserScramCredentials,
  request: (k) => ({
    deletions: arr(k.deletions).map((d) => ({ name: d.name, mechanism: d.mechanism })),
    upsertions: arr(k.upsertions).map((u) => ({ name: u.name, mechanism: u.mechanism, iterations: u.iterations, salt: u.salt, saltedPassword: u.saltedPassword })),
  }),
  response: (ours) => ({ results: (ours as AlterUserScramCredentialsResponse).results.map((x) => ({ user: x.user, errorCode: x.errorCode, errorMessage: x.errorMessage ?? null })) }),
  error: (k, errorCode, errorMessage) => ({ results: usersNamed(k).map((user) => ({ user, errorCode, errorMessage })) }),
}

/** By Kafka API key. */
export const SECURITY_TRANSLATIONS: ReadonlyArray<[number, Translation]> = byKafkaKey([describeAcls, createAcls, deleteAcls, describeUsers, alterUsers])
