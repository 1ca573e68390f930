/**
 * The reassignment state machine under random operations (fast-check): moves
 * started, replaced and cancelled, replicas catching up into the ISR, falling
 * out of it, brokers going down and up. After every step the partition's state
 * must be one Kafka allows, and a move must end where it said it would.
 */
import fc from 'fast-check'
import type { PartitionState } from '../metadata/image-types.js'
import type { PartitionChangeRecord } from '../metadata/records.js'
import { electLeader, NO_LEADER, partitionChange } from './partition-election.js'
import { isReassigning, isrChange, originalReplicas, planCancel, planReassignment, targetReplicas } from './reassignment.js'

const BROKERS = [1, 2, 3, 4, 5]

type Op =
  | { kind: 'move'; target: number[] }
  | { kind: 'cancel' }
  | { kind: 'join'; broker: number }
  | { kind: 'leave'; broker: number }
  | { kind: 'down'; broker: number }
  | { kind: 'up'; broker: number }

const target = fc.uniqueArray(fc.constantFrom(...BROKERS), { minLength: 1, maxLength: 3 })
const broker = fc.constantFrom(...BROKERS)
const op: fc.Arbitrary<Op> = fc.oneof(
  target.map((t) => ({ kind: 'move' as const, target: t })),
  fc.constant({ kind: 'cancel' as const }),
  broker.map((b) => ({ kind: 'join' as const, broker: b })),
  broker.map((b) => ({ kind: 'leave' as const, broker: b })),
  broker.map((b) => ({ kind: 'down' as const, broker: b })),
  broker.map((b) => ({ kind: 'up' as const, broker: b })),
)

/** Apply a PartitionChange as metadata-image.ts does. */
function apply(p: PartitionState, r: PartitionChangeRecord | null): PartitionState {
  if (!r) return p
  const { addingReplicas: _a, removingReplicas: _r, ...rest } = p
  const adding = r.addingReplicas ?? p.addingReplicas ?? []
  const removing = r.removingReplicas ?? p.removingReplicas ?? []
  return {
    ...rest, replicas: r.replicas ?? p.replicas, isr: r.isr ?? p.isr, leader: r.leader ?? p.leader, leaderEpoch: r.leaderEpoch, partitionEpoch: r.partitionEpoch,
    ...(adding.length > 0 ? { addingReplicas: adding } : {}), ...(removing.length > 0 ? { removingReplicas: removing } : {}),
  }
}

function problems(p: PartitionState, live: Set<number>): string[] {
  const out: string[] = []
  const adding = p.addingReplicas ?? []
  const removing = p.removingReplicas ?? []
  if (new Set(p.replicas).size !== p.replicas.length) out.push('replicas repeat')
  if (!adding.every((r) => p.replicas.includes(r)) || !removing.every((r) => p.replicas.includes(r))) out.push('adding/removing outside replicas')
  if (adding.some((r) => removing.includes(r))) out.push('a replica both adding and removing')
  if (p.isr.length === 0) out.push('empty ISR')
  if (!p.isr.every((r) => p.replicas.includes(r))) out.push('ISR outside replicas')
  if (p.leader !== NO_LEADER && !p.isr.includes(p.leader)) out.push('leader outside the ISR')
  if (p.leader !== NO_LEADER && !p.replicas.includes(p.leader)) out.push('leader outside the replicas')
  // a move is over once the ISR holds its whole target and one of them can lead
  if (isReassigning(p) && targetReplicas(p).every((r) => p.isr.includes(r)) && targetReplicas(p).some((r) => live.has(r) && p.isr.includes(r))) out.push('complete move left in progress')
  return out
}

test('random moves, cancels and ISR changes keep the partition in a state Kafka allows', () => {
  fc.assert(fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) => {
    const live = new Set(BROKERS)
    let p: PartitionState = { topicId: 'T', topic: 't', partition: 0, replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 0, partitionEpoch: 0 }
    const isLive = (id: number) => live.has(id)
    for (const o of ops) {
      const before = p
      if (o.kind === 'move') {
        const plan = planReassignment(p, o.target, isLive)
        if (plan.ok) {
          p = apply(p, plan.record)
          // the target is what the move ends with (now, or once it completes)
          expect(isReassigning(p) ? targetReplicas(p) : p.replicas).toEqual(o.target)
        }
      } else if (o.kind === 'cancel') {
        const original = originalReplicas(p)
        const plan = planCancel(p, isLive)
        if (plan.ok) {
          p = apply(p, plan.record)
          expect([...p.replicas].sort()).toEqual([...original].sort())
          expect(isReassigning(p)).toBe(false)
        }
      } else if (o.kind === 'join' || o.kind === 'leave') {
        // the leader asks: a live replica catches up, or a follower falls behind
        if (p.leader === NO_LEADER || !p.replicas.includes(o.broker) || o.broker === p.leader) continue
        if (o.kind === 'join' && (!live.has(o.broker) || p.isr.includes(o.broker))) continue
        if (o.kind === 'leave' && !p.isr.includes(o.broker)) continue
        const asked = o.kind === 'join' ? [...p.isr, o.broker] : p.isr.filter((r) => r !== o.broker)
        p = apply(p, isrChange(p, p.replicas.filter((r) => asked.includes(r)), isLive))
      } else if (o.kind === 'down') {
        live.delete(o.broker)
        // the controller fences it: out of the ISR unless last, a new leader if it led
        if (!p.replicas.includes(o.broker)) continue
        const shrunk = p.isr.filter((r) => r !== o.broker)
        const isr = shrunk.length > 0 ? shrunk : p.isr
        const next = p.leader === o.broker || p.leader === NO_LEADER ? electLeader(p, isr, isLive, false) : { leader: p.leader, isr }
        p = apply(p, partitionChange(p, next.leader, next.isr))
      } else {
        live.add(o.broker)
        if (p.leader === NO_LEADER) {
          const next = electLeader(p, p.isr, isLive, false)
          p = apply(p, partitionChange(p, next.leader, next.isr))
        }
      }
      const found = problems(p, live)
      if (found.length > 0) throw new Error(`${found.join(', ')} after ${JSON.stringify(o)}: ${JSON.stringify(before)} -> ${JSON.stringify(p)}`)
      if (p !== before) expect(p.partitionEpoch).toBe(before.partitionEpoch + 1)
    }
  }), { numRuns: 500 })
})
