import { ErrorCode, TributaryError } from '@tributary/protocol'
import type { MetadataRecord } from '../metadata/records.js'
import { imageToPlain } from '../metadata/metadata-image.js'
import { QuorumHarness } from '../testing/quorum-harness.js'

const topic = (name: string): MetadataRecord[] => [{ type: 'Topic', version: 0, name, topicId: `id-${name}`, internal: false }]

let h: QuorumHarness
afterEach(async () => {
  await h?.stop()
})

test('three voters elect one controller, and a commit is applied on every node', async () => {
  h = await QuorumHarness.start([1, 2, 3])
  const leader = await h.waitForController()
  expect(h.leaders()).toEqual([leader.id])
  const index = await leader.quorum.commit(topic('a'))
  await h.clock.advanceUntil(() => [1, 2, 3].every((id) => h.node(id).metadata.image().topicsByName.has('a')), 2000)
  for (const id of [1, 2, 3]) expect(h.node(id).metadata.image().offset).toBeGreaterThanOrEqual(index)
})

test('a controller cut off from the majority cannot commit; the majority elects another and goes on', async () => {
  h = await QuorumHarness.start([1, 2, 3], { seed: 7 })
  const old = await h.waitForController()
  h.isolate(old.id)
  let outcome: 'committed' | 'refused' | 'pending' = 'pending'
  old.quorum.commit(topic('lost')).then(
    () => { outcome = 'committed' },
    (err: TributaryError) => { outcome = err.code === ErrorCode.NOT_CONTROLLER ? 'refused' : 'committed' },
  )
  // Three election timeouts of simulated time: check-quorum makes the old leader step down.
  await h.clock.advance(3000)
  expect(outcome).not.toBe('committed')
  expect(old.controllerActive).toBe(false)
  const next = h.activeController()!
  expect(next.id).not.toBe(old.id)
  await next.quorum.commit(topic('kept'))

  h.heal()
  await h.clock.advanceUntil(() => [1, 2, 3].every((id) => h.node(id).metadata.image().topicsByName.has('kept')), 5000)
  for (const id of [1, 2, 3]) expect(h.node(id).metadata.image().topicsByName.has('lost')).toBe(false)
  expect(outcome).toBe('refused')
})

test('a node that missed compacted entries catches up from a snapshot, and restarts from its own', async () => {
  h = await QuorumHarness.start([1, 2, 3], { snapshotIntervalEntries: 5, seed: 3 })
  const leader = await h.waitForController()
  const lagging = [1, 2, 3].find((id) => id !== leader.id)!
  const durable = await h.crash(lagging)
  const laggingLast = (await durable.load()).entries.at(-1)?.index ?? 0
  for (let i = 0; i < 20; i++) await leader.quorum.commit(topic(`t${i}`))
  expect(leader.quorum.snapshots()[0]!.index).toBeGreaterThan(5)
  // The entries the lagging node needs are gone from the leader's log: only a snapshot can help.
  expect(leader.quorum.entries(1, 1).first).toBeGreaterThan(laggingLast + 1)

  await h.startNode(lagging, durable)
  const want = () => JSON.stringify(imageToPlain(leader.metadata.image()))
  await h.clock.advanceUntil(() => JSON.stringify(imageToPlain(h.node(lagging).metadata.image())) === want(), 5000)
  expect(h.node(lagging).quorum.snapshots().length).toBe(1)

  // Restart from the durable log alone: the same image comes back before any network traffic.
  const before = want()
  const again = await h.crash(lagging)
  h.isolate(lagging)
  const restarted = await h.startNode(lagging, again)
  await h.clock.advance(100)
  expect(JSON.stringify(imageToPlain(restarted.metadata.image()))).toBe(before)
})

test('an observer replicates the log without voting', async () => {
  h = await QuorumHarness.start([1, 2, 3], { observers: [4], seed: 11 })
  const leader = await h.waitForController()
  await leader.quorum.commit(topic('seen'))
  await h.clock.advanceUntil(() => h.node(4).metadata.image().topicsByName.has('seen'), 3000)
  expect(leader.quorum.status().observers).toEqual([4])
  expect(h.node(4).quorum.isLeader()).toBe(false)
  // Two voters down: the observer does not make a quorum.
  const others = [1, 2, 3].filter((id) => id !== leader.id)
  for (const id of others) await h.crash(id)
  let committed = false
  leader.quorum.commit(topic('no-quorum')).then(() => { committed = true }, () => {})
  await h.clock.advance(2000)
  expect(committed).toBe(false)
  expect(h.node(4).metadata.image().topicsByName.has('no-quorum')).toBe(false)
})

