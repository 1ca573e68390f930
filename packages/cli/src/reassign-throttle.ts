/**
 * The reassignment throttle as kafka-reassign-partitions sets it: `--execute
 * --throttle RATE` sets both replication rates (dynamic broker configs) on every
 * broker a moving partition is on or moves to; `--verify` (once every move is
 * complete) and `--cancel` remove them from every broker.
 */
import { FOLLOWER_THROTTLED_RATE, LEADER_THROTTLED_RATE } from '@tributary/broker'
import type { Admin } from '@tributary/client'

const RATES = [LEADER_THROTTLED_RATE, FOLLOWER_THROTTLED_RATE]

/** Both rates, `bytesPerSec`, on each of `brokers` (one AlterConfigs: all set or none). */
export async function setThrottle(admin: Admin, brokers: readonly number[], bytesPerSec: number): Promise<void> {
  const value = String(bytesPerSec)
  await admin.alterConfigs({ resources: [...brokers].sort((a, b) => a - b).map((id) => ({ type: 'broker' as const, name: String(id), configs: RATES.map((name) => ({ name, value })) })) })
}

/** Removes both rates from every registered broker (where one is not set, nothing changes). */
export async function clearThrottles(admin: Admin): Promise<number[]> {
  const brokers = (await admin.describeCluster()).brokers.map((b) => b.nodeId).sort((a, b) => a - b)
  if (brokers.length > 0) await admin.alterConfigs({ resources: brokers.map((id) => ({ type: 'broker' as const, name: String(id), configs: RATES.map((name) => ({ name, op: 'delete' as const })) })) })
  return brokers
}
