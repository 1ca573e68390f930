/**
 * Dynamic broker configs, as Kafka's: settings an operator changes on a running
 * cluster (IncrementalAlterConfigs on a BROKER resource) instead of restarting
 * with a flag. They are Config records in the metadata log, so every node learns
 * them from its image, in log order, and they survive restarts and snapshots.
 *
 * A setting belongs to one broker (resource name "4") or to every broker (the
 * cluster default, resource name ""). A node's effective value is its own
 * setting, else the cluster default, else its static flag. Only the names here
 * may be set; every other broker config is static (read-only).
 */
import type { MetadataImage } from './metadata/image-types.js'

/** The resource name of the cluster-wide default, as Kafka's `--entity-default`. */
export const CLUSTER_DEFAULT = ''

/** Bytes/s a leader sends to the replicas a reassignment is adding (0 = unthrottled). */
export const LEADER_THROTTLED_RATE = 'leader.replication.throttled.rate'
/** Bytes/s a broker's replicas being added by a reassignment fetch (0 = unthrottled; static twin: --reassignment-throttle-bytes). */
export const FOLLOWER_THROTTLED_RATE = 'follower.replication.throttled.rate'

export interface DynamicBrokerConfigSpec {
  name: string
  doc: string
  /** undefined = valid; else why not */
  validate(value: string): string | undefined
}

/**
 * A rate in bytes/s. Kafka's default is Long.MAX_VALUE (no throttle); ours is 0
 * (no throttle), as the --reassignment-throttle-bytes flag has always meant; a
 * value too large to be a safe integer (Kafka's Long.MAX_VALUE) is no throttle too.
 */
const bytesPerSecond = (v: string): string | undefined => (/^\d+$/.test(v.trim()) ? undefined : `'${v}' is not a rate in bytes/s (a non-negative integer)`)

const specs: DynamicBrokerConfigSpec[] = [
  { name: LEADER_THROTTLED_RATE, doc: 'bytes/s a leader sends to replicas being added by a reassignment (0 = unthrottled)', validate: bytesPerSecond },
  { name: FOLLOWER_THROTTLED_RATE, doc: 'bytes/s a broker\'s replicas being added by a reassignment fetch (0 = unthrottled)', validate: bytesPerSecond },
]

export const DYNAMIC_BROKER_CONFIGS: ReadonlyMap<string, DynamicBrokerConfigSpec> = new Map(specs.map((s) => [s.name, s]))

/** Why `name` is not a broker config resource ("" or a broker id), undefined when it is one. */
export function brokerResourceProblem(name: string): string | undefined {
  if (name === CLUSTER_DEFAULT || (/^\d+$/.test(name) && Number.isSafeInteger(Number(name)) && Number(name) > 0)) return undefined
  return `broker config resource '${name}' must be a broker id or '' (the cluster default)`
}

/** undefined when `name` may be set to `value` dynamically; else a message naming it. */
export function validateBrokerConfig(name: string, value: unknown): string | undefined {
  const spec = DYNAMIC_BROKER_CONFIGS.get(name)
  if (!spec) return `'${name}' is not a dynamic broker config (those are ${[...DYNAMIC_BROKER_CONFIGS.keys()].join(', ')}; the others are read-only)`
  if (typeof value !== 'string') return `${name}: value must be a string`
  const why = spec.validate(value)
  return why === undefined ? undefined : `${name}: ${why}`
}

export type DynamicSource = 'dynamic-broker' | 'dynamic-default-broker'

/** The dynamic setting of `key` that applies to broker `nodeId` and where it comes from; undefined when neither it nor the cluster default sets one. */
export function dynamicBrokerConfig(image: MetadataImage, nodeId: number, key: string): { value: string; source: DynamicSource } | undefined {
  const own = image.brokerConfigs.get(String(nodeId))?.[key]
  if (own !== undefined) return { value: own, source: 'dynamic-broker' }
  const all = image.brokerConfigs.get(CLUSTER_DEFAULT)?.[key]
  return all !== undefined ? { value: all, source: 'dynamic-default-broker' } : undefined
}

/** A rate setting as bytes/s: 0 = unthrottled (also for Kafka's Long.MAX_VALUE or anything unreadable). */
export function rateBytesPerSec(value: string): number {
  const n = Number(value)
  return Number.isSafeInteger(n) && n > 0 ? n : 0
}

/** The reassignment throttle broker `nodeId` applies: its dynamic settings, else `staticFollowerBytes` (the flag) for the follower side, 0 for the leader side. */
export function throttleRates(image: MetadataImage, nodeId: number, staticFollowerBytes: number): { leaderBytesPerSec: number; followerBytesPerSec: number } {
  const leader = dynamicBrokerConfig(image, nodeId, LEADER_THROTTLED_RATE)
  const follower = dynamicBrokerConfig(image, nodeId, FOLLOWER_THROTTLED_RATE)
  return {
    leaderBytesPerSec: leader ? rateBytesPerSec(leader.value) : 0,
    followerBytesPerSec: follower ? rateBytesPerSec(follower.value) : staticFollowerBytes,
  }
}
