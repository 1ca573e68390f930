/**
 * Partition reassignment (KIP-455) as pure functions of a partition's state:
 * the PartitionChange records that start, complete or cancel one.
 *
 * While a partition is reassigned its `replicas` are the target replicas
 * followed by the ones being removed; `addingReplicas` = target − original,
 * `removingReplicas` = original − target. Adding replicas host the partition as
 * followers and catch up by ordinary fetching; the leader adds them to the ISR
 * (AlterPartition). The change that makes the ISR hold every target replica
 * also completes the reassignment, in the same record: replicas become the
 * target, removed replicas leave the ISR, and leadership moves if the leader was
 * removed. Brokers then drop (and delete) the replicas the metadata no longer
 * places on them. A cancel restores the original replicas the same way.
 *
 * Because every step is one committed record, a controller that dies mid-way
 * leaves a state the next controller continues from: nothing is kept in memory.
 */
import {
  ErrorCode, isInt, type AlterPartitionReassignmentsRequest, type AlterPartitionReassignmentsResponse,
  type ListPartitionReassignmentsRequest, type ListPartitionReassignmentsResponse,
} from '@tributary/protocol'
import type { MetadataImage, PartitionState } from '../metadata/image-types.js'
import type { PartitionChangeRecord } from '../metadata/records.js'
import { electLeader, NO_LEADER, partitionChange } from './partition-election.js'

/** Replicas one partition may be reassigned to (Kafka caps replication factors far lower in practice). */
export const REASSIGNMENT_REPLICAS_MAX = 100

export type ReassignmentPlan = { ok: true; record: PartitionChangeRecord | null } | { ok: false; errorCode: number; message: string }

const fail = (errorCode: number, message: string): ReassignmentPlan => ({ ok: false, errorCode, message })
const minus = (a: readonly number[], b: readonly number[]): number[] => a.filter((x) => !b.includes(x))

export function isReassigning(p: PartitionState): boolean {
  return (p.addingReplicas?.length ?? 0) > 0 || (p.removingReplicas?.length ?? 0) > 0
}

/** The replicas the partition had before its reassignment began (its replicas when none is in progress). */
export function originalReplicas(p: PartitionState): number[] {
  return minus(p.replicas, p.addingReplicas ?? [])
}

/** The replicas the partition will have once its reassignment completes. */
export function targetReplicas(p: PartitionState): number[] {
  return minus(p.replicas, p.removingReplicas ?? [])
}

/** undefined = a valid target replica list; else why not. */
export function targetProblem(image: MetadataImage, target: unknown): string | undefined {
  if (!Array.isArray(target) || target.length === 0 || target.length > REASSIGNMENT_REPLICAS_MAX) return `replicas must list 1..${REASSIGNMENT_REPLICAS_MAX} broker ids`
  if (new Set(target).size !== target.length) return 'replicas repeat a broker'
  for (const id of target) if (!isInt(id) || !image.brokers.has(id)) return `broker ${String(id)} is not registered`
  return undefined
}

/**
 * The state after moving `p` towards `target` (replacing any reassignment in
 * progress): target first, then the original replicas leaving. Completes at once
 * when the ISR already holds the whole target (a reorder or a pure removal).
 */
export function planReassignment(p: PartitionState, target: number[], live: (id: number) => boolean): ReassignmentPlan {
  const original = originalReplicas(p)
  const replicas = [...target, ...minus(original, target)]
  const isr = p.isr.filter((r) => replicas.includes(r))
  if (isr.length === 0) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'no in-sync replica would remain')
  const set = { replicas, addingReplicas: minus(target, original), removingReplicas: minus(original, target) }
  return settle(p, isr, set, live)
}

/** The state after cancelling `p`'s reassignment: its original replicas, the partial copies dropped. */
export function planCancel(p: PartitionState, live: (id: number) => boolean): ReassignmentPlan {
  if (!isReassigning(p)) return fail(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, `partition ${p.partition} of '${p.topic}' is not being reassigned`)
  const replicas = originalReplicas(p)
  const isr = p.isr.filter((r) => replicas.includes(r))
  if (isr.length === 0) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'no original replica is in sync: the reassignment cannot be cancelled now')
  return settle(p, isr, { replicas, addingReplicas: [], removingReplicas: [] }, live)
}

/**
 * The record for an ISR change the leader asked for, completing the partition's
 * reassignment when the new ISR holds every target replica.
 */
export function isrChange(p: PartitionState, isr: number[], live: (id: number) => boolean): PartitionChangeRecord | null {
  if (!isReassigning(p)) return partitionChange(p, p.leader, isr)
  const set = { replicas: p.replicas, addingReplicas: p.addingReplicas ?? [], removingReplicas: p.removingReplicas ?? [] }
  const plan = settle(p, isr, set, live)
  return plan.ok ? plan.record : partitionChange(p, p.leader, isr)
}

