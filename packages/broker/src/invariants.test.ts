import { describe, expect, test } from '@jest/globals'
import { concatBytes, encodeRecordBatch } from '@tributary/protocol'
import { MemoryLogStore } from '@tributary/storage'
import { InvariantViolation, Invariants, strictInvariantsFromEnv } from './invariants.js'
import type { PartitionState } from './metadata/image-types.js'
import { IsrStats, TrafficStats } from './replication/partition-stats.js'
import { Partition } from './replication/partition.js'
import { resolveTopicSettings } from './replication/topic-settings.js'
import { ManualClock } from './testing/manual-clock.js'

function recorder() {
  const errors: Array<Record<string, unknown>> = []
  return { errors, logger: { error: (obj: Record<string, unknown>) => void errors.push(obj) } }
}

describe('Invariants', () => {
  test('strict: a violation throws with the state that broke it', () => {
    const { logger } = recorder()
    const inv = new Invariants(true, logger, new ManualClock())
    expect(inv.check(true, 'x', () => ({}))).toBe(true)
    expect(() => inv.check(false, 'hw <= leo', () => ({ hw: 5, leo: 3 }))).toThrow(InvariantViolation)
    expect(() => inv.check(false, 'hw <= leo', () => ({ hw: 5, leo: 3 }))).toThrow(/hw <= leo \{"hw":5,"leo":3\}/)
  })

  test('production: a violation is counted, logged once a minute per invariant, and reported as false', async () => {
    const { logger, errors } = recorder()
    const clock = new ManualClock()
    const inv = new Invariants(false, logger, clock)
    expect(inv.check(false, 'a', () => ({ n: 1 }))).toBe(false)
    expect(inv.check(false, 'a', () => ({ n: 2 }))).toBe(false)
    expect(inv.check(false, 'b', () => ({}))).toBe(false)
    expect(errors.map((e) => e.invariant)).toEqual(['a', 'b'])
    await clock.advance(60_000)
    inv.check(false, 'a', () => ({ n: 3 }))
    expect(errors.map((e) => [e.invariant, e.violations])).toEqual([['a', 1], ['b', 1], ['a', 3]])
    expect([...inv.violations()]).toEqual([['a', 3], ['b', 1]])
  })

  test('strict under jest or TRIBUTARY_STRICT_INVARIANTS=1; =0 turns it off', () => {
    expect(strictInvariantsFromEnv({ JEST_WORKER_ID: '1' })).toBe(true)
    expect(strictInvariantsFromEnv({})).toBe(false)
    expect(strictInvariantsFromEnv({ TRIBUTARY_STRICT_INVARIANTS: '1' })).toBe(true)
    expect(strictInvariantsFromEnv({ JEST_WORKER_ID: '1', TRIBUTARY_STRICT_INVARIANTS: '0' })).toBe(false)
  })
})

describe('a partition in production mode refuses the step that would break an invariant', () => {
  const state = (s: Partial<PartitionState>): PartitionState => ({ topic: 't', topicId: 'tid', partition: 0, replicas: [1, 2], isr: [1, 2], leader: 2, leaderEpoch: 3, partitionEpoch: 3, ...s })

  async function follower() {
    const clock = new ManualClock()
    const { logger, errors } = recorder()
    const invariants = new Invariants(false, logger, clock)
    const settings = resolveTopicSettings({}, {})
    const env = { nodeId: 1, clock, replicaLagTimeMaxMs: 1000, settings: () => settings, isEligible: () => true, proposeIsr: () => {}, topicStats: () => new TrafficStats(), isrStats: new IsrStats(), invariants }
    const p = await Partition.open('t', 'tid', 0, await new MemoryLogStore().open('tid', 0), env)
    expect(p.applyState(state({}))).toBe('became-follower')
    return { p, errors, invariants }
  }

  test('an older leader epoch from metadata is not applied', async () => {
    const { p, errors } = await follower()
    expect(p.applyState(state({ leader: 1, leaderEpoch: 2 }))).toBe('unchanged')
    expect(p.role).toBe('follower')
    expect(p.leaderEpoch).toBe(3)
    expect(errors.map((e) => e.invariant)).toEqual(['leader epochs only grow'])
  })

  test('leadership without being in the ISR is not taken', async () => {
    const { p, errors } = await follower()
    expect(p.applyState(state({ leader: 1, leaderEpoch: 4, isr: [2] }))).toBe('unchanged')
    expect(p.role).toBe('follower')
    expect(errors.map((e) => e.invariant)).toEqual(['a leader is in its ISR'])
  })

  test('overlapping batches from the leader are refused, and nothing of them is appended', async () => {
    const { p, errors } = await follower()
    const a = encodeRecordBatch([{ value: new Uint8Array([1]) }, { value: new Uint8Array([2]) }], { baseOffset: 0 })
    const b = encodeRecordBatch([{ value: new Uint8Array([3]) }], { baseOffset: 1 })
    const r = await p.exclusive(() => p.appendFromLeader(concatBytes([a, b]), 0))
    expect(r.ok).toBe(false)
    expect(p.logEndOffset()).toBe(0)
    expect(errors.map((e) => e.invariant)).toEqual(["a follower appends the leader's batches in offset order"])
  })

  test('a gap between batches (compaction) is legal', async () => {
    const { p, errors } = await follower()
    const a = encodeRecordBatch([{ value: new Uint8Array([1]) }], { baseOffset: 0 })
    const b = encodeRecordBatch([{ value: new Uint8Array([3]) }], { baseOffset: 5 })
    const r = await p.exclusive(() => p.appendFromLeader(concatBytes([a, b]), 0))
    expect(r).toEqual({ ok: true, value: 6 })
    expect(errors).toEqual([])
  })
})
