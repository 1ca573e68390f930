import { MessageType, makeMessage, type RaftMessage } from './message.js'
import type { RaftErrorCode } from './errors.js'
import { seededRandom } from './random.js'
import { RaftNode } from './raft-node.js'
import { MemoryRaftStorage } from './storage.js'
import { TestCluster, bytes, drain, logOfTerms } from './testing/cluster.js'

/** A follower at term 3 with log terms [1,1,2,3] and commit 2, all persisted. */
function follower(): RaftNode {
  const storage = new MemoryRaftStorage({ hardState: { term: 3, vote: 1, commit: 2 }, entries: logOfTerms([1, 1, 2, 3]) })
  const n = new RaftNode({ id: 2, voters: [1, 2, 3], storage, random: seededRandom(2) })
  n.step(makeMessage(MessageType.Heartbeat, 1, 2, 3, { commit: 2 }))
  for (let rd = n.ready(); rd; rd = n.ready()) n.advance(rd)
  return n
}

function expectRejected(n: RaftNode, m: unknown, code: RaftErrorCode): void {
  const before = n.status()
  const r = n.step(m as RaftMessage)
  expect(r.ok ? 'ok' : r.code).toBe(code)
  expect(n.status()).toEqual(before)
  const rd = n.ready()
  if (rd) {
    expect(rd.hardState).toBeNull()
    expect(rd.entries).toEqual([])
    expect(rd.snapshot).toBeNull()
    expect(rd.committed).toEqual([])
    n.advance(rd)
  }
}

const app = (fields: Partial<RaftMessage>): RaftMessage => ({ ...makeMessage(MessageType.App, 1, 2, 3, { index: 4, logTerm: 3, commit: 4 }), ...fields })
const entry = (index: number, term: number) => ({ index, term, type: 'normal' as const, data: bytes(`${index}`) })

