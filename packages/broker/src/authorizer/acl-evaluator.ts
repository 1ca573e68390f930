/**
 * ACL evaluation exactly as Kafka's StandardAuthorizer decides
 * (StandardAuthorizerData.authorize / findResult):
 *
 * - a super user may do anything;
 * - the ACLs that apply to a resource are its LITERAL name, the LITERAL `*`,
 *   and every PREFIXED pattern the name starts with, of the same resource type;
 * - among those, an ACL speaks only for its principal (or `User:*`) and its host
 *   (or `*`); a DENY for the operation (or All) wins over any ALLOW;
 * - an ALLOW for Read, Write, Delete or Alter also allows Describe, and an ALLOW
 *   for AlterConfigs also allows DescribeConfigs (a DENY implies nothing);
 * - when no ACL at all applies to the resource (for anyone), the answer is
 *   `allowEveryoneIfNoAclFound`; when some do but none allows, it is DENY.
 *
 * Pure: the index is built once per ACL change, lookups are map reads.
 */
import { ACL_WILDCARD, AclOperationTypes as Op, WILDCARD_PRINCIPAL, type AclBinding, type AclOperationType } from '@tributary/protocol'

/** What is asked: an operation on one named resource. */
export interface AclAction {
  resourceType: number
  resourceName: string
  operation: AclOperationType
}

export interface AclRequestor {
  principal: string
  /** the client's address ('::ffff:' prefixes already removed) */
  host: string
}

export type AclDecisionReason = 'super-user' | 'allow-acl' | 'deny-acl' | 'no-acl-found' | 'no-allow-acl'
export interface AclDecision { allowed: boolean; reason: AclDecisionReason; acl?: AclBinding }

export interface EvaluatorOptions {
  superUsers: ReadonlySet<string>
  allowEveryoneIfNoAclFound: boolean
}

const IMPLIES_DESCRIBE = new Set<number>([Op.DESCRIBE, Op.READ, Op.WRITE, Op.DELETE, Op.ALTER])
const IMPLIES_DESCRIBE_CONFIGS = new Set<number>([Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS])

interface TypeIndex {
  /** LITERAL bindings by name ('*' included) */
  literal: Map<string, AclBinding[]>
  /** PREFIXED bindings by prefix */
  prefixed: Map<string, AclBinding[]>
  /** the prefix lengths present, so a lookup tries only those */
  prefixLengths: number[]
}

/** The ACLs arranged for lookup by resource. */
export class AclIndex {
  private readonly types = new Map<number, TypeIndex>()
  readonly size: number

  constructor(bindings: Iterable<AclBinding>) {
    let n = 0
    for (const b of bindings) {
      n++
      let t = this.types.get(b.resourceType)
      if (!t) this.types.set(b.resourceType, (t = { literal: new Map(), prefixed: new Map(), prefixLengths: [] }))
      const map = b.resourcePatternType === 4 ? t.prefixed : t.literal
      const list = map.get(b.resourceName)
      if (list) list.push(b)
      else map.set(b.resourceName, [b])
    }
    for (const t of this.types.values()) t.prefixLengths = [...new Set([...t.prefixed.keys()].map((k) => k.length))].sort((a, b) => a - b)
    this.size = n
  }

  /** Every ACL that applies to the resource, for anyone. */
  applicable(resourceType: number, name: string): AclBinding[] {
    const t = this.types.get(resourceType)
    if (!t) return []
    const out: AclBinding[] = []
    const push = (list: AclBinding[] | undefined) => { if (list) for (const b of list) out.push(b) }
    push(t.literal.get(name))
    if (name !== ACL_WILDCARD) push(t.literal.get(ACL_WILDCARD))
    for (const len of t.prefixLengths) {
      if (len > name.length) break
      push(t.prefixed.get(name.slice(0, len)))
    }
    return out
  }
}

/** Kafka's findResult: what one ACL says about the request (undefined = it does not speak to it). */
export function aclResult(acl: AclBinding, who: AclRequestor, operation: number): boolean | undefined {
  if (acl.principal !== who.principal && acl.principal !== WILDCARD_PRINCIPAL) return undefined
  if (acl.host !== ACL_WILDCARD && acl.host !== who.host) return undefined
  if (acl.operation !== Op.ALL) {
    if (acl.permissionType === 3) {
      if (operation === Op.DESCRIBE) { if (!IMPLIES_DESCRIBE.has(acl.operation)) return undefined }
      else if (operation === Op.DESCRIBE_CONFIGS) { if (!IMPLIES_DESCRIBE_CONFIGS.has(acl.operation)) return undefined }
      else if (operation !== acl.operation) return undefined
    } else if (operation !== acl.operation) {
      return undefined
    }
  }
  return acl.permissionType === 3
}

export function evaluateAcls(index: AclIndex, who: AclRequestor, action: AclAction, opts: EvaluatorOptions): AclDecision {
  if (opts.superUsers.has(who.principal)) return { allowed: true, reason: 'super-user' }
  const acls = index.applicable(action.resourceType, action.resourceName)
  if (acls.length === 0) return { allowed: opts.allowEveryoneIfNoAclFound, reason: 'no-acl-found' }
  let allow: AclBinding | undefined
  for (const acl of acls) {
    const r = aclResult(acl, who, action.operation)
    if (r === false) return { allowed: false, reason: 'deny-acl', acl }
    if (r === true) allow ??= acl
  }
  return allow ? { allowed: true, reason: 'allow-acl', acl: allow } : { allowed: false, reason: 'no-allow-acl' }
}

/** Node reports IPv4 clients on a dual-stack socket as '::ffff:10.0.0.5'; ACL hosts name '10.0.0.5'. */
export function normalizeHost(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
}
