/**
 * Administration on the Kafka listener: DeleteTopics, CreatePartitions,
 * DescribeConfigs, AlterConfigs, IncrementalAlterConfigs, DescribeCluster,
 * InitProducerId and OffsetForLeaderEpoch ↔ our APIs of the same purpose.
 *
 * Where Kafka's meaning is wider than ours, the difference is refused in
 * words rather than approximated: manual partition assignments in
 * CreatePartitions, APPEND/SUBTRACT in IncrementalAlterConfigs, resource types
 * other than topics and brokers, and transactional ids (no transactions).
 * Kafka's AlterConfigs replaces a resource's whole dynamic config set, so it
 * deletes what the request leaves out (a topic's: read first; a broker's: every
 * dynamic broker config not named).
 */
import {
  ApiKey, ErrorCode, KafkaApiKey,
  type AlterConfigsResponse, type ConfigEntry, type CreatePartitionsResponse, type DeleteTopicsResponse, type DescribeClusterResponse,
  type DescribeConfigsResponse, type DescribeProducersResponse, type DescribeQuorumResponse, type InitProducerIdResponse, type OffsetForLeaderEpochResponse, type QuorumReplicaState,
} from '@tributary/protocol'
import type { HandlerResult } from '../seams.js'
import { DYNAMIC_BROKER_CONFIGS } from '../broker-dynamic-config.js'
import { parseKafkaEndpoint } from './endpoint.js'
import { arr, byKafkaKey, eachPartition, kafkaTopics, ourTopics, type Invoke, type Obj, type Translation } from './translation.js'

/** Kafka's ConfigResource.Type codes. */
const RESOURCE_TOPIC = 2
const RESOURCE_BROKER = 4
const RESOURCE_TYPES = new Map<number, 'topic' | 'broker'>([[RESOURCE_TOPIC, 'topic'], [RESOURCE_BROKER, 'broker']])
const RESOURCE_CODES = new Map<string, number>([['topic', RESOURCE_TOPIC], ['broker', RESOURCE_BROKER]])
/** Kafka's ConfigSource codes: DYNAMIC_TOPIC_CONFIG, DYNAMIC_BROKER_CONFIG, DYNAMIC_DEFAULT_BROKER_CONFIG, STATIC_BROKER_CONFIG, DEFAULT_CONFIG. */
const CONFIG_SOURCES: Readonly<Record<ConfigEntry['source'], number>> = { 'topic': 1, 'dynamic-broker': 2, 'dynamic-default-broker': 3, 'broker': 4, 'default': 5 }
/** IncrementalAlterConfigs operations. */
const OP_SET = 0
const OP_DELETE = 1

const ok = (body: unknown): HandlerResult => ({ errorCode: ErrorCode.NONE, body })

const deleteTopics: Translation = {
  apiKey: ApiKey.DeleteTopics,
  request: (k) => ({ topics: k.topicNames, timeoutMs: k.timeoutMs }),
  response: (ours) => ({ responses: (ours as DeleteTopicsResponse).topics.map((t) => ({ name: t.name, errorCode: t.errorCode, errorMessage: t.errorMessage ?? null })) }),
  error: (k, errorCode, errorMessage) => ({ responses: arr(k.topicNames).map((name) => ({ name, errorCode, errorMessage })) }),
}

const createPartitions: Translation = {
  apiKey: ApiKey.CreatePartitions,
  request: () => undefined,
  call: async (k, _v, invoke) => {
    const manual = arr(k.topics).filter((t) => t.assignments !== null)
    const placed = arr(k.topics).filter((t) => t.assignments === null)
    const refused = manual.map((t) => ({ name: t.name, errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: 'manual replica assignments are not supported: the controller places new partitions' }))
    if (placed.length === 0) return ok({ topics: refused })
    const r = await invoke(ApiKey.CreatePartitions, { topics: placed.map((t) => ({ name: t.name, count: t.count })), timeoutMs: k.timeoutMs, validateOnly: k.validateOnly })
    if (!r || r.errorCode !== ErrorCode.NONE) return r
    return ok({ topics: [...(r.body as CreatePartitionsResponse).topics, ...refused] })
  },
  response: (ours) => ({ results: (ours as CreatePartitionsResponse).topics.map((t) => ({ name: t.name, errorCode: t.errorCode, errorMessage: t.errorMessage ?? null })) }),
  error: (k, errorCode, errorMessage) => ({ results: arr(k.topics).map((t) => ({ name: t.name, errorCode, errorMessage })) }),
}