describe('bad input is rejected without changing state', () => {
  test('malformed shapes', () => {
    const n = follower()
    const good = app({ entries: [entry(5, 3)] })
    expectRejected(n, null, 'MALFORMED')
    expectRejected(n, 'App', 'MALFORMED')
    expectRejected(n, { ...good, type: 'Bogus' }, 'MALFORMED')
    expectRejected(n, { ...good, term: -1 }, 'MALFORMED')
    expectRejected(n, { ...good, term: 1.5 }, 'MALFORMED')
    expectRejected(n, { ...good, index: Number.NaN }, 'MALFORMED')
    expectRejected(n, { ...good, commit: '4' }, 'MALFORMED')
    expectRejected(n, { ...good, from: 0 }, 'MALFORMED')
    expectRejected(n, { ...good, reject: true }, 'MALFORMED')
    expectRejected(n, { ...good, ctx: 'abc' }, 'MALFORMED')
    expectRejected(n, { ...good, entries: {} }, 'MALFORMED')
    expectRejected(n, { ...good, entries: [{ index: 5, term: 3, type: 'normal', data: 'x' }] }, 'MALFORMED')
    expectRejected(n, { ...good, entries: [{ index: 0, term: 3, type: 'normal', data: bytes('') }] }, 'MALFORMED')
    expectRejected(n, { ...good, entries: [{ index: 5, term: 3, type: 'weird', data: bytes('') }] }, 'MALFORMED')
    const { ctx: _ctx, ...noCtx } = good
    expectRejected(n, noCtx, 'MALFORMED')
    expectRejected(n, makeMessage(MessageType.Snap, 1, 2, 3), 'MALFORMED')
  })

  test('messages from unknown nodes or for another node', () => {
    const n = follower()
    // An unknown node's appends are heard (thesis §4.1), but not in a term whose leader we follow.
    expectRejected(n, app({ from: 9 }), 'NOT_PERMITTED')
    expectRejected(n, makeMessage(MessageType.AppResp, 9, 2, 3, { index: 4 }), 'UNKNOWN_PEER')
    expectRejected(n, makeMessage(MessageType.VoteResp, 9, 2, 3), 'UNKNOWN_PEER')
    expectRejected(n, app({ from: 2 }), 'UNKNOWN_PEER')
    expectRejected(n, { ...app({}), to: 3 }, 'WRONG_RECIPIENT')
  })

  test('stale terms', () => {
    const n = follower()
    expectRejected(n, makeMessage(MessageType.App, 1, 2, 2, { index: 4, logTerm: 3, entries: [entry(5, 2)], commit: 5 }), 'STALE_TERM')
    expectRejected(n, makeMessage(MessageType.Vote, 3, 2, 2, { index: 10, logTerm: 2 }), 'STALE_TERM')
    expectRejected(n, makeMessage(MessageType.Heartbeat, 1, 2, 1, { commit: 4 }), 'STALE_TERM')
  })

  test('out-of-range indexes', () => {
    const n = follower()
    // entries that do not follow the previous index
    expectRejected(n, app({ entries: [entry(7, 3)] }), 'OUT_OF_RANGE')
    expectRejected(n, app({ entries: [entry(5, 3), entry(7, 3)] }), 'OUT_OF_RANGE')
    // entry terms beyond the message term, or going backwards
    expectRejected(n, app({ entries: [entry(5, 4)] }), 'OUT_OF_RANGE')
    expectRejected(n, app({ entries: [entry(5, 3), entry(6, 2)] }), 'OUT_OF_RANGE')
    expectRejected(n, app({ logTerm: 9 }), 'OUT_OF_RANGE')
    // a heartbeat promising a commit beyond our log
    expectRejected(n, makeMessage(MessageType.Heartbeat, 1, 2, 3, { commit: 50 }), 'OUT_OF_RANGE')

    const c = new TestCluster([1, 2, 3])
    const leader = c.elect(1)
    c.deliverAll()
    expectRejected(leader, makeMessage(MessageType.AppResp, 2, 1, leader.currentTerm, { index: 1000 }), 'OUT_OF_RANGE')
  })

  test('malformed snapshots', () => {
    const n = follower()
    const snap = { index: 10, term: 3, voters: [1, 2, 3], observers: [], data: bytes('s') }
    const m = (s: unknown) => ({ ...makeMessage(MessageType.Snap, 1, 2, 3), snapshot: s })
    // (a snapshot's voters may differ from ours — the configuration may have changed — but must be a set)
    expectRejected(n, m({ ...snap, voters: [] }), 'BAD_SNAPSHOT')
    expectRejected(n, m({ ...snap, voters: [1, 2, 2] }), 'BAD_SNAPSHOT')
    expectRejected(n, m({ ...snap, term: 7 }), 'BAD_SNAPSHOT')
    expectRejected(n, m({ ...snap, index: 0 }), 'BAD_SNAPSHOT')
    expectRejected(n, m({ ...snap, data: 'nope' }), 'MALFORMED')
    expectRejected(n, m({ ...snap, voters: [0] }), 'MALFORMED')
    expectRejected(n, m({ ...snap, observers: 'x' }), 'MALFORMED')
    // and the good one is accepted
    expect(n.step(m(snap) as RaftMessage).ok).toBe(true)
    expect(n.ready()!.snapshot).toEqual(snap)
  })

  test('bad arguments to the API are values, not exceptions', () => {
    const n = follower()
    const p = n.propose(bytes('x'))
    expect(p.ok ? 'ok' : [p.code, p.leaderId]).toEqual(['NOT_LEADER', 1])
    const t = n.transferLeadership(1)
    expect(t.ok ? 'ok' : t.code).toBe('NOT_LEADER')
    const k = n.compact(99, bytes(''))
    expect(k.ok ? 'ok' : k.code).toBe('OUT_OF_RANGE')
    const o = n.addObserver(3)
    expect(o.ok ? 'ok' : o.code).toBe('INVALID_ARGUMENT')
    const c = new TestCluster([1, 2, 3], { common: { maxProposalBytes: 8 } })
    const leader = c.elect(1)
    const big = leader.propose(new Uint8Array(9))
    expect(big.ok ? 'ok' : big.code).toBe('PROPOSAL_TOO_LARGE')
    leader.readIndex(bytes('same'))
    const dup = leader.readIndex(bytes('same'))
    expect(dup.ok ? 'ok' : dup.code).toBe('INVALID_ARGUMENT')
  })

  test('proposals beyond maxUncommittedBytes get BACKPRESSURE until something commits', () => {
    const c = new TestCluster([1, 2, 3], { common: { maxUncommittedBytes: 1000 } })
    const leader = c.elect(1)
    c.deliverAll()
    c.isolate(1)
    let accepted = 0
    for (let i = 0; i < 100; i++) if (leader.propose(new Uint8Array(100)).ok) accepted++
    expect(accepted).toBeLessThan(10)
    const r = leader.propose(new Uint8Array(100))
    expect(r.ok ? 'ok' : r.code).toBe('BACKPRESSURE')
    c.heal()
    c.tick(1)
    c.deliverAll()
    expect(leader.propose(new Uint8Array(100)).ok).toBe(true)
  })
})

