/**
 * One parse-or-error function per controller API: the untrusted msgpack body
 * becomes the typed request of `@tributary/protocol` (what the SDK and the Kafka
 * listener build), or INVALID_REQUEST naming the field. The handlers and the
 * pure plans (topic-ops.ts, isr-ops.ts, ...) then see only typed requests and
 * check what depends on the image (names, epochs, brokers) with Kafka's
 * per-item error codes. The data plane's twin is replication/request-parsing.ts.
 */
import {
  aclBindingProblem, aclFilterProblem, ElectionType, ErrorCode, ok, type AclBinding, type AclBindingFilter,
  type AlterConfigsRequest, type AlterPartitionReassignmentsRequest, type AlterPartitionRequest,
  type AlterUserScramCredentialsRequest, type BrokerHeartbeatRequest, type BrokerRegistrationRequest, type CreatableTopic,
  type CreatePartitionsRequest, type CreateTopicsRequest, type DeleteTopicsRequest, type ElectLeadersRequest,
  type InitProducerIdRequest, type ListPartitionReassignmentsRequest, type Result, type UnregisterBrokerRequest,
} from '@tributary/protocol'
import { parseEndpoints } from '../net/listeners.js'
import { bad, flag, int, ints, list, map, parseBody, text, type Fields } from '../request-fields.js'

/** Topics per CreateTopics / DeleteTopics / CreatePartitions / AlterConfigs request. */
export const TOPICS_PER_REQUEST_MAX = 1000
/** Partitions one topic may have (one Raft entry holds them all). */
export const PARTITIONS_PER_TOPIC_MAX = 10_000
/** Partitions one AlterPartition / AlterPartitionReassignments may name (one Raft entry holds their records). */
export const PARTITIONS_PER_REQUEST_MAX = 10_000
/** Bindings one CreateAcls may carry, and filters one DeleteAcls may carry. */
export const ACL_CHANGES_PER_REQUEST_MAX = 1000
/** Users one AlterUserScramCredentials may change. */
export const USER_CHANGES_PER_REQUEST_MAX = 1000
/** Replicas one partition may list (configs and reassignment targets). */
const REPLICAS_MAX = 1000
/** Config changes one resource of an AlterConfigs may carry. */
const CONFIGS_PER_RESOURCE_MAX = 1000

/** An item that fails alone (Kafka's ACL APIs): its problem is answered, the others still apply. */
export type ItemResult<T> = { ok: true; value: T } | { ok: false; errorCode: number; errorMessage: string }
export interface ParsedCreateAcls { creations: Array<ItemResult<AclBinding>> }
export interface ParsedDeleteAcls { filters: Array<ItemResult<AclBindingFilter>> }
/** onlyFenced: set by the node an operator's request reached (unregister-access.ts): a live broker is refused. */
export interface ParsedUnregisterBroker extends UnregisterBrokerRequest { onlyFenced: boolean }

const timeoutMs = (b: Fields): number => int(b, 'timeoutMs', 0, 30_000)
const validateOnly = (b: Fields): boolean => flag(b, 'validateOnly')

function stringMap(o: Fields, field: string): Record<string, string> | undefined {
  const v = o[field]
  if (v === undefined || v === null) return undefined
  const m = map(v, field)
  for (const x of Object.values(m)) if (typeof x !== 'string') bad(`${field} must be a map of strings`)
  return m as Record<string, string>
}

export function parseCreateTopics(body: unknown): Result<CreateTopicsRequest> {
  return parseBody(body, (b) => ({
    timeoutMs: timeoutMs(b),
    validateOnly: validateOnly(b),
    topics: list(b, 'topics', TOPICS_PER_REQUEST_MAX, (v): CreatableTopic => {
      const t = map(v, 'topic')
      const assignments = t.assignments === undefined || t.assignments === null
        ? null
        : list(t, 'assignments', PARTITIONS_PER_TOPIC_MAX, (r) => (Array.isArray(r) ? ints({ r }, 'r', REPLICAS_MAX) : bad('assignments must be replica lists')))
      const configs = stringMap(t, 'configs')
      return {
        name: text(t, 'name'),
        // -1: the broker's default (Kafka's convention, and what a request with assignments sends)
        numPartitions: int(t, 'numPartitions', undefined, assignments ? -1 : undefined),
        replicationFactor: int(t, 'replicationFactor', undefined, assignments ? -1 : undefined),
        ...(configs ? { configs } : {}),
        assignments,
        internal: flag(t, 'internal'),
      }
    }),
  }))
}