/** Resources of a type we have, as ours; the others answered INVALID_REQUEST in Kafka's shape. */
function splitResources(resources: Obj[]): { ours: Obj[]; refused: Obj[] } {
  const ours: Obj[] = []
  const refused: Obj[] = []
  for (const r of resources) {
    const type = RESOURCE_TYPES.get(r.resourceType)
    if (type) ours.push({ ...r, type })
    else refused.push({ type: r.resourceType, name: r.resourceName, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `config resource type ${r.resourceType} is not supported (topics 2 and brokers 4 are)`, configs: [] })
  }
  return { ours, refused }
}

const resourceOut = (r: { type: string | number; name: string; errorCode: number; errorMessage?: string | null }) => ({
  errorCode: r.errorCode, errorMessage: r.errorMessage ?? null, resourceType: typeof r.type === 'number' ? r.type : RESOURCE_CODES.get(r.type) ?? 0, resourceName: r.name,
})

const describeConfigs: Translation = {
  apiKey: ApiKey.DescribeConfigs,
  request: () => undefined,
  call: async (k, _v, invoke) => {
    const { ours, refused } = splitResources(arr(k.resources))
    if (ours.length === 0) return ok({ resources: refused })
    const r = await invoke(ApiKey.DescribeConfigs, { resources: ours.map((x) => ({ type: x.type, name: x.resourceName, names: x.configurationKeys })) })
    if (!r || r.errorCode !== ErrorCode.NONE) return r
    return ok({ resources: [...(r.body as DescribeConfigsResponse).resources, ...refused] })
  },
  response: (ours, _e, _m, version) => ({
    results: (ours as DescribeConfigsResponse).resources.map((r) => ({
      ...resourceOut(r),
      configs: r.configs.map((c) => ({
        name: c.name, value: c.value, readOnly: c.readOnly, isDefault: c.isDefault, isSensitive: false,
        // v0 has IsDefault; later versions say where the value comes from.
        configSource: version === 0 ? -1 : CONFIG_SOURCES[c.source] ?? 0,
        synonyms: [],
      })),
    })),
  }),
  error: (k, errorCode, errorMessage) => ({ results: arr(k.resources).map((r) => ({ errorCode, errorMessage, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] })) }),
}

/** Sets and deletes per resource (ours), after the resources of other types were refused. */
async function alter(k: Obj, invoke: Invoke, opsOf: (r: Obj) => Promise<Array<{ name: string; op: 'set' | 'delete'; value?: string | null }> | string>): Promise<HandlerResult> {
  const { ours, refused } = splitResources(arr(k.resources))
  const resources: Obj[] = []
  for (const r of ours) {
    const ops = await opsOf(r)
    if (typeof ops === 'string') refused.push({ type: r.resourceType, name: r.resourceName, errorCode: ErrorCode.INVALID_CONFIG, errorMessage: ops })
    else resources.push({ type: r.type, name: r.resourceName, configs: ops })
  }
  if (resources.length === 0) return ok({ resources: refused })
  const result = await invoke(ApiKey.AlterConfigs, { resources, validateOnly: k.validateOnly === true })
  if (!result || result.errorCode !== ErrorCode.NONE) return result
  return ok({ resources: [...(result.body as AlterConfigsResponse).resources, ...refused] })
}

const alterResponse = (ours: unknown) => ({ responses: (ours as AlterConfigsResponse).resources.map(resourceOut) })
const alterError = (k: Obj, errorCode: number, errorMessage: string | null) => ({ responses: arr(k.resources).map((r) => ({ errorCode, errorMessage, resourceType: r.resourceType, resourceName: r.resourceName })) })

