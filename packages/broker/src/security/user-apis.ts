/**
 * Who may manage users, and DescribeUserScramCredentials (50), which every node
 * answers from its own image (names, mechanisms, iterations: never key bytes).
 * AlterUserScramCredentials (51) goes to the controller (controller/user-ops.ts)
 * after the check here, made on the node the client reached, from the
 * connection's session, never from the request.
 *
 * With the ACL authorizer (--authorizer acl) its guard decides, as Kafka's:
 * Alter on the cluster to alter users, Describe to list them; this policy steps
 * aside. Without it: with client SASL off, anyone may (as Kafka without an
 * authorizer); with it on, only a broker or a principal listed in --super-users
 * may alter users, and any authenticated principal may describe.
 */
import { ApiKey, ErrorCode, scramByName, type DescribeUserScramCredentialsResponse } from '@tributary/protocol'
import type { MetadataView } from '../metadata/image-types.js'
import type { HandlerRegistry, HandlerResult, RequestContext } from '../seams.js'
import type { Session } from '../seams.js'

export interface UserAdminPolicy {
  /** Client SASL is on (some --sasl-mechanisms configured). */
  saslEnabled: boolean
  superUsers: readonly string[]
  /** The ACL authorizer is on: it has already checked Alter on the cluster. */
  aclAuthorizer?: boolean
  session(ctx: RequestContext): Session | undefined
}

export function mayAlterUsers(policy: UserAdminPolicy, session: Session | undefined): boolean {
  if (!policy.saslEnabled || policy.aclAuthorizer) return true
  if (!session?.authenticated) return false
  return session.brokerId !== undefined || policy.superUsers.includes(session.principal)
}

const names = (body: any): string[] => {
  const all = [...(Array.isArray(body?.deletions) ? body.deletions : []), ...(Array.isArray(body?.upsertions) ? body.upsertions : [])]
  return [...new Set(all.map((op: any) => String(op?.name ?? '')))]
}

/** The controller-API guard for AlterUserScramCredentials: undefined lets the request through. */
export function authorizeUserAdmin(policy: UserAdminPolicy) {
  return (apiKey: number, body: any, ctx: RequestContext): HandlerResult => {
    if (apiKey !== ApiKey.AlterUserScramCredentials || mayAlterUsers(policy, policy.session(ctx))) return undefined
    const errorMessage = `${policy.session(ctx)?.principal ?? 'this connection'} may not alter users (only --super-users and brokers may while client SASL is on)`
    return { errorCode: ErrorCode.NONE, body: { results: names(body).map((user) => ({ user, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage })) } }
  }
}

export function registerUserApis(registry: HandlerRegistry, deps: { metadata: MetadataView; policy: UserAdminPolicy }): void {
  registry.register(ApiKey.DescribeUserScramCredentials, (body, ctx): HandlerResult => {
    const session = deps.policy.session(ctx)
    if (deps.policy.saslEnabled && !session?.authenticated) {
      return { errorCode: ErrorCode.NONE, body: { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'describing users needs an authenticated connection', results: [] } }
    }
    const users = deps.metadata.image().users
    const wanted: string[] | null = Array.isArray(body?.users) ? body.users.map((u: any) => String(u?.name ?? '')) : null
    const results: DescribeUserScramCredentialsResponse['results'] = (wanted ?? [...users.keys()].sort()).map((user) => {
      const creds = users.get(user)
      if (!creds) return { user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: `user ${user} has no SCRAM credentials`, credentialInfos: [] }
      const credentialInfos = [...creds].map(([m, c]) => ({ mechanism: scramByName(m)?.type ?? 0, iterations: c.iterations })).sort((a, b) => a.mechanism - b.mechanism)
      return { user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos }
    })
    return { errorCode: ErrorCode.NONE, body: { errorCode: ErrorCode.NONE, errorMessage: null, results } satisfies DescribeUserScramCredentialsResponse }
  })
}
