/** The consumer-group coordinator as a test finds it: which live node answers FindCoordinator for a group. */
import { ApiKey, ErrorCode } from '@tributary/protocol'
import type { TestCluster } from './cluster.js'

const liveIds = (cluster: TestCluster): number[] => cluster.nodes.filter((n) => n.process).map((n) => n.nodeId)

/** The live node that coordinates `groupId`, once FindCoordinator names one (waits while it moves or loads). */
export async function coordinatorOf(cluster: TestCluster, groupId: string): Promise<number> {
  return cluster.waitFor(async () => {
    const live = liveIds(cluster)
    const r = await cluster.request(live[0]!, ApiKey.FindCoordinator, { key: groupId, keyType: 0 }).catch(() => undefined)
    return r && r.errorCode === ErrorCode.NONE && live.includes(r.body.nodeId) ? (r.body.nodeId as number) : undefined
  }, { message: `a live coordinator for ${groupId}` })
}
