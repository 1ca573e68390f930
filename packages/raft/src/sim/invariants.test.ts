import { MemoryRaftStorage } from '../storage.js'
import { TestCluster, bytes, logOfTerms } from '../testing/cluster.js'
import { encodeVoters } from '../membership.js'
import { chainHash, Invariants } from './invariants.js'

/** The checker must fire when a rule breaks; otherwise a green simulation proves nothing. */
describe('invariant checker', () => {
  test('two leaders in one term break election safety', () => {
    const inv = new Invariants([1, 2, 3])
    const a = new TestCluster([1, 2, 3])
    const b = new TestCluster([1, 2, 3])
    const l1 = a.elect(1)
    const l2 = b.elect(2)
    const disks = a.storages
    inv.afterEvent(1, l1, 0, disks, [l1])
    expect(() => inv.afterEvent(2, l2, 0, disks, [l1, l2])).toThrow(/election safety/)
  })

  test('a committed entry without a durable quorum is caught', () => {
    const inv = new Invariants([1, 2, 3])
    const c = new TestCluster([1, 2, 3])
    const l = c.elect(1)
    c.deliverAll()
    const emptyDisks = new Map([1, 2, 3].map((id) => [id, new MemoryRaftStorage()] as const))
    expect(() => inv.afterEvent(1, l, 0, emptyDisks, [l])).toThrow(/durable on only 0 of voters \[1,2,3\]/)
  })

  test('truncating a committed entry from a disk is caught', () => {
    const inv = new Invariants([1, 2, 3])
    const c = new TestCluster([1, 2, 3])
    const l = c.elect(1)
    l.propose(bytes('x'))
    c.deliverAll()
    inv.afterEvent(1, l, 0, c.storages, [l])
    expect(inv.globalCommit).toBe(2)
    const disk = c.storages.get(2)!
    expect(() => inv.beforePersist(2, disk, logOfTerms([1, 9]).slice(1), null, c.storages)).toThrow(/truncated/)
  })

  describe('a committed entry leaving a disk (issue #24, seed 143237)', () => {
    // Entry 4 (t3) was committed in term 6; node 4 (an observer) and node 3 still
    // hold it, nodes 1 and 2 too unless `holders` says otherwise.
    const setup = (holders = [1, 2, 3, 4]) => {
      const inv = new Invariants([1, 2, 3])
      inv.committed.set(4, { term: 3, commitTerm: 6 })
      const disks = new Map([1, 2, 3, 4].map((id) => [id, new MemoryRaftStorage({ entries: logOfTerms(holders.includes(id) ? [1, 1, 3, 3] : [1, 1, 3]) })] as const))
      const fromTerm5 = [{ index: 4, term: 5, type: 'noop' as const, data: bytes('') }]
      return { inv, disks, fromTerm5 }
    }

    test('is Raft when an older term’s leader overwrites it outside the quorum', () => {
      const { inv, disks, fromTerm5 } = setup()
      expect(() => inv.beforePersist(4, disks.get(4)!, fromTerm5, { term: 5, vote: 0, commit: 2 }, disks)).not.toThrow()
      expect(() => inv.beforePersist(3, disks.get(3)!, fromTerm5, { term: 5, vote: 2, commit: 2 }, disks)).not.toThrow()
    })

    test('is caught when the appending leader’s term is the commit’s or later', () => {
      const { inv, disks, fromTerm5 } = setup()
      expect(() => inv.beforePersist(4, disks.get(4)!, fromTerm5, { term: 6, vote: 0, commit: 2 }, disks)).toThrow(
        /n4: committed entry 4 \(t3\) truncated from disk by an append at 4 in term 6, though it was committed in term 6/,
      )
    })

    test('is caught when fewer than a quorum of voters would still hold it', () => {
      const { inv, disks, fromTerm5 } = setup([1, 3, 4])
      expect(() => inv.beforePersist(3, disks.get(3)!, fromTerm5, { term: 5, vote: 2, commit: 2 }, disks)).toThrow(/in term 5, leaving it on only 1 of voters \[1,2,3\]/)
    })
  })

  describe('membership changes', () => {
    test('a commit is counted over the committing node’s configuration in force', () => {
      // Leader 1 added observer 4 (config [1,2,3,4]); its entries are on 1 and 4 only.
      const c = new TestCluster([1, 2, 3], { observers: [4] })
      const l = c.elect(1)
      l.addObserver(4)
      c.deliverAll()
      expect(l.proposeVoterChange({ type: 'add', id: 4 }).ok).toBe(true)
      c.deliverAll()
      const inv = new Invariants([1, 2, 3])
      inv.afterEvent(1, l, 0, c.storages, [l])
      const onlyOn1And4 = new Map([1, 2, 3, 4].map((id) => [id, [1, 4].includes(id) ? c.storages.get(id)! : new MemoryRaftStorage()] as const))
      const inv2 = new Invariants([1, 2, 3])
      expect(() => inv2.afterEvent(1, l, 0, onlyOn1And4, [l])).toThrow(/durable on only 2 of voters \[1,2,3,4\]/)
    })

    test('a committed configuration more than one voter away from the last is caught', () => {
      const inv = new Invariants([1, 2, 3])
      const config = (index: number, voters: number[]) => ({ index, term: 1, type: 'config' as const, data: encodeVoters(voters) })
      const add4 = config(1, [1, 2, 3, 4])
      inv.applied(1, add4, 0, chainHash(0, add4))
      expect(inv.committedConfig()).toEqual({ voters: [1, 2, 3, 4], index: 1 })
      const swap = config(2, [1, 2, 5, 6])
      expect(() => inv.applied(1, swap, 1, chainHash(chainHash(0, add4), swap))).toThrow(/more than one voter away/)
    })
  })

  test('two different entries under one (index, term) break log matching', () => {
    const inv = new Invariants([1, 2, 3])
    const e = { index: 1, term: 1, type: 'normal' as const, data: bytes('a') }
    inv.beforePersist(1, new MemoryRaftStorage(), [e], null, new Map())
    expect(() => inv.beforePersist(2, new MemoryRaftStorage(), [{ ...e, data: bytes('b') }], null, new Map())).toThrow(/log matching/)
  })

  test('different states at one applied index break state-machine safety', () => {
    const inv = new Invariants([1, 2, 3])
    const a = { index: 1, term: 1, type: 'normal' as const, data: bytes('a') }
    inv.applied(1, a, 0, chainHash(0, a))
    const b = { ...a, data: bytes('b') }
    expect(() => inv.applied(2, b, 0, chainHash(0, b))).toThrow(/state machine safety/)
  })

  test('a durable commit index that goes back, or a stale read, is caught', () => {
    const inv = new Invariants([1, 2, 3])
    const disk = new MemoryRaftStorage({ hardState: { term: 1, vote: 1, commit: 5 }, entries: logOfTerms([1, 1, 1, 1, 1]) })
    expect(() => inv.beforePersist(1, disk, [], { term: 1, vote: 1, commit: 4 }, new Map())).toThrow(/durable commit goes back/)
    expect(() => inv.readServed(1, 3, 4)).toThrow(/linearizability/)
  })

  test('a disk that ends elsewhere than the node’s memory is caught', () => {
    const inv = new Invariants([1, 2, 3])
    const snapshot = { index: 2, term: 2, voters: [1, 2, 3], observers: [], data: bytes('') }
    const memory = new MemoryRaftStorage({ snapshot })
    const staleTail = new MemoryRaftStorage({ snapshot, entries: logOfTerms([1, 2, 3]).slice(2) })
    inv.diskMatchesMemory(1, new MemoryRaftStorage({ snapshot }), memory)
    expect(() => inv.diskMatchesMemory(1, staleTail, memory)).toThrow(/disk holds \[3, 3\] but memory \[3, 2\]/)
    const otherTerm = new MemoryRaftStorage({ snapshot: { ...snapshot, term: 1 } })
    expect(() => inv.diskMatchesMemory(1, otherTerm, memory)).toThrow(/term 1 on disk, 2 in memory/)
  })
})
