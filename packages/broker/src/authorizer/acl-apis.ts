/**
 * The ACL APIs at the edge: DescribeAcls (29) answered by any node from its own
 * image; CreateAcls (30) and DeleteAcls (31) go to the controller
 * (controller/acl-ops.ts). Without `--authorizer acl` all three answer
 * SECURITY_DISABLED, as Kafka does without an authorizer.
 */
import { AclOperationTypes, ApiKey, apiName, ErrorCode } from '@tributary/protocol'
import { describeAcls } from '../controller/acl-ops.js'
import type { MetadataView } from '../metadata/image-types.js'
import type { Handlers } from '../net/handler-registry.js'
import type { HandlerRegistry, HandlerResult, RequestHandler } from '../seams.js'
import { apiGuards, UNGUARDED_APIS, type Guard } from './api-guards.js'
import type { AclAuthorizer } from './authorizer.js'

export function registerAclApis(registry: HandlerRegistry, deps: { metadata: MetadataView }): void {
  registry.register(ApiKey.DescribeAcls, (body): HandlerResult => {
    if (body === null || typeof body !== 'object') return { errorCode: ErrorCode.INVALID_REQUEST, body: { errorMessage: 'the body must be an ACL filter' } }
    const r = describeAcls(deps.metadata.image(), body)
    return { errorCode: ErrorCode.NONE, body: r }
  })
}

const ACL_APIS = [ApiKey.DescribeAcls, ApiKey.CreateAcls, ApiKey.DeleteAcls]

/**
 * Puts the authorizer's check in front of every registered API (call it after
 * every module registered its handlers). An API no guard names needs Alter on
 * the cluster: a new API is closed until someone decides what it checks.
 * With no authorizer nothing is wrapped (no cost per request) except the ACL
 * APIs, which answer SECURITY_DISABLED.
 */
export function installAuthorization(handlers: Handlers, authz: AclAuthorizer | null): void {
  if (!authz) {
    const disabled: RequestHandler = () => ({ errorCode: ErrorCode.SECURITY_DISABLED, body: { errorMessage: 'no authorizer is configured (start the brokers with --authorizer acl)' } })
    for (const key of ACL_APIS) if (handlers.has(key)) handlers.wrap(key, () => disabled)
    return
  }
  const guards = apiGuards(authz)
  const closed: Guard = (body, ctx, next) => (authz.authorizeCluster(ctx, AclOperationTypes.ALTER, apiName(ctx.apiKey))
    ? next(body, ctx)
    : { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, body: { errorMessage: `not authorized: Alter on the cluster (${apiName(ctx.apiKey)})` } })
  for (const key of handlers.keys()) {
    if (UNGUARDED_APIS.has(apiName(key))) continue
    const guard = guards.get(key) ?? closed
    handlers.wrap(key, (inner) => (body, ctx) => guard(body, ctx, inner))
  }
}
