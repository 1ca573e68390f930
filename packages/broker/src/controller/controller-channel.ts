/**
 * Reaching the controller from anywhere on a node: the local Controller when this
 * node is the active controller, else the Raft leader over PeerClients. Requests
 * that meet NOT_CONTROLLER or a dead peer are retried (capped backoff) until the
 * caller's timeout, so a controller failover is invisible to the caller except
 * as latency.
 *
 * Forwarded requests carry `forwardedBy`: a node that receives one while not the
 * controller answers NOT_CONTROLLER instead of forwarding again, so two nodes
 * with different ideas of the leader cannot bounce a request between them.
 */
import { ApiKey, ErrorCode, TributaryError, type RpcResponse } from '@tributary/protocol'
import type { Clock, ControllerChannel, HandlerRegistry, HandlerResult, PeerClients, RequestContext } from '../seams.js'
import { clusterAuthorizationFailed } from '../security/gate.js'
import { CONTROLLER_APIS, type Controller } from './controller.js'
import { unregisterAccess } from './unregister-access.js'

export const CONTROLLER_RETRY_MS_MIN = 25
export const CONTROLLER_RETRY_MS_MAX = 500
export const CONTROLLER_REQUEST_TIMEOUT_MS_DEFAULT = 30_000

export interface ControllerRouterDeps {
  nodeId: number
  clock: Clock
  controller: Controller
  peers: PeerClients
  /** The Raft leader as this node knows it (0 = unknown). */
  leaderId(): number
  /** Voters to try in turn when no leader is known (observers before their first append). */
  voters: number[]
}

export class ControllerRouter implements ControllerChannel {
  private probe = 0
  /** Requests waiting out a backoff: wake() sends them on at once. */
  private readonly waiting = new Set<() => void>()

  constructor(private readonly deps: ControllerRouterDeps) {}

  /**
   * A leader became known or this node's controller became active: retry now. At
   * start-up the backoff has grown to its cap by the time the quorum has a leader,
   * and a broker's registration waited up to that long (about 0.4 s) for nothing.
   */
  wake(): void {
    for (const go of [...this.waiting]) go()
  }

  async request<B = any>(apiKey: number, body: unknown, opts: { timeoutMs?: number } = {}): Promise<RpcResponse<B>> {
    const { clock, controller, nodeId } = this.deps
    const deadline = clock.now() + (opts.timeoutMs ?? CONTROLLER_REQUEST_TIMEOUT_MS_DEFAULT)
    let backoff = CONTROLLER_RETRY_MS_MIN
    let lastError = 'no controller known'
    for (;;) {
      const leader = this.deps.leaderId()
      if (leader === nodeId && controller.isActive()) {
        const r = await controller.handle(apiKey, body)
        if (r && r.errorCode !== ErrorCode.NOT_CONTROLLER) return r as RpcResponse<B>
        lastError = 'controller stepped down'
      } else if (leader === nodeId) {
        lastError = 'this node leads but the controller is not active yet' // it will be once the term's first entry applies
      } else {
        const target = leader !== 0 ? leader : this.nextVoter()
        if (target !== undefined) {
          const remaining = deadline - clock.now()
          if (remaining <= 0) break
          try {
            const r = await this.deps.peers.request<B>(target, apiKey, { ...(body as object), forwardedBy: nodeId }, { timeoutMs: remaining })
            if (r.errorCode !== ErrorCode.NOT_CONTROLLER) return r
            lastError = `node ${target} is not the controller`
          } catch (err) {
            lastError = (err as Error).message
          }
        }
      }
      const wait = Math.min(backoff, deadline - clock.now())
      if (wait <= 0) break
      await new Promise<void>((resolve) => {
        const go = (): void => {
          this.waiting.delete(go)
          cancel()
          resolve()
        }
        const cancel = clock.setTimeout(go, wait)
        this.waiting.add(go)
      })
      backoff = Math.min(CONTROLLER_RETRY_MS_MAX, backoff * 2)
    }
    throw new TributaryError(ErrorCode.REQUEST_TIMED_OUT, `controller unreachable: ${lastError}`)
  }

  private nextVoter(): number | undefined {
    const others = this.deps.voters.filter((v) => v !== this.deps.nodeId)
    if (others.length === 0) return undefined
    return others[this.probe++ % others.length]
  }
}

/** Requests for the controller that reach this node from clients or peers. */
export function registerControllerApis(
  registry: HandlerRegistry,
  deps: {
    controller: Controller; router: ControllerRouter; leaderId(): number; defaultTimeoutMs: number
    /** Checked on the node the request reached, before it is served or forwarded: a refusal is answered as is. */
    authorize?(apiKey: number, body: any, ctx: RequestContext): HandlerResult
  },
): void {
  for (const apiKey of CONTROLLER_APIS) {
    registry.register(apiKey, async (body, ctx): Promise<HandlerResult> => {
      const refused = deps.authorize?.(apiKey, body, ctx)
      if (refused) return refused
      if (apiKey === ApiKey.UnregisterBroker) {
        const access = unregisterAccess(body, ctx)
        if (!access.ok) return access.refusal
        body = access.body
      }
      // Only brokers create internal topics (the group coordinator makes __consumer_offsets).
      if (apiKey === ApiKey.CreateTopics && !ctx.clusterAccess && createsInternalTopic(body)) return clusterAuthorizationFailed('CreateTopics of an internal topic')
      if (deps.controller.isActive()) return deps.controller.handle(apiKey, body)
      if (body?.forwardedBy !== undefined) {
        return { errorCode: ErrorCode.NOT_CONTROLLER, body: { errorMessage: 'not the controller', controllerId: deps.leaderId() || -1 } }
      }
      const t = body?.timeoutMs
      const timeoutMs = typeof t === 'number' && t > 0 ? Math.min(t, deps.defaultTimeoutMs) : deps.defaultTimeoutMs
      try {
        const r = await deps.router.request(apiKey, body, { timeoutMs })
        return { errorCode: r.errorCode, body: r.body }
      } catch (err) {
        const code = err instanceof TributaryError ? err.code : ErrorCode.REQUEST_TIMED_OUT
        return { errorCode: code, body: { errorMessage: (err as Error).message } }
      }
    }, { clusterInternal: BROKER_ONLY_CONTROLLER_APIS.includes(apiKey) ? true : apiKey === ApiKey.UnregisterBroker ? 'unless-authenticated' : false })
  }
}

/**
 * Controller APIs only brokers call: their lifecycle and ISR changes. (UnregisterBroker
 * is also an operator's, as Kafka's kafka-cluster.sh unregister: unregister-access.ts.)
 */
export const BROKER_ONLY_CONTROLLER_APIS: readonly number[] = [ApiKey.BrokerRegistration, ApiKey.BrokerHeartbeat, ApiKey.AlterPartition]

function createsInternalTopic(body: unknown): boolean {
  const topics = (body as { topics?: unknown } | null)?.topics
  return Array.isArray(topics) && topics.some((t) => (t as { internal?: unknown } | null)?.internal === true)
}
