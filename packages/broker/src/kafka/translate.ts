/**
 * Kafka request/response shapes ↔ ours, one pair of functions per API. Our APIs
 * follow Kafka's (same error codes, RecordBatch v2 bytes passed through), so each
 * translation renames fields and fills what Kafka's versions carry and ours do
 * not (throttle times, aborted transactions, authorized operations).
 */
import { ErrorCode, KafkaApiKey, type MetadataResponse, type ProduceResponse, type ListOffsetsResponse, type CreateTopicsResponse, type FindCoordinatorResponse } from '@tributary/protocol'
import { parseKafkaEndpoint } from './endpoint.js'
import { ADMIN_TRANSLATIONS } from './translate-admin.js'
import { DELETE_TRANSLATIONS } from './translate-deletes.js'
import { fetch } from './translate-fetch.js'
import { GROUP_TRANSLATIONS } from './translate-groups.js'
import { SECURITY_TRANSLATIONS } from './translate-security.js'
import { arr, byKafkaKey, eachPartition, kafkaTopics, ourTopics, type Translation } from './translation.js'


const metadata: Translation = {
  apiKey: KafkaApiKey.Metadata,
  request: (k) => ({ topics: k.topics === null ? null : arr(k.topics).map((t) => t.name), includeInternal: true, includeTopicAuthorizedOperations: k.includeTopicAuthorizedOperations === true }),
  response: (ours) => {
    const m = ours as MetadataResponse
    return {
      // A broker without a Kafka listener (a node being upgraded) has no address a Kafka client can use.
      brokers: m.brokers.filter((b) => !b.fenced).flatMap((b) => {
        const at = parseKafkaEndpoint(b.endpoint)
        return at ? [{ nodeId: b.nodeId, host: at.host, port: at.port, rack: b.rack ?? null }] : []
      }),
      clusterId: m.clusterId,
      controllerId: m.controllerId,
      topics: m.topics.map((t) => ({
        errorCode: t.errorCode,
        name: t.name,
        topicId: t.topicId || undefined,
        isInternal: t.internal,
        ...(t.authorizedOperations !== undefined ? { topicAuthorizedOperations: t.authorizedOperations } : {}),
        partitions: t.partitions.map((p) => ({
          errorCode: p.errorCode,
          partitionIndex: p.partition,
          leaderId: p.leader,
          leaderEpoch: p.leaderEpoch,
          replicaNodes: p.replicas,
          isrNodes: p.isr,
          offlineReplicas: p.offlineReplicas ?? [],
        })),
      })),
    }
  },
  error: (k, errorCode) => ({ brokers: [], topics: arr(k.topics).map((t) => ({ errorCode, name: t.name, partitions: [] })) }),
}

const produce: Translation = {
  apiKey: KafkaApiKey.Produce,
  request: (k) => ({
    acks: k.acks,
    timeoutMs: k.timeoutMs,
    topics: ourTopics(k.topicData, (p) => ({ partition: p.index, records: p.records ?? new Uint8Array(0) }), { partitions: 'partitionData' }),
  }),
  response: (ours) => ({
    responses: kafkaTopics((ours as ProduceResponse).topics, (p) => ({
      index: p.partition,
      errorCode: p.errorCode,
      baseOffset: p.baseOffset,
      logAppendTimeMs: p.logAppendTimeMs,
      logStartOffset: p.logStartOffset,
      errorMessage: p.errorMessage ?? null,
    }), { partitions: 'partitionResponses' }),
  }),
  error: (k, errorCode, errorMessage) => ({
    responses: arr(k.topicData).map((t) => ({
      name: t.name,
      partitionResponses: arr(t.partitionData).map((p) => ({ index: p.index, errorCode, baseOffset: -1, errorMessage })),
    })),
  }),
}

const listOffsets: Translation = {
  apiKey: KafkaApiKey.ListOffsets,
  request: (k) => ({
    replicaId: -1,
    topics: ourTopics(k.topics, (p) => ({ partition: p.partitionIndex, timestamp: p.timestamp, currentLeaderEpoch: p.currentLeaderEpoch })),
  }),
  response: (ours) => ({
    topics: kafkaTopics((ours as ListOffsetsResponse).topics, (p) => ({ partitionIndex: p.partition, errorCode: p.errorCode, timestamp: p.timestamp, offset: p.offset, leaderEpoch: p.leaderEpoch })),
  }),
  error: (k, errorCode) => ({
    topics: eachPartition(k.topics, { errorCode }),
  }),
}