const alterConfigs: Translation = {
  apiKey: ApiKey.AlterConfigs,
  request: () => undefined,
  call: (k, _v, invoke) => alter(k, invoke, async (r) => {
    const given = arr(r.configs)
    const sets = given.map((c) => ({ name: String(c.name), op: 'set' as const, value: c.value }))
    const named = new Set(given.map((c) => c.name))
    // The whole set is replaced: a dynamic broker config not named here is deleted (deleting one that is not set changes nothing).
    if (r.type === 'broker') return [...sets, ...[...DYNAMIC_BROKER_CONFIGS.keys()].filter((n) => !named.has(n)).map((name) => ({ name, op: 'delete' as const }))]
    // What is set on the topic now and not named here goes back to its default.
    const now = await invoke(ApiKey.DescribeConfigs, { resources: [{ type: 'topic', name: r.resourceName }] })
    const current = now?.errorCode === ErrorCode.NONE ? (now.body as DescribeConfigsResponse).resources[0]?.configs ?? [] : []
    return [...sets, ...current.filter((c) => c.source === 'topic' && !named.has(c.name)).map((c) => ({ name: c.name, op: 'delete' as const }))]
  }),
  response: alterResponse,
  error: alterError,
}

const incrementalAlterConfigs: Translation = {
  apiKey: ApiKey.AlterConfigs,
  kafkaApiKey: KafkaApiKey.IncrementalAlterConfigs,
  request: () => undefined,
  call: (k, _v, invoke) => alter(k, invoke, async (r) => {
    const ops = []
    for (const c of arr(r.configs)) {
      if (c.configOperation === OP_SET) ops.push({ name: String(c.name), op: 'set' as const, value: c.value })
      else if (c.configOperation === OP_DELETE) ops.push({ name: String(c.name), op: 'delete' as const })
      else return `config operation ${c.configOperation} on ${c.name} is not supported (SET 0 and DELETE 1 are; APPEND and SUBTRACT are not)`
    }
    return ops
  }),
  response: alterResponse,
  error: alterError,
}

const describeCluster: Translation = {
  apiKey: ApiKey.DescribeCluster,
  request: () => ({}),
  response: (ours) => {
    const c = ours as DescribeClusterResponse
    return {
      errorCode: ErrorCode.NONE,
      clusterId: c.clusterId ?? '',
      controllerId: c.controllerId,
      brokers: c.brokers.filter((b) => !b.fenced).flatMap((b) => {
        const at = parseKafkaEndpoint(b.endpoint)
        return at ? [{ brokerId: b.nodeId, host: at.host, port: at.port, rack: b.rack ?? null }] : []
      }),
    }
  },
  error: (_k, errorCode, errorMessage) => ({ errorCode, errorMessage, clusterId: '', brokers: [] }),
}

const initProducerId: Translation = {
  apiKey: ApiKey.InitProducerId,
  request: () => undefined,
  // Transactions are not served: a transactional producer hears so at once, not after a half-working start.
  call: async (k, _v, invoke) =>
    k.transactionalId !== null
      ? { errorCode: ErrorCode.UNSUPPORTED_VERSION, body: { errorMessage: 'transactions are not supported' } }
      : invoke(ApiKey.InitProducerId, { producerId: k.producerId, producerEpoch: k.producerEpoch }),
  response: (ours) => {
    const r = ours as InitProducerIdResponse
    return { errorCode: ErrorCode.NONE, producerId: r.producerId, producerEpoch: r.producerEpoch }
  },
  error: (_k, errorCode) => ({ errorCode, producerId: -1, producerEpoch: -1 }),
}

const offsetForLeaderEpoch: Translation = {
  apiKey: ApiKey.OffsetForLeaderEpoch,
  request: (k) => ({
    // Consumers only: a follower's request (replicaId >= 0) is not served on this listener.
    replicaId: -1,
    topics: ourTopics(k.topics, (p) => ({ partition: p.partition, currentLeaderEpoch: p.currentLeaderEpoch, leaderEpoch: p.leaderEpoch }), { name: 'topic' }),
  }),
  response: (ours) => ({
    topics: kafkaTopics((ours as OffsetForLeaderEpochResponse).topics, (p) => ({ errorCode: p.errorCode, partition: p.partition, leaderEpoch: p.leaderEpoch, endOffset: p.endOffset }), { name: 'topic' }),
  }),
  error: (k, errorCode) => ({ topics: arr(k.topics).map((t) => ({ topic: t.topic, partitions: arr(t.partitions).map((p) => ({ errorCode, partition: p.partition })) })) }),
}

/** The metadata log as Kafka names it: DescribeQuorum asks about this topic's partition 0. */
const METADATA_TOPIC = '__cluster_metadata'

