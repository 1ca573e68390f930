/**
 * Elections must end once the network is quiet, even without pre-vote, when some
 * voters' logs are too old for them ever to win (seed 200084 of the simulator: two
 * such voters kept campaigning and the up-to-date ones never got to).
 */
import { MessageType, makeMessage } from './message.js'
import { seededRandom } from './random.js'
import { RaftNode } from './raft-node.js'
import { MemoryRaftStorage } from './storage.js'
import { drain, logOfTerms } from './testing/cluster.js'

const ET = 10

function nodeWith(id: number, terms: number[], term: number, preVote = false): RaftNode {
  const storage = new MemoryRaftStorage({ hardState: { term, vote: 0, commit: 0 }, entries: logOfTerms(terms) })
  return new RaftNode({ id, voters: [1, 2, 3, 4, 5], storage, random: seededRandom(id), preVote, checkQuorum: true })
}


describe('elections end although stale voters keep campaigning', () => {
  test('Figure 2: a vote request we refuse does not restart our election timer', () => {
    // Node 1 has the newest log; node 4's is too old to win but asks for votes, in a
    // new term each time, more often than any election timeout.
    const n = nodeWith(1, [1, 1, 2], 2)
    let staleTerm = 2
    let campaignedAt = -1
    for (let t = 1; t <= 4 * ET && campaignedAt < 0; t++) {
      n.tick()
      if (n.role === 'candidate') campaignedAt = t
      else if (t % (ET - 1) === 0) {
        n.step(makeMessage(MessageType.Vote, 4, 1, ++staleTerm, { index: 1, logTerm: 1 }))
        expect(drain(n).map((m) => [m.type, m.to, m.term, m.reject])).toEqual([[MessageType.VoteResp, 4, staleTerm, 1]])
        expect(n.status().term).toBe(staleTerm)
      }
    }
    // Its own timeout ([ET, 2 ET) ticks) ran out on schedule, in the newest term.
    expect(campaignedAt).toBeGreaterThanOrEqual(ET)
    expect(campaignedAt).toBeLessThan(2 * ET)
    expect(n.status().term).toBe(staleTerm + 1)
  })

  test('with pre-vote (the broker’s configuration) stale campaigns never reach the term, nor our timer', () => {
    // The same stale node 4, pre-voting as often: a refused pre-vote changes no term,
    // so node 1 keeps its term and its own timeout, and pre-votes on schedule.
    const n = nodeWith(1, [1, 1, 2], 2, true)
    let campaignedAt = -1
    for (let t = 1; t <= 4 * ET && campaignedAt < 0; t++) {
      n.tick()
      if (n.role === 'precandidate') campaignedAt = t
      else if (t % (ET - 1) === 0) {
        n.step(makeMessage(MessageType.PreVote, 4, 1, 3, { index: 1, logTerm: 1 }))
        expect(drain(n).map((m) => [m.type, m.to, m.term, m.reject])).toEqual([[MessageType.PreVoteResp, 4, 2, 1]])
        expect(n.status().term).toBe(2)
      }
    }
    expect(campaignedAt).toBeGreaterThanOrEqual(ET)
    expect(campaignedAt).toBeLessThan(2 * ET)
    expect(drain(n).filter((m) => m.type === MessageType.PreVote).map((m) => m.term)).toEqual([3, 3, 3, 3])
  })

  test('Figure 2: granting a vote does restart it', () => {
    const n = nodeWith(1, [1], 1)
    for (let t = 0; t < ET - 1; t++) n.tick()
    n.step(makeMessage(MessageType.Vote, 2, 1, 2, { index: 1, logTerm: 1 }))
    expect(drain(n).map((m) => m.reject)).toEqual([0])
    let ticks = 0
    while (n.role === 'follower') {
      n.tick()
      ticks++
    }
    expect(ticks).toBeGreaterThanOrEqual(ET)
  })

  test('§5.1 a candidate in a stale term is told the current one at once', () => {
    // Node 2 moved on to term 5 while node 1, under a leader's lease, ignored it.
    const voter = nodeWith(2, [1, 1], 5)
    const cand = nodeWith(1, [1, 1, 2], 2)
    while (cand.role !== 'candidate') cand.tick()
    const ask = drain(cand).find((m) => m.type === MessageType.Vote && m.to === 2)!
    expect(ask.term).toBe(3)
    const r = voter.step(ask)
    expect(r.ok ? 'ok' : r.code).toBe('STALE_TERM')
    const answers = drain(voter)
    expect(answers.map((m) => [m.type, m.term, m.reject])).toEqual([[MessageType.VoteResp, 5, 1]])
    // The stale term changed nothing on the voter.
    expect(voter.status().term).toBe(5)
    expect(voter.status().vote).toBe(0)
    cand.step(answers[0]!)
    expect(cand.role).toBe('follower')
    expect(cand.status().term).toBe(5)
  })
  test('a voter that voted for itself yields to a candidate of its term with a newer log', () => {
    // Node 4 (old log) campaigned in term 3 and voted for itself; node 1, with the
    // newest log, asks it in the same term and is refused (one vote per term). Node 4
    // now holds back its next campaign past any timeout node 1 can draw, so node 1's
    // next campaign, in term 4, comes first and gets node 4's vote.
    const stale = nodeWith(4, [1, 1], 2)
    while (stale.role !== 'candidate') stale.tick()
    drain(stale)
    expect(stale.status()).toMatchObject({ term: 3, vote: 4 })
    stale.step(makeMessage(MessageType.Vote, 1, 4, 3, { index: 3, logTerm: 2 }))
    expect(drain(stale).map((m) => [m.type, m.term, m.reject])).toEqual([[MessageType.VoteResp, 3, 1]])
    let ticks = 0
    while (stale.status().term === 3) {
      stale.tick()
      ticks++
    }
    expect(ticks).toBeGreaterThanOrEqual(2 * ET)
    expect(ticks).toBeLessThan(3 * ET)
    // Node 1 in term 4 gets the vote it asks for.
    const fresh = nodeWith(4, [1, 1], 2)
    while (fresh.role !== 'candidate') fresh.tick()
    drain(fresh)
    fresh.step(makeMessage(MessageType.Vote, 1, 4, 4, { index: 3, logTerm: 2 }))
    expect(drain(fresh).map((m) => [m.type, m.term, m.reject])).toEqual([[MessageType.VoteResp, 4, 0]])
  })

  test('... but not to a candidate whose log is older than its own', () => {
    const n = nodeWith(1, [1, 1, 2], 2)
    let campaigns = 0
    let ticks = 0
    while (campaigns < 2) {
      n.tick()
      ticks++
      const asks = drain(n).filter((m) => m.type === MessageType.Vote)
      if (asks.length === 0) continue
      campaigns++
      // Node 4, with an older log, asks in the term we campaign in: refused, and our
      // own next campaign keeps its ordinary timeout.
      n.step(makeMessage(MessageType.Vote, 4, 1, asks[0]!.term, { index: 1, logTerm: 1 }))
      expect(drain(n).map((m) => m.reject)).toEqual([1])
      if (campaigns === 1) ticks = 0
    }
    expect(ticks).toBeGreaterThanOrEqual(ET)
    expect(ticks).toBeLessThan(2 * ET)
  })
  test('a stale leader that is no voter of ours is told our term, even without pre-vote or check-quorum', () => {
    // Node 3 came back with the first configuration [1, 2, 3] and a term of its own
    // campaigns (5); the cluster has since moved to voters [4, 5, 6], whose leader 6
    // (term 4) replicates to it. Node 3's vote requests go to 1 and 2 only, so the
    // leader would never learn the later term: we answer its appends with it.
    const storage = new MemoryRaftStorage({ hardState: { term: 5, vote: 3, commit: 0 }, entries: logOfTerms([1, 1, 2]) })
    const n = new RaftNode({ id: 3, voters: [1, 2, 3], storage, random: seededRandom(3), preVote: false, checkQuorum: false })
    n.step(makeMessage(MessageType.Heartbeat, 6, 3, 4, { commit: 0 }))
    expect(drain(n).map((m) => [m.type, m.to, m.term])).toEqual([[MessageType.AppResp, 6, 5]])
    // A stale leader we count as a voter hears our campaigns: no answer, as before.
    n.step(makeMessage(MessageType.Heartbeat, 2, 3, 4, { commit: 0 }))
    expect(drain(n)).toEqual([])
  })
})