const createTopics: Translation = {
  apiKey: KafkaApiKey.CreateTopics,
  request: (k) => ({
    timeoutMs: k.timeoutMs,
    validateOnly: k.validateOnly === true,
    topics: arr(k.topics).map((t) => {
      const assignments = arr(t.assignments)
      return {
        name: t.name,
        numPartitions: t.numPartitions,
        replicationFactor: t.replicationFactor,
        configs: Object.fromEntries(arr(t.configs).filter((c) => c.value !== null).map((c) => [c.name, c.value])),
        assignments: assignments.length ? [...assignments].sort((a, b) => a.partitionIndex - b.partitionIndex).map((a) => a.brokerIds) : null,
      }
    }),
  }),
  response: (ours) => ({
    topics: (ours as CreateTopicsResponse).topics.map((t) => ({ name: t.name, errorCode: t.errorCode, errorMessage: t.errorMessage ?? null })),
  }),
  error: (k, errorCode, errorMessage) => ({ topics: arr(k.topics).map((t) => ({ name: t.name, errorCode, errorMessage })) }),
}

/** One coordinator answer in Kafka's shape (v0-3 at top level, v4+ one per key). */
function coordinatorOut(ours: FindCoordinatorResponse | undefined, errorCode: number, errorMessage: string | null) {
  const at = parseKafkaEndpoint(ours?.endpoint ?? '')
  if (errorCode !== ErrorCode.NONE || !at || !ours) return { errorCode: errorCode || ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage, nodeId: -1, host: '', port: -1 }
  return { errorCode, errorMessage: null, nodeId: ours.nodeId, host: at.host, port: at.port }
}

/** The first FindCoordinator version that batches keys (KIP-699). */
const BATCHED_KEYS_MIN_VERSION = 4

const findCoordinator: Translation = {
  apiKey: KafkaApiKey.FindCoordinator,
  request: () => undefined,
  call: async (k, version, invoke) => {
    if (version < BATCHED_KEYS_MIN_VERSION) return invoke(KafkaApiKey.FindCoordinator, { key: k.key, keyType: k.keyType })
    // Each key is its own lookup, as Kafka's broker answers a batch (its errors are per key).
    const coordinators = await Promise.all((k.coordinatorKeys as string[]).map(async (key) => {
      const r = await invoke(KafkaApiKey.FindCoordinator, { key, keyType: k.keyType })
      const message = (r?.body as { errorMessage?: string } | null)?.errorMessage ?? null
      return { key, ...coordinatorOut(r?.body as FindCoordinatorResponse, r?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, message) }
    }))
    return { errorCode: ErrorCode.NONE, body: { coordinators } }
  },
  response: (ours, errorCode, errorMessage, version) => version >= BATCHED_KEYS_MIN_VERSION
    ? { coordinators: (ours as { coordinators: unknown[] }).coordinators }
    : coordinatorOut(ours as FindCoordinatorResponse | undefined, errorCode, errorMessage),
  error: (k, errorCode, errorMessage, version) => version >= BATCHED_KEYS_MIN_VERSION
    ? { coordinators: (k.coordinatorKeys as string[]).map((key) => ({ key, errorCode, errorMessage, nodeId: -1, host: '', port: -1 })) }
    : { errorCode, errorMessage, nodeId: -1, host: '', port: -1 },
}

/** Answered by the connection's own authentication (server.ts), not by a registered handler. */
const saslHandshake: Translation = {
  apiKey: KafkaApiKey.SaslHandshake,
  request: (k) => ({ mechanism: k.mechanism }),
  response: (ours) => ({ errorCode: ErrorCode.NONE, mechanisms: (ours as { mechanisms: string[] }).mechanisms }),
  error: (_k, errorCode, _m, _v, ours) => ({ errorCode, mechanisms: (ours as { mechanisms?: string[] } | null)?.mechanisms ?? [] }),
}

const saslAuthenticate: Translation = {
  apiKey: KafkaApiKey.SaslAuthenticate,
  request: (k) => ({ authBytes: k.authBytes }),
  response: (ours) => {
    const r = ours as { authBytes: Uint8Array; sessionLifetimeMs: number }
    return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: r.authBytes, sessionLifetimeMs: r.sessionLifetimeMs }
  },
  error: (_k, errorCode, errorMessage) => ({ errorCode, errorMessage, authBytes: new Uint8Array(0), sessionLifetimeMs: 0 }),
}

/** By Kafka API key (ApiVersions is answered by the listener itself). */
export const TRANSLATIONS: ReadonlyMap<number, Translation> = new Map([
  ...byKafkaKey([metadata, produce, fetch, listOffsets, createTopics, findCoordinator, saslHandshake, saslAuthenticate]),
  ...GROUP_TRANSLATIONS,
  ...ADMIN_TRANSLATIONS,
  ...SECURITY_TRANSLATIONS,
  ...DELETE_TRANSLATIONS,
])