const isMetadataLog = (k: Obj): boolean => {
  const topics = arr(k.topics)
  return topics.length === 1 && topics[0]!.topicName === METADATA_TOPIC && arr(topics[0]!.partitions).length === 1 && arr(topics[0]!.partitions)[0]!.partitionIndex === 0
}

/** Kafka's Uuid.ZERO_UUID: the directory id of a voter that has none (ours have no log directory ids). */
const NO_DIRECTORY_ID = 'AAAAAAAAAAAAAAAAAAAAAA'
/** The listener name our voters' endpoints are given in DescribeQuorum v2: the primary listener carries the quorum's traffic. */
const CONTROLLER_LISTENER = 'CONTROLLER'

/** ws://host:port (a voter's primary listener) → host and port; null when it is not a URL with a host. */
function urlHostPort(endpoint: string): { host: string; port: number } | null {
  try {
    const u = new URL(endpoint)
    const port = u.port !== '' ? Number(u.port) : u.protocol === 'wss:' || u.protocol === 'https:' ? 443 : 80
    return u.hostname ? { host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port } : null
  } catch {
    return null
  }
}

const describeQuorum: Translation = {
  apiKey: ApiKey.DescribeQuorum,
  request: () => undefined,
  call: async (k, _v, invoke) => (isMetadataLog(k)
    ? invoke(ApiKey.DescribeQuorum, {})
    : { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, body: { errorMessage: `the metadata quorum is ${METADATA_TOPIC} partition 0` } }),
  response: (ours) => {
    const q = ours as DescribeQuorumResponse
    const replica = (r: QuorumReplicaState) => ({ replicaId: r.nodeId, replicaDirectoryId: NO_DIRECTORY_ID, logEndOffset: r.logEndOffset, lastFetchTimestamp: r.lastFetchTimestamp, lastCaughtUpTimestamp: r.lastCaughtUpTimestamp })
    const endpoints = new Map((q.voterEndpoints ?? []).map((v) => [v.nodeId, urlHostPort(v.endpoint)]))
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      topics: [{
        topicName: METADATA_TOPIC,
        partitions: [{
          partitionIndex: 0, errorCode: ErrorCode.NONE, errorMessage: null, leaderId: q.leaderId, leaderEpoch: q.leaderEpoch, highWatermark: q.highWatermark,
          currentVoters: q.voters.map(replica), observers: q.observers.map(replica),
        }],
      }],
      // v2 (KIP-853): every voter, with the endpoint the quorum reaches it at when it has registered one
      nodes: q.voters.map((r) => {
        const at = endpoints.get(r.nodeId)
        return { nodeId: r.nodeId, listeners: at ? [{ name: CONTROLLER_LISTENER, host: at.host, port: at.port }] : [] }
      }),
    }
  },
  // Kafka answers a request for another partition with the error on each partition it named.
  error: (k, errorCode, errorMessage) => {
    const perPartition = errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    return {
      errorCode: perPartition ? ErrorCode.NONE : errorCode,
      errorMessage: perPartition ? null : errorMessage,
      topics: eachPartition(k.topics, { errorCode, errorMessage }, 'topicName'),
    }
  },
}

const describeProducers: Translation = {
  apiKey: ApiKey.DescribeProducers,
  request: (k) => ({ topics: arr(k.topics).map((t) => ({ topic: t.name, partitions: t.partitionIndexes })) }),
  response: (ours) => ({
    topics: kafkaTopics((ours as DescribeProducersResponse).topics, (p) => ({ partitionIndex: p.partition, errorCode: p.errorCode, errorMessage: p.errorMessage ?? null, activeProducers: p.activeProducers })),
  }),
  error: (k, errorCode, errorMessage) => ({
    topics: arr(k.topics).map((t) => ({ name: t.name, partitions: (t.partitionIndexes as number[]).map((partitionIndex) => ({ partitionIndex, errorCode, errorMessage, activeProducers: [] })) })),
  }),
}

/** By Kafka API key. */
export const ADMIN_TRANSLATIONS: ReadonlyArray<[number, Translation]> = byKafkaKey([
  deleteTopics, createPartitions, describeConfigs, alterConfigs, incrementalAlterConfigs, describeCluster, initProducerId, offsetForLeaderEpoch,
  describeQuorum, describeProducers,
])
