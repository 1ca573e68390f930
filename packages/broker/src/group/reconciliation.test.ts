import fc from 'fast-check'
import { assignPartitions } from './assignor.js'
import { isReconciled, reconcile, type MemberAssignment } from './reconciliation.js'
import { topicPartitionKey } from '@tributary/protocol'
import { difference, type PartitionSet } from './topic-partitions.js'

const TOPIC = 't'
const key = (p: number) => topicPartitionKey(TOPIC, p)
const set = (...ps: number[]) => new Set(ps.map(key))
const fresh = (): MemberAssignment => ({ memberEpoch: 0, previousMemberEpoch: -1, assigned: new Set(), pendingRevocation: new Set() })

/**
 * A tiny group: the coordinator's view of each member (MemberAssignment) and
 * each simulated client's holdings. A client takes new partitions as soon as a
 * response names them, but lets go of revoked ones only when it chooses to
 * (after committing, in a real consumer).
 */
class Sim {
  coord = new Map<string, MemberAssignment>()
  holding = new Map<string, PartitionSet>()
  toRevoke = new Map<string, PartitionSet>()
  target = new Map<string, PartitionSet>()
  epoch = 0
  revocations = 0

  constructor(readonly partitions: number) {}

  join(id: string): void {
    this.coord.set(id, fresh())
    this.holding.set(id, new Set())
    this.toRevoke.set(id, new Set())
    this.retarget()
  }

  leave(id: string): void {
    this.coord.delete(id)
    this.holding.delete(id)
    this.toRevoke.delete(id)
    this.retarget()
  }

  retarget(): void {
    this.epoch++
    const members = [...this.coord.keys()].map((memberId) => ({ memberId, topics: new Set([TOPIC]) }))
    this.target = assignPartitions({ members, partitionCounts: new Map([[TOPIC, this.partitions]]), previous: this.target })
  }

  heartbeat(id: string): void {
    const current = this.coord.get(id)!
    const next = reconcile({
      current,
      target: this.target.get(id)!,
      targetEpoch: this.epoch,
      owned: new Set(this.holding.get(id)!),
      heldByOther: (k) => [...this.coord].some(([other, m]) => other !== id && (m.assigned.has(k) || m.pendingRevocation.has(k))),
    })
    this.coord.set(id, next)
    const holding = this.holding.get(id)!
    for (const k of next.assigned) holding.add(k)
    for (const k of difference(holding, next.assigned)) this.toRevoke.get(id)!.add(k)
    this.assertSafe()
  }

  finishRevoking(id: string): void {
    const holding = this.holding.get(id)!
    for (const k of this.toRevoke.get(id)!) {
      holding.delete(k)
      this.revocations++
    }
    this.toRevoke.get(id)!.clear()
  }

  assertSafe(): void {
    const owner = new Map<string, string>()
    for (const [id, holding] of this.holding) {
      for (const k of holding) {
        if (owner.has(k)) throw new Error(`${k} held by both ${owner.get(k)} and ${id}`)
        owner.set(k, id)
      }
    }
  }

  settle(): void {
    for (let round = 0; round < 4; round++) {
      for (const id of this.coord.keys()) {
        this.heartbeat(id)
        this.finishRevoking(id)
      }
    }
  }

  reconciled(): boolean {
    return [...this.coord].every(([id, m]) => isReconciled(m, this.target.get(id)!, this.epoch))
  }
}

describe('reconciliation', () => {
  test('a member that must give a partition up keeps it pending until its heartbeat leaves it out', () => {
    const current: MemberAssignment = { memberEpoch: 3, previousMemberEpoch: 2, assigned: set(0, 1), pendingRevocation: new Set() }
    const told = reconcile({ current, target: set(0), targetEpoch: 4, owned: set(0, 1), heldByOther: () => false })
    expect(told.assigned).toEqual(set(0))
    expect(told.pendingRevocation).toEqual(set(1))
    expect(told.memberEpoch).toBe(3) // no epoch bump while revoking
    const acked = reconcile({ current: told, target: set(0), targetEpoch: 4, owned: set(0), heldByOther: () => false })
    expect(acked.pendingRevocation.size).toBe(0)
    expect(acked.memberEpoch).toBe(4)
    expect(acked.previousMemberEpoch).toBe(3)
  })

  test('a heartbeat without ownedPartitions releases nothing', () => {
    const current: MemberAssignment = { memberEpoch: 3, previousMemberEpoch: 2, assigned: set(0), pendingRevocation: set(1) }
    const next = reconcile({ current, target: set(0), targetEpoch: 4, owned: null, heldByOther: () => false })
    expect(next.pendingRevocation).toEqual(set(1))
  })

  test('a member gets a partition someone else still holds only once it is released', () => {
    const current = fresh()
    const first = reconcile({ current, target: set(0, 1), targetEpoch: 2, owned: null, heldByOther: (k) => k === key(1) })
    expect(first.assigned).toEqual(set(0))
    expect(first.memberEpoch).toBe(2)
    const later = reconcile({ current: first, target: set(0, 1), targetEpoch: 2, owned: set(0), heldByOther: () => false })
    expect(later.assigned).toEqual(set(0, 1))
    expect(later.previousMemberEpoch).toBe(first.previousMemberEpoch) // no second bump
  })

  test('3 members, 6 partitions: never two owners, settles 2/2/2; a 4th member revokes only what moves', () => {
    const sim = new Sim(6)
    for (const id of ['m1', 'm2', 'm3']) {
      sim.join(id)
      sim.heartbeat(id)
    }
    sim.settle()
    expect(sim.reconciled()).toBe(true)
    expect([...sim.holding.values()].map((h) => h.size)).toEqual([2, 2, 2])

    sim.revocations = 0
    sim.join('m4')
    sim.settle()
    expect(sim.reconciled()).toBe(true)
    expect(sim.revocations).toBe(1)
    expect([...sim.holding.values()].map((h) => h.size).sort()).toEqual([1, 1, 2, 2])
  })

  test('random heartbeat and revocation orders never give a partition two owners, and always converge', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('hb' as const), who: fc.integer({ min: 0, max: 4 }) }),
      fc.record({ kind: fc.constant('revoke' as const), who: fc.integer({ min: 0, max: 4 }) }),
      fc.record({ kind: fc.constant('join' as const), who: fc.integer({ min: 0, max: 4 }) }),
      fc.record({ kind: fc.constant('leave' as const), who: fc.integer({ min: 0, max: 4 }) }),
    )
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.array(op, { maxLength: 60 }), (partitions, ops) => {
        const sim = new Sim(partitions)
        for (const { kind, who } of ops) {
          const id = `m${who}`
          const present = sim.coord.has(id)
          if (kind === 'join' && !present) sim.join(id)
          else if (kind === 'leave' && present) sim.leave(id)
          else if (kind === 'hb' && present) sim.heartbeat(id)
          else if (kind === 'revoke' && present) sim.finishRevoking(id)
          sim.assertSafe()
        }
        sim.settle()
        expect(sim.reconciled()).toBe(true)
        const held = [...sim.holding.values()].reduce((n, h) => n + h.size, 0)
        expect(held).toBe(sim.coord.size > 0 ? partitions : 0)
      }),
    )
  })
})
