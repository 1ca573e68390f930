/**
 * `dev`'s status line: which nodes are up, and who leads at which term. The two
 * come from different places on purpose: a node is up when its process serves
 * (GET /healthz), whatever the quorum is doing; leader and term come from
 * DescribeQuorum, which has no answer while an election runs. Counting only
 * DescribeQuorum answers showed "nodes up 0/3" during every election.
 */
import { probeHealth, probeQuorum, type QuorumProbe } from '../node-rpc.js'

/** How long one status probe may take, at most (the status line polls every half second). */
export const STATUS_PROBE_MS_MAX = 2_000

export interface DevStatus {
  /** -1 when no leader is known. */
  leader: number
  term: number
  commit: number
  up: number
}

export interface NodeProbes {
  /** Whether the node's process serves HTTP on its port. */
  healthy(url: string, timeoutMs: number): Promise<boolean>
  quorum(url: string, timeoutMs: number): Promise<QuorumProbe>
}

export const liveProbes: NodeProbes = { healthy: probeHealth, quorum: probeQuorum }

/** Probe every node at once; `previous` keeps the last known term while no node can name one. */
export async function pollStatus(urls: string[], timeoutMs: number, probes: NodeProbes = liveProbes, previous?: DevStatus): Promise<DevStatus> {
  const ms = Math.min(timeoutMs, STATUS_PROBE_MS_MAX)
  const [health, quorums] = await Promise.all([
    Promise.all(urls.map((u) => probes.healthy(u, ms).catch(() => false))),
    Promise.all(urls.map((u) => probes.quorum(u, ms).catch(() => null))),
  ])
  const answers = quorums.filter((q): q is QuorumProbe => q !== null)
  // Trust the node that claims the highest term: a partitioned old leader lags behind it.
  const best = answers.filter((a) => a.leaderId > 0).sort((a, b) => b.leaderEpoch - a.leaderEpoch)[0]
  const term = Math.max(...answers.map((a) => a.leaderEpoch), previous?.term ?? 0)
  return { leader: best?.leaderId ?? -1, term, commit: best?.highWatermark ?? previous?.commit ?? 0, up: health.filter(Boolean).length }
}

export function statusLine(s: DevStatus, total: number): string {
  const leader = s.leader > 0 ? `leader ${s.leader}` : 'leader none'
  return `${leader}  term ${s.term}  commit ${s.commit}  nodes up ${s.up}/${total}`
}
