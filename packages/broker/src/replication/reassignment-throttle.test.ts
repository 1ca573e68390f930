/**
 * The reassignment throttle: the token bucket itself, and a replica added by a
 * reassignment copying no faster than the rate while the existing follower
 * keeps up unthrottled, in simulated time; the leader side, and rates set as
 * dynamic broker configs taking effect live.
 */
import { afterEach, expect, it } from '@jest/globals'
import { ErrorCode } from '@tributary/protocol'
import { ManualClock } from '../testing/manual-clock.js'
import { ReassignmentThrottle } from './reassignment-throttle.js'
import { CLUSTER_DEFAULT, FOLLOWER_THROTTLED_RATE, LEADER_THROTTLED_RATE } from '../broker-dynamic-config.js'
import { batchOf, produce } from './sim-client.js'
import { SIM_REPLICA_CONFIG, SimCluster } from './sim-cluster.js'

let cluster: SimCluster | undefined
afterEach(async () => {
  await cluster?.stopAll()
  cluster = undefined
})

it('the bucket allows one second of burst, refills at the rate, and makes an overdraft wait', async () => {
  const clock = new ManualClock()
  const t = new ReassignmentThrottle(clock, 1000)
  expect(t.available()).toBe(1000)
  t.consume(2500) // a whole batch larger than the allowance
  expect(t.available()).toBe(0)
  expect(t.msUntilAvailable()).toBe(1501)
  await clock.advance(1501)
  expect(t.available()).toBe(1)
  await clock.advance(60_000)
  expect(t.available()).toBe(1000) // a quiet minute is not saved up
  const off = new ReassignmentThrottle(clock, 0)
  expect(off.enabled).toBe(false)
  expect(off.available()).toBe(Infinity)
})

it('an adding replica copies at the throttle rate; the existing follower is not slowed', async () => {
  const clock = new ManualClock()
  const RATE = 20_000
  cluster = new SimCluster([1, 2, 3], { ...SIM_REPLICA_CONFIG, reassignmentThrottleBytes: RATE }, clock)
  const c = cluster
  await c.startAll()
  c.createTopic('t', [[1, 2]])
  await clock.advanceUntil(() => c.manager(1).isLeader('t', 0), 2000)
  const value = 'x'.repeat(1000)
  for (let i = 0; i < 100; i++) {
    const r = await produce(c, 1, 't', 0, batchOf([value, value]), { acks: 1 })
    expect(r?.errorCode).toBe(ErrorCode.NONE)
  }
  const leaderBytes = c.manager(1).partition('t', 0)!.log.sizeBytes()
  expect(leaderBytes).toBeGreaterThan(150_000)
  await clock.advanceUntil(() => c.manager(2).partition('t', 0)!.logEndOffset() === 200, 5000)

  c.reassign('t', 0, { replicas: [1, 2, 3], addingReplicas: [3] })
  const added = () => c.manager(3).partition('t', 0)?.log.sizeBytes() ?? 0
  // new writes meanwhile: the ordinary follower keeps up at once while the added replica is still copying
  await clock.advance(500)
  for (let i = 0; i < 10; i++) await produce(c, 1, 't', 0, batchOf([value, value]), { acks: 1 })
  const followerMs = await clock.advanceUntil(() => c.manager(2).partition('t', 0)!.logEndOffset() === 220, 5000, 50)
  expect(followerMs).toBeLessThanOrEqual(1000)
  expect(c.manager(3).partition('t', 0)!.logEndOffset()).toBeLessThan(100)
  const total = c.manager(1).partition('t', 0)!.log.sizeBytes()
  const tookMs = 500 + followerMs + await clock.advanceUntil(() => c.manager(3).partition('t', 0)?.logEndOffset() === 220, 60_000, 100)
  // one second of burst, then the rate; a fetch may overdraw by at most one batch (about 2 KB here)
  const floorMs = ((total - RATE - 2100) / RATE) * 1000
  expect(tookMs).toBeGreaterThanOrEqual(floorMs)
  expect(added()).toBe(total)
})

it('a new rate is in force at once: lowered, the burst shrinks; switched off, nothing waits; switched on, a full bucket', async () => {
  const clock = new ManualClock()
  const t = new ReassignmentThrottle(clock, 10_000)
  t.consume(4000)
  t.setRate(1000)
  expect(t.rate).toBe(1000)
  expect(t.available()).toBe(1000) // 6000 left, capped to the new one-second burst
  t.consume(3000) // 2000 in debt: paid at the new rate
  expect(t.msUntilAvailable()).toBe(2001)
  t.setRate(0)
  expect(t.enabled).toBe(false)
  expect(t.available()).toBe(Infinity)
  expect(t.msUntilAvailable()).toBe(0)
  t.setRate(500)
  expect(t.available()).toBe(500)
  t.consume(500)
  await clock.advance(250)
  expect(t.available()).toBe(125) // refilled at the new rate
})

/** A topic of 200 records (about 200 KB) on brokers 1-2, its follower caught up; then broker 3 is being added. */
async function movingPartition(c: SimCluster, clock: ManualClock): Promise<{ bytes: number }> {
  await c.startAll()
  c.createTopic('t', [[1, 2]])
  await clock.advanceUntil(() => c.manager(1).isLeader('t', 0), 2000)
  const value = 'x'.repeat(1000)
  for (let i = 0; i < 100; i++) expect((await produce(c, 1, 't', 0, batchOf([value, value]), { acks: 1 }))?.errorCode).toBe(ErrorCode.NONE)
  await clock.advanceUntil(() => c.manager(2).partition('t', 0)!.logEndOffset() === 200, 5000)
  c.reassign('t', 0, { replicas: [1, 2, 3], addingReplicas: [3] })
  return { bytes: c.manager(1).partition('t', 0)!.log.sizeBytes() }
}

