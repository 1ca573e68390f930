/**
 * The topic configs the data plane acts on, resolved once per topic from the
 * topic's own settings, then the broker's defaults, then the schema defaults
 * (`topic-config.ts`). Re-resolved when a Config record changes the topic.
 */
import { topicConfigValue } from '../topic-config.js'

export interface TopicSettings {
  /** largest batch accepted (topic `max.message.bytes`, broker `message.max.bytes`) */
  maxMessageBytes: number
  minInsyncReplicas: number
  retentionMs: number
  retentionBytes: number
  deleteRetentionMs: number
  /** cleanup.policy contains `delete` */
  cleanupDelete: boolean
  /** cleanup.policy contains `compact` */
  cleanupCompact: boolean
}

function intOf(configs: Record<string, string>, name: string, brokerDefaults: Record<string, string>): number {
  const n = Number(topicConfigValue(configs, name, brokerDefaults))
  if (Number.isSafeInteger(n)) return n
  // the controller validated it; a bad value here means an older/foreign record: use the schema default
  return Number(topicConfigValue({}, name, {}))
}

export function resolveTopicSettings(configs: Record<string, string>, brokerDefaults: Record<string, string>): TopicSettings {
  const policy = topicConfigValue(configs, 'cleanup.policy', brokerDefaults).split(',').map((s) => s.trim())
  return {
    maxMessageBytes: intOf(configs, 'max.message.bytes', brokerDefaults),
    minInsyncReplicas: intOf(configs, 'min.insync.replicas', brokerDefaults),
    retentionMs: intOf(configs, 'retention.ms', brokerDefaults),
    retentionBytes: intOf(configs, 'retention.bytes', brokerDefaults),
    deleteRetentionMs: intOf(configs, 'delete.retention.ms', brokerDefaults),
    cleanupDelete: policy.includes('delete'),
    cleanupCompact: policy.includes('compact'),
  }
}
