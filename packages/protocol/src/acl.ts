/**
 * Kafka's ACL model, shared by the broker (which stores and evaluates ACLs), the
 * SDK and the CLI (which build and print them). The numbers are Kafka's
 * (org.apache.kafka.common.resource.ResourceType, PatternType, acl.AclOperation,
 * acl.AclPermissionType), so a binding reads the same as in kafka-acls and
 * KafkaJS's `AclResourceTypes` / `AclOperationTypes` / ... enums.
 */
import { ErrorCode } from './errors.js'

export const AclResourceTypes = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5 } as const
export const ResourcePatternTypes = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const
export const AclOperationTypes = {
  UNKNOWN: 0, ANY: 1, ALL: 2, READ: 3, WRITE: 4, CREATE: 5, DELETE: 6, ALTER: 7, DESCRIBE: 8,
  CLUSTER_ACTION: 9, DESCRIBE_CONFIGS: 10, ALTER_CONFIGS: 11, IDEMPOTENT_WRITE: 12,
} as const
export const AclPermissionTypes = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const

export type AclResourceType = (typeof AclResourceTypes)[keyof typeof AclResourceTypes]
export type ResourcePatternType = (typeof ResourcePatternTypes)[keyof typeof ResourcePatternTypes]
export type AclOperationType = (typeof AclOperationTypes)[keyof typeof AclOperationTypes]
export type AclPermissionType = (typeof AclPermissionTypes)[keyof typeof AclPermissionTypes]

/** The name of the one Cluster resource, and the wildcard resource name / host / principal name. */
export const CLUSTER_RESOURCE_NAME = 'kafka-cluster'
export const ACL_WILDCARD = '*'
export const WILDCARD_PRINCIPAL = 'User:*'

/** One ACL, as CreateAcls creates it, DescribeAcls lists it and the metadata log stores it. */
export interface AclBinding {
  resourceType: AclResourceType
  resourceName: string
  resourcePatternType: ResourcePatternType
  /** 'User:alice', or 'User:*' for everyone */
  principal: string
  /** a client address, or '*' */
  host: string
  operation: AclOperationType
  permissionType: AclPermissionType
}

/**
 * What DescribeAcls and DeleteAcls select: null = any value; ANY matches every
 * type, operation or permission; patternType MATCH selects the bindings that
 * would apply to the named resource (its literal, the `*` wildcard, prefixes of it).
 */
export interface AclBindingFilter {
  resourceType: AclResourceType
  resourceName: string | null
  resourcePatternType: ResourcePatternType
  principal: string | null
  host: string | null
  operation: AclOperationType
  permissionType: AclPermissionType
}

// ------------------------------------------------------------------ wire bodies (Kafka's CreateAcls 30, DescribeAcls 29, DeleteAcls 31)
export interface CreateAclsRequest { creations: AclBinding[] }
export interface CreateAclsResponse { results: Array<{ errorCode: number; errorMessage: string | null }> }
export type DescribeAclsRequest = AclBindingFilter
export interface AclDescription { principal: string; host: string; operation: AclOperationType; permissionType: AclPermissionType }
export interface DescribeAclsResource { resourceType: AclResourceType; resourceName: string; resourcePatternType: ResourcePatternType; acls: AclDescription[] }
export interface DescribeAclsResponse { errorCode: number; errorMessage: string | null; resources: DescribeAclsResource[] }
export interface DeleteAclsRequest { filters: AclBindingFilter[] }
export interface DeleteAclsMatchingAcl extends AclBinding { errorCode: number; errorMessage: string | null }
export interface DeleteAclsResponse { filterResults: Array<{ errorCode: number; errorMessage: string | null; matchingAcls: DeleteAclsMatchingAcl[] }> }

