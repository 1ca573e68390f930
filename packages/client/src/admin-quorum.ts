/**
 * The admin client's quorum membership calls (KIP-853's AddRaftVoter /
 * RemoveRaftVoter, Kafka's Admin.addRaftVoter / removeRaftVoter): one voter at a
 * time, answered once the new voter set has committed. Any node passes them on to
 * the Raft leader. Both need Alter on the cluster.
 */
import { ApiKey } from '@tributary/protocol'
import type { Cluster } from './cluster.js'
import { ArgumentError } from './errors.js'

const TIMEOUT_MS_DEFAULT = 30_000

function voterIdOf(voterId: unknown, call: string): number {
  if (!Number.isSafeInteger(voterId) || (voterId as number) <= 0) throw new ArgumentError(`${call}: voterId must be a positive integer, got ${String(voterId)}`)
  return voterId as number
}

/**
 * Make observer `voterId` a voter. It must be a node the leader replicates the
 * metadata log to and caught up with it (else REQUEST_TIMED_OUT, retried); a node
 * started with --process-roles broker is refused.
 */
export async function addRaftVoter(cluster: Cluster, args: { voterId: number; timeoutMs?: number }): Promise<void> {
  const voterId = voterIdOf(args?.voterId, 'addRaftVoter')
  const timeoutMs = args.timeoutMs ?? TIMEOUT_MS_DEFAULT
  await cluster.controllerCall(ApiKey.AddRaftVoter, { clusterId: null, timeoutMs, voterId }, { timeoutMs: timeoutMs + 5_000 })
}

/** Remove voter `voterId` (the leader included: it hands over once the removal commits). It stays an observer. */
export async function removeRaftVoter(cluster: Cluster, args: { voterId: number; timeoutMs?: number }): Promise<void> {
  const voterId = voterIdOf(args?.voterId, 'removeRaftVoter')
  const timeoutMs = args.timeoutMs ?? TIMEOUT_MS_DEFAULT
  await cluster.controllerCall(ApiKey.RemoveRaftVoter, { clusterId: null, voterId }, { timeoutMs: timeoutMs + 5_000 })
}
