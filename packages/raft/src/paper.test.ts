/**
 * One test per rule of the Raft paper ("In Search of an Understandable Consensus
 * Algorithm", extended version) and, where noted, Ongaro's thesis. Each name starts
 * with its section; each world is built explicitly.
 */
import { MessageType, makeMessage, type RaftMessage } from './message.js'
import { seededRandom } from './random.js'
import { RaftNode } from './raft-node.js'
import { MemoryRaftStorage } from './storage.js'
import { TestCluster, bytes, drain, logOfTerms, text } from './testing/cluster.js'

const ET = 10

function nodeWith(id: number, voters: number[], terms: number[], term: number, opts: { preVote?: boolean; checkQuorum?: boolean; commit?: number } = {}) {
  const storage = new MemoryRaftStorage({ hardState: { term, vote: 0, commit: opts.commit ?? 0 }, entries: logOfTerms(terms) })
  return new RaftNode({ id, voters, storage, random: seededRandom(id), preVote: opts.preVote ?? false, checkQuorum: opts.checkQuorum ?? false })
}


function logTerms(n: RaftNode): number[] {
  const s = n.status()
  const out: number[] = []
  for (let i = s.firstIndex; i <= s.lastIndex; i++) out.push(n.termAt(i)!)
  return out
}

const msg = (type: MessageType, from: number, to: number, term: number, fields: Partial<RaftMessage> = {}) => makeMessage(type, from, to, term, fields)

describe('§5.1 terms', () => {
  test('§5.1 a node that sees a higher term adopts it and becomes follower (leader, candidate, follower)', () => {
    // Reference: §5.1 "If a candidate or leader discovers that its term is out of date, it immediately reverts to follower state."
    const c = new TestCluster([1, 2, 3], { common: { preVote: false } })
    const leader = c.elect(1)
    expect(leader.role).toBe('leader')
    leader.step(msg(MessageType.App, 2, 1, 5, { index: 0, logTerm: 0 }))
    expect(leader.role).toBe('follower')
    expect(leader.status().term).toBe(5)
    expect(leader.leaderId).toBe(2)

    const cand = nodeWith(1, [1, 2, 3], [], 0)
    for (let i = 0; i < 2 * ET && cand.role !== 'candidate'; i++) cand.tick()
    expect(cand.role).toBe('candidate')
    cand.step(msg(MessageType.Heartbeat, 3, 1, 7))
    expect(cand.role).toBe('follower')
    expect(cand.status().term).toBe(7)
  })

  test('§5.1 a request with a stale term is rejected and changes nothing', () => {
    // Reference: §5.1 "If a server receives a request with a stale term number, it rejects the request."
    const n = nodeWith(1, [1, 2, 3], [1, 1, 2], 3)
    const before = n.status()
    const r = n.step(msg(MessageType.App, 2, 1, 2, { index: 3, logTerm: 2, entries: [{ index: 4, term: 2, type: 'normal', data: bytes('x') }], commit: 4 }))
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.code).toBe('STALE_TERM')
    expect(n.status()).toEqual(before)
    const v = n.step(msg(MessageType.Vote, 3, 1, 2, { index: 9, logTerm: 2 }))
    expect(v.ok).toBe(false)
    expect(n.status().vote).toBe(0)
  })
})

