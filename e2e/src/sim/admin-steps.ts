/**
 * The nemesis's admin operations, through the SDK's real admin client, while
 * faults strike: topics created and deleted beside the checked one, partitions
 * added to them, a config of the checked topic set and removed, members joining
 * and leaving the checked group. Each runs on its own (the nemesis does not wait:
 * an admin call may take a while under a partition); a refusal is an answer, not a
 * failure (the checker judges the data, the liveness phase the cluster after).
 */
import type { Admin } from '@tributary/client'
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
}

const OPERATIONS = ['createTopic', 'deleteTopic', 'addPartitions', 'alterConfig', 'groupJoin', 'groupLeave'] as const
/** A side topic's partitions at most (they add follower fetch work to every node). */
const SIDE_PARTITIONS_MAX = 3

export async function runAdminStep(deps: AdminDeps, workload: Workload, pick: number, world: SimWorld): Promise<void> {
  const op = OPERATIONS[pick % OPERATIONS.length]!
  let detail: string
  try {
    detail = await run(op, deps, workload, pick)
  } catch (err) {
    detail = `refused: ${(err as Error).message.split('\n')[0]}`
  }
  world.record(WORLD, 'admin', `${op} ${detail}`)
}

async function run(op: (typeof OPERATIONS)[number], deps: AdminDeps, workload: Workload, pick: number): Promise<string> {
  const { admin } = deps
  switch (op) {
    case 'createTopic': {
      const topic = `side-${deps.created++}`
      await admin.createTopic({ topic, partitions: 1 + (pick % 2), replicationFactor: 3 })
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
  }
}
