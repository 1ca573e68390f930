/**
 * The nemesis's admin operations, through the SDK's real admin client, while
 * faults strike: topics created and deleted beside the checked one (RF 2),
 * partitions added to them and moved to another pair of brokers (reassignment),
 * a config of the checked topic set and removed, members joining and leaving the
 * checked group, and a voter removed from the metadata quorum and added back. The
 * per-event invariants watch the side topics as the checked one; the liveness
 * phase waits for a voter change to end with every node a voter again. Each runs
 * on its own (the nemesis does not wait:
 * an admin call may take a while under a partition); a refusal is an answer, not a
 * failure (the checker judges the data, the liveness phase the cluster after).
 */
import { ErrorCode, type Admin } from '@tributary/client'
import type { Workload } from '../faults/workload.js'
import { WORLD, type SimWorld } from './world.js'

export interface AdminDeps {
  admin: Admin
  /** The checked topic (only harmless configs of it change). */
  topic: string
  /** Side topics created so far and not yet deleted, oldest first. */
  sideTopics: string[]
  /** Side topics created in all (their names). */
  created: number
  /** The voter change under way (one at a time): the nemesis crashes nothing meanwhile, the heal waits for it. */
  voterChange: Promise<void> | null
  /** The cluster's node ids (every one a voter). */
  nodeIds: number[]
  /** Whether every node is up (a voter is removed only then: the smaller quorum keeps a live majority). */
  allUp: () => boolean
  /** Virtual sleep (between retries). */
  sleep: (ms: number) => Promise<void>
}

const OPERATIONS = ['createTopic', 'deleteTopic', 'addPartitions', 'alterConfig', 'groupJoin', 'groupLeave', 'reassign', 'voterChange'] as const
/** Replication factor of side topics: below the node count, so a reassignment can move a replica. */
const SIDE_RF = 2
/** How long a voter change may take, removal and re-addition (retried meanwhile), virtual ms. */
export const VOTER_CHANGE_MS_MAX = 60_000
/** Pause between two attempts of a voter change's call. */
const VOTER_RETRY_MS = 250
/** A side topic's partitions at most (they add follower fetch work to every node). */
const SIDE_PARTITIONS_MAX = 3

export async function runAdminStep(deps: AdminDeps, workload: Workload, pick: number, world: SimWorld): Promise<void> {
  const op = OPERATIONS[pick % OPERATIONS.length]!
  let detail: string
  try {
    detail = await run(op, deps, workload, pick, world)
  } catch (err) {
    detail = `refused: ${(err as Error).message.split('\n')[0]}`
  }
  world.record(WORLD, 'admin', `${op} ${detail}`)
}

async function run(op: (typeof OPERATIONS)[number], deps: AdminDeps, workload: Workload, pick: number, world: SimWorld): Promise<string> {
  const { admin } = deps
  switch (op) {
    case 'createTopic': {
      const topic = `side-${deps.created++}`
      await admin.createTopic({ topic, partitions: 1 + (pick % 2), replicationFactor: SIDE_RF })
      deps.sideTopics.push(topic)
      return topic
    }
    case 'deleteTopic': {
      const topic = deps.sideTopics.shift()
      if (topic === undefined) return 'none to delete'
      await admin.deleteTopic(topic)
      return topic
    }
    case 'addPartitions': {
      const topic = deps.sideTopics[deps.sideTopics.length - 1]
      if (topic === undefined) return 'no side topic'
      const count = Math.min(SIDE_PARTITIONS_MAX, 2 + (pick % 2))
      await admin.createPartitions({ topicPartitions: [{ topic, count }] })
      return `${topic} to ${count}`
    }
    case 'alterConfig': {
      // Harmless to the checked promises: retention of a week never strikes in a virtual minute.
      const value = pick % 4 === 0 ? null : String(604_800_000 + pick)
      await admin.alterConfigs({ resources: [{ type: 'topic', name: deps.topic, configs: [{ name: 'retention.ms', value }] }] })
      return `retention.ms=${value}`
    }
    case 'groupJoin':
      await workload.joinConsumer()
      return 'a member joined'
    case 'groupLeave':
      return (await workload.leaveConsumer()) ? 'a member left' : 'the last member stays'
    case 'reassign': {
      const topic = deps.sideTopics[deps.sideTopics.length - 1]
      if (topic === undefined) return 'no side topic'
      const ids = deps.nodeIds
      const replicas = [ids[pick % ids.length]!, ids[(pick + 1 + (pick >> 3) % (ids.length - 1)) % ids.length]!]
      await admin.alterPartitionReassignments({ topics: [{ topic, partitions: [{ partition: 0, replicas }] }] })
      return `${topic}-0 to [${replicas}]`
    }
    case 'voterChange': {
      if (deps.voterChange || !deps.allUp()) return 'not now'
      const voterId = deps.nodeIds[pick % deps.nodeIds.length]!
      deps.voterChange = changeVoter(deps, voterId, world).finally(() => { deps.voterChange = null })
      await deps.voterChange
      return `voter ${voterId} removed and added back`
    }
  }
}

/**
 * Remove `voterId` from the quorum and add it back, each retried until it succeeds
 * or the change's time is up. A retry whose first attempt committed but lost its
 * answer hears VOTER_NOT_FOUND (removal) or DUPLICATE_VOTER (addition): done.
 */
async function changeVoter(deps: AdminDeps, voterId: number, world: SimWorld): Promise<void> {
  const deadline = world.now + VOTER_CHANGE_MS_MAX
  const retry = async (what: string, call: () => Promise<void>, doneCode: number): Promise<void> => {
    for (;;) {
      try {
        return await call()
      } catch (err) {
        if ((err as { code?: number }).code === doneCode) return
        if (world.now >= deadline) throw new Error(`${what} did not succeed within ${VOTER_CHANGE_MS_MAX} virtual ms: ${(err as Error).message}`, { cause: err })
        await deps.sleep(VOTER_RETRY_MS)
      }
    }
  }
  await retry(`removing voter ${voterId}`, () => deps.admin.removeRaftVoter({ voterId, timeoutMs: 5000 }), ErrorCode.VOTER_NOT_FOUND)
  await retry(`adding voter ${voterId} back`, () => deps.admin.addRaftVoter({ voterId, timeoutMs: 5000 }), ErrorCode.DUPLICATE_VOTER)
}