describe('§5.2 leader election', () => {
  test('§5.2 a follower that hears nothing for an election timeout becomes candidate, votes for itself and asks every voter', () => {
    // Reference: §5.2
    const n = nodeWith(1, [1, 2, 3], [], 0)
    let ticks = 0
    while (n.role === 'follower') {
      n.tick()
      ticks++
    }
    expect(ticks).toBeGreaterThanOrEqual(ET)
    expect(ticks).toBeLessThan(2 * ET)
    const s = n.status()
    expect([s.role, s.term, s.vote]).toEqual(['candidate', 1, 1])
    const sent = drain(n)
    expect(sent.map((m) => [m.type, m.to, m.term]).sort()).toEqual([
      ['Vote', 2, 1],
      ['Vote', 3, 1],
    ])
  })

  test('§5.2 election timeouts are randomized in [electionTimeout, 2 * electionTimeout)', () => {
    // Reference: §5.2 "Raft uses randomized election timeouts"
    const seen = new Set<number>()
    for (let seed = 0; seed < 200; seed++) {
      const n = new RaftNode({ id: 1, voters: [1, 2, 3], storage: new MemoryRaftStorage(), random: seededRandom(seed), preVote: false })
      let ticks = 0
      while (n.role === 'follower') {
        n.tick()
        ticks++
      }
      seen.add(ticks)
    }
    expect(Math.min(...seen)).toBe(ET)
    expect(Math.max(...seen)).toBe(2 * ET - 1)
  })

  test('§5.2 a candidate that wins a majority becomes leader and asserts itself at once', () => {
    // Reference: §5.2
    const c = new TestCluster([1, 2, 3, 4, 5], { common: { preVote: false } })
    c.isolate(4)
    c.isolate(5)
    const leader = c.elect(1)
    expect(leader.status().term).toBe(1)
    expect(c.node(2).leaderId).toBe(1)
    expect(c.node(3).leaderId).toBe(1)
  })

  test('§5.2 each node votes for at most one candidate per term, first come first served', () => {
    // Reference: §5.2 "each server will vote for at most one candidate in a given term"
    const n = nodeWith(1, [1, 2, 3], [], 0)
    n.step(msg(MessageType.Vote, 2, 1, 1, { index: 0, logTerm: 0 }))
    n.step(msg(MessageType.Vote, 3, 1, 1, { index: 0, logTerm: 0 }))
    const replies = drain(n)
    expect(replies.map((m) => [m.to, m.type, m.reject])).toEqual([
      [2, 'VoteResp', 0],
      [3, 'VoteResp', 1],
    ])
    expect(n.status().vote).toBe(2)
    // The same candidate asking again (a retry) is granted again.
    n.step(msg(MessageType.Vote, 2, 1, 1, { index: 0, logTerm: 0 }))
    expect(drain(n).map((m) => m.reject)).toEqual([0])
  })

  test('§5.2 a candidate that hears from a leader of its term returns to follower', () => {
    // Reference: §5.2 "If the leader's term ... is at least as large as the candidate's current term, then the candidate recognizes the leader"
    const n = nodeWith(1, [1, 2, 3], [], 0)
    while (n.role !== 'candidate') n.tick()
    n.step(msg(MessageType.App, 2, 1, 1, { index: 0, logTerm: 0 }))
    expect(n.role).toBe('follower')
    expect(n.leaderId).toBe(2)
  })

  test('§5.2 a split vote times out and the candidate starts a new election in the next term', () => {
    // Reference: §5.2 "each candidate will time out and start a new election by incrementing its term"
    const n = nodeWith(1, [1, 2, 3], [], 0)
    while (n.role !== 'candidate') n.tick()
    n.step(msg(MessageType.VoteResp, 2, 1, 1, { reject: 1 }))
    expect(n.role).toBe('candidate')
    for (let i = 0; i < 2 * ET && n.status().term === 1; i++) n.tick()
    expect(n.status().term).toBe(2)
    expect(n.role).toBe('candidate')
  })
})

