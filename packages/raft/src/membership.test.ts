import { decodeVoters, encodeVoters } from './membership.js'
import { makeMessage, MessageType } from './message.js'
import { seededRandom } from './random.js'
import { RaftNode } from './raft-node.js'
import { MemoryRaftStorage } from './storage.js'
import { TestCluster, bytes, drain } from './testing/cluster.js'

/** Membership changes, one voter at a time (thesis §4.1-§4.2, KIP-853). */

/** A 3-voter cluster led by 1, with observer 4 caught up. */
function withObserver(options: ConstructorParameters<typeof TestCluster>[1] = {}): { c: TestCluster; leader: RaftNode } {
  const c = new TestCluster([1, 2, 3], { observers: [4], ...options })
  const leader = c.elect(1)
  expect(leader.addObserver(4).ok).toBe(true)
  c.deliverAll()
  expect(leader.status().progress.get(4)?.match).toBe(leader.lastLogIndex)
  return { c, leader }
}

const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b)

describe('config entries', () => {
  test('encode a voter set and refuse anything else', () => {
    expect(decodeVoters(encodeVoters([3, 1, 7]))).toEqual([3, 1, 7])
    expect(decodeVoters(encodeVoters([]))).toBeUndefined()
    expect(decodeVoters(encodeVoters([1, 1]))).toBeUndefined()
    expect(decodeVoters(encodeVoters([0]))).toBeUndefined()
    expect(decodeVoters(bytes('nope'))).toBeUndefined()
    expect(decodeVoters(encodeVoters([1, 2]).slice(0, 12))).toBeUndefined()
  })

  test('a config entry without a voter set is malformed on the wire', () => {
    const c = new TestCluster([1, 2, 3])
    c.elect(1)
    const n = c.node(2)
    const bad = makeMessage(MessageType.App, 1, 2, n.currentTerm, { index: n.lastLogIndex, logTerm: n.currentTerm, entries: [{ index: n.lastLogIndex + 1, term: n.currentTerm, type: 'config', data: bytes('x') }] })
    const r = n.step(bad)
    expect(r.ok ? 'ok' : r.code).toBe('MALFORMED')
  })
})

describe('adding a voter (§4.1)', () => {
  test('takes effect on each node when appended, and commits with a majority of the new set', () => {
    const { c, leader } = withObserver()
    const r = leader.proposeVoterChange({ type: 'add', id: 4 })
    if (!r.ok) throw new Error(r.message)
    // In force on the leader at once, before it is even sent.
    expect(sorted(leader.voters)).toEqual([1, 2, 3, 4])
    expect(leader.status().progress.get(4)?.isVoter).toBe(true)
    // Only 4 receives it: 2 acks of 4 voters is no majority.
    c.partition([1], [2, 3])
    c.deliverAll()
    expect(c.node(4).role).toBe('follower')
    expect(sorted(c.node(4).voters)).toEqual([1, 2, 3, 4])
    expect(leader.commitIndex).toBeLessThan(r.value.index)
    expect(sorted(c.node(2).voters)).toEqual([1, 2, 3])
    c.heal()
    c.tick(1)
    c.deliverAll()
    expect(leader.commitIndex).toBeGreaterThanOrEqual(r.value.index)
    for (const id of [1, 2, 3, 4]) expect(sorted(c.node(id).voters)).toEqual([1, 2, 3, 4])
    expect(leader.status().configIndex).toBe(r.value.index)
    // The committed config entry reaches the app like any other.
    expect(c.applied.get(2)!.some((e) => e.type === 'config' && e.index === r.value.index)).toBe(true)
  })

  test('is refused for an observer that has not caught up, while a change is uncommitted, and before the leader commits in its term', () => {
    const { c, leader } = withObserver()
    expect(leader.proposeVoterChange({ type: 'add', id: 9 })).toMatchObject({ ok: false, code: 'UNKNOWN_PEER' })
    expect(leader.proposeVoterChange({ type: 'add', id: 2 })).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' })
    // 4 stops answering; once an election timeout passes it no longer counts as caught up.
    c.isolate(4)
    for (let i = 0; i < 12; i++) {
      c.tick(1)
      leader.propose(bytes(`p${i}`))
      c.deliverAll()
    }
    expect(leader.proposeVoterChange({ type: 'add', id: 4 })).toMatchObject({ ok: false, code: 'NOT_CAUGHT_UP' })
    c.heal()
    c.tick(1)
    c.deliverAll()
    // Uncommitted change pending: the next one waits.
    c.isolate(1)
    expect(leader.proposeVoterChange({ type: 'add', id: 4 }).ok).toBe(true)
    expect(leader.proposeVoterChange({ type: 'remove', id: 4 })).toMatchObject({ ok: false, code: 'CONFIG_CHANGE_IN_PROGRESS' })
    // A new leader whose no-op is not committed yet may not change the configuration.
    const d = new TestCluster([1, 2, 3])
    d.dropTypes.add(MessageType.AppResp)
    const l2 = d.elect(2)
    expect(l2.proposeVoterChange({ type: 'remove', id: 3 })).toMatchObject({ ok: false, code: 'CONFIG_CHANGE_IN_PROGRESS' })
  })

  test('a new voter whose log lacks its addition still votes (§4.1), even for a candidate its log does not list', () => {
    const storage = new MemoryRaftStorage()
    const n = new RaftNode({ id: 4, voters: [1, 2, 3], storage, random: seededRandom(4) })
    expect(n.role).toBe('observer')
    n.step(makeMessage(MessageType.Vote, 1, 4, 5, { index: 10, logTerm: 4 }))
    expect(drain(n).filter((m) => m.type === MessageType.VoteResp)).toMatchObject([{ to: 1, term: 5, reject: 0 }])
    n.step(makeMessage(MessageType.Vote, 5, 4, 6, { index: 10, logTerm: 4 }))
    expect(drain(n).filter((m) => m.type === MessageType.VoteResp)).toMatchObject([{ to: 5, term: 6, reject: 0 }])
    // ... and still never campaigns itself.
    for (let i = 0; i < 100; i++) n.tick()
    expect(drain(n).some((m) => m.type === MessageType.Vote || m.type === MessageType.PreVote)).toBe(false)
  })
})

