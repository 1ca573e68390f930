/**
 * The admin client's elastic-cluster calls, in the shapes of Kafka's Admin
 * (electLeaders, alterPartitionReassignments, listPartitionReassignments), all
 * answered by the controller.
 */
import { ApiKey, ElectionType, errorName, ErrorCode } from '@tributary/protocol'
import type { Cluster } from './cluster.js'
import { ArgumentError, responseError } from './errors.js'

export interface ElectLeadersArgs {
  /** 'preferred' (default): the first replica; 'unclean': any live replica of a leaderless partition (may lose data). */
  electionType?: 'preferred' | 'unclean'
  /** absent: every partition of every topic */
  topicPartitions?: Array<{ topic: string; partitions: number[] }>
  timeoutMs?: number
}

/** errorCode 0: elected; ELECTION_NOT_NEEDED (84): it already led; PREFERRED_LEADER_NOT_AVAILABLE (80): not live or not in sync. */
export interface ElectionResult { topic: string; partition: number; errorCode: number; error: string | null }

/** replicas null cancels the partition's reassignment. */
export interface ReassignmentTopic { topic: string; partitions: Array<{ partition: number; replicas: number[] | null }> }

export interface PartitionReassignment { topic: string; partition: number; replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }

const TIMEOUT_MS_DEFAULT = 30_000

const isPartitionList = (a: unknown): a is number[] => Array.isArray(a) && a.every((n) => Number.isSafeInteger(n) && n >= 0)

export async function electLeaders(cluster: Cluster, args: ElectLeadersArgs): Promise<ElectionResult[]> {
  const type = args.electionType ?? 'preferred'
  if (type !== 'preferred' && type !== 'unclean') throw new ArgumentError(`electionType must be 'preferred' or 'unclean', got ${String(type)}`)
  const tps = args.topicPartitions
  if (tps !== undefined && (!Array.isArray(tps) || !tps.every((tp) => typeof tp?.topic === 'string' && isPartitionList(tp.partitions)))) {
    throw new ArgumentError('topicPartitions must be [{ topic, partitions: [numbers] }]')
  }
  const timeoutMs = args.timeoutMs ?? TIMEOUT_MS_DEFAULT
  const r = await cluster.controllerCall(ApiKey.ElectLeaders, {
    electionType: type === 'preferred' ? ElectionType.PREFERRED : ElectionType.UNCLEAN, topicPartitions: tps ?? null, timeoutMs,
  }, { timeoutMs: timeoutMs + 5_000 })
  return r.replicaElectionResults.flatMap((t) => t.partitionResult.map((p) => ({ topic: t.topic, partition: p.partitionId, errorCode: p.errorCode, error: p.errorMessage })))
}

/** Throws the first partition's refusal (the others of the request were applied). */
export async function alterPartitionReassignments(cluster: Cluster, args: { topics: ReassignmentTopic[]; timeoutMs?: number }): Promise<void> {
  const ok = Array.isArray(args?.topics) && args.topics.every((t) => typeof t?.topic === 'string' && Array.isArray(t.partitions)
    && t.partitions.every((p) => Number.isSafeInteger(p?.partition) && (p.replicas === null || isPartitionList(p.replicas))))
  if (!ok) throw new ArgumentError('alterPartitionReassignments expects { topics: [{ topic, partitions: [{ partition, replicas: [broker ids] | null }] }] }')
  const timeoutMs = args.timeoutMs ?? TIMEOUT_MS_DEFAULT
  const r = await cluster.controllerCall(ApiKey.AlterPartitionReassignments, {
    timeoutMs,
    topics: args.topics.map((t) => ({ name: t.topic, partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, replicas: p.replicas })) })),
  }, { timeoutMs: timeoutMs + 5_000 })
  if (r.errorCode !== ErrorCode.NONE) throw responseError(r.errorCode, r.errorMessage, 'alterPartitionReassignments')
  const failed = r.responses.flatMap((t) => t.partitions.filter((p) => p.errorCode !== ErrorCode.NONE).map((p) => ({ topic: t.name, ...p })))
  if (failed.length > 0) {
    const first = failed[0]!
    const more = failed.length > 1 ? ` (and ${failed.length - 1} more: ${failed.slice(1, 4).map((f) => `${f.topic}-${f.partitionIndex} ${errorName(f.errorCode)}`).join(', ')})` : ''
    throw responseError(first.errorCode, `${first.errorMessage ?? errorName(first.errorCode)}${more}`, `alterPartitionReassignments ${first.topic}-${first.partitionIndex}`)
  }
}

export async function listPartitionReassignments(cluster: Cluster, args: { topics?: Array<{ topic: string; partitions?: number[] }>; timeoutMs?: number }): Promise<PartitionReassignment[]> {
  const topics = args.topics?.map((t) => ({ name: t.topic, partitionIndexes: t.partitions ?? [] }))
  if (topics && !topics.every((t) => typeof t.name === 'string' && isPartitionList(t.partitionIndexes))) throw new ArgumentError('topics must be [{ topic, partitions?: [numbers] }]')
  const r = await cluster.controllerCall(ApiKey.ListPartitionReassignments, { timeoutMs: args.timeoutMs ?? TIMEOUT_MS_DEFAULT, topics: topics ?? null })
  if (r.errorCode !== ErrorCode.NONE) throw responseError(r.errorCode, r.errorMessage, 'listPartitionReassignments')
  return r.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas, addingReplicas: p.addingReplicas, removingReplicas: p.removingReplicas })))
}