// ------------------------------------------------------------------ names (for the CLI, logs, docs)
const RESOURCE_NAMES: Record<number, string> = { 1: 'Any', 2: 'Topic', 3: 'Group', 4: 'Cluster', 5: 'TransactionalId' }
const PATTERN_NAMES: Record<number, string> = { 1: 'Any', 2: 'Match', 3: 'Literal', 4: 'Prefixed' }
const OPERATION_NAMES: Record<number, string> = {
  1: 'Any', 2: 'All', 3: 'Read', 4: 'Write', 5: 'Create', 6: 'Delete', 7: 'Alter', 8: 'Describe',
  9: 'ClusterAction', 10: 'DescribeConfigs', 11: 'AlterConfigs', 12: 'IdempotentWrite',
}
const PERMISSION_NAMES: Record<number, string> = { 1: 'Any', 2: 'Deny', 3: 'Allow' }

export const aclResourceTypeName = (t: number): string => RESOURCE_NAMES[t] ?? `Unknown(${t})`
export const aclPatternTypeName = (t: number): string => PATTERN_NAMES[t] ?? `Unknown(${t})`
export const aclOperationName = (t: number): string => OPERATION_NAMES[t] ?? `Unknown(${t})`
export const aclPermissionName = (t: number): string => PERMISSION_NAMES[t] ?? `Unknown(${t})`

const byName = (table: Record<number, string>) => {
  const map = new Map(Object.entries(table).map(([n, name]) => [name.toLowerCase().replace(/[-_]/g, ''), Number(n)]))
  return (name: string): number | undefined => map.get(name.toLowerCase().replace(/[-_]/g, ''))
}
/** 'Read', 'read', 'DESCRIBE_CONFIGS', 'describe-configs' → the number (undefined when unknown). */
export const aclOperationByName = byName(OPERATION_NAMES) as (name: string) => AclOperationType | undefined
export const aclPatternTypeByName = byName(PATTERN_NAMES) as (name: string) => ResourcePatternType | undefined

/** One line a person reads: `User:alice from * Allow Read on Topic:LITERAL:orders`. */
export function describeAclBinding(b: AclBinding): string {
  return `${b.principal} from ${b.host} ${aclPermissionName(b.permissionType)} ${aclOperationName(b.operation)} on ` +
    `${aclResourceTypeName(b.resourceType)}:${aclPatternTypeName(b.resourcePatternType).toUpperCase()}:${b.resourceName}`
}

// ------------------------------------------------------------------ validation and filter matching

