/**
 * AddRaftVoter (80) / RemoveRaftVoter (81), KIP-853: change the metadata quorum's
 * voter set, one voter at a time, through the Raft leader. Guarded like Kafka's
 * (Alter on the Cluster: authorizer/api-guards.ts); a node that is not the leader
 * forwards the request to it once (`forwardedBy` stops loops). The answer comes
 * once the configuration has committed (or the request's timeout passed).
 */
import { ApiKey, ErrorCode, TributaryError, type AddRaftVoterResponse, type RemoveRaftVoterResponse } from '@tributary/protocol'
import type { VoterChange } from '@tributary/raft'
import type { Clock, HandlerRegistry, HandlerResult, PeerClients } from '../seams.js'
import type { MetadataQuorum } from './metadata-quorum.js'

export interface VoterApiDeps {
  nodeId: number
  quorum: MetadataQuorum
  peers: PeerClients
  clock: Clock
  clusterId(): string | null
  requestTimeoutMs: number
}

const refuse = (errorCode: number, errorMessage: string): HandlerResult => ({ errorCode, body: { errorMessage } satisfies AddRaftVoterResponse })

export function registerVoterApis(registry: HandlerRegistry, deps: VoterApiDeps): void {
  registry.register(ApiKey.AddRaftVoter, (body) => changeVoter(deps, ApiKey.AddRaftVoter, body, 'add'))
  registry.register(ApiKey.RemoveRaftVoter, (body) => changeVoter(deps, ApiKey.RemoveRaftVoter, body, 'remove'))
}

async function changeVoter(deps: VoterApiDeps, apiKey: number, body: any, type: VoterChange['type']): Promise<HandlerResult> {
  const id = body?.voterId
  if (!Number.isSafeInteger(id) || id <= 0) return refuse(ErrorCode.INVALID_REQUEST, 'voterId must be a positive integer')
  const clusterId = deps.clusterId()
  if (body?.clusterId != null && clusterId !== null && body.clusterId !== clusterId) {
    return refuse(ErrorCode.INVALID_REQUEST, `cluster id ${String(body.clusterId)} is not this cluster's (${clusterId})`)
  }
  const t = body?.timeoutMs
  const timeoutMs = typeof t === 'number' && t > 0 ? Math.min(t, deps.requestTimeoutMs) : deps.requestTimeoutMs
  if (!deps.quorum.isLeader()) return forward(deps, apiKey, body, timeoutMs)
  try {
    await withTimeout(deps.clock, deps.quorum.changeVoter({ type, id }), timeoutMs)
    return { errorCode: ErrorCode.NONE, body: { errorMessage: null } satisfies RemoveRaftVoterResponse }
  } catch (err) {
    if (err instanceof TributaryError) return refuse(err.code, err.message)
    throw err
  }
}

async function forward(deps: VoterApiDeps, apiKey: number, body: any, timeoutMs: number): Promise<HandlerResult> {
  const leader = deps.quorum.leaderId
  if (body?.forwardedBy !== undefined || leader === 0 || leader === deps.nodeId) {
    return refuse(ErrorCode.NOT_CONTROLLER, leader === 0 ? 'no Raft leader elected' : `node ${deps.nodeId} does not lead the metadata quorum`)
  }
  try {
    const r = await deps.peers.request(leader, apiKey, { ...body, forwardedBy: deps.nodeId }, { timeoutMs })
    return { errorCode: r.errorCode, body: r.body }
  } catch (err) {
    return refuse(ErrorCode.NOT_CONTROLLER, `forwarding to the Raft leader ${leader}: ${(err as Error).message}`)
  }
}

/** The change may still commit after we answer: the operator sees the voter set in `metadata status`. */
function withTimeout<T>(clock: Clock, p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cancel = clock.setTimeout(() => reject(new TributaryError(ErrorCode.REQUEST_TIMED_OUT, `the voter change did not commit within ${ms} ms (it may still)`)), ms)
    p.then(
      (v) => {
        cancel()
        resolve(v)
      },
      (e: unknown) => {
        cancel()
        reject(e instanceof Error ? e : new Error(String(e)))
      },
    )
  })
}