describe('§5.3 log replication', () => {
  test('§5.3 the leader commits an entry once a majority stores it, and followers apply it', () => {
    // Reference: §5.3
    const c = new TestCluster([1, 2, 3])
    const leader = c.elect(1)
    c.cut(1, 3)
    const p = leader.propose(bytes('x'))
    expect(p.ok).toBe(true)
    c.deliverAll()
    expect(leader.status().commit).toBe(2)
    c.heal()
    c.tick(1)
    c.deliverAll()
    for (const id of [1, 2, 3]) expect(c.applied.get(id)!.map((e) => text(e.data))).toEqual(['', 'x'])
  })

  test('§5.3 a follower refuses an append whose preceding entry it does not have (consistency check)', () => {
    // Reference: §5.3 "If the follower does not find an entry in its log with the same index and term, then it refuses the new entries."
    const n = nodeWith(2, [1, 2, 3], [1, 1, 2], 2)
    n.step(msg(MessageType.App, 1, 2, 3, { index: 3, logTerm: 3, entries: [{ index: 4, term: 3, type: 'normal', data: bytes('a') }] }))
    const [resp] = drain(n)
    expect(resp!.reject).toBe(1)
    expect(n.status().lastIndex).toBe(3)
    // Fast back-off: the hint points at the last entry whose term is <= the leader's prevLogTerm.
    expect([resp!.hint, resp!.logTerm]).toEqual([3, 2])
  })

  test('§5.3 a follower deletes a conflicting entry and all that follow it, then appends the leader\'s', () => {
    // Reference: §5.3 "If an existing entry conflicts with a new one (same index but different terms), delete the existing entry and all that follow it"
    const n = nodeWith(2, [1, 2, 3], [1, 1, 2, 2, 2], 2)
    n.step(msg(MessageType.App, 1, 2, 3, { index: 2, logTerm: 1, entries: [{ index: 3, term: 3, type: 'normal', data: bytes('new') }] }))
    expect(logTerms(n)).toEqual([1, 1, 3])
    const rd = n.ready()!
    expect(rd.entries.map((e) => [e.index, e.term])).toEqual([[3, 3]])
  })

  test('§5.3 a stale duplicate append never truncates entries the follower already matched', () => {
    // Reference: §5.3 (idempotence of AppendEntries under duplication)
    const n = nodeWith(2, [1, 2, 3], [1, 1, 1, 1], 1)
    n.step(msg(MessageType.App, 1, 2, 1, { index: 1, logTerm: 1, entries: logOfTerms([1, 1]).slice(1) }))
    expect(logTerms(n)).toEqual([1, 1, 1, 1])
  })

  const figure7Leader = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6]
  const figure7Followers: Record<string, number[]> = {
    a: [1, 1, 1, 4, 4, 5, 5, 6, 6],
    b: [1, 1, 1, 4],
    c: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
    d: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
    e: [1, 1, 1, 4, 4, 4, 4],
    f: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
  }
  for (const [name, follower] of Object.entries(figure7Followers)) {
    test(`§5.3 Figure 7 (${name}): a new leader brings a follower's log in line with its own`, () => {
      // Reference: §5.3 Figure 7. The leader of term 8 wins with node 3's vote, then repairs node 2.
      const c = new TestCluster([1, 2, 3], {
        common: { preVote: false },
        perNode: {
          1: { storage: new MemoryRaftStorage({ hardState: { term: 7, vote: 0, commit: 0 }, entries: logOfTerms(figure7Leader) }) },
          2: { storage: new MemoryRaftStorage({ hardState: { term: 7, vote: 0, commit: 0 }, entries: logOfTerms(follower) }) },
          3: { storage: new MemoryRaftStorage({ hardState: { term: 7, vote: 0, commit: 0 }, entries: [] }) },
        },
      })
      const leader = c.elect(1)
      expect(leader.status().term).toBe(8)
      c.tick(1)
      c.deliverAll()
      expect(logTerms(c.node(2))).toEqual([...figure7Leader, 8])
      expect(c.node(2).status().commit).toBe(11)
    })
  }

  test('§5.3 fast back-off repairs a long divergent tail in a few round trips', () => {
    // Reference: §5.3 "the follower can include the term of the conflicting entry and the first index it stores for that term"
    const follower = [1, ...Array(200).fill(2)]
    const leaderLog = [1, ...Array(200).fill(3)]
    const c = new TestCluster([1, 2, 3], {
      common: { preVote: false },
      perNode: {
        1: { storage: new MemoryRaftStorage({ hardState: { term: 3, vote: 0, commit: 0 }, entries: logOfTerms(leaderLog) }) },
        2: { storage: new MemoryRaftStorage({ hardState: { term: 3, vote: 0, commit: 0 }, entries: logOfTerms(follower) }) },
        3: { storage: new MemoryRaftStorage({ hardState: { term: 3, vote: 0, commit: 0 }, entries: [] }) },
      },
    })
    let rejects = 0
    c.dropIf = (m) => {
      if (m.type === MessageType.AppResp && m.from === 2 && m.reject === 1) rejects++
      return false
    }
    c.elect(1)
    c.deliverAll()
    expect(logTerms(c.node(2))).toEqual([...leaderLog, 4])
    expect(rejects).toBeLessThanOrEqual(2)
  })
})