describe('a non-voter may only send what an observer legitimately sends', () => {
  /** A follower (id 2, term 3, leader 1) that has learned observer 9 from its hello. */
  function followerKnowing9(): RaftNode {
    const n = follower()
    expect(n.step(makeMessage(MessageType.ObserverHello, 9, 2, 3, { index: 0 })).ok).toBe(true)
    for (let rd = n.ready(); rd; rd = n.ready()) n.advance(rd)
    expect(n.status().observers).toEqual([9])
    return n
  }

  const snap = { index: 10, term: 3, voters: [1, 2, 3], observers: [], data: bytes('s') }
  /** What only a voter (vote answers) or the leader we follow (TimeoutNow, read answers) sends, at our term and beyond it. */
  const votersOnlyMessages = (from: number): RaftMessage[] =>
    [3, 4, 50].flatMap((term) => [
      makeMessage(MessageType.VoteResp, from, 2, term),
      makeMessage(MessageType.PreVoteResp, from, 2, term),
      makeMessage(MessageType.TimeoutNow, from, 2, term),
      makeMessage(MessageType.ReadIndexResp, from, 2, term, { index: 4, ctx: bytes('r') }),
    ])
  /** A leader's messages in our term, whose leader (1) we follow. */
  const secondLeaderMessages = (from: number): RaftMessage[] => [
    makeMessage(MessageType.App, from, 2, 3, { index: 4, logTerm: 3, entries: [entry(5, 3)], commit: 5 }),
    makeMessage(MessageType.Heartbeat, from, 2, 3, { commit: 4 }),
    makeMessage(MessageType.Snap, from, 2, 3, { index: 10, logTerm: 3, snapshot: snap }),
  ]

  test('vote answers, TimeoutNow and read answers from an observer; a second leader in our term', () => {
    const n = followerKnowing9()
    for (const m of votersOnlyMessages(9)) expectRejected(n, m, 'NOT_PERMITTED')
    for (const m of secondLeaderMessages(9)) expectRejected(n, m, 'NOT_PERMITTED')
    expect(n.status()).toMatchObject({ term: 3, leaderId: 1, role: 'follower', commit: 2, lastIndex: 4 })
  })

  test('the same from an unknown node', () => {
    const n = follower()
    for (const m of votersOnlyMessages(8)) expectRejected(n, m, 'UNKNOWN_PEER')
    for (const m of secondLeaderMessages(8)) expectRejected(n, m, 'NOT_PERMITTED')
  })

  test('vote requests from a non-voter are ignored under the leader lease (and weighed on their merits outside it: membership.test.ts)', () => {
    const n = followerKnowing9()
    for (const from of [9, 8]) {
      for (const type of [MessageType.Vote, MessageType.PreVote]) {
        expect(n.step(makeMessage(type, from, 2, 50, { index: 100, logTerm: 50 })).ok).toBe(true)
        expect(n.status()).toMatchObject({ term: 3, vote: 1, leaderId: 1, role: 'follower', commit: 2, lastIndex: 4 })
        expect(drain(n)).toEqual([])
      }
    }
    // ... but the campaigner is remembered as an observer, to replicate to once we lead.
    expect(n.status().observers.sort()).toEqual([8, 9])
  })

  test('an observer cannot raise a voter’s term, even with a message it may send (but a leader steps down for the term of a node answering its appends)', () => {
    const n = followerKnowing9()
    expectRejected(n, makeMessage(MessageType.AppResp, 9, 2, 7, { index: 4 }), 'NOT_PERMITTED')
    expectRejected(n, makeMessage(MessageType.HeartbeatResp, 9, 2, 7), 'NOT_PERMITTED')
    expectRejected(n, makeMessage(MessageType.ReadIndex, 9, 2, 7, { ctx: bytes('r') }), 'NOT_PERMITTED')

    const c = new TestCluster([1, 2, 3])
    const leader = c.elect(1)
    c.deliverAll()
    expect(leader.step(makeMessage(MessageType.ObserverHello, 9, 1, leader.currentTerm)).ok).toBe(true)
    c.processAll()
    c.queue.length = 0
    const term = leader.currentTerm
    expectRejected(leader, makeMessage(MessageType.ReadIndex, 9, 1, term + 5, { ctx: bytes('r') }), 'NOT_PERMITTED')
    expectRejected(leader, makeMessage(MessageType.AppResp, 8, 1, term + 5, { index: 0 }), 'UNKNOWN_PEER')
    expectRejected(leader, makeMessage(MessageType.App, 9, 1, term, { index: leader.lastLogIndex, logTerm: term }), 'INVALID_ARGUMENT')
    expect(leader.role).toBe('leader')
    expect(leader.currentTerm).toBe(term)
    // A node it replicates to (a voter removed while away, say) answering from a later term: etcd's rule.
    expect(leader.step(makeMessage(MessageType.AppResp, 9, 1, term + 5, { index: 0 })).ok).toBe(true)
    expect(leader.role).toBe('follower')
    expect(leader.currentTerm).toBe(term + 5)
  })

  test('an observer’s acks, heartbeat answers and reads are still heard', () => {
    const c = new TestCluster([1, 2, 3], { observers: [4] })
    const leader = c.elect(1)
    expect(leader.addObserver(4).ok).toBe(true)
    c.deliverAll()
    expect(leader.status().progress.get(4)?.match).toBe(leader.lastLogIndex)
    expect(c.node(4).readIndex(bytes('obs-read')).ok).toBe(true)
    c.deliverAll()
    c.tick(1)
    c.deliverAll()
    expect(c.readStates.get(4)!.map((r) => new TextDecoder().decode(r.ctx))).toEqual(['obs-read'])
  })

  test('TimeoutNow is obeyed only from the current leader in its term', () => {
    const n = follower()
    expectRejected(n, makeMessage(MessageType.TimeoutNow, 3, 2, 3), 'NOT_PERMITTED')
    expectRejected(n, makeMessage(MessageType.TimeoutNow, 1, 2, 4), 'NOT_PERMITTED')
    expectRejected(n, makeMessage(MessageType.TimeoutNow, 3, 2, 9), 'NOT_PERMITTED')
    expect(n.step(makeMessage(MessageType.TimeoutNow, 1, 2, 3)).ok).toBe(true)
    expect(n.role).toBe('candidate')
    expect(n.currentTerm).toBe(4)
  })
})
