/**
 * Read-only metadata APIs every node answers from its own applied image:
 * ApiVersions, Metadata, DescribeConfigs, MetadataImage, MetadataLog,
 * MetadataSnapshots.
 */
import {
  API_VERSIONS, ApiKey, ErrorCode, operationsBitfield, TOPIC_OPERATIONS,
  type ApiVersionsResponse, type ConfigEntry, type DescribeConfigsResponse, type MetadataResponse, type PartitionMetadata, type TopicMetadata,
} from '@tributary/protocol'
import type { Entry } from '@tributary/raft'
import type { BrokerConfig } from '../config.js'
import { BROKER_OPTIONS } from '../config.js'
import { describeTopicConfigs } from '../controller/topic-ops.js'
import type { HandlerRegistry, HandlerResult } from '../seams.js'
import type { MetadataImage, MetadataView, TopicState } from './image-types.js'
import { endpointFor, listenerOf } from '../net/listeners.js'
import { imageForInspection } from './metadata-image.js'
import { CLUSTER_DEFAULT, DYNAMIC_BROKER_CONFIGS, dynamicBrokerConfig, FOLLOWER_THROTTLED_RATE } from '../broker-dynamic-config.js'
import { metadataLogPage } from './metadata-log.js'

/** Entries one MetadataLog request may return. */
export const METADATA_LOG_RECORDS_MAX = 10_000

export interface MetadataHandlerDeps {
  nodeId: number
  config: BrokerConfig
  metadata: MetadataView
  /** The controller as this node knows it, -1 when unknown. */
  controllerId(): number
  /** APIs with a registered handler, for ApiVersions. */
  supportedApis(): number[]
  log(from: number, max: number): { first: number; commit: number; entries: Entry[] }
  snapshots(): Array<{ index: number; term: number; bytes: number }>
}

const ok = (body: unknown): HandlerResult => ({ errorCode: ErrorCode.NONE, body })
const ALL_TOPIC_OPERATIONS = operationsBitfield(TOPIC_OPERATIONS)

export function topicMetadata(image: MetadataImage, t: TopicState): TopicMetadata {
  const live = (id: number) => {
    const b = image.brokers.get(id)
    return !!b && !b.fenced
  }
  const partitions: PartitionMetadata[] = t.partitions.map((p) => ({
    partition: p.partition,
    errorCode: p.leader === -1 ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
    leader: p.leader,
    leaderEpoch: p.leaderEpoch,
    replicas: p.replicas,
    isr: p.isr,
    offlineReplicas: p.replicas.filter((r) => !live(r)),
    ...(p.addingReplicas ? { addingReplicas: p.addingReplicas } : {}),
    ...(p.removingReplicas ? { removingReplicas: p.removingReplicas } : {}),
  }))
  return { name: t.name, topicId: t.topicId, errorCode: ErrorCode.NONE, internal: t.internal, partitions }
}

