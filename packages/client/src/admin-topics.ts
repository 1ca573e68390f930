/**
 * The admin client's topic calls: create, delete, describe and grow topics (at the
 * controller), and each partition's offsets. Creating and deleting wait until the
 * cluster's metadata shows the change (leaders elected, or the topic gone).
 */
import { ApiKey, EARLIEST_TIMESTAMP, ErrorCode, LATEST_TIMESTAMP, TributaryError, type RequestBody, type ResponseBody } from '@tributary/protocol'
import { sleep, withRetry } from './backoff.js'
import type { Cluster } from './cluster.js'
import { ArgumentError, assertArg, responseError } from './errors.js'
import { listOffsets, tpKey } from './list-offsets.js'

const TIMEOUT_MS_DEFAULT = 30_000

export const checkName = (what: string, v: unknown): string => {
  if (typeof v !== 'string' || v.length === 0) throw new ArgumentError(`${what} must be a non-empty string, got ${JSON.stringify(v)}`)
  return v
}

export interface NewTopic {
  topic: string
  /** Default 1. */
  partitions?: number
  /** Default 1 (the broker may apply its own default.replication.factor when -1). */
  replicationFactor?: number
  config?: Record<string, string>
  /** Manual placement: assignments[p] = replica node ids. */
  assignments?: number[][]
}

export interface CreateTopicOptions {
  /** A topic that already exists is answered `created: false`, not TOPIC_ALREADY_EXISTS (Kafka's `--if-not-exists`). */
  ifNotExists?: boolean
  /** The controller checks the request (name, partitions, replication factor, configs, placement) and creates nothing. */
  validateOnly?: boolean
  /** How long the controller and the wait for leaders may take (default 30 s). */
  timeoutMs?: number
  /** Wait until every partition has a leader (default true). */
  waitForLeaders?: boolean
}

/** One topic's outcome: `created` is false when it existed already (ifNotExists) or validateOnly was set. */
export interface CreatedTopic {
  topic: string
  /** The new topic's id; for one that existed, its id as this client's metadata knows it (null if unknown, and with validateOnly). */
  topicId: string | null
  created: boolean
}

export interface PartitionDescription {
  partition: number
  leader: number
  leaderEpoch: number
  replicas: number[]
  isr: number[]
  offlineReplicas: number[]
  /** during a reassignment: the replicas being added and removed (empty otherwise) */
  addingReplicas: number[]
  removingReplicas: number[]
  logStartOffset: number
  highWatermark: number
}


/** Create topics; by default waits until every partition has a leader (as kafkajs's waitForLeaders). */
export async function createTopics(cluster: Cluster, args: { topics: NewTopic[] } & CreateTopicOptions): Promise<CreatedTopic[]> {
  assertArg(args && Array.isArray(args.topics) && args.topics.length > 0, 'createTopics expects { topics: [{ topic, partitions, replicationFactor }] }')
  const topics = args.topics.map((t, i) => {
    const name = checkName(`topics[${i}].topic`, t?.topic)
    const numPartitions = t.partitions ?? 1
    const replicationFactor = t.replicationFactor ?? 1
    assertArg(Number.isInteger(numPartitions) && numPartitions > 0, `topics[${i}].partitions must be a positive integer, got ${t.partitions}`)
    assertArg(Number.isInteger(replicationFactor) && (replicationFactor > 0 || replicationFactor === -1), `topics[${i}].replicationFactor must be a positive integer, got ${t.replicationFactor}`)
    const configs = t.config ?? {}
    for (const [k, v] of Object.entries(configs)) assertArg(typeof v === 'string', `topics[${i}].config[${JSON.stringify(k)}] must be a string, got ${typeof v}`)
    return { name, numPartitions, replicationFactor, configs, assignments: t.assignments ?? null }
  })
  const validateOnly = args.validateOnly ?? false
  const timeoutMs = args.timeoutMs ?? TIMEOUT_MS_DEFAULT
  const { answers, unsure } = await createOnController(cluster, topics, timeoutMs, validateOnly)
  const r = { topics: answers }
  // A topic asked for again after NOT_CONTROLLER that now exists may be the first ask's.
  const existed = (t: { name: string; errorCode: number }): boolean => (args.ifNotExists === true || unsure.has(t.name)) && t.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS
  const errors = r.topics.filter((t) => t.errorCode !== ErrorCode.NONE && !existed(t))
  if (errors.length > 0) {
    const e = errors[0]
    throw responseError(e.errorCode, errors.map((x) => `${x.name}: ${x.errorMessage ?? ''}`.trim()).join('; '), 'createTopics')
  }
  // A topic that existed may itself be brand new (another client's create): wait for its leaders too.
  if (!validateOnly && args.waitForLeaders !== false) await waitForTopics(cluster, topics.map((t) => t.name), timeoutMs, true)
  return r.topics.map((t) => {
    const created = !validateOnly && t.errorCode === ErrorCode.NONE
    return { topic: t.name, topicId: created ? t.topicId : (cluster.metadata.topic(t.name)?.topicId ?? null), created }
  })
}

