/**
 * What the connection's principal may do to a topic, so that a UI can disable
 * what would be refused: one Metadata request asking for the topic's authorized
 * operations (Kafka's KIP-430 bitfield), which the node answers from its own
 * authorizer — the same decisions it makes when the action arrives. This is
 * advice for what to show; an action taken anyway is still checked.
 */
import { AclOperationTypes as Op, ApiKey, ErrorCode, hasOperation, TributaryError } from '@tributary/protocol'
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

const NOTHING: TopicPermissions = { read: false, write: false, delete: false, alter: false, alterConfigs: false }

export async function topicPermissions(cluster: Cluster, topic: string): Promise<TopicPermissions> {
  const answer = await cluster.callAny(ApiKey.Metadata, { topics: [topic], includeInternal: true, includeTopicAuthorizedOperations: true })
  const t = answer.topics.find((x) => x.name === topic)
  if (t?.errorCode === ErrorCode.TOPIC_AUTHORIZATION_FAILED) return { ...NOTHING }
  if (!t || t.errorCode !== ErrorCode.NONE) {
    throw new TributaryError(t?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${topic}': cannot read its permissions (${t ? `error ${t.errorCode}` : 'not in the answer'})`)
  }
  const bits = t.authorizedOperations
  return {
    read: hasOperation(bits, Op.READ),
    write: hasOperation(bits, Op.WRITE),
    delete: hasOperation(bits, Op.DELETE),
    alter: hasOperation(bits, Op.ALTER),
    alterConfigs: hasOperation(bits, Op.ALTER_CONFIGS),
  }
}
