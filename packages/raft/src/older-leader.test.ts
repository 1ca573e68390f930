/**
 * A committed entry can leave the log of a node outside the quorum that acknowledged
 * it, and that is Raft, not a lost write (seed 143237 of the simulator, issue #24):
 * a node still in an older term follows that term's leader, whose log lacks the
 * entry; the acknowledging quorum refuses that leader, and the current leader puts
 * the entry back. What must hold: the node never counts the foreign entry committed.
 */
import { MessageType, makeMessage, type RaftMessage } from './message.js'
import { seededRandom } from './random.js'
import { RaftNode } from './raft-node.js'
import { MemoryRaftStorage } from './storage.js'
import { logOfTerms } from './testing/cluster.js'
import type { Entry } from './types.js'

const VOTERS = [1, 2, 3]
/** Entries 1-4 of every log; 4 (t3) is committed by node 1 in term 6, acknowledged by node 3. */
const COMMON = logOfTerms([1, 1, 3, 3])

function nodeWith(id: number, entries: Entry[], term: number, commit: number): RaftNode {
  const storage = new MemoryRaftStorage({ hardState: { term, vote: 0, commit }, entries })
  return new RaftNode({ id, voters: VOTERS, storage, random: seededRandom(id) })
}

/** Hand everything the node has to say back, and the entries it applied. */
function drain(n: RaftNode): { messages: RaftMessage[]; applied: Entry[] } {
  const out = { messages: [] as RaftMessage[], applied: [] as Entry[] }
  for (let rd = n.ready(); rd; rd = n.ready()) {
    out.messages.push(...rd.messages)
    out.applied.push(...rd.committed)
    n.advance(rd)
  }
  return out
}

/** Node 2, leader of term 5, whose log ends at 3 (t3): its own entry 4 is of term 5. */
const fromOlderLeader = (to: number): RaftMessage =>
  makeMessage(MessageType.App, 2, to, 5, { index: 3, logTerm: 3, entries: [{ index: 4, term: 5, type: 'noop', data: new Uint8Array(0) }], commit: 2 })

/** Node 1, leader of term 6, with entry 4 (t3) and its own 5 (t6) committed. */
const fromCurrentLeader = (to: number): RaftMessage =>
  makeMessage(MessageType.App, 1, to, 6, { index: 3, logTerm: 3, entries: [COMMON[3]!, { index: 5, term: 6, type: 'noop', data: new Uint8Array(0) }], commit: 5 })

describe('an older leader overwrites a committed entry only outside the committing quorum', () => {
  for (const [kind, id] of [['observer', 4], ['voter', 3]] as const) {
    test(`a lagging ${kind} in term 4 takes term 5's append, counts none of it committed, and is repaired by term 6`, () => {
      const n = nodeWith(id, COMMON, 4, 2)
      const applied = drain(n).applied
      expect(n.step(fromOlderLeader(id)).ok).toBe(true)
      // §5.1/§5.3: a newer term's leader is followed, and its log wins over ours.
      expect(n.status().term).toBe(5)
      expect(n.termAt(4)).toBe(5)
      const afterOlder = drain(n)
      expect(afterOlder.messages.map((m) => [m.type, m.to, m.term, m.reject, m.index])).toEqual([[MessageType.AppResp, 2, 5, 0, 4]])
      // Term 5's leader committed nothing past 2, so neither do we.
      expect(n.commitIndex).toBe(2)
      applied.push(...afterOlder.applied)

      expect(n.step(fromCurrentLeader(id)).ok).toBe(true)
      applied.push(...drain(n).applied)
      expect(n.status().term).toBe(6)
      expect([n.termAt(4), n.commitIndex]).toEqual([3, 5])
      // What we applied is the committed log, entry 4 (t3) included; never term 5's.
      expect(applied.map((e) => [e.index, e.term])).toEqual([[1, 1], [2, 1], [3, 3], [4, 3], [5, 6]])
    })
  }

  test('a voter that acknowledged the commit in term 6 refuses the older leader and tells it the term', () => {
    const n = nodeWith(3, [...COMMON, { index: 5, term: 6, type: 'noop', data: new Uint8Array(0) }], 6, 5)
    drain(n)
    const r = n.step(fromOlderLeader(3))
    expect(r.ok ? 'ok' : r.code).toBe('STALE_TERM')
    expect([n.status().term, n.termAt(4), n.commitIndex]).toEqual([6, 3, 5])
    expect(drain(n).messages.map((m) => [m.type, m.to, m.term])).toEqual([[MessageType.AppResp, 2, 6]])
  })
})
