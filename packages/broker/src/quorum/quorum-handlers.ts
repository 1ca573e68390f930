/**
 * Quorum APIs: Raft traffic between members (one-way), and the inspection APIs
 * whose truth lives on the leader (DescribeQuorum: follower progress;
 * DescribeCluster: heartbeat ages). A non-leader forwards those to the leader,
 * once (`forwardedBy` stops loops).
 */
import { ApiKey, ErrorCode, type DescribeClusterResponse, type DescribeQuorumResponse, type QuorumReplicaState } from '@tributary/protocol'
import type { Controller } from '../controller/controller.js'
import type { MetadataView } from '../metadata/image-types.js'
import { endpointFor, listenerOf } from '../net/listeners.js'
import type { Clock, HandlerRegistry, HandlerResult, PeerClients, RequestContext } from '../seams.js'
import type { MetadataQuorum } from './metadata-quorum.js'
import { registerVoterApis } from './voter-apis.js'

/** Raft messages one frame may carry. */
export const RAFT_MESSAGES_PER_FRAME_MAX = 4096

export interface QuorumHandlerDeps {
  nodeId: number
  quorum: MetadataQuorum
  controller: Controller
  metadata: MetadataView
  peers: PeerClients
  /** Remember where a peer said it lives (observers are reached this way before they register); only from a peer entitled to say so. */
  learnEndpoint(nodeId: number, endpoint: string): void
  requestTimeoutMs: number
  clock: Clock
}

/** `endpointOf`: a node's registered primary listener, if it has registered. */
export function describeQuorum(quorum: MetadataQuorum, clusterId: string | null, endpointOf: (nodeId: number) => string | undefined = () => undefined): DescribeQuorumResponse {
  const s = quorum.status()
  const state = (id: number): QuorumReplicaState => {
    const p = s.progress.get(id)
    return {
      nodeId: id,
      logEndOffset: p ? p.match : -1,
      lastFetchTimestamp: p ? quorum.tickTime(p.lastContactTick) : -1,
      lastCaughtUpTimestamp: p ? quorum.tickTime(p.lastCaughtUpTick) : -1,
    }
  }
  return {
    clusterId,
    leaderId: s.leaderId || -1,
    leaderEpoch: s.term,
    highWatermark: s.commit,
    voters: s.voters.map(state),
    observers: s.observers.map(state),
    voterEndpoints: s.voters.flatMap((nodeId) => {
      const endpoint = endpointOf(nodeId)
      return endpoint === undefined ? [] : [{ nodeId, endpoint }]
    }),
  }
}

/**
 * A broker speaks for itself only: on an authenticated broker connection, the
 * frame's `from` and every message's `from` must be that broker's id, or the
 * frame is dropped. (Unauthenticated connections reach here only on a cluster
 * with neither secret nor CA, where nobody's identity is known.)
 */
export function fromSessionBroker(from: unknown, messages: unknown[], brokerId: number | undefined): boolean {
  if (brokerId === undefined) return true
  if (from !== brokerId) return false
  return messages.every((m) => (m as { from?: unknown } | null)?.from === brokerId)
}

export function registerQuorumApis(registry: HandlerRegistry, deps: QuorumHandlerDeps): void {
  const { quorum, controller, metadata } = deps

  registry.register(ApiKey.Raft, (body, ctx): HandlerResult => {
    const messages = body?.messages
    if (!Array.isArray(messages) || messages.length > RAFT_MESSAGES_PER_FRAME_MAX) return undefined
    if (!fromSessionBroker(body.from, messages, ctx.session.brokerId)) return undefined
    if (typeof body.endpoint === 'string' && Number.isSafeInteger(body.from) && body.from > 0) deps.learnEndpoint(body.from, body.endpoint)
    quorum.receive(messages)
    return undefined
  }, { clusterInternal: true })

  // A forwarded request names the listener the client used (an address choice, not an identity).
  const viaLeader = (apiKey: number, local: (listener: string | null) => unknown) => async (body: any, ctx?: RequestContext): Promise<HandlerResult> => {
    const listener = body?.forwardedBy !== undefined ? (typeof body?.listener === 'string' ? body.listener : null) : listenerOf(ctx)
    if (quorum.isLeader()) return { errorCode: ErrorCode.NONE, body: local(listener) }
    const leader = quorum.leaderId
    if (body?.forwardedBy !== undefined || leader === 0) {
      return { errorCode: ErrorCode.NOT_CONTROLLER, body: { errorMessage: leader === 0 ? 'no controller elected' : 'not the controller', controllerId: leader || -1 } }
    }
    try {
      const r = await deps.peers.request(leader, apiKey, { ...body, forwardedBy: deps.nodeId, ...(listener ? { listener } : {}) }, { timeoutMs: deps.requestTimeoutMs })
      return { errorCode: r.errorCode, body: r.body }
    } catch (err) {
      return { errorCode: ErrorCode.NOT_CONTROLLER, body: { errorMessage: (err as Error).message, controllerId: leader } }
    }
  }

  registerVoterApis(registry, { nodeId: deps.nodeId, quorum, peers: deps.peers, clock: deps.clock, clusterId: () => metadata.image().clusterId, requestTimeoutMs: deps.requestTimeoutMs })

  registry.register(ApiKey.DescribeQuorum, viaLeader(ApiKey.DescribeQuorum, () => {
    const image = metadata.image()
    return describeQuorum(quorum, image.clusterId, (id) => image.brokers.get(id)?.endpoint)
  }))

  registry.register(ApiKey.DescribeCluster, viaLeader(ApiKey.DescribeCluster, (listener): DescribeClusterResponse => {
    const image = metadata.image()
    return {
      clusterId: image.clusterId,
      controllerId: quorum.leaderId || -1,
      brokers: [...image.brokers.values()].sort((a, b) => a.nodeId - b.nodeId).map((b) => ({
        nodeId: b.nodeId, endpoint: endpointFor(b, listener), fenced: b.fenced, rack: b.rack,
        brokerEpoch: b.brokerEpoch, incarnationId: b.incarnationId, lastHeartbeatAgeMs: controller.heartbeatAgeMs(b.nodeId),
      })),
    }
  }))
}