/**
 * The record for `p` moving to `set` with `isr`: completed when the ISR holds
 * every target replica and one of them can lead, else in progress. The leader
 * stays unless it is no longer a replica.
 */
function settle(p: PartitionState, isr: number[], set: { replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }, live: (id: number) => boolean): ReassignmentPlan {
  const target = minus(set.replicas, set.removingReplicas)
  if (target.every((r) => isr.includes(r))) {
    const done = { replicas: target, addingReplicas: [], removingReplicas: [] }
    const doneIsr = isr.filter((r) => target.includes(r))
    const leader = leaderWithin(p, done.replicas, doneIsr, live)
    if (leader !== NO_LEADER || p.leader === NO_LEADER) return { ok: true, record: partitionChange(p, leader, doneIsr, done) }
  }
  const leader = leaderWithin(p, set.replicas, isr, live)
  if (leader === NO_LEADER && p.leader !== NO_LEADER) return fail(ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, 'no live in-sync replica could lead the new replica set')
  return { ok: true, record: partitionChange(p, leader, isr, set) }
}

/** The current leader when it stays a live in-sync replica, else the first live in-sync replica of `replicas`. */
function leaderWithin(p: PartitionState, replicas: number[], isr: number[], live: (id: number) => boolean): number {
  if (p.leader !== NO_LEADER && replicas.includes(p.leader) && isr.includes(p.leader)) return p.leader
  return electLeader({ ...p, replicas }, isr, live, false).leader
}

type PartitionAnswer = AlterPartitionReassignmentsResponse['responses'][number]['partitions'][number]

/**
 * AlterPartitionReassignments: validate every partition against the image and
 * return the records (one per partition that changes) and Kafka's answers.
 * `replicas: null` cancels that partition's reassignment.
 */
export function planAlterReassignments(image: MetadataImage, req: AlterPartitionReassignmentsRequest, live: (id: number) => boolean): { records: PartitionChangeRecord[]; response: AlterPartitionReassignmentsResponse } {
  const records: PartitionChangeRecord[] = []
  const responses: AlterPartitionReassignmentsResponse['responses'] = []
  const seen = new Set<string>()
  for (const rt of req.topics) {
    const t = image.topicsByName.get(rt.name)
    const partitions: PartitionAnswer[] = []
    const answer = (partitionIndex: number, errorCode: number, errorMessage: string | null = null) => partitions.push({ partitionIndex, errorCode, errorMessage })
    for (const rp of rt.partitions) {
      const index = rp.partitionIndex
      const p = t?.partitions[index]
      if (!p) { answer(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown partition ${index} of '${rt.name}'`); continue }
      const key = `${p.topicId}/${index}`
      if (seen.has(key)) { answer(index, ErrorCode.INVALID_REQUEST, 'partition named twice'); continue }
      seen.add(key)
      let plan: ReassignmentPlan
      if (rp.replicas === null) {
        plan = planCancel(p, live)
      } else {
        const problem = targetProblem(image, rp.replicas)
        plan = problem ? fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, problem) : planReassignment(p, rp.replicas, live)
      }
      if (!plan.ok) { answer(index, plan.errorCode, plan.message); continue }
      if (plan.record) records.push(plan.record)
      answer(index, ErrorCode.NONE)
    }
    responses.push({ name: rt.name, partitions })
  }
  return { records, response: { errorCode: ErrorCode.NONE, errorMessage: null, responses } }
}

/** ListPartitionReassignments (topics null: all in progress; a topic without partitionIndexes: all of its). */
export function listReassignments(image: MetadataImage, req: ListPartitionReassignmentsRequest): ListPartitionReassignmentsResponse {
  const topics: ListPartitionReassignmentsResponse['topics'] = []
  const wanted = req.topics
    ? req.topics.map((t) => ({ t: image.topicsByName.get(t.name), only: t.partitionIndexes.length > 0 ? new Set(t.partitionIndexes) : null }))
    : [...image.topicsByName.values()].map((t) => ({ t, only: null as Set<number> | null }))
  for (const { t, only } of wanted) {
    if (!t) continue
    const partitions = t.partitions
      .filter((p) => isReassigning(p) && (only === null || only.has(p.partition)))
      .map((p) => ({ partitionIndex: p.partition, replicas: p.replicas, addingReplicas: p.addingReplicas ?? [], removingReplicas: p.removingReplicas ?? [] }))
    if (partitions.length > 0) topics.push({ name: t.name, partitions })
  }
  return { errorCode: ErrorCode.NONE, errorMessage: null, topics }
}
