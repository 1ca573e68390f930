/**
 * Auditing of authorization denials: each denial is counted in /metrics by
 * operation and resource type, and logged once per (principal, operation,
 * resource) per minute with the client's address, so a client retrying in a
 * loop cannot flood the log.
 */
import { aclOperationName, aclResourceTypeName } from '@tributary/protocol'
import type { Logger } from 'pino'
import { Counter, type Registry } from 'prom-client'
import type { Clock } from '../seams.js'

/** One log line per (principal, operation, resource) per this long. */
export const DENIAL_LOG_INTERVAL_MS = 60_000
/** Remembered keys beyond which old ones are forgotten (bounded memory under a scan of many names). */
const REMEMBERED_DENIALS_MAX = 10_000

export interface Denial {
  principal: string
  host: string
  operation: number
  resourceType: number
  resourceName: string
  api: string
}

export class DenialAudit {
  private readonly lastLoggedMs = new Map<string, number>()
  /** Registered in the node's metrics registry by its owner (registerMetric). */
  readonly denials: Counter<'operation' | 'resource_type'>

  constructor(private readonly deps: { clock: Clock; logger: Logger; registry?: Registry }) {
    this.denials = new Counter({
      name: 'tributary_authorization_denials_total',
      help: 'requests (or parts of requests) refused by the ACL authorizer, by operation and resource type',
      labelNames: ['operation', 'resource_type'],
      registers: deps.registry ? [deps.registry] : [],
    })
  }

  denied(d: Denial): void {
    const operation = aclOperationName(d.operation)
    const resourceType = aclResourceTypeName(d.resourceType)
    this.denials.inc({ operation, resource_type: resourceType })
    const key = `${d.principal}\n${d.operation}\n${d.resourceType}\n${d.resourceName}`
    const now = this.deps.clock.now()
    const last = this.lastLoggedMs.get(key)
    if (last !== undefined && now - last < DENIAL_LOG_INTERVAL_MS) return
    if (this.lastLoggedMs.size >= REMEMBERED_DENIALS_MAX) this.forgetOld(now)
    this.lastLoggedMs.set(key, now)
    this.deps.logger.warn({ principal: d.principal, remoteAddress: d.host, operation, resourceType, resource: d.resourceName, api: d.api }, 'authorization denied')
  }

  private forgetOld(now: number): void {
    for (const [k, t] of this.lastLoggedMs) if (now - t >= DENIAL_LOG_INTERVAL_MS) this.lastLoggedMs.delete(k)
    if (this.lastLoggedMs.size >= REMEMBERED_DENIALS_MAX) this.lastLoggedMs.clear()
  }
}
