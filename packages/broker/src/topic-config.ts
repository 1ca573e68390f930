/**
 * The topic config schema: every config a topic may set, its default and how a
 * value is validated. The controller refuses unknown names and bad values with
 * INVALID_CONFIG; DescribeConfigs fills in defaults from here; the data plane
 * reads effective values with `topicConfigValue`.
 */
export interface TopicConfigSpec {
  name: string
  default: string
  doc: string
  /** undefined = valid; else why not */
  validate(value: string): string | undefined
}

const LONG_MAX = Number.MAX_SAFE_INTEGER

const int = (min: number, max = LONG_MAX) => (v: string): string | undefined => {
  if (!/^-?\d+$/.test(v.trim())) return `'${v}' is not an integer`
  const n = Number(v)
  if (!Number.isSafeInteger(n)) return `'${v}' is out of range`
  if (n < min || n > max) return `${n} must be in [${min}, ${max}]`
  return undefined
}
const oneOf = (...allowed: string[]) => (v: string): string | undefined =>
  allowed.includes(v) ? undefined : `'${v}' must be one of ${allowed.join(', ')}`
const bool = oneOf('true', 'false')
const cleanupPolicy = (v: string): string | undefined => {
  const parts = v.split(',').map((s) => s.trim())
  if (parts.length === 0 || parts.some((p) => p !== 'delete' && p !== 'compact')) return `'${v}' must be delete, compact or delete,compact`
  return undefined
}

const specs: TopicConfigSpec[] = [
  { name: 'cleanup.policy', default: 'delete', doc: 'delete old segments, compact by key, or both', validate: cleanupPolicy },
  { name: 'retention.ms', default: '604800000', doc: 'drop batches older than this (-1: forever)', validate: int(-1) },
  { name: 'retention.bytes', default: '-1', doc: 'drop head batches while the log is larger (-1: unbounded)', validate: int(-1) },
  { name: 'delete.retention.ms', default: '86400000', doc: 'how long compaction keeps tombstones', validate: int(0) },
  { name: 'min.compaction.lag.ms', default: '0', doc: 'records younger than this are not compacted', validate: int(0) },
  { name: 'min.insync.replicas', default: '1', doc: 'acks=all needs at least this many in-sync replicas', validate: int(1, 1000) },
  { name: 'max.message.bytes', default: '1048588', doc: 'largest record batch accepted for this topic', validate: int(0, 2 ** 31 - 1) },
  { name: 'segment.ms', default: '604800000', doc: 'accepted for Kafka compatibility (batches are the unit here)', validate: int(1) },
  { name: 'segment.bytes', default: '1073741824', doc: 'accepted for Kafka compatibility (batches are the unit here)', validate: int(14) },
  { name: 'unclean.leader.election.enable', default: 'false', doc: 'allow an out-of-ISR replica to lead (may lose data)', validate: bool },
  { name: 'message.timestamp.type', default: 'CreateTime', doc: 'CreateTime or LogAppendTime', validate: oneOf('CreateTime', 'LogAppendTime') },
  { name: 'compression.type', default: 'producer', doc: 'accepted: batches are stored as the producer compressed them', validate: oneOf('producer', 'uncompressed', 'gzip') },
]

export const TOPIC_CONFIGS: ReadonlyMap<string, TopicConfigSpec> = new Map(specs.map((s) => [s.name, s]))

/** undefined when valid; else a message naming the config. */
export function validateTopicConfig(name: string, value: unknown): string | undefined {
  const spec = TOPIC_CONFIGS.get(name)
  if (!spec) return `unknown topic config '${name}'`
  if (typeof value !== 'string') return `${name}: value must be a string`
  const why = spec.validate(value)
  return why === undefined ? undefined : `${name}: ${why}`
}

/** The effective value: the topic's own setting, else the broker-level override, else the schema default. */
export function topicConfigValue(configs: Record<string, string>, name: string, brokerDefaults: Record<string, string> = {}): string {
  const spec = TOPIC_CONFIGS.get(name)
  if (!spec) throw new Error(`unknown topic config ${name}`)
  return configs[name] ?? brokerDefaults[name] ?? spec.default
}
