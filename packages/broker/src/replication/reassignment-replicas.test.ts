/**
 * What a reassignment means for the brokers' replicas: an adding replica is
 * hosted as a follower and copies the log; a replica the metadata no longer
 * places on a broker is closed and its data deleted; a leader that is removed
 * hands over to the new one without losing a committed record.
 */
import { afterEach, expect, it } from '@jest/globals'
import { ErrorCode } from '@tributary/protocol'
import { batchOf, fetchFrom, produce, recordsIn } from './sim-client.js'
import { SimCluster, waitFor } from './sim-cluster.js'

let cluster: SimCluster | undefined
afterEach(async () => {
  await cluster?.stopAll()
  cluster = undefined
})

const stored = async (c: SimCluster, id: number) => (await c.node(id).logStore.list()).map((p) => p.partition)

it('a move from [1,2] to [3,2]: broker 3 copies the log, then broker 1 (the leader) drops and deletes its replica', async () => {
  const c = (cluster = new SimCluster([1, 2, 3]))
  await c.startAll()
  c.createTopic('t', [[1, 2]])
  await waitFor(() => c.manager(1).isLeader('t', 0), 2000, 'leader')
  for (let i = 0; i < 20; i++) expect((await produce(c, 1, 't', 0, batchOf([`v${i}`])))?.errorCode).toBe(ErrorCode.NONE)

  c.reassign('t', 0, { replicas: [3, 2, 1], addingReplicas: [3], removingReplicas: [1] })
  await waitFor(() => c.manager(3).partition('t', 0)?.logEndOffset() === 20, 5000, 'broker 3 caught up')
  await waitFor(() => c.partitionState('t', 0).isr.includes(3), 5000, 'broker 3 in the ISR (AlterPartition from the leader)')
  expect(await stored(c, 1)).toEqual([0])

  // the controller's completion: target replicas, the removed leader out, broker 3 leads
  c.reassign('t', 0, { replicas: [3, 2], leader: 3, isr: [3, 2] })
  await waitFor(() => c.manager(3).isLeader('t', 0), 2000, 'broker 3 leads')
  await waitFor(async () => (await stored(c, 1)).length === 0, 2000, 'broker 1 deleted its replica')
  expect(c.manager(1).partition('t', 0)).toBeUndefined()
  const read = await fetchFrom(c, 3, 't', 0, 0)
  expect(recordsIn(read.records).map((r) => r.value)).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`))
  expect((await produce(c, 3, 't', 0, batchOf(['after'])))?.errorCode).toBe(ErrorCode.NONE)
})

it('a restarting broker ignores changes queued behind its start-up image that the image already carried (no older leader epoch applied after a newer one)', async () => {
  const c = (cluster = new SimCluster([1, 2, 3]))
  c.strictInvariants = false // counted, so the test can say which one broke
  await c.startAll()
  c.createTopic('t', [[1, 2, 3]])
  await waitFor(() => c.manager(1).isLeader('t', 0), 2000, 'leader')
  await c.stop(3)
  // Two elections land while broker 3's start-up applies the image: their change events queue
  // behind it, and the image it reads already holds the second one.
  const starting = c.start(3)
  c.changePartition('t', 0, { leader: 2 })
  const last = c.changePartition('t', 0, { leader: 1 })
  await starting
  await waitFor(() => c.manager(3).partition('t', 0)?.partitionEpoch === last.partitionEpoch, 2000, 'broker 3 applied the last change')
  const p = c.manager(3).partition('t', 0)!
  expect([p.role, p.leaderId, p.leaderEpoch]).toEqual(['follower', 1, last.leaderEpoch])
  expect(Object.fromEntries(c.manager(3).metricsSnapshot().invariantViolations)).toEqual({})
  expect((await produce(c, 1, 't', 0, batchOf(['after'])))?.errorCode).toBe(ErrorCode.NONE)
  await waitFor(() => c.manager(3).partition('t', 0)?.logEndOffset() === 1, 5000, 'broker 3 follows the current leader')
})