export function parseDeleteTopics(body: unknown): Result<DeleteTopicsRequest> {
  return parseBody(body, (b) => ({
    timeoutMs: timeoutMs(b),
    validateOnly: validateOnly(b),
    topics: list(b, 'topics', TOPICS_PER_REQUEST_MAX, (v) => (typeof v === 'string' ? v : bad('topics must be an array of names'))),
  }))
}

export function parseCreatePartitions(body: unknown): Result<CreatePartitionsRequest> {
  return parseBody(body, (b) => ({
    timeoutMs: timeoutMs(b),
    validateOnly: validateOnly(b),
    topics: list(b, 'topics', TOPICS_PER_REQUEST_MAX, (v) => {
      const t = map(v, 'topic')
      return { name: text(t, 'name'), count: int(t, 'count') }
    }),
  }))
}

export function parseAlterConfigs(body: unknown): Result<AlterConfigsRequest> {
  return parseBody(body, (b) => ({
    validateOnly: validateOnly(b),
    resources: list(b, 'resources', TOPICS_PER_REQUEST_MAX, (v) => {
      const r = map(v, 'resource')
      const type = r.type === 'broker' ? 'broker' : r.type === 'topic' ? 'topic' : bad(`type must be 'topic' or 'broker'`)
      return {
        type,
        name: text(r, 'name'),
        configs: list(r, 'configs', CONFIGS_PER_RESOURCE_MAX, (x) => {
          const c = map(x, 'config')
          const op = c.op === 'set' || c.op === 'delete' ? c.op : bad(`op must be 'set' or 'delete'`)
          const value = c.value === undefined || c.value === null ? null : text(c, 'value')
          return { name: text(c, 'name'), op, value }
        }),
      }
    }),
  }))
}

export function parseBrokerRegistration(body: unknown): Result<BrokerRegistrationRequest> {
  return parseBody(body, (b) => {
    const { nodeId, endpoint, incarnationId } = b
    if (typeof nodeId !== 'number' || !Number.isSafeInteger(nodeId) || nodeId < 1 || typeof endpoint !== 'string' || typeof incarnationId !== 'string' || incarnationId === '') {
      bad('nodeId, endpoint and incarnationId are required')
    }
    const endpoints = parseEndpoints(b.endpoints)
    if (!endpoints.ok) bad(endpoints.message)
    return {
      nodeId: nodeId as number, endpoint: endpoint as string, incarnationId: incarnationId as string,
      rack: typeof b.rack === 'string' ? b.rack : null,
      ...(endpoints.ok && endpoints.value ? { endpoints: endpoints.value } : {}),
    }
  })
}

export function parseBrokerHeartbeat(body: unknown): Result<BrokerHeartbeatRequest> {
  return parseBody(body, (b) => ({
    nodeId: int(b, 'nodeId'),
    brokerEpoch: int(b, 'brokerEpoch'),
    currentMetadataOffset: int(b, 'currentMetadataOffset', -1, -1),
    wantFence: flag(b, 'wantFence'),
    wantShutdown: flag(b, 'wantShutdown'),
  }))
}

export function parseUnregisterBroker(body: unknown): Result<ParsedUnregisterBroker> {
  return parseBody(body, (b) => ({ nodeId: int(b, 'nodeId'), onlyFenced: flag(b, 'onlyFenced') }))
}

/** The shapes only; who leads, which epochs and which replicas are current is isr-ops.ts's question. */
export function parseAlterPartition(body: unknown): Result<AlterPartitionRequest> {
  return parseBody(body, (b) => {
    let count = 0
    return {
      brokerId: int(b, 'brokerId'),
      brokerEpoch: int(b, 'brokerEpoch'),
      topics: list(b, 'topics', PARTITIONS_PER_REQUEST_MAX, (v) => {
        const t = map(v, 'topic')
        return {
          topicId: text(t, 'topicId'),
          partitions: list(t, 'partitions', PARTITIONS_PER_REQUEST_MAX, (x) => {
            if (++count > PARTITIONS_PER_REQUEST_MAX) bad(`more than ${PARTITIONS_PER_REQUEST_MAX} partitions in one request`)
            const p = map(x, 'partition')
            return {
              partition: int(p, 'partition'),
              leaderEpoch: int(p, 'leaderEpoch'),
              partitionEpoch: int(p, 'partitionEpoch'),
              newIsr: ints(p, 'newIsr', REPLICAS_MAX),
            }
          }),
        }
      }),
    }
  })
}

/** Every field is optional: a non-transactional producer asks for a fresh id. */
export function parseInitProducerId(body: unknown): Result<InitProducerIdRequest> {
  if (body === undefined || body === null) return ok({})
  return parseBody(body, () => ({}))
}