it('the leader side (leader.replication.throttled.rate, set dynamically) bounds what a leader sends to an adding replica', async () => {
  const clock = new ManualClock()
  const RATE = 20_000
  cluster = new SimCluster([1, 2, 3], SIM_REPLICA_CONFIG, clock)
  const c = cluster
  c.setBrokerConfig('1', LEADER_THROTTLED_RATE, String(RATE)) // only the leader: the adding broker fetches unthrottled
  const { bytes } = await movingPartition(c, clock)
  expect(c.manager(1).leaderThrottle.rate).toBe(RATE)
  expect(c.manager(3).followerThrottle.enabled).toBe(false)
  const tookMs = await clock.advanceUntil(() => c.manager(3).partition('t', 0)?.log.sizeBytes() === bytes, 60_000, 100)
  expect(tookMs).toBeGreaterThanOrEqual(((bytes - RATE - 2100) / RATE) * 1000)
})

it('a dynamic rate takes over from the flag live: a copy crawling at the flag\'s rate finishes once the setting lifts it', async () => {
  const clock = new ManualClock()
  cluster = new SimCluster([1, 2, 3], { ...SIM_REPLICA_CONFIG, reassignmentThrottleBytes: 1000 }, clock)
  const c = cluster
  c.setBrokerConfig(CLUSTER_DEFAULT, FOLLOWER_THROTTLED_RATE, '2000') // every broker: the default overrides the flag
  const { bytes } = await movingPartition(c, clock)
  expect(c.manager(3).followerThrottle.rate).toBe(2000)
  await clock.advance(5000)
  const crawled = c.manager(3).partition('t', 0)?.log.sizeBytes() ?? 0
  // at 2000 B/s: at most 1 s of burst + 5 s of rate + one batch of overdraft
  expect(crawled).toBeLessThanOrEqual(2000 + 5 * 2000 + 2100)
  c.setBrokerConfig('3', FOLLOWER_THROTTLED_RATE, '0') // broker 3's own setting: unthrottled
  expect(c.manager(3).followerThrottle.enabled).toBe(false)
  const restMs = await clock.advanceUntil(() => c.manager(3).partition('t', 0)?.log.sizeBytes() === bytes, 60_000, 50)
  // the rest (about 190 KB) would take over 90 s at 2000 B/s
  expect(restMs).toBeLessThan(5000)
  c.setBrokerConfig('3', FOLLOWER_THROTTLED_RATE, null) // removed: the cluster default applies again
  expect(c.manager(3).followerThrottle.rate).toBe(2000)
})

/**
 * Two partitions move to broker 3 under a tight throttle: t-0 holds 200 KB (it
 * keeps the bucket empty for a long time), t-1 holds little and catches up at
 * once. Once the leader counts broker 3 in t-1's ISR, an acks=all write to t-1
 * waits on broker 3's fetch: that fetch must not queue behind t-0's copy.
 */
async function caughtUpBesideACopy(c: SimCluster, clock: ManualClock): Promise<number> {
  await c.startAll()
  c.createTopic('t', [[1, 2], [1, 2]])
  await clock.advanceUntil(() => c.manager(1).isLeader('t', 0) && c.manager(1).isLeader('t', 1), 2000)
  const value = 'x'.repeat(1000)
  for (let i = 0; i < 100; i++) expect((await produce(c, 1, 't', 0, batchOf([value, value]), { acks: 1 }))?.errorCode).toBe(ErrorCode.NONE)
  expect((await produce(c, 1, 't', 1, batchOf(['small']), { acks: 1 }))?.errorCode).toBe(ErrorCode.NONE)
  await clock.advanceUntil(() => c.manager(2).partition('t', 0)!.logEndOffset() === 200 && c.manager(2).partition('t', 1)!.logEndOffset() === 1, 5000)
  c.reassign('t', 0, { replicas: [1, 2, 3], addingReplicas: [3] })
  c.reassign('t', 1, { replicas: [1, 2, 3], addingReplicas: [3] })
  await clock.advanceUntil(() => c.partitionState('t', 1).isr.includes(3), 10_000)
  expect(c.manager(3).partition('t', 0)!.logEndOffset()).toBeLessThan(200) // t-0 still copying
  // a write of 5 KB to t-1, acks=all: at 1000 B/s a throttled fetch of it would take seconds
  const write = produce(c, 1, 't', 1, batchOf(['y'.repeat(5000)]), { acks: -1, timeoutMs: 30_000 })
  let answer: Awaited<typeof write> | undefined
  void write.then((r) => { answer = r })
  const tookMs = await clock.advanceUntil(() => answer !== undefined, 30_000, 10)
  expect(answer?.errorCode).toBe(ErrorCode.NONE)
  expect(c.manager(3).partition('t', 0)!.logEndOffset()).toBeLessThan(200) // and t-0 is still throttled
  return tookMs
}

it('an adding replica the leader counts in the ISR is not throttled (follower side): acks=all does not wait on the copy beside it', async () => {
  const clock = new ManualClock()
  cluster = new SimCluster([1, 2, 3], { ...SIM_REPLICA_CONFIG, reassignmentThrottleBytes: 1000 }, clock)
  expect(await caughtUpBesideACopy(cluster, clock)).toBeLessThan(2000)
})

it('an adding replica the leader counts in the ISR is not throttled (leader side)', async () => {
  const clock = new ManualClock()
  cluster = new SimCluster([1, 2, 3], SIM_REPLICA_CONFIG, clock)
  cluster.setBrokerConfig('1', LEADER_THROTTLED_RATE, '1000')
  expect(await caughtUpBesideACopy(cluster, clock)).toBeLessThan(2000)
})
