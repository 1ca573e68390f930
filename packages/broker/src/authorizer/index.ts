/**
 * Authorization for one node (`--authorizer acl`): the ACL authorizer over this
 * node's metadata image, its denial audit in the node's metrics, the ACL APIs,
 * and the checks in front of every API. node.ts calls `setUpAuthorization`
 * before the modules register their handlers and `guard()` after.
 */
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { BrokerConfig } from '../config.js'
import type { MetadataView } from '../metadata/image-types.js'
import type { Handlers } from '../net/handler-registry.js'
import { AclOperationTypes, AclResourceTypes } from '@tributary/protocol'
import type { Clock, RequestContext } from '../seams.js'
import { installAuthorization, registerAclApis } from './acl-apis.js'
import { AclAuthorizer } from './authorizer.js'
import { DenialAudit } from './denial-audit.js'

export { AclAuthorizer } from './authorizer.js'
export { AclIndex, evaluateAcls } from './acl-evaluator.js'

export interface Authorization {
  /** null when no authorizer is configured (everything is allowed) */
  readonly authorizer: AclAuthorizer | null
  /** Wraps every handler registered so far with its check. */
  guard(): void
  /** Adds the denial counter to the node's metrics (built after the handlers). */
  registerMetrics(registry: Registry): void
  /** With an authorizer: what a connection's principal may Read (quietly: a regex that skips a topic is no denial). */
  readonly topicAccess?: (ctx: RequestContext) => (topic: string) => boolean
}

export function setUpAuthorization(deps: {
  config: Pick<BrokerConfig, 'authorizer' | 'allowEveryoneIfNoAclFound' | 'superUsers'>
  metadata: MetadataView
  handlers: Handlers
  clock: Clock
  logger: Logger
}): Authorization {
  const { config, metadata, handlers } = deps
  let authorizer: AclAuthorizer | null = null
  let audit: DenialAudit | null = null
  if (config.authorizer === 'acl') {
    audit = new DenialAudit({ clock: deps.clock, logger: deps.logger })
    const authz = new AclAuthorizer({
      superUsers: config.superUsers,
      allowEveryoneIfNoAclFound: config.allowEveryoneIfNoAclFound,
      acls: () => metadata.image().acls.values(),
      audit,
    })
    metadata.onPublish((_image, delta) => { if (delta.changes.some((c) => c.type === 'acls')) authz.invalidate() })
    authorizer = authz
  }
  registerAclApis(handlers, { metadata })
  const authz = authorizer
  const topicAccess = authz
    ? (ctx: RequestContext) => (topic: string) => authz.authorize(ctx, AclOperationTypes.READ, AclResourceTypes.TOPIC, topic, 'ConsumerGroupHeartbeat', true)
    : undefined
  return {
    authorizer, topicAccess,
    guard: () => installAuthorization(handlers, authorizer),
    registerMetrics: (registry) => { if (audit) registry.registerMetric(audit.denials) },
  }
}
