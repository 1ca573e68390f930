/**
 * Every node's view of the metadata quorum's (term → leader), polled with
 * DescribeQuorum until stopped. Raft allows at most one leader per term, so a
 * term seen with two leaders is a split brain (the checker's
 * `two-leaders-in-a-term`). A node that is down, paused or cut off simply adds
 * nothing while it is.
 */
import { ApiKey, type DescribeQuorumResponse } from '@tributary/protocol'
import { sleep, type TestCluster } from '../cluster.js'

export const LEADER_WATCH_INTERVAL_MS = 100
/** One poll's answer deadline: a paused node must not hold the others' polls back (each node has its own loop). */
const POLL_TIMEOUT_MS = 1000

export interface TermLeaders { term: number; leaders: number[] }

export class LeaderWatch {
  private readonly leaders = new Map<number, Set<number>>()
  private running = true
  private readonly done: Promise<void>

  constructor(private readonly cluster: TestCluster, ids: readonly number[], private readonly intervalMs = LEADER_WATCH_INTERVAL_MS) {
    this.done = Promise.all(ids.map((id) => this.poll(id))).then(() => undefined)
  }

  private async poll(id: number): Promise<void> {
    while (this.running) {
      if (this.cluster.node(id).process) {
        try {
          const r = await this.cluster.request<DescribeQuorumResponse>(id, ApiKey.DescribeQuorum, {}, POLL_TIMEOUT_MS)
          if (r.errorCode === 0 && r.body.leaderId > 0) {
            const set = this.leaders.get(r.body.leaderEpoch) ?? new Set<number>()
            set.add(r.body.leaderId)
            this.leaders.set(r.body.leaderEpoch, set)
          }
        } catch {
          // down, paused or unreachable: nothing to see
        }
      }
      await sleep(this.intervalMs)
    }
  }

  /** Stop polling; every term seen with its leaders, in term order. */
  async stop(): Promise<TermLeaders[]> {
    this.running = false
    await this.done
    return [...this.leaders].sort(([a], [b]) => a - b).map(([term, ids]) => ({ term, leaders: [...ids].sort((x, y) => x - y) }))
  }
}