type CreateTopicsRequestTopic = RequestBody<typeof ApiKey.CreateTopics>['topics'][number]
type CreateTopicsAnswer = ResponseBody<typeof ApiKey.CreateTopics>['topics'][number]

/**
 * CreateTopics at the controller. A topic answered NOT_CONTROLLER lost its controller
 * while its creation was being committed, which may or may not have happened: it is
 * asked for again at the new controller (as Kafka's AdminClient does), and is returned
 * in `unsure`, so that TOPIC_ALREADY_EXISTS for it is not taken for somebody else's topic.
 */
async function createOnController(cluster: Cluster, topics: CreateTopicsRequestTopic[], timeoutMs: number, validateOnly: boolean): Promise<{ answers: CreateTopicsAnswer[]; unsure: Set<string> }> {
  const answered = new Map<string, CreateTopicsAnswer>()
  const unsure = new Set<string>()
  await withRetry(async () => {
    const pending = topics.filter((t) => !answered.has(t.name))
    const r = await cluster.controllerCall(ApiKey.CreateTopics, { topics: pending, timeoutMs, validateOnly }, { timeoutMs: timeoutMs + 5_000 })
    let lost: CreateTopicsAnswer | undefined
    for (const t of r.topics) {
      if (t.errorCode !== ErrorCode.NOT_CONTROLLER) {
        answered.set(t.name, t)
      } else {
        unsure.add(t.name)
        lost ??= t
      }
    }
    if (lost) throw responseError(lost.errorCode, lost.errorMessage, `createTopics ${lost.name}`)
  }, cluster.retry, { ...cluster.retryContext, beforeRetry: () => cluster.refreshMetadata() })
  return { answers: topics.map((t) => answered.get(t.name)!), unsure }
}

export async function deleteTopics(cluster: Cluster, args: { topics: string[]; timeoutMs?: number }): Promise<void> {
  assertArg(args && Array.isArray(args.topics) && args.topics.length > 0, 'deleteTopics expects { topics: [names] }')
  args.topics.forEach((t, i) => checkName(`topics[${i}]`, t))
  const timeoutMs = args.timeoutMs ?? TIMEOUT_MS_DEFAULT
  const r = await cluster.controllerCall(ApiKey.DeleteTopics, { topics: args.topics, timeoutMs }, { timeoutMs: timeoutMs + 5_000 })
  const e = r.topics.find((t) => t.errorCode !== ErrorCode.NONE)
  if (e) throw responseError(e.errorCode, e.errorMessage, `deleteTopics ${e.name}`)
  await waitForTopics(cluster, args.topics, timeoutMs, false)
}

