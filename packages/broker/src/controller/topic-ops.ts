/**
 * Topic administration as pure planning functions: validate a request against
 * the current image and return the records to commit plus the per-topic answers.
 * The controller runs one plan at a time, so a plan sees every earlier commit.
 *
 * Requests arrive typed (requests.ts checked their shapes); what a name, a count
 * or a config may be is checked here, answered per topic with Kafka's codes.
 */
import {
  ErrorCode, type AlterConfigsRequest, type ConfigEntry, type CreatePartitionsRequest, type CreateTopicsRequest, type DescribeConfigsResponse,
} from '@tributary/protocol'
import type { MetadataImage, TopicState } from '../metadata/image-types.js'
import type { ConfigRecord, MetadataRecord, PartitionRecord } from '../metadata/records.js'
import { TOPIC_CONFIGS, validateTopicConfig } from '../topic-config.js'
import { planBrokerConfigs } from './broker-config-ops.js'
import { isLive } from './partition-election.js'
import { collidingTopic, isInternalTopicName, partitionCount, placeOnLiveBrokers, topicNameProblem } from './placement.js'
import { PARTITIONS_PER_TOPIC_MAX } from './requests.js'

export interface TopicAnswer { name: string; errorCode: number; errorMessage?: string | null }

export interface PlanDefaults { numPartitions: number; defaultReplicationFactor: number }

const err = (name: string, errorCode: number, errorMessage: string): TopicAnswer => ({ name, errorCode, errorMessage })

export function liveBrokers(image: MetadataImage): number[] {
  return [...image.brokers.keys()].filter((id) => isLive(image, id)).sort((a, b) => a - b)
}

function validateConfigs(configs: Record<string, string> | undefined): string | undefined {
  if (configs === undefined) return undefined
  for (const [k, v] of Object.entries(configs)) {
    const why = validateTopicConfig(k, v)
    if (why) return why
  }
  return undefined
}

function validateAssignments(image: MetadataImage, a: number[][]): { ok: true; value: number[][] } | { ok: false; message: string } {
  if (a.length === 0) return { ok: false, message: 'assignments must be a non-empty array of replica lists' }
  const rf = a[0]!.length
  for (const replicas of a) {
    if (replicas.length === 0 || replicas.length !== rf) return { ok: false, message: 'every partition needs the same, non-zero number of replicas' }
    if (new Set(replicas).size !== replicas.length) return { ok: false, message: 'a replica list repeats a broker' }
    for (const id of replicas) if (!image.brokers.has(id)) return { ok: false, message: `broker ${id} is not registered` }
  }
  return { ok: true, value: a }
}

export interface CreatePlan {
  answers: Array<TopicAnswer & { topicId: string | null; numPartitions: number; replicationFactor: number }>
  /** one entry per created topic (Topic, Partition..., Config...) */
  entries: MetadataRecord[][]
}