export function parseAlterUserScramCredentials(body: unknown): Result<AlterUserScramCredentialsRequest> {
  const bytes = (o: Fields, field: string): Uint8Array => (o[field] instanceof Uint8Array ? (o[field] as Uint8Array) : bad(`${field} must be bytes`))
  return parseBody(body, (b) => {
    const deletions = list(b, 'deletions', USER_CHANGES_PER_REQUEST_MAX, (v) => {
      const d = map(v, 'deletion')
      return { name: text(d, 'name'), mechanism: int(d, 'mechanism') }
    }, [])
    const upsertions = list(b, 'upsertions', USER_CHANGES_PER_REQUEST_MAX, (v) => {
      const u = map(v, 'upsertion')
      return { name: text(u, 'name'), mechanism: int(u, 'mechanism'), iterations: int(u, 'iterations'), salt: bytes(u, 'salt'), saltedPassword: bytes(u, 'saltedPassword') }
    }, [])
    if (deletions.length + upsertions.length > USER_CHANGES_PER_REQUEST_MAX) bad(`at most ${USER_CHANGES_PER_REQUEST_MAX} changes per request`)
    return { deletions, upsertions }
  })
}

export function parseCreateAcls(body: unknown): Result<ParsedCreateAcls> {
  return parseBody(body, (b) => ({
    creations: list(b, 'creations', ACL_CHANGES_PER_REQUEST_MAX, (c): ItemResult<AclBinding> => {
      const problem = aclBindingProblem(c)
      return problem ? { ok: false, ...problem } : { ok: true, value: c as AclBinding }
    }),
  }))
}

export function parseDeleteAcls(body: unknown): Result<ParsedDeleteAcls> {
  return parseBody(body, (b) => ({
    filters: list(b, 'filters', ACL_CHANGES_PER_REQUEST_MAX, (f): ItemResult<AclBindingFilter> => {
      const problem = aclFilterProblem(f)
      return problem ? { ok: false, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem } : { ok: true, value: f as AclBindingFilter }
    }),
  }))
}

export function parseElectLeaders(body: unknown): Result<ElectLeadersRequest> {
  return parseBody(body, (b) => {
    const type = b.electionType ?? ElectionType.PREFERRED
    if (type !== ElectionType.PREFERRED && type !== ElectionType.UNCLEAN) bad(`electionType must be 0 (preferred) or 1 (unclean), got ${String(type)}`)
    const topicPartitions = b.topicPartitions === undefined || b.topicPartitions === null
      ? null
      : list(b, 'topicPartitions', TOPICS_PER_REQUEST_MAX, (v) => {
        const tp = map(v, 'topicPartitions entry')
        if (typeof tp.topic !== 'string' || !Array.isArray(tp.partitions)) bad('each topicPartitions entry needs a topic and partition numbers')
        return { topic: tp.topic as string, partitions: ints(tp, 'partitions', PARTITIONS_PER_TOPIC_MAX) }
      })
    return { electionType: type as ElectionType, topicPartitions, timeoutMs: timeoutMs(b) }
  })
}

export function parseAlterPartitionReassignments(body: unknown): Result<AlterPartitionReassignmentsRequest> {
  return parseBody(body, (b) => {
    let count = 0
    return {
      timeoutMs: timeoutMs(b),
      topics: list(b, 'topics', PARTITIONS_PER_REQUEST_MAX, (v) => {
        const t = map(v, 'topic')
        if (typeof t.name !== 'string' || !Array.isArray(t.partitions)) bad('each topic needs a name and partitions')
        return {
          name: t.name as string,
          partitions: list(t, 'partitions', PARTITIONS_PER_REQUEST_MAX, (x) => {
            if (++count > PARTITIONS_PER_REQUEST_MAX) bad(`at most ${PARTITIONS_PER_REQUEST_MAX} partitions per request`)
            const p = map(x, 'partition')
            // a target's members are checked against the registered brokers, per partition (reassignment.ts)
            const replicas = p.replicas === undefined || p.replicas === null ? null : ints(p, 'replicas', REPLICAS_MAX)
            return { partitionIndex: int(p, 'partitionIndex'), replicas }
          }),
        }
      }),
    }
  })
}

export function parseListPartitionReassignments(body: unknown): Result<ListPartitionReassignmentsRequest> {
  return parseBody(body, (b) => ({
    timeoutMs: timeoutMs(b),
    topics: b.topics === undefined || b.topics === null
      ? null
      : list(b, 'topics', TOPICS_PER_REQUEST_MAX, (v) => {
        const t = map(v, 'topic')
        return { name: text(t, 'name'), partitionIndexes: t.partitionIndexes === undefined || t.partitionIndexes === null ? [] : ints(t, 'partitionIndexes', PARTITIONS_PER_TOPIC_MAX) }
      }),
  }))
}