describe('§5.4 safety', () => {
  test('§5.4.1 a voter denies a candidate whose log is less up-to-date (by last term, then by length)', () => {
    // Reference: §5.4.1 election restriction
    const n = nodeWith(1, [1, 2, 3], [1, 2, 2], 2)
    n.step(msg(MessageType.Vote, 2, 1, 3, { index: 5, logTerm: 1 })) // older last term, longer log
    n.step(msg(MessageType.Vote, 3, 1, 3, { index: 2, logTerm: 2 })) // same last term, shorter
    expect(drain(n).map((m) => [m.to, m.reject])).toEqual([
      [2, 1],
      [3, 1],
    ])
    n.step(msg(MessageType.Vote, 3, 1, 4, { index: 3, logTerm: 2 })) // same last term, same length
    expect(drain(n).map((m) => [m.to, m.reject])).toEqual([[3, 0]])
  })

  test('§5.4.2 Figure 8: a leader never commits an entry of an older term by counting replicas', () => {
    // Reference: §5.4.2 Figure 8. S1 leads term 4 with (index 2, term 2) on S1, S2 and then S3 — a majority —
    // yet it must not commit it, because S5 (last term 3) could still win and overwrite index 2.
    const voters = [1, 2, 3, 4, 5]
    const st = (terms: number[]) => ({ storage: new MemoryRaftStorage({ hardState: { term: 3, vote: 0, commit: 1 }, entries: logOfTerms(terms) }) })
    const c = new TestCluster(voters, {
      common: { preVote: false, checkQuorum: false, maxAppendEntries: 1 },
      perNode: { 1: st([1, 2]), 2: st([1, 2]), 3: st([1]), 4: st([1]), 5: st([1, 3]) },
    })
    c.isolate(5)
    // The network loses every entry of term 4, so only the old entry at index 2 spreads.
    c.rewrite = (m) => (m.type === MessageType.App ? { ...m, entries: m.entries.filter((e) => e.term < 4) } : m)
    const s1 = c.elect(1)
    expect(s1.status().term).toBe(4)
    expect(logTerms(c.node(3))).toEqual([1, 2])
    expect(s1.status().commit).toBe(1)

    // Why it must not: if S1 now fails, S5 can win term 5 and overwrite index 2 everywhere.
    c.heal()
    c.isolate(1)
    const s5 = c.node(5)
    for (let i = 0; i < 6 * ET && s5.role !== 'leader'; i++) {
      c.tick(5)
      c.deliverAll()
    }
    expect(s5.role).toBe('leader')
    c.deliverAll()
    expect(logTerms(c.node(3)).slice(0, 2)).toEqual([1, 3])
  })

  test('§5.4.2 committing an entry of the current term commits every entry before it', () => {
    // Reference: §5.4.2 "once an entry from the current term has been committed ... all prior entries are committed indirectly"
    const st = (terms: number[]) => ({ storage: new MemoryRaftStorage({ hardState: { term: 3, vote: 0, commit: 1 }, entries: logOfTerms(terms) }) })
    const c = new TestCluster([1, 2, 3, 4, 5], { common: { preVote: false }, perNode: { 1: st([1, 2]), 2: st([1, 2]), 3: st([1]), 4: st([1]), 5: st([1, 3]) } })
    const s1 = c.elect(1)
    c.deliverAll()
    expect(s1.status().commit).toBe(3)
    expect(s1.termAt(2)).toBe(2)
  })

  test('§5.4 a partitioned old leader cannot commit; the majority elects a new leader whose log wins', () => {
    // Reference: §5.4 (leader completeness) and §5.2
    const c = new TestCluster([1, 2, 3, 4, 5])
    const old = c.elect(1)
    c.partition([1, 2], [3, 4, 5])
    const lost = old.propose(bytes('lost'))
    expect(lost.ok).toBe(true)
    c.deliverAll()
    const before = old.status().commit
    for (let i = 0; i < 5; i++) {
      c.tick(1)
      c.deliverAll()
    }
    expect(old.status().commit).toBe(before)
    for (const id of [3, 4, 5]) c.tick(id, ET)
    c.campaign(3)
    const fresh = c.node(3)
    expect(fresh.role).toBe('leader')
    expect(fresh.propose(bytes('kept')).ok).toBe(true)
    c.deliverAll()
    c.heal()
    for (let i = 0; i < 3; i++) {
      c.tick(3)
      c.deliverAll()
    }
    expect(old.role).toBe('follower')
    for (const id of [1, 2, 3, 4, 5]) {
      const data = c.applied.get(id)!.map((e) => text(e.data))
      expect(data).toContain('kept')
      expect(data).not.toContain('lost')
    }
  })
})