const STORED_RESOURCE_TYPES = new Set<number>([2, 3, 4, 5])
const STORED_OPERATIONS = new Set<number>([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
/** Bounds so one binding cannot bloat the metadata log. */
export const ACL_FIELD_CHARS_MAX = 1000

/** Why a binding may not be stored (Kafka's rules), or undefined when it may. */
export function aclBindingProblem(b: unknown): { errorCode: number; errorMessage: string } | undefined {
  const invalid = (errorMessage: string) => ({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage })
  const x = b as Partial<AclBinding> | null
  if (x === null || typeof x !== 'object') return invalid('an ACL binding must be an object')
  if (!STORED_RESOURCE_TYPES.has(x.resourceType as number)) return invalid(`resourceType ${String(x.resourceType)} is not Topic (2), Group (3), Cluster (4) or TransactionalId (5)`)
  if (x.resourcePatternType !== 3 && x.resourcePatternType !== 4) return invalid(`resourcePatternType ${String(x.resourcePatternType)} is not LITERAL (3) or PREFIXED (4)`)
  if (!STORED_OPERATIONS.has(x.operation as number)) return invalid(`operation ${String(x.operation)} is not one an ACL can name`)
  if (x.permissionType !== 2 && x.permissionType !== 3) return invalid(`permissionType ${String(x.permissionType)} is not DENY (2) or ALLOW (3)`)
  for (const field of ['resourceName', 'principal', 'host'] as const) {
    const v = x[field]
    if (typeof v !== 'string' || v === '' || v.length > ACL_FIELD_CHARS_MAX) return invalid(`${field} must be a string of 1..${ACL_FIELD_CHARS_MAX} characters`)
  }
  if (!/^[A-Za-z][A-Za-z0-9]*:.+$/.test(x.principal!)) return invalid(`principal '${x.principal}' is not like User:alice or User:*`)
  if (x.resourceType === 4 && x.resourceName !== CLUSTER_RESOURCE_NAME) return invalid(`the Cluster resource is named '${CLUSTER_RESOURCE_NAME}'`)
  if (x.resourcePatternType === 4 && x.resourceName === ACL_WILDCARD) return invalid('a PREFIXED pattern may not be \'*\' (use LITERAL \'*\')')
  return undefined
}

/** Why a filter is unusable (a value outside Kafka's filter enums, a name that is not a string), or undefined. */
export function aclFilterProblem(f: unknown): string | undefined {
  const x = f as Partial<AclBindingFilter> | null
  if (x === null || typeof x !== 'object') return 'an ACL filter must be an object'
  if (![1, 2, 3, 4, 5].includes(x.resourceType as number)) return `resourceType ${String(x.resourceType)} is not a resource type filter`
  if (![1, 2, 3, 4].includes(x.resourcePatternType as number)) return `resourcePatternType ${String(x.resourcePatternType)} is not a pattern type filter`
  if (![1, ...STORED_OPERATIONS].includes(x.operation as number)) return `operation ${String(x.operation)} is not an operation filter`
  if (![1, 2, 3].includes(x.permissionType as number)) return `permissionType ${String(x.permissionType)} is not a permission filter`
  for (const field of ['resourceName', 'principal', 'host'] as const) {
    const v = x[field]
    if (v !== null && v !== undefined && typeof v !== 'string') return `${field} must be a string or null`
  }
  return undefined
}

/** Whether a filter selects a binding (Kafka's AclBindingFilter.matches). */
export function aclFilterMatches(f: AclBindingFilter, b: AclBinding): boolean {
  if (f.resourceType !== 1 && f.resourceType !== b.resourceType) return false
  if (f.principal != null && f.principal !== b.principal) return false
  if (f.host != null && f.host !== b.host) return false
  if (f.operation !== 1 && f.operation !== b.operation) return false
  if (f.permissionType !== 1 && f.permissionType !== b.permissionType) return false
  return patternFilterMatches(f, b)
}

function patternFilterMatches(f: AclBindingFilter, b: AclBinding): boolean {
  if (f.resourcePatternType === 2) {
    // MATCH: the bindings that apply to the named resource.
    if (f.resourceName == null) return true
    if (b.resourcePatternType === 3) return b.resourceName === f.resourceName || b.resourceName === ACL_WILDCARD
    return f.resourceName.startsWith(b.resourceName)
  }
  if (f.resourcePatternType !== 1 && f.resourcePatternType !== b.resourcePatternType) return false
  return f.resourceName == null || f.resourceName === b.resourceName
}

/** A filter that selects everything (DescribeAcls with no options). */
export function anyAclFilter(): AclBindingFilter {
  return { resourceType: 1, resourceName: null, resourcePatternType: 1, principal: null, host: null, operation: 1, permissionType: 1 }
}

/**
 * Kafka's authorized-operations bitfield (KIP-430): bit n is set when operation
 * n is allowed. Metadata answers it per topic when asked
 * (`includeTopicAuthorizedOperations`), so a UI learns in one request what it
 * may offer; the authorizer still checks each action when it arrives.
 */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648
/** The operations a topic ACL can grant, as Kafka lists them for the Topic resource. */
export const TOPIC_OPERATIONS: readonly AclOperationType[] = [
  AclOperationTypes.READ, AclOperationTypes.WRITE, AclOperationTypes.CREATE, AclOperationTypes.DELETE,
  AclOperationTypes.ALTER, AclOperationTypes.DESCRIBE, AclOperationTypes.DESCRIBE_CONFIGS, AclOperationTypes.ALTER_CONFIGS,
]
export function operationsBitfield(allowed: Iterable<AclOperationType>): number {
  let bits = 0
  for (const op of allowed) bits |= 1 << op
  return bits
}
export function hasOperation(bits: number | undefined, op: AclOperationType): boolean {
  return bits !== undefined && bits !== AUTHORIZED_OPERATIONS_OMITTED && (bits & (1 << op)) !== 0
}
