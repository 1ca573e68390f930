/**
 * The node's ACL authorizer (`--authorizer acl`): decides from the connection's
 * session and address, never from a request field, against the ACLs of this
 * node's metadata image. Every node applies the same ACL records, so every node
 * decides the same way.
 *
 * Brokers (a session with a brokerId) and `--super-users` may do anything.
 * Decisions are cached per connection (its session object) and resource, and the cache
 * is dropped whenever an ACL record is applied (`invalidate`), so a new or
 * deleted ACL takes effect with the next request after it reaches this node.
 */
import { AclResourceTypes, CLUSTER_RESOURCE_NAME, type AclBinding, type AclOperationType } from '@tributary/protocol'
import type { Session } from '../seams.js'
import { AclIndex, evaluateAcls, normalizeHost, type AclAction } from './acl-evaluator.js'
import type { DenialAudit } from './denial-audit.js'

/** Cached decisions kept per connection and operation; past it that cache starts over (a scan of many names cannot grow it without bound). */
const CACHED_DECISIONS_MAX = 10_000

/** Decisions of one connection: host → (operation, resource type) → resource name → allowed. */
type ConnectionDecisions = Map<string, Map<number, Map<string, boolean>>>

export interface AuthorizerOptions {
  superUsers: readonly string[]
  allowEveryoneIfNoAclFound: boolean
  /** The ACLs in this node's image now. */
  acls(): Iterable<AclBinding>
  audit: DenialAudit
}

/** Who is asking: the connection's session and address. */
export interface Requestor {
  session: Session
  remoteAddress: string
}

export class AclAuthorizer {
  private index: AclIndex | null = null
  /**
   * Keyed by the connection's session object (one per connection, replaced when
   * it re-authenticates), so a lookup builds no string: three map reads.
   */
  private cache = new WeakMap<Session, ConnectionDecisions>()
  private readonly superUsers: ReadonlySet<string>
  /** Bumps on every ACL change (consumers of decisions, e.g. regex subscriptions, compare it). */
  generation = 0

  constructor(private readonly opts: AuthorizerOptions) {
    this.superUsers = new Set(opts.superUsers)
  }

  /** An ACL record was applied (or a snapshot installed): every cached decision is void. */
  invalidate(): void {
    this.index = null
    this.cache = new WeakMap()
    this.generation++
  }

  /**
   * Whether `who` may do `operation` on the resource. A denial is audited unless
   * `quiet` (Metadata and ListGroups leave out what the caller may not see, as
   * Kafka does, without logging each).
   */
  authorize(who: Requestor, operation: AclOperationType, resourceType: number, resourceName: string, api: string, quiet = false): boolean {
    const { session } = who
    if (session.brokerId !== undefined) return true
    const byOp = this.decisionsFor(session, who.remoteAddress, operation * 16 + resourceType)
    let allowed = byOp.get(resourceName)
    if (allowed === undefined) {
      allowed = this.decide(session.principal, normalizeHost(who.remoteAddress), { resourceType, resourceName, operation })
      if (byOp.size >= CACHED_DECISIONS_MAX) byOp.clear()
      byOp.set(resourceName, allowed)
    }
    if (!allowed && !quiet) this.opts.audit.denied({ principal: session.principal, host: normalizeHost(who.remoteAddress), operation, resourceType, resourceName, api })
    return allowed
  }

  authorizeCluster(who: Requestor, operation: AclOperationType, api: string): boolean {
    return this.authorize(who, operation, AclResourceTypes.CLUSTER, CLUSTER_RESOURCE_NAME, api)
  }

  /**
   * Kafka's authorizeByResourceType (InitProducerId's "Write on any topic"):
   * allowed when a made-up name of the type would be (super users, or no ACL
   * and --allow-everyone-if-no-acl-found), or when some ALLOW pattern for the
   * operation is not dominated by a DENY (a literal `*` DENY denies all).
   */
  authorizeAnyOfType(who: Requestor, operation: AclOperationType, resourceType: number): boolean {
    const { session } = who
    if (session.brokerId !== undefined) return true
    const host = normalizeHost(who.remoteAddress)
    if (this.decide(session.principal, host, { resourceType, resourceName: 'hardcode', operation })) return true
    const deny = { literal: new Set<string>(), prefixed: new Set<string>() }
    const allow: AclBinding[] = []
    let wildcardAllow = false
    for (const b of this.opts.acls()) {
      if (b.resourceType !== resourceType || (b.host !== '*' && b.host !== host)) continue
      if ((b.principal !== session.principal && b.principal !== 'User:*') || (b.operation !== operation && b.operation !== 2)) continue
      const literal = b.resourcePatternType === 3
      if (b.permissionType === 2) {
        if (literal && b.resourceName === '*') return false
        ;(literal ? deny.literal : deny.prefixed).add(b.resourceName)
      } else if (literal && b.resourceName === '*') {
        wildcardAllow = true
      } else {
        allow.push(b)
      }
    }
    if (wildcardAllow) return true
    const dominated = (name: string) => {
      for (let i = 1; i <= name.length; i++) if (deny.prefixed.has(name.slice(0, i))) return true
      return false
    }
    return allow.some((b) => !(b.resourcePatternType === 3 && deny.literal.has(b.resourceName)) && !dominated(b.resourceName))
  }

  private decisionsFor(session: Session, remoteAddress: string, opAndType: number): Map<string, boolean> {
    let byHost = this.cache.get(session)
    if (!byHost) this.cache.set(session, (byHost = new Map()))
    let byOpType = byHost.get(remoteAddress)
    if (!byOpType) byHost.set(remoteAddress, (byOpType = new Map()))
    let byName = byOpType.get(opAndType)
    if (!byName) byOpType.set(opAndType, (byName = new Map()))
    return byName
  }

  private decide(principal: string, host: string, action: AclAction): boolean {
    this.index ??= new AclIndex(this.opts.acls())
    return evaluateAcls(this.index, { principal, host }, action, { superUsers: this.superUsers, allowEveryoneIfNoAclFound: this.opts.allowEveryoneIfNoAclFound }).allowed
  }
}