/** Leader, replicas, ISR, leader epoch, log start and high watermark of every partition. */
export async function describeTopic(cluster: Cluster, topic: string): Promise<{ name: string; topicId: string; internal: boolean; partitions: PartitionDescription[] }> {
  checkName('topic', topic)
  await cluster.refreshMetadata()
  const t = await cluster.topicMetadata(topic, 0)
  const ends = await topicEnds(cluster, topic, t.partitions.map((p) => p.partition))
  return {
    name: t.name,
    topicId: t.topicId,
    internal: t.internal,
    partitions: t.partitions.map((p) => ({
      partition: p.partition,
      leader: p.leader,
      leaderEpoch: p.leaderEpoch,
      replicas: p.replicas,
      isr: p.isr,
      offlineReplicas: p.offlineReplicas ?? [],
      addingReplicas: p.addingReplicas ?? [],
      removingReplicas: p.removingReplicas ?? [],
      logStartOffset: ends.get(p.partition)?.low ?? -1,
      highWatermark: ends.get(p.partition)?.high ?? -1,
    })),
  }
}

/** kafkajs's fetchTopicOffsets: per partition the high watermark (offset/high) and log start (low). */
export async function fetchTopicOffsets(cluster: Cluster, topic: string): Promise<Array<{ partition: number; offset: number; high: number; low: number }>> {
  const t = await cluster.topicMetadata(checkName('topic', topic))
  const ends = await topicEnds(cluster, topic, t.partitions.map((p) => p.partition))
  return [...ends].map(([partition, e]) => ({ partition, offset: e.high, high: e.high, low: e.low })).sort((a, b) => a.partition - b.partition)
}

export async function createPartitions(cluster: Cluster, args: { topicPartitions: Array<{ topic: string; count: number }>; validateOnly?: boolean; timeoutMs?: number }): Promise<void> {
  assertArg(args && Array.isArray(args.topicPartitions) && args.topicPartitions.length > 0, 'createPartitions expects { topicPartitions: [{ topic, count }] }')
  for (const [i, tp] of args.topicPartitions.entries()) {
    checkName(`topicPartitions[${i}].topic`, tp?.topic)
    assertArg(Number.isInteger(tp.count) && tp.count > 0, `topicPartitions[${i}].count must be a positive integer, got ${tp.count}`)
  }
  const timeoutMs = args.timeoutMs ?? TIMEOUT_MS_DEFAULT
  const r = await cluster.controllerCall(ApiKey.CreatePartitions, { topics: args.topicPartitions.map((tp) => ({ name: tp.topic, count: tp.count })), timeoutMs, validateOnly: args.validateOnly ?? false }, { timeoutMs: timeoutMs + 5_000 })
  const e = r.topics.find((t) => t.errorCode !== ErrorCode.NONE)
  if (e) throw responseError(e.errorCode, e.errorMessage, `createPartitions ${e.name}`)
  await cluster.refreshMetadata()
}

async function topicEnds(cluster: Cluster, topic: string, partitions: number[]): Promise<Map<number, { low: number; high: number }>> {
  const [low, high] = await Promise.all([
    listOffsets(cluster, partitions.map((partition) => ({ topic, partition, timestamp: EARLIEST_TIMESTAMP }))),
    listOffsets(cluster, partitions.map((partition) => ({ topic, partition, timestamp: LATEST_TIMESTAMP }))),
  ])
  return new Map(partitions.map((p) => [p, { low: low.get(tpKey(topic, p))?.offset ?? -1, high: high.get(tpKey(topic, p))?.offset ?? -1 }]))
}

/** Wait until the topics exist with a leader on every partition (or are gone), bounded by timeoutMs. */
async function waitForTopics(cluster: Cluster, names: string[], timeoutMs: number, present: boolean): Promise<void> {
  const deadline = cluster.clock.now() + timeoutMs
  for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
    await cluster.refreshMetadata()
    const done = names.every((n) => {
      const t = cluster.metadata.topic(n)
      return present ? t !== undefined && t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0) : t === undefined
    })
    if (done) return
    if (cluster.clock.now() + delay > deadline) {
      throw new TributaryError(ErrorCode.REQUEST_TIMED_OUT, `topics ${names.join(', ')} ${present ? 'have no leaders yet' : 'still exist'} after ${timeoutMs} ms`)
    }
    await sleep(delay, cluster.signal, cluster.clock)
  }
}
