/**
 * What the ACL authorizer costs per request, in process (no sockets, so the
 * figure holds on a loaded machine where `bench cluster --secure` cannot see 5 %):
 * the Produce guard with 1,000 bindings in the image, in front of a handler that
 * does nothing, against the bare handler; a cached decision (one connection
 * asking again) and an uncached one (a new connection each time, as after an
 * ACL change drops the cache). Rounds alternate so machine load hits all alike.
 *   node packages/broker/dist/bench/authorizer.js
 */
import { pino } from 'pino'
import { AclOperationTypes as Op, AclResourceTypes as Res, ApiKey, type AclBinding } from '@tributary/protocol'
import { installAuthorization } from '../authorizer/acl-apis.js'
import { AclAuthorizer } from '../authorizer/authorizer.js'
import { DenialAudit } from '../authorizer/denial-audit.js'
import { Handlers } from '../net/handler-registry.js'
import type { RequestContext, RequestHandler, Session } from '../seams.js'
import { systemClock } from '../seams.js'

const ACLS = Number(process.env.TRIBUTARY_BENCH_ACLS ?? 1000)
const REQUESTS = Number(process.env.TRIBUTARY_BENCH_REQUESTS ?? 200_000)
const ROUNDS = Number(process.env.TRIBUTARY_BENCH_ROUNDS ?? 4)
const TOPIC = 'orders'

/** The bench principal's grant, then other principals' bindings (some PREFIXED over its topic) up to ACLS. */
function bindings(): AclBinding[] {
  const b = (principal: string, resourceName: string, operation: number, patternType = 3, permissionType = 3): AclBinding =>
    ({ resourceType: Res.TOPIC, resourceName, resourcePatternType: patternType, principal, host: '*', operation, permissionType } as AclBinding)
  const out = [b('User:bench', TOPIC, Op.WRITE)]
  for (let i = 0; out.length < ACLS; i++) {
    out.push(i % 16 === 0 ? b(`User:app-${i % 50}`, TOPIC.slice(0, 1 + (i % 5)), Op.READ, 4, i % 32 === 0 ? 2 : 3) : b(`User:app-${i % 50}`, `app-topic-${i}`, [Op.READ, Op.WRITE, Op.DESCRIBE][i % 3]!))
  }
  return out
}

const signal = new AbortController().signal
function ctx(session: Session): RequestContext {
  return { connectionId: 1, remoteAddress: '127.0.0.1', apiKey: ApiKey.Produce, apiVersion: 0, correlationId: 1, signal, session, tls: false, clusterAccess: false }
}

async function perRequestNs(handler: RequestHandler, body: unknown, sessionFor: (i: number) => Session): Promise<number> {
  const started = process.hrtime.bigint()
  for (let i = 0; i < REQUESTS; i++) await handler(body, ctx(sessionFor(i)))
  return Number(process.hrtime.bigint() - started) / REQUESTS
}

async function main(): Promise<void> {
  const acls = bindings()
  const audit = new DenialAudit({ clock: systemClock, logger: pino({ level: 'silent' }) })
  const authz = new AclAuthorizer({ superUsers: [], allowEveryoneIfNoAclFound: false, acls: () => acls, audit })
  const bare: RequestHandler = () => ({ errorCode: 0, body: {} })
  const handlers = new Handlers()
  handlers.register(ApiKey.Produce, bare)
  installAuthorization(handlers, authz)
  const guarded = handlers.get(ApiKey.Produce)!
  const body = { acks: -1, timeoutMs: 1000, topics: [{ topic: TOPIC, partitions: [0, 1, 2].map((partition) => ({ partition, records: new Uint8Array(0) })) }] }
  const one: Session = { principal: 'User:bench', authenticated: true }
  const fresh = () => ({ principal: 'User:bench', authenticated: true })
  const runs = { bare: [] as number[], cached: [] as number[], uncached: [] as number[] }
  for (let round = 0; round < ROUNDS; round++) {
    runs.bare.push(await perRequestNs(bare, body, () => one))
    runs.cached.push(await perRequestNs(guarded, body, () => one))
    authz.invalidate()
    runs.uncached.push(await perRequestNs(guarded, body, fresh))
  }
  const best = (xs: number[]) => Math.min(...xs)
  const result = {
    bench: 'authorizer-produce-guard', acls: acls.length, requests: REQUESTS, rounds: ROUNDS,
    bareNsPerRequest: Math.round(best(runs.bare)),
    cachedNsPerRequest: Math.round(best(runs.cached)),
    uncachedNsPerRequest: Math.round(best(runs.uncached)),
    cachedOverheadNs: Math.round(best(runs.cached) - best(runs.bare)),
    uncachedOverheadNs: Math.round(best(runs.uncached) - best(runs.bare)),
  }
  console.log(`authorizer: Produce guard (1 topic, 3 partitions) with ${acls.length} ACL bindings, best of ${ROUNDS} rounds of ${REQUESTS.toLocaleString()} requests`)
  console.log(`  bare handler ${result.bareNsPerRequest} ns/request; guarded, cached decision ${result.cachedNsPerRequest} ns (+${result.cachedOverheadNs}); new connection each time ${result.uncachedNsPerRequest} ns (+${result.uncachedOverheadNs})`)
  console.log(JSON.stringify(result))
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