export function planCreateTopics(image: MetadataImage, req: CreateTopicsRequest, defaults: PlanDefaults, newTopicId: () => string): CreatePlan {
  const plan: CreatePlan = { answers: [], entries: [] }
  const validateOnly = req.validateOnly === true
  const live = liveBrokers(image)
  let seed = partitionCount(image)
  const seen = new Set<string>()
  for (const raw of req.topics) {
    const name = raw.name
    const answer = (a: TopicAnswer) => plan.answers.push({ ...a, topicId: null, numPartitions: -1, replicationFactor: -1 })
    const nameProblem = topicNameProblem(name)
    if (nameProblem) { answer(err(name, ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem)); continue }
    if (seen.has(name)) { answer(err(name, ErrorCode.INVALID_REQUEST, `topic '${name}' is listed twice`)); continue }
    seen.add(name)
    if (image.topicsByName.has(name)) { answer(err(name, ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${name}' already exists`)); continue }
    const collides = collidingTopic(image, name)
    if (collides) { answer(err(name, ErrorCode.INVALID_TOPIC_EXCEPTION, `topic '${name}' collides with '${collides}' ('.' and '_' are the same in metric names)`)); continue }
    const internal = raw.internal === true
    if (isInternalTopicName(name) !== internal) {
      answer(err(name, ErrorCode.INVALID_TOPIC_EXCEPTION, internal ? 'internal topic names start with "__"' : 'names starting with "__" are reserved for internal topics'))
      continue
    }
    const configProblem = validateConfigs(raw.configs)
    if (configProblem) { answer(err(name, ErrorCode.INVALID_CONFIG, configProblem)); continue }

    let assignments: number[][]
    if (raw.assignments !== undefined && raw.assignments !== null) {
      const a = validateAssignments(image, raw.assignments)
      if (!a.ok) { answer(err(name, ErrorCode.INVALID_REPLICA_ASSIGNMENT, a.message)); continue }
      assignments = a.value
    } else {
      const numPartitions = raw.numPartitions === -1 ? defaults.numPartitions : raw.numPartitions
      if (numPartitions < 1 || numPartitions > PARTITIONS_PER_TOPIC_MAX) {
        answer(err(name, ErrorCode.INVALID_PARTITIONS, `numPartitions must be in [1, ${PARTITIONS_PER_TOPIC_MAX}], got ${raw.numPartitions}`))
        continue
      }
      const rf = raw.replicationFactor === -1 ? Math.min(defaults.defaultReplicationFactor, Math.max(1, live.length)) : raw.replicationFactor
      if (rf < 1) { answer(err(name, ErrorCode.INVALID_REPLICATION_FACTOR, `replicationFactor must be >= 1, got ${raw.replicationFactor}`)); continue }
      if (rf > live.length) {
        answer(err(name, ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor ${rf} is larger than the ${live.length} available brokers`))
        continue
      }
      assignments = placeOnLiveBrokers(image, live, numPartitions, rf, seed)
      seed += numPartitions
    }
    const topicId = validateOnly ? null : newTopicId()
    plan.answers.push({ name, errorCode: ErrorCode.NONE, topicId, numPartitions: assignments.length, replicationFactor: assignments[0]!.length })
    if (validateOnly || topicId === null) continue
    const records: MetadataRecord[] = [{ type: 'Topic', version: 0, name, topicId, internal }]
    for (const [key, value] of Object.entries(raw.configs ?? {})) records.push({ type: 'Config', version: 0, resourceType: 'topic', name, key, value })
    assignments.forEach((replicas, partition) => records.push(newPartition(image, topicId, partition, replicas)))
    plan.entries.push(records)
  }
  return plan
}

/** A new partition: the ISR is its live replicas, led by the first of them. */
function newPartition(image: MetadataImage, topicId: string, partition: number, replicas: number[]): PartitionRecord {
  const liveReplicas = replicas.filter((r) => isLive(image, r))
  const isr = liveReplicas.length > 0 ? liveReplicas : [...replicas]
  return {
    type: 'Partition', version: 0, topicId, partition, replicas: [...replicas], isr,
    leader: liveReplicas[0] ?? -1, leaderEpoch: 0, partitionEpoch: 0,
  }
}

export function planDeleteTopics(image: MetadataImage, names: readonly string[]): { records: MetadataRecord[]; response: { topics: TopicAnswer[] } } {
  const answers: TopicAnswer[] = []
  const records: MetadataRecord[] = []
  const seen = new Set<string>()
  for (const name of names) {
    const t = image.topicsByName.get(name)
    if (!t || seen.has(t.name)) { answers.push(err(name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic '${name}'`)); continue }
    seen.add(t.name)
    if (t.internal) { answers.push(err(t.name, ErrorCode.INVALID_TOPIC_EXCEPTION, 'internal topics cannot be deleted')); continue }
    records.push({ type: 'RemoveTopic', version: 0, topicId: t.topicId })
    answers.push({ name: t.name, errorCode: ErrorCode.NONE })
  }
  return { records, response: { topics: answers } }
}

export function planCreatePartitions(image: MetadataImage, req: CreatePartitionsRequest): { answers: TopicAnswer[]; entries: MetadataRecord[][] } {
  const answers: TopicAnswer[] = []
  const entries: MetadataRecord[][] = []
  const live = liveBrokers(image)
  let seed = partitionCount(image)
  for (const { name, count } of req.topics) {
    const t = image.topicsByName.get(name)
    if (!t) { answers.push(err(name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic '${name}'`)); continue }
    if (count > PARTITIONS_PER_TOPIC_MAX) { answers.push(err(name, ErrorCode.INVALID_PARTITIONS, `count must be at most ${PARTITIONS_PER_TOPIC_MAX}`)); continue }
    if (count <= t.partitions.length) { answers.push(err(name, ErrorCode.INVALID_PARTITIONS, `topic has ${t.partitions.length} partitions; the new count must be larger, got ${count}`)); continue }
    const rf = t.partitions[0]?.replicas.length ?? 1
    if (rf > live.length) { answers.push(err(name, ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor ${rf} is larger than the ${live.length} available brokers`)); continue }
    answers.push({ name, errorCode: ErrorCode.NONE })
    if (req.validateOnly === true) continue
    const placed = placeOnLiveBrokers(image, live, count - t.partitions.length, rf, seed)
    seed += placed.length
    entries.push(placed.map((replicas, i) => newPartition(image, t.topicId, t.partitions.length + i, replicas)))
  }
  return { answers, entries }
}

export function planAlterConfigs(image: MetadataImage, resources: AlterConfigsRequest['resources']): {
  records: ConfigRecord[]
  response: { resources: Array<{ type: 'topic' | 'broker'; name: string; errorCode: number; errorMessage?: string | null }> }
} {
  const answers: Array<{ type: 'topic' | 'broker'; name: string; errorCode: number; errorMessage?: string | null }> = []
  const records: ConfigRecord[] = []
  for (const { type, name, configs } of resources) {
    const answer = (errorCode: number, errorMessage?: string) => answers.push({ type, name, errorCode, errorMessage: errorMessage ?? null })
    if (type === 'broker') {
      const planned = planBrokerConfigs(image, { type, name, configs })
      if (!planned.ok) { answer(planned.errorCode, planned.message); continue }
      records.push(...planned.records)
      answer(ErrorCode.NONE)
      continue
    }
    const t = image.topicsByName.get(name)
    if (!t) { answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic '${name}'`); continue }
    const mine: ConfigRecord[] = []
    let problem: string | undefined
    for (const c of configs) {
      if (c.op === 'delete') {
        if (!TOPIC_CONFIGS.has(c.name)) { problem = `unknown topic config '${c.name}'`; break }
        mine.push({ type: 'Config', version: 0, resourceType: 'topic', name, key: c.name, value: null })
      } else {
        problem = validateTopicConfig(c.name, c.value)
        if (problem) break
        mine.push({ type: 'Config', version: 0, resourceType: 'topic', name, key: c.name, value: c.value as string })
      }
    }
    if (problem) { answer(ErrorCode.INVALID_CONFIG, problem); continue }
    records.push(...mine)
    answer(ErrorCode.NONE)
  }
  return { records, response: { resources: answers } }
}

/** DescribeConfigs for topics, served from any node's image. */
export function describeTopicConfigs(t: TopicState | undefined, name: string, names: unknown): DescribeConfigsResponse['resources'][number] {
  if (!t) return { type: 'topic', name, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `unknown topic '${name}'`, configs: [] }
  const wanted = Array.isArray(names) ? new Set(names.filter((n): n is string => typeof n === 'string')) : null
  const configs: ConfigEntry[] = []
  for (const spec of TOPIC_CONFIGS.values()) {
    if (wanted && !wanted.has(spec.name)) continue
    const own = t.configs[spec.name]
    configs.push({ name: spec.name, value: own ?? spec.default, isDefault: own === undefined, readOnly: false, source: own === undefined ? 'default' : 'topic' })
  }
  return { type: 'topic', name, errorCode: ErrorCode.NONE, errorMessage: null, configs }
}