test('a 10,000-partition topic commits as one entry and reaches every node', async () => {
  h = await QuorumHarness.start([1, 2, 3], { seed: 5 })
  const leader = await h.waitForController()
  const records: MetadataRecord[] = [{ type: 'Topic', version: 0, name: 'wide', topicId: 'W'.repeat(22), internal: false }]
  for (let p = 0; p < 10_000; p++) {
    records.push({ type: 'Partition', version: 0, topicId: 'W'.repeat(22), partition: p, replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1 + (p % 3), leaderEpoch: 0, partitionEpoch: 0 })
  }
  await leader.quorum.commit(records)
  await h.clock.advanceUntil(() => [1, 2, 3].every((id) => h.node(id).metadata.image().topicsByName.get('wide')?.partitions.length === 10_000), 5000)
})

test.each([
  ['no snapshot', 1000],
  ['a snapshot and entries after it', 4],
])('a restarted node\'s image holds every stored commit before it runs (%s)', async (_what, snapshotIntervalEntries) => {
  h = await QuorumHarness.start([1, 2, 3], { seed: 13, snapshotIntervalEntries })
  const leader = await h.waitForController()
  const follower = [1, 2, 3].find((id) => id !== leader.id)!
  let last = 0
  for (let i = 0; i < 6; i++) {
    last = await leader.quorum.commit(topic(`r${i}`))
    await h.clock.advanceUntil(() => h.node(follower).metadata.image().offset >= last, 2000)
  }
  const want = JSON.stringify(imageToPlain(h.node(follower).metadata.image()))
  const durable = await h.crash(follower)

  // Opened, not started: no Ready has been applied, no listener has subscribed yet.
  const reopened = await h.startNode(follower, durable, { start: false })
  expect(reopened.metadata.image().offset).toBeGreaterThanOrEqual(last)
  expect(JSON.stringify(imageToPlain(reopened.metadata.image()))).toBe(want)
  // With a snapshot, the last entries are after it: replayed from the log, not restored from the snapshot.
  if (snapshotIntervalEntries < 1000) expect(reopened.quorum.snapshots()[0]!.index).toBeLessThan(last)

  // Started, it applies nothing twice and goes on with the cluster.
  h.run(follower)
  const more = await leader.quorum.commit(topic('after'))
  await h.clock.advanceUntil(() => reopened.metadata.image().offset >= more, 3000)
  expect([...reopened.metadata.image().topicsByName.keys()].sort()).toEqual(['after', 'r0', 'r1', 'r2', 'r3', 'r4', 'r5'])
})

test('a voter change commits through the metadata quorum, the image moves past it, and a restart takes the voters from the log', async () => {
  h = await QuorumHarness.start([1, 2, 3], { seed: 5 })
  const leader = await h.waitForController()
  const removed = [1, 2, 3].find((id) => id !== leader.id)!
  await expect(leader.quorum.changeVoter({ type: 'add', id: leader.id })).rejects.toMatchObject({ code: ErrorCode.DUPLICATE_VOTER })
  await expect(leader.quorum.changeVoter({ type: 'remove', id: 9 })).rejects.toMatchObject({ code: ErrorCode.VOTER_NOT_FOUND })
  const index = await leader.quorum.changeVoter({ type: 'remove', id: removed })
  expect(leader.quorum.status().voters.sort()).toEqual([1, 2, 3].filter((id) => id !== removed))
  // The config entry is not a metadata record: the image just moves past it, and commits go on.
  await leader.quorum.commit(topic('after'))
  expect(leader.metadata.image().offset).toBeGreaterThan(index)
  await h.clock.advanceUntil(() => h.node(removed).metadata.image().topicsByName.has('after'), 2000)
  expect(h.node(removed).quorum.status().role).toBe('observer')
  // Restarted with the bootstrap voters [1, 2, 3], it replays the log and is still no voter.
  const durable = await h.crash(removed)
  await h.startNode(removed, durable)
  expect(h.node(removed).quorum.status().voters.sort()).toEqual([1, 2, 3].filter((id) => id !== removed))
  expect(h.node(removed).quorum.status().role).toBe('observer')
  expect(h.node(removed).metadata.image().topicsByName.has('after')).toBe(true)
})