describe('§7 log compaction', () => {
  function compactLeader(c: TestCluster, id: number) {
    const n = c.node(id)
    const snap = n.compact(n.status().applied, bytes('state'))
    expect(snap.ok).toBe(true)
    if (snap.ok) c.storages.get(id)!.createSnapshot(snap.value)
  }

  test('§7 a leader sends its snapshot to a follower that needs compacted entries; the follower installs it', () => {
    // Reference: §7 InstallSnapshot
    const c = new TestCluster([1, 2, 3])
    const leader = c.elect(1)
    c.isolate(3)
    for (let i = 0; i < 20; i++) leader.propose(bytes(`e${i}`))
    c.deliverAll()
    c.tick(1)
    c.deliverAll()
    expect(leader.status().applied).toBe(21)
    compactLeader(c, 1)
    expect(leader.status().firstIndex).toBe(22)
    c.heal()
    let installed = false
    const s3 = c.storages.get(3)!
    for (let i = 0; i < 5 && !installed; i++) {
      c.tick(1)
      c.deliverAll()
      installed = s3.snapshot().index === 21
    }
    expect(installed).toBe(true)
    expect(c.node(3).status().applied).toBe(21)
    leader.propose(bytes('after'))
    c.deliverAll()
    c.tick(1)
    c.deliverAll()
    expect(c.applied.get(3)!.map((e) => text(e.data))).toEqual(['after'])
    expect(c.node(3).status().commit).toBe(22)
  })

  test('§7 a follower ignores a snapshot that is not newer than its commit index', () => {
    // Reference: §7 "If the follower receives a snapshot that describes a prefix of its log ... entries following the snapshot are retained"
    const n = nodeWith(2, [1, 2, 3], [1, 1, 1, 1], 1, { commit: 3 })
    drain(n)
    const snapshot = { index: 2, term: 1, voters: [1, 2, 3], observers: [], data: bytes('old') }
    n.step(msg(MessageType.Snap, 1, 2, 1, { snapshot }))
    const rd = n.ready()!
    expect(rd.snapshot).toBeNull()
    expect(rd.messages.map((m) => [m.type, m.index])).toEqual([['AppResp', 3]])
    expect(n.status().lastIndex).toBe(4)
  })

  test('§7 a snapshot whose last entry the follower holds only fast-forwards its commit index', () => {
    // Reference: §7 "If the follower receives a snapshot that describes a prefix of its log, then log entries covered by the snapshot are deleted but entries following the snapshot are still valid"
    const n = nodeWith(2, [1, 2, 3], [1, 1, 1, 1], 1)
    n.step(msg(MessageType.Snap, 1, 2, 1, { snapshot: { index: 3, term: 1, voters: [1, 2, 3], observers: [], data: bytes('s') } }))
    expect(n.status().commit).toBe(3)
    expect(n.status().lastIndex).toBe(4)
    expect(n.ready()!.snapshot).toBeNull()
  })
})