describe('a node that never votes (canVote false: a broker-only node)', () => {
  test('is refused as a voter, and neither votes nor campaigns', () => {
    const c = new TestCluster([1, 2, 3], { observers: [4], perNode: { 4: { canVote: false } } })
    const leader = c.elect(1)
    expect(leader.addObserver(4).ok).toBe(true)
    c.deliverAll()
    c.tick(1)
    c.deliverAll()
    expect(leader.proposeVoterChange({ type: 'add', id: 4 })).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' })
    const n4 = c.node(4)
    c.queue.length = 0
    n4.step(makeMessage(MessageType.Vote, 2, 4, leader.currentTerm + 1, { index: 100, logTerm: leader.currentTerm }))
    for (let i = 0; i < 100; i++) n4.tick()
    expect(drain(n4).filter((m) => [MessageType.VoteResp, MessageType.Vote, MessageType.PreVote].includes(m.type as 'Vote'))).toEqual([])
    // Even a configuration naming it (say, the bootstrap list) does not make it vote.
    const listed = new RaftNode({ id: 3, voters: [1, 2, 3], storage: new MemoryRaftStorage(), random: seededRandom(1), canVote: false })
    expect(listed.role).toBe('observer')
  })
})

describe('removing a voter (§4.1-§4.2)', () => {
  test('a removed follower becomes an observer and keeps receiving the log', () => {
    const c = new TestCluster([1, 2, 3])
    const leader = c.elect(1)
    const r = leader.proposeVoterChange({ type: 'remove', id: 3 })
    expect(r.ok).toBe(true)
    c.deliverAll()
    expect(c.node(3).role).toBe('observer')
    expect(sorted(leader.voters)).toEqual([1, 2])
    expect(leader.status().progress.get(3)?.isVoter).toBe(false)
    const p = leader.propose(bytes('after'))
    c.deliverAll()
    if (!p.ok) throw new Error(p.message)
    expect(c.node(3).commitIndex).toBe(p.value.index)
    // Its vote requests, if it had any, no longer count; it never campaigns.
    for (let i = 0; i < 50; i++) c.tick(3)
    expect(c.node(3).role).toBe('observer')
  })

  test('a leader that removes itself leads until the removal commits, then hands over and becomes an observer', () => {
    const c = new TestCluster([1, 2, 3])
    const leader = c.elect(1)
    const r = leader.proposeVoterChange({ type: 'remove', id: 1 })
    if (!r.ok) throw new Error(r.message)
    expect(leader.role).toBe('leader')
    expect(leader.readIndex(bytes('r')).ok).toBe(false)
    c.deliverAll()
    expect(leader.role).toBe('observer')
    const next = c.leader()
    expect(next && [2, 3].includes(next.id)).toBe(true)
    expect(next!.currentTerm).toBe(leader.currentTerm)
    expect(sorted(next!.voters)).toEqual([2, 3])
    expect(next!.commitIndex).toBeGreaterThanOrEqual(r.value.index)
    // The old leader follows the new one as an observer.
    const p = next!.propose(bytes('x'))
    c.deliverAll()
    if (!p.ok) throw new Error(p.message)
    expect(leader.commitIndex).toBe(p.value.index)
    expect(leader.leaderId).toBe(next!.id)
  })

  test('a removed voter that missed its removal and campaigned past our term raises the leader’s term, then learns it', () => {
    const c = new TestCluster([1, 2, 3], { perNode: { 3: { preVote: false } } })
    c.elect(1)
    c.isolate(3)
    const r = c.node(1).proposeVoterChange({ type: 'remove', id: 3 })
    expect(r.ok).toBe(true)
    c.deliverAll()
    expect(c.node(1).commitIndex).toBeGreaterThanOrEqual(r.ok ? r.value.index : 0)
    for (let i = 0; i < 80; i++) c.tick(3)
    c.deliverAll()
    expect(c.node(3).currentTerm).toBeGreaterThan(c.node(1).currentTerm)
    c.heal()
    for (let i = 0; i < 60 && c.node(3).role !== 'observer'; i++) {
      for (const id of [1, 2]) c.tick(id)
      c.deliverAll()
    }
    expect(c.node(3).role).toBe('observer')
    expect(c.leader()?.currentTerm).toBeGreaterThanOrEqual(c.node(3).currentTerm)
    expect(sorted(c.node(3).voters)).toEqual([1, 2])
  })
})

