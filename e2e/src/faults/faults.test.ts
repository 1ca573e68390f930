/**
 * The short fault schedule (issue #9): four real brokers whose every peer and
 * client link crosses a proxy, idempotent acks=all producers and a consumer
 * group running while a seeded nemesis kills (-9), pauses, partitions, cuts a
 * node's connections to a peer, holds one direction of a link, delays, cuts
 * clients from leaders, reassigns a partition (completed or cancelled) and
 * removes a voter and adds it back (issue #19); then heal, converge and check
 * the whole history, the voter set and the replica sets. Replay a run with TRIBUTARY_FAULT_SEED=<seed>;
 * longer runs: `npm run e2e:long -- --seed S --minutes M`.
 */
import { createPrng, DEFAULT_FAULT_SEED, parseSeed } from './prng.js'
import { reassignTarget } from './nemesis-elastic.js'
import { createFaultRun, type FaultRun } from './run.js'
import { ADMIN_KINDS, describeFault, drawSchedule, FAULT_KINDS } from './schedule.js'

const seed = parseSeed(process.env.TRIBUTARY_FAULT_SEED, DEFAULT_FAULT_SEED)
/** TRIBUTARY_FAULT_TLS=1: the same run with TLS everywhere (wss:// peers and clients, client certificates required). */
const tls = process.env.TRIBUTARY_FAULT_TLS === '1'
/** TRIBUTARY_FAULT_SECURE=1: TLS as above, every client logs in with SCRAM-SHA-512 (client SASL required), and the ACL authorizer limits producers and consumers to what they need. */
const secure = process.env.TRIBUTARY_FAULT_SECURE === '1'
/** The fault phase of the short schedule (long enough that every seed covers every kind); start, heal and the checks add ~15 s. */
const FAULT_MS = 85_000

let run: FaultRun | undefined

afterAll(async () => {
  await run?.stop()
}, 30_000)

describe('the schedule', () => {
  test('a seed replays the same schedule, and even a short one covers every fault kind', () => {
    const a = drawSchedule(createPrng(seed), { durationMs: FAULT_MS, partitions: 4 })
    const b = drawSchedule(createPrng(seed), { durationMs: FAULT_MS, partitions: 4 })
    expect(b).toEqual(a)
    expect(new Set(a.flatMap((s) => s.kinds))).toEqual(new Set(FAULT_KINDS))
    expect(a.every((s) => s.faults.length === s.kinds.length && s.faults.every((f) => describeFault(f).length > 0))).toBe(true)
    expect(drawSchedule(createPrng(seed + 1), { durationMs: FAULT_MS, partitions: 4 })).not.toEqual(a)
  })

  test('in a compound step a reassign or voter-change comes first (applied first, healed last), never twice', () => {
    const wrong: string[] = []
    let compoundAdmin = 0
    for (let s = 1; s <= 100; s++) {
      for (const step of drawSchedule(createPrng(s), { durationMs: FAULT_MS, partitions: 4 })) {
        const admin = step.kinds.map((k) => ADMIN_KINDS.includes(k))
        if (step.kinds.length === 2 && admin.some(Boolean)) compoundAdmin++
        const adminKinds = step.kinds.filter((k) => ADMIN_KINDS.includes(k))
        const adminAfterOther = admin.some((a, i) => a && admin.slice(0, i).includes(false))
        const reorderKillsAdding = step.faults.some((f) => f.type === 'reassign' && f.move === 'reorder' && f.kill === 'adding')
        if (adminAfterOther || new Set(adminKinds).size !== adminKinds.length || reorderKillsAdding) wrong.push(`seed ${s}: ${step.kinds.join('+')}`)
      }
    }
    expect(wrong).toEqual([])
    expect(compoundAdmin).toBeGreaterThan(0)
  })

  test('a reassign swaps one replica for the broker outside the set, or rotates the set to a new preferred leader', () => {
    expect(reassignTarget({ move: 'swap', pick: 0 }, [2, 3, 1], [1, 2, 3, 4])).toEqual([4, 3, 1])
    expect(reassignTarget({ move: 'swap', pick: 2 }, [2, 3, 1], [1, 2, 3, 4])).toEqual([2, 3, 4])
    expect(reassignTarget({ move: 'reorder', pick: 0 }, [2, 3, 1], [1, 2, 3, 4])).toEqual([3, 1, 2])
    expect(reassignTarget({ move: 'reorder', pick: 1 }, [2, 3, 1], [1, 2, 3, 4])).toEqual([1, 2, 3])
    // every broker holds a replica already: a swap can only rotate
    expect(reassignTarget({ move: 'swap', pick: 1 }, [2, 3, 1], [1, 2, 3])).toEqual([1, 2, 3])
  })

  test('seeds parse as integers, other strings hash', () => {
    expect(parseSeed('42')).toBe(42)
    expect(parseSeed(undefined, 7)).toBe(7)
    expect(parseSeed('nightly')).toBe(parseSeed('nightly'))
    expect(parseSeed('nightly')).not.toBe(parseSeed('weekly'))
  })
})

test(`faults with seed ${seed}${secure ? ' over TLS with SCRAM and ACLs' : tls ? ' over TLS' : ''}: no acknowledged write lost, no duplicate, replicas identical, commits monotonic, everything delivered`, async () => {
  run = createFaultRun({ seed, faultMs: FAULT_MS, tls, secure })
  const report = await run.run()
  console.log(`${report.timeline.join('\n')}\n\n${report.summary}\nrun time ${report.seconds.toFixed(1)} s (replay: TRIBUTARY_FAULT_SEED=${seed})${report.result.valid ? '' : `\n\n${report.anomalies}\n\n${report.brokerLogs}`}`)
  expect(report.anomalies).toBe('')
  expect(report.result.valid).toBe(true)
  // every kind was drawn: the run above moved a partition and changed the voters (not skipped), and healed both
  const healed = (what: string) => report.timeline.some((l) => l.includes(`healed: ${what}`) && !l.includes('skipped'))
  expect(healed('reassign')).toBe(true)
  expect(healed('remove')).toBe(true)
}, 300_000)