describe('§8 client interaction', () => {
  test('§8 a new leader appends a no-op of its term', () => {
    // Reference: §8 "each leader commit a blank no-op entry into the log at the start of its term"
    const c = new TestCluster([1, 2, 3])
    c.elect(1)
    c.deliverAll()
    expect(c.applied.get(1)!.map((e) => [e.index, e.term, e.type])).toEqual([[1, 1, 'noop']])
  })

  test('§8 ReadIndex: a read is confirmed only after a quorum acknowledges a heartbeat round, at the commit index', () => {
    // Reference: §8 read-only operations; thesis §6.4
    const c = new TestCluster([1, 2, 3])
    const leader = c.elect(1)
    c.deliverAll()
    leader.propose(bytes('w'))
    c.deliverAll()
    expect(leader.readIndex(bytes('r1')).ok).toBe(true)
    c.processAll()
    expect(c.readStates.get(1)).toEqual([])
    c.deliverAll()
    expect(c.readStates.get(1)!.map((r) => [r.index, text(r.ctx)])).toEqual([[2, 'r1']])
  })

  test('§8 ReadIndex: a leader cut off from the quorum cannot confirm a read', () => {
    // Reference: §8 "a leader must check whether it has been deposed before processing a read-only request"
    const c = new TestCluster([1, 2, 3])
    const leader = c.elect(1)
    c.deliverAll()
    c.isolate(1)
    leader.readIndex(bytes('r'))
    for (let i = 0; i <= ET; i++) {
      c.tick(1)
      c.deliverAll()
    }
    expect(c.readStates.get(1)).toEqual([])
    expect(leader.role).toBe('follower')
  })

  test('§8 ReadIndex: a follower forwards a read to the leader and gets the read index back', () => {
    // Reference: thesis §6.4 "followers could ... request the current commit index from the leader"
    const c = new TestCluster([1, 2, 3])
    c.elect(1)
    c.deliverAll()
    expect(c.node(2).readIndex(bytes('f')).ok).toBe(true)
    c.deliverAll()
    expect(c.readStates.get(2)!.map((r) => [r.index, text(r.ctx)])).toEqual([[1, 'f']])
    expect(c.node(3).readIndex(bytes('g')).ok).toBe(true)
    const lone = nodeWith(9, [9, 8, 7], [], 0)
    const r = lone.readIndex(bytes('x'))
    expect(r.ok ? 'ok' : r.code).toBe('NO_LEADER')
  })

  test('§8 ReadIndex: a new leader defers reads until it has committed an entry of its term', () => {
    // Reference: §8 "the leader may not know which entries are committed" until its no-op commits
    const c = new TestCluster([1, 2, 3])
    c.dropTypes.add(MessageType.AppResp)
    const leader = c.elect(1)
    expect(leader.status().commit).toBe(0)
    expect(leader.readIndex(bytes('early')).ok).toBe(true)
    c.tick(1)
    c.deliverAll()
    expect(c.readStates.get(1)).toEqual([])
    c.heal()
    c.tick(1)
    c.deliverAll()
    expect(leader.status().commit).toBe(1)
    expect(c.readStates.get(1)!.map((r) => text(r.ctx))).toEqual(['early'])
    expect(c.readStates.get(1)![0]!.index).toBe(leader.status().commit)
  })
})