/** `listener`: the named listener the request came in on; brokers are listed at their address on it. */
export function metadataResponse(image: MetadataImage, controllerId: number, topics: unknown, includeInternal: unknown, listener: string | null = null): MetadataResponse {
  const brokers = [...image.brokers.values()]
    .sort((a, b) => a.nodeId - b.nodeId)
    .map((b) => ({ nodeId: b.nodeId, endpoint: endpointFor(b, listener), fenced: b.fenced, rack: b.rack }))
  const out: TopicMetadata[] = []
  if (Array.isArray(topics)) {
    for (const name of topics) {
      const t = typeof name === 'string' ? image.topicsByName.get(name) : undefined
      out.push(t ? topicMetadata(image, t) : { name: String(name), topicId: '', errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, internal: false, partitions: [] })
    }
  } else {
    for (const t of [...image.topicsByName.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (t.internal && includeInternal === false) continue
      out.push(topicMetadata(image, t))
    }
  }
  return { clusterId: image.clusterId, controllerId, brokers, topics: out, metadataOffset: image.offset }
}

export function registerMetadataApis(registry: HandlerRegistry, deps: MetadataHandlerDeps): void {
  const { metadata } = deps

  registry.register(ApiKey.ApiVersions, (): HandlerResult => {
    const apiKeys = deps.supportedApis()
      .filter((k) => API_VERSIONS[k] !== undefined)
      .map((apiKey) => ({ apiKey, minVersion: API_VERSIONS[apiKey]![0], maxVersion: API_VERSIONS[apiKey]![1] }))
    return ok({ apiKeys, nodeId: deps.nodeId, clusterId: metadata.image().clusterId } satisfies ApiVersionsResponse)
  })

  registry.register(ApiKey.Metadata, (body, ctx): HandlerResult => {
    const answer = metadataResponse(metadata.image(), deps.controllerId(), body?.topics, body?.includeInternal, listenerOf(ctx))
    // Without an authorizer everyone may do everything; with one, its guard narrows this per topic.
    if (body?.includeTopicAuthorizedOperations === true) {
      for (const t of answer.topics) if (t.errorCode === ErrorCode.NONE) t.authorizedOperations = ALL_TOPIC_OPERATIONS
    }
    return ok(answer)
  })

  registry.register(ApiKey.DescribeConfigs, (body): HandlerResult => {
    if (!Array.isArray(body?.resources)) return { errorCode: ErrorCode.INVALID_REQUEST, body: { errorMessage: 'resources must be an array' } }
    const image = metadata.image()
    const resources: DescribeConfigsResponse['resources'] = body.resources.map((res: any) => {
      const name = String(res?.name)
      if (res?.type === 'topic') return describeTopicConfigs(image.topicsByName.get(name), name, res.names)
      if (res?.type === 'broker' && name === String(deps.nodeId)) return describeBroker(deps, image, res.names)
      if (res?.type === 'broker' && name === CLUSTER_DEFAULT) return describeClusterDefault(image, res.names)
      return { type: res?.type === 'broker' ? 'broker' : 'topic', name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `ask node ${name} for its broker configs`, configs: [] }
    })
    return ok({ resources })
  })

  registry.register(ApiKey.MetadataImage, (): HandlerResult => {
    const image = metadata.image()
    return ok({ offset: image.offset, image: imageForInspection(image) })
  })

  registry.register(ApiKey.MetadataLog, (body): HandlerResult => {
    const from = Number.isSafeInteger(body?.fromIndex) ? Math.max(1, body.fromIndex) : 1
    const max = Number.isSafeInteger(body?.maxRecords) ? Math.min(Math.max(1, body.maxRecords), METADATA_LOG_RECORDS_MAX) : 1000
    const { first, commit, entries } = deps.log(from, max)
    const out = metadataLogPage(entries, max)
    return ok({ logStartIndex: first, commitIndex: commit, entries: out })
  })

  registry.register(ApiKey.MetadataSnapshots, (): HandlerResult => ok({ snapshots: deps.snapshots() }))
}

type DescribedResource = DescribeConfigsResponse['resources'][number]

const wantedNames = (names: unknown): Set<unknown> | null => (Array.isArray(names) ? new Set(names) : null)

/** This node's configs: its static flags (read-only), then the dynamic ones in force here. */
function describeBroker(deps: MetadataHandlerDeps, image: MetadataImage, names: unknown): DescribedResource {
  const wanted = wantedNames(names)
  const configs: ConfigEntry[] = BROKER_OPTIONS.filter((o) => !wanted || wanted.has(o.flag) || wanted.has(o.key)).map((o) => {
    const v = deps.config[o.key]
    const value = v === null || v === undefined ? null : o.key === 'voters' ? deps.config.voters.map((x) => `${x.nodeId}@${x.endpoint}`).join(',') : String(v)
    return { name: o.flag, value, isDefault: o.default !== undefined && String(o.default) === value, readOnly: true, source: 'broker' as const }
  })
  for (const spec of DYNAMIC_BROKER_CONFIGS.values()) {
    if (wanted && !wanted.has(spec.name)) continue
    const dynamic = dynamicBrokerConfig(image, deps.nodeId, spec.name)
    if (dynamic) { configs.push({ name: spec.name, value: dynamic.value, isDefault: false, readOnly: false, source: dynamic.source }); continue }
    // not set dynamically: the follower rate's static twin is --reassignment-throttle-bytes; 0 = unthrottled
    const flag = spec.name === FOLLOWER_THROTTLED_RATE ? deps.config.reassignmentThrottleBytes : 0
    configs.push({ name: spec.name, value: String(flag), isDefault: flag === 0, readOnly: false, source: flag === 0 ? 'default' : 'broker' })
  }
  return { type: 'broker', name: String(deps.nodeId), errorCode: ErrorCode.NONE, errorMessage: null, configs }
}

/** The cluster-wide dynamic settings (resource ''): only the ones set, as Kafka's describe of the default entity. */
function describeClusterDefault(image: MetadataImage, names: unknown): DescribedResource {
  const wanted = wantedNames(names)
  const set = image.brokerConfigs.get(CLUSTER_DEFAULT) ?? {}
  const configs: ConfigEntry[] = Object.entries(set)
    .filter(([name]) => !wanted || wanted.has(name))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, value]) => ({ name, value, isDefault: false, readOnly: false, source: 'dynamic-default-broker' as const }))
  return { type: 'broker', name: CLUSTER_DEFAULT, errorCode: ErrorCode.NONE, errorMessage: null, configs }
}
