/**
 * What the connection's principal may do to a topic, found by asking the
 * brokers themselves, so that a UI can disable what would be refused: each
 * operation is a request that changes nothing whatever the answer —
 * validateOnly DeleteTopics / CreatePartitions / AlterConfigs, and a Produce or
 * Fetch for partition -1 (no partition has that number: an authorized request
 * is answered "unknown partition" or "invalid", a refused one
 * TOPIC_AUTHORIZATION_FAILED). The broker's authorizer stays the one that
 * decides: this is advice for what to show, and an action taken anyway is
 * still checked when it arrives. With `--authorizer acl`, a refused probe is a
 * denial in the broker's audit log like any other.
 */
import { ApiKey, ErrorCode, TributaryError } from '@tributary/protocol'
import type { Cluster } from './cluster.js'

export interface TopicPermissions {
  /** Fetch (Read on the topic). */
  read: boolean
  /** Produce (Write on the topic). */
  write: boolean
  /** DeleteTopics (Delete on the topic). */
  delete: boolean
  /** CreatePartitions (Alter on the topic). */
  alter: boolean
  /** AlterConfigs (AlterConfigs on the topic). */
  alterConfigs: boolean
}

/** Refusal codes: the topic's, and the cluster's (some operations may also be granted on the cluster). */
const REFUSED = new Set<number>([ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED])
const PROBE_TIMEOUT_MS = 5_000
const NO_PARTITION = -1

/** True unless the answer (or the error) is an authorization refusal. */
async function allowed(call: () => Promise<number[]>): Promise<boolean> {
  try {
    return !(await call()).some((code) => REFUSED.has(code))
  } catch (err) {
    if (err instanceof TributaryError && REFUSED.has(err.code)) return false
    if (err instanceof TributaryError && err.code === ErrorCode.SASL_AUTHENTICATION_FAILED) throw err
    return true
  }
}

export async function topicPermissions(cluster: Cluster, topic: string): Promise<TopicPermissions> {
  const timeoutMs = PROBE_TIMEOUT_MS
  const nowhere = [{ topic, partitions: [{ partition: NO_PARTITION, records: new Uint8Array(0) }] }]
  const [read, write, del, alter, alterConfigs] = await Promise.all([
    allowed(async () => (await cluster.callAny(ApiKey.Fetch, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1,
      topics: [{ topic, partitions: [{ partition: NO_PARTITION, fetchOffset: 0, currentLeaderEpoch: -1, partitionMaxBytes: 1 }] }],
    }, { timeoutMs })).topics.flatMap((t) => t.partitions.map((p) => p.errorCode))),
    allowed(async () => (await cluster.callAny(ApiKey.Produce, { acks: 1, timeoutMs, topics: nowhere }, { timeoutMs })).topics.flatMap((t) => t.partitions.map((p) => p.errorCode))),
    allowed(async () => (await cluster.controllerCall(ApiKey.DeleteTopics, { topics: [topic], timeoutMs, validateOnly: true }, { timeoutMs })).topics.map((t) => t.errorCode)),
    allowed(async () => (await cluster.controllerCall(ApiKey.CreatePartitions, { topics: [{ name: topic, count: 1 }], timeoutMs, validateOnly: true }, { timeoutMs })).topics.map((t) => t.errorCode)),
    allowed(async () => (await cluster.controllerCall(ApiKey.AlterConfigs, { resources: [{ type: 'topic', name: topic, configs: [] }], validateOnly: true }, { timeoutMs })).resources.map((r) => r.errorCode)),
  ])
  return { read, write, delete: del, alter, alterConfigs }
}