describe('thesis extensions: pre-vote, check-quorum, leadership transfer', () => {
  test('thesis §9.6 pre-vote: a rejoining node does not disrupt a stable leader', () => {
    // Reference: thesis §9.6. Node 3 is cut off for a long time; with pre-vote its term never moves.
    const c = new TestCluster([1, 2, 3])
    const leader = c.elect(1)
    c.isolate(3)
    for (let i = 0; i < 10 * ET; i++) {
      c.tick(3)
      c.tick(1)
      c.deliverAll()
    }
    expect(c.node(3).status().term).toBe(1)
    c.heal()
    for (let i = 0; i < 3 * ET; i++) {
      c.tick(3)
      c.tick(1)
      c.deliverAll()
    }
    expect(leader.role).toBe('leader')
    expect(leader.status().term).toBe(1)
  })

  test('thesis §9.6 without pre-vote, the same rejoining node forces an election (the contrast)', () => {
    // Reference: thesis §9.6
    const c = new TestCluster([1, 2, 3], { common: { preVote: false, checkQuorum: false } })
    const leader = c.elect(1)
    c.isolate(3)
    for (let i = 0; i < 4 * ET; i++) c.tick(3)
    c.deliverAll()
    expect(c.node(3).status().term).toBeGreaterThan(1)
    c.heal()
    for (let i = 0; i < 2 * ET; i++) {
      c.tick(3)
      c.tick(1)
      c.deliverAll()
    }
    expect(leader.status().term).toBeGreaterThan(1)
  })

  test('thesis §6.2 check-quorum: a leader that hears from no quorum for an election timeout steps down', () => {
    // Reference: thesis §6.2
    const c = new TestCluster([1, 2, 3])
    const leader = c.elect(1)
    c.isolate(1)
    for (let i = 0; i < ET - 1; i++) c.tick(1)
    expect(leader.role).toBe('leader')
    for (let i = 0; i < ET; i++) c.tick(1)
    expect(leader.role).toBe('follower')
    const r = leader.propose(bytes('x'))
    expect(r.ok ? 'ok' : r.code).toBe('NOT_LEADER')
  })

  test('thesis §3.10 leadership transfer: the target catches up, then wins the next term at once', () => {
    // Reference: thesis §3.10
    const c = new TestCluster([1, 2, 3])
    const leader = c.elect(1)
    c.isolate(2)
    leader.propose(bytes('a'))
    c.deliverAll()
    c.heal()
    expect(leader.transferLeadership(2).ok).toBe(true)
    const refused = leader.propose(bytes('b'))
    expect(refused.ok ? 'ok' : refused.code).toBe('TRANSFER_IN_PROGRESS')
    c.deliverAll()
    expect(c.node(2).role).toBe('leader')
    expect(c.node(2).status().term).toBe(2)
    expect(leader.role).toBe('follower')
    const bad = c.node(2).transferLeadership(42)
    expect(bad.ok ? 'ok' : bad.code).toBe('INVALID_ARGUMENT')
  })

  test('thesis §3.10 a transfer to an unreachable node is abandoned after an election timeout', () => {
    const c = new TestCluster([1, 2, 3])
    const leader = c.elect(1)
    c.isolate(3)
    leader.transferLeadership(3)
    for (let i = 0; i < ET; i++) {
      c.tick(1)
      c.deliverAll()
    }
    expect(leader.role).toBe('leader')
    expect(leader.propose(bytes('ok')).ok).toBe(true)
  })
})

