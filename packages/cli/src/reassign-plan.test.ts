import { changedOnly, parsePlanFile, planReassignment, type PlannedPartition } from './reassign-plan.js'

/** Kafka-style round-robin placement over `n` brokers, as a topic created on them would have. */
function roundRobin(topic: string, partitions: number, rf: number, n: number): PlannedPartition[] {
  return Array.from({ length: partitions }, (_, p) => ({ topic, partition: p, replicas: Array.from({ length: rf }, (_, i) => ((p + i) % n) + 1) }))
}
function loads(plan: PlannedPartition[]) {
  const replicas = new Map<number, number>()
  const leaders = new Map<number, number>()
  for (const p of plan) {
    leaders.set(p.replicas[0]!, (leaders.get(p.replicas[0]!) ?? 0) + 1)
    for (const r of p.replicas) replicas.set(r, (replicas.get(r) ?? 0) + 1)
  }
  return { replicas, leaders }
}
const spread = (m: Map<number, number>, ids: number[]) => Math.max(...ids.map((i) => m.get(i) ?? 0)) - Math.min(...ids.map((i) => m.get(i) ?? 0))
const moves = (a: PlannedPartition[], b: PlannedPartition[]) => a.reduce((n, p, i) => n + b[i]!.replicas.filter((r) => !p.replicas.includes(r)).length, 0)

test.each([[3, 4, 12, 3], [3, 5, 12, 3], [3, 4, 6, 2], [4, 3, 8, 3], [5, 3, 10, 2]])('%i → %i brokers, %i partitions, RF %i: replicas and leaders even, the fewest replicas moved', (from, to, partitions, rf) => {
  const current = roundRobin('orders', partitions, rf, from)
  const brokers = Array.from({ length: to }, (_, i) => i + 1)
  const proposed = planReassignment(current, brokers)
  for (const [i, p] of proposed.entries()) {
    expect(p.replicas).toHaveLength(rf)
    expect(new Set(p.replicas).size).toBe(rf)
    expect(p.replicas.every((r) => brokers.includes(r))).toBe(true)
    expect(p).toMatchObject({ topic: 'orders', partition: current[i]!.partition })
  }
  const { replicas, leaders } = loads(proposed)
  expect(spread(replicas, brokers)).toBeLessThanOrEqual(1)
  expect(spread(leaders, brokers)).toBeLessThanOrEqual(1)
  // The least data a balanced plan can move: every replica on a removed broker, and on growth the new brokers' fair share.
  const total = partitions * rf
  const off = current.reduce((n, p) => n + p.replicas.filter((r) => !brokers.includes(r)).length, 0)
  const floorShare = Math.floor(total / to)
  const newcomers = brokers.filter((b) => b > from).length
  expect(moves(current, proposed)).toBe(Math.max(off, newcomers * floorShare))
})

test('a balanced assignment is left alone', () => {
  const current = roundRobin('t', 6, 3, 3)
  expect(changedOnly(current, planReassignment(current, [1, 2, 3]))).toEqual([])
})

test('too few brokers for the replication factor is an error, as is an empty broker list', () => {
  expect(() => planReassignment(roundRobin('t', 2, 3, 3), [1, 2])).toThrow(/3 replicas but only 2 brokers/)
  expect(() => planReassignment(roundRobin('t', 2, 1, 3), [])).toThrow(/no broker/)
})

test('plan files: Kafka\'s shape is read (log_dirs ignored); anything else is refused with the reason', () => {
  expect(parsePlanFile('{"version":1,"partitions":[{"topic":"o","partition":0,"replicas":[1,2],"log_dirs":["any","any"]}]}'))
    .toEqual([{ topic: 'o', partition: 0, replicas: [1, 2] }])
  expect(() => parsePlanFile('nope')).toThrow(/not JSON/)
  expect(() => parsePlanFile('{}')).toThrow(/"partitions" array/)
  expect(() => parsePlanFile('{"partitions":[{"topic":"o","partition":0,"replicas":[]}]}')).toThrow(/partitions\[0\]/)
  expect(() => parsePlanFile('{"partitions":[{"topic":"o","partition":-1,"replicas":[1]}]}')).toThrow(/partitions\[0\]/)
})

test('with racks, every partition spans as many racks as it can, and still balances', () => {
  const racks = new Map([[1, 'a'], [2, 'a'], [3, 'b'], [4, 'b'], [5, 'c'], [6, 'c']])
  // all on rack a and b brokers 1..4 first; then grow to six brokers on three racks
  const current = roundRobin('orders', 12, 3, 4)
  const brokers = [1, 2, 3, 4, 5, 6]
  const proposed = planReassignment(current, brokers, racks)
  for (const p of proposed) expect(new Set(p.replicas.map((r) => racks.get(r))).size).toBe(3)
  expect(spread(loads(proposed).replicas, brokers)).toBeLessThanOrEqual(1)
  // without racks the same grow leaves some partitions on two racks
  const blind = planReassignment(current, brokers)
  expect(blind.some((p) => new Set(p.replicas.map((r) => racks.get(r))).size < 3)).toBe(true)
})