describe('the configuration lives in the log and in snapshots', () => {
  test('a follower whose uncommitted config entry is cut by a new leader falls back to the one before', () => {
    const c = new TestCluster([1, 2, 3])
    c.elect(1)
    c.isolate(1)
    c.deliverAll()
    // Leader 1, cut off, appends "remove 3"; only 2 receives it (handed over by hand).
    const r = c.node(1).proposeVoterChange({ type: 'remove', id: 3 })
    expect(r.ok).toBe(true)
    c.process(1)
    const app = c.queued(MessageType.App).find((m) => m.to === 2)!
    c.queue.length = 0
    expect(c.node(2).step(app).ok).toBe(true)
    expect(sorted(c.node(2).voters)).toEqual([1, 2])
    c.queue.length = 0
    drain(c.node(2))
    // A leader of a later term whose log lacks the entry (3, say) overwrites it on 2.
    const n2 = c.node(2)
    const overwrite = makeMessage(MessageType.App, 3, 2, n2.currentTerm + 1, {
      index: r.ok ? r.value.index - 1 : 0,
      logTerm: n2.termAt(r.ok ? r.value.index - 1 : 0)!,
      entries: [{ index: r.ok ? r.value.index : 0, term: n2.currentTerm + 1, type: 'noop', data: new Uint8Array(0) }],
    })
    expect(n2.step(overwrite).ok).toBe(true)
    expect(sorted(n2.voters)).toEqual([1, 2, 3])
    expect(n2.role).toBe('follower')
  })

  test('a restart takes the voters from the log and the snapshot, not from the bootstrap list', () => {
    const { c, leader } = withObserver()
    const r = leader.proposeVoterChange({ type: 'add', id: 4 })
    if (!r.ok) throw new Error(r.message)
    c.deliverAll()
    // From the log: node 2 restarts with the old bootstrap list.
    const restarted = new RaftNode({ id: 2, voters: [1, 2, 3], storage: c.storages.get(2)!, random: seededRandom(9) })
    expect(sorted(restarted.voters)).toEqual([1, 2, 3, 4])
    // A snapshot taken before the config entry records the old set; the entry after it still rules.
    const before = c.node(2).compact(r.value.index - 1, bytes('state'))
    if (!before.ok) throw new Error(before.message)
    expect(sorted(before.value.voters)).toEqual([1, 2, 3])
    const after = c.node(2).compact(r.value.index, bytes('state'))
    if (!after.ok) throw new Error(after.message)
    expect(sorted(after.value.voters)).toEqual([1, 2, 3, 4])
    // From a snapshot alone: a node whose storage is only the snapshot.
    const fromSnap = new RaftNode({ id: 4, voters: [1, 2, 3], storage: new MemoryRaftStorage({ snapshot: after.value }), random: seededRandom(3) })
    expect(sorted(fromSnap.voters)).toEqual([1, 2, 3, 4])
    expect(fromSnap.role).toBe('follower')
  })

  test('a node that installs the leader’s snapshot takes its configuration', () => {
    const { c, leader } = withObserver()
    const r = leader.proposeVoterChange({ type: 'add', id: 4 })
    if (!r.ok) throw new Error(r.message)
    c.deliverAll()
    const snap = leader.compact(leader.commitIndex, bytes('image'))
    if (!snap.ok) throw new Error(snap.message)
    c.storages.get(1)!.createSnapshot(snap.value)
    // A fresh node 5 with no log: it follows whichever leader appends to it, and installs the snapshot.
    const storage5 = new MemoryRaftStorage()
    const n5 = new RaftNode({ id: 5, voters: [1, 2, 3], storage: storage5, random: seededRandom(5) })
    c.nodes.set(5, n5)
    c.storages.set(5, storage5)
    c.applied.set(5, [])
    c.readStates.set(5, [])
    expect(leader.addObserver(5).ok).toBe(true)
    c.deliverAll()
    expect(sorted(n5.voters)).toEqual([1, 2, 3, 4])
    expect(n5.role).toBe('observer')
    expect(n5.commitIndex).toBe(leader.commitIndex)
  })
})