describe('observers (non-voting members)', () => {
  test('the leader learns an observer from its hello and replicates to it', () => {
    const c = new TestCluster([1, 2, 3], { observers: [4] })
    const leader = c.elect(1)
    expect(c.node(4).role).toBe('observer')
    expect(leader.status().progress.has(4)).toBe(false)
    c.tick(4, ET)
    c.deliverAll()
    expect(leader.status().progress.get(4)?.isVoter).toBe(false)
    leader.propose(bytes('x'))
    c.deliverAll()
    c.tick(1)
    c.deliverAll()
    expect(c.applied.get(4)!.map((e) => text(e.data))).toEqual(['', 'x'])
    const p4 = leader.status().progress.get(4)!
    expect(p4.match).toBe(2)
    expect(p4.lastCaughtUpTick).toBeGreaterThanOrEqual(0)
  })

  test('an observer never campaigns, and never counts toward commit or an election', () => {
    const c = new TestCluster([1, 2, 3], { observers: [4] })
    const leader = c.elect(1)
    leader.addObserver(4)
    c.deliverAll()
    c.partition([1, 4], [2, 3])
    const before = leader.status().commit
    leader.propose(bytes('y'))
    c.deliverAll()
    expect(c.node(4).status().lastIndex).toBe(2)
    expect(leader.status().commit).toBe(before)
    const obs = c.node(4)
    for (let i = 0; i < 10 * ET; i++) obs.tick()
    expect(obs.role).toBe('observer')
    expect(obs.status().term).toBe(1)
    // It answers a vote request (thesis §4.1: it may be a voter its log does not list
    // yet), but a candidate whose configuration does not list it ignores the answer.
    obs.step(msg(MessageType.Vote, 2, 4, 9, { index: 99, logTerm: 9 }))
    const grant = (obs.ready()?.messages ?? []).find((m) => m.type === MessageType.VoteResp)
    expect(grant).toMatchObject({ from: 4, to: 2, term: 9, reject: 0 })
    const candidate = c.node(2)
    for (let i = 0; i < 10 * ET && candidate.role !== 'precandidate'; i++) candidate.tick()
    expect(candidate.role).toBe('precandidate')
    const r = candidate.step(msg(MessageType.PreVoteResp, 4, 2, candidate.currentTerm + 1))
    expect(r.ok ? 'counted' : r.code).toBe('UNKNOWN_PEER') // (NOT_PERMITTED had 2 known 4 as an observer)
    expect(candidate.role).toBe('precandidate')
  })
})

describe('§7 snapshots and restarts', () => {
  test('§7 a node restarted after installing a snapshot over a divergent log does not keep the stale tail', () => {
    // Reference: §7 "the follower discards its entire log; it is all superseded by the snapshot" and §5.4.1.
    // The durable log keeps entries after a snapshot's index (DurableRaftLog.saveSnapshot),
    // so after a restart the divergent entries 4..5 (term 1) would follow a term-3 snapshot.
    const n = nodeWith(2, [1, 2, 3], [1, 1, 1, 1, 1], 1, { checkQuorum: false, preVote: false })
    drain(n)
    const snapshot = { index: 3, term: 3, voters: [1, 2, 3], observers: [], data: bytes('s') }
    n.step(msg(MessageType.Snap, 1, 2, 3, { snapshot }))
    expect(n.ready()!.snapshot).toEqual(snapshot)
    // What a durable log that keeps the tail hands back on restart:
    const loaded = { hardState: { term: 3, vote: 0, commit: 3 }, snapshot, entries: logOfTerms([1, 1, 1, 1, 1]).slice(3) }
    const storage = MemoryRaftStorage.fromDurable(loaded)
    expect([storage.firstIndex(), storage.lastIndex()]).toEqual([4, 3])
    const restarted = new RaftNode({ id: 2, voters: [1, 2, 3], storage, random: seededRandom(2), preVote: false, checkQuorum: false })
    // A candidate whose last entry is (5, term 2) lacks the committed snapshot (index 3, term 3): refused.
    restarted.step(msg(MessageType.Vote, 3, 2, 4, { index: 5, logTerm: 2 }))
    expect(drain(restarted).map((m) => [m.type, m.reject])).toEqual([['VoteResp', 1]])
    // A tail that does follow the snapshot is kept.
    const good = MemoryRaftStorage.fromDurable({ ...loaded, entries: [{ index: 4, term: 3, type: 'normal', data: bytes('') }] })
    expect(good.lastIndex()).toBe(4)
  })
})
