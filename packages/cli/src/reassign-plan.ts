/**
 * The reassignment planner behind `tributary partitions reassign --generate`
 * (kafka-reassign-partitions.sh --generate): given the partitions of some topics
 * and the brokers that should hold them, propose replica lists that spread
 * replicas and preferred leaders evenly while moving as few replicas as it can.
 *
 * 1. Each partition keeps its replicas that are on target brokers; the rest
 *    are refilled from the least-loaded target brokers. With racks, refills go
 *    to a rack the partition does not use yet, and a partition left on fewer
 *    racks than it could span moves a follower to one (data moved for safety).
 * 2. While the most and least loaded brokers differ by more than one replica,
 *    one replica moves from the most to the least loaded (from a partition that
 *    lacks the latter, never leaving it on fewer racks). Each step moves one
 *    replica's data; no step undoes another.
 * 3. Preferred leaders (first replicas) are spread by reordering each
 *    partition's replicas, which moves no data.
 */

/** Kafka's plan file shape (`log_dirs` left out: Tributary has one data directory per broker). */
export interface ReassignmentPlanFile { version: 1; partitions: Array<{ topic: string; partition: number; replicas: number[] }> }

export interface PlannedPartition { topic: string; partition: number; replicas: number[] }

/** Replica moves one plan may make at most: bounds the balancing loop. */
const BALANCE_STEPS_MAX = 1_000_000

/** `racks`: broker → rack, when every target broker has one (rack-aware); otherwise leave it out. */
export function planReassignment(current: readonly PlannedPartition[], brokers: readonly number[], racks?: ReadonlyMap<number, string>): PlannedPartition[] {
  const targets = [...new Set(brokers)].sort((a, b) => a - b)
  if (targets.length === 0) throw new Error('--brokers names no broker')
  for (const p of current) {
    if (p.replicas.length > targets.length) throw new Error(`${p.topic}-${p.partition} has ${p.replicas.length} replicas but only ${targets.length} brokers were given`)
  }
  const load = new Map<number, number>(targets.map((b) => [b, 0]))
  const plan = current.map((p) => ({ ...p, replicas: p.replicas.filter((r) => load.has(r)) }))
  for (const p of plan) for (const r of p.replicas) load.set(r, load.get(r)! + 1)
  const rackOf = (b: number) => racks?.get(b) ?? `broker-${b}`
  const leastLoaded = (exclude: readonly number[]) => {
    const free = targets.filter((b) => !exclude.includes(b)).sort((a, b) => load.get(a)! - load.get(b)! || a - b)
    const used = new Set(exclude.map(rackOf))
    return free.find((b) => !used.has(rackOf(b))) ?? free[0]!
  }
  plan.forEach((p, i) => {
    while (p.replicas.length < current[i]!.replicas.length) {
      const b = leastLoaded(p.replicas)
      p.replicas.push(b)
      load.set(b, load.get(b)! + 1)
    }
  })
  if (racks) spreadRacks(plan, targets, load, rackOf)
  balanceReplicas(plan, targets, load, rackOf)
  spreadLeaders(plan, current, targets)
  return plan
}

type RackOf = (broker: number) => string

/**
 * Rack-aware: a partition whose replicas share racks while another rack is
 * free moves its follower on the most crowded rack (the most loaded such
 * broker) to the least-loaded broker of an unused rack.
 */
function spreadRacks(plan: PlannedPartition[], targets: number[], load: Map<number, number>, rackOf: RackOf): void {
  const rackCount = new Set(targets.map(rackOf)).size
  for (const p of plan) {
    for (;;) {
      const used = p.replicas.map(rackOf)
      if (new Set(used).size >= Math.min(p.replicas.length, rackCount)) break
      const shared = p.replicas.filter((r, i) => i > 0 && used.filter((x) => x === rackOf(r)).length > 1)
      const from = shared.sort((a, b) => load.get(b)! - load.get(a)! || a - b)[0] ?? p.replicas[p.replicas.length - 1]!
      const to = targets.filter((b) => !used.includes(rackOf(b))).sort((a, b) => load.get(a)! - load.get(b)! || a - b)[0]!
      p.replicas[p.replicas.indexOf(from)] = to
      load.set(from, load.get(from)! - 1)
      load.set(to, load.get(to)! + 1)
    }
  }
}

function balanceReplicas(plan: PlannedPartition[], targets: number[], load: Map<number, number>, rackOf: RackOf): void {
  for (let step = 0; step < BALANCE_STEPS_MAX; step++) {
    const byLoad = [...targets].sort((a, b) => load.get(b)! - load.get(a)! || a - b)
    const moved = tryMove(plan, byLoad, load, rackOf)
    if (!moved) return
  }
}

/** Move one replica from a heavier to a lighter broker (differing by 2 or more); false when none can move. */
function tryMove(plan: PlannedPartition[], byLoad: number[], load: Map<number, number>, rackOf: RackOf): boolean {
  const racksOf = (replicas: number[]) => new Set(replicas.map(rackOf)).size
  for (const hi of byLoad) {
    for (const lo of [...byLoad].reverse()) {
      if (load.get(hi)! - load.get(lo)! < 2) break
      // prefer moving a follower: a leader's move also moves its clients
      const keepsRacks = (p: PlannedPartition) => racksOf(p.replicas.map((r) => (r === hi ? lo : r))) >= racksOf(p.replicas)
      const candidates = plan.filter((p) => p.replicas.includes(hi) && !p.replicas.includes(lo) && keepsRacks(p))
      const p = candidates.find((c) => c.replicas[0] !== hi) ?? candidates[0]
      if (!p) continue
      p.replicas[p.replicas.indexOf(hi)] = lo
      load.set(hi, load.get(hi)! - 1)
      load.set(lo, load.get(lo)! + 1)
      return true
    }
  }
  return false
}

/**
 * Reorder replicas so each broker is the preferred leader of about the same
 * number of partitions: start from the current preferred leaders (still
 * replicas), then, while the brokers with the most and fewest differ by more
 * than one, hand one leadership down a chain of partitions from the first to
 * the second (a breadth-first search over "a partition led by A has replica B").
 */
function spreadLeaders(plan: PlannedPartition[], current: readonly PlannedPartition[], targets: number[]): void {
  const leaders = new Map<number, number>(targets.map((b) => [b, 0]))
  plan.forEach((p, i) => {
    const preferred = current[i]!.replicas[0]!
    toFront(p, p.replicas.includes(preferred) ? preferred : p.replicas[0]!)
    leaders.set(p.replicas[0]!, leaders.get(p.replicas[0]!)! + 1)
  })
  for (let step = 0; step < BALANCE_STEPS_MAX; step++) {
    const byLeaders = [...targets].sort((a, b) => leaders.get(b)! - leaders.get(a)! || a - b)
    const hi = byLeaders[0]!
    const lo = byLeaders[byLeaders.length - 1]!
    if (leaders.get(hi)! - leaders.get(lo)! < 2) return
    const chain = leadershipChain(plan, hi, lo)
    if (!chain) return
    for (const { partition, to } of chain) toFront(partition, to)
    leaders.set(hi, leaders.get(hi)! - 1)
    leaders.set(lo, leaders.get(lo)! + 1)
  }
}

/** Partitions whose leadership moves along a path from broker `from` to `to`, or undefined when none exists. */
function leadershipChain(plan: PlannedPartition[], from: number, to: number): Array<{ partition: PlannedPartition; to: number }> | undefined {
  const via = new Map<number, { partition: PlannedPartition; prev: number }>()
  const queue = [from]
  const seen = new Set([from])
  while (queue.length > 0) {
    const a = queue.shift()!
    for (const p of plan) {
      if (p.replicas[0] !== a) continue
      for (const b of p.replicas.slice(1)) {
        if (seen.has(b)) continue
        seen.add(b)
        via.set(b, { partition: p, prev: a })
        if (b === to) {
          const chain: Array<{ partition: PlannedPartition; to: number }> = []
          for (let at = to; at !== from; at = via.get(at)!.prev) chain.push({ partition: via.get(at)!.partition, to: at })
          return chain
        }
        queue.push(b)
      }
    }
  }
  return undefined
}

function toFront(p: PlannedPartition, b: number): void {
  p.replicas = [b, ...p.replicas.filter((r) => r !== b)]
}

/** Only the partitions whose replica list changes (the plan to execute). */
export function changedOnly(current: readonly PlannedPartition[], proposed: readonly PlannedPartition[]): PlannedPartition[] {
  return proposed.filter((p, i) => p.replicas.join(',') !== current[i]!.replicas.join(','))
}

/** Validate a plan file's JSON (Kafka's shape; log_dirs ignored). */
export function parsePlanFile(text: string): PlannedPartition[] {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (err) {
    throw new Error(`the plan is not JSON: ${(err as Error).message}`, { cause: err })
  }
  const parts = (doc as { partitions?: unknown })?.partitions
  if (!Array.isArray(parts)) throw new Error('the plan needs a "partitions" array of { topic, partition, replicas }')
  return parts.map((p, i) => {
    const ok = typeof p?.topic === 'string' && Number.isSafeInteger(p?.partition) && p.partition >= 0
      && Array.isArray(p?.replicas) && p.replicas.length > 0 && p.replicas.every((r: unknown) => Number.isSafeInteger(r) && (r as number) > 0)
    if (!ok) throw new Error(`partitions[${i}] must be { "topic": string, "partition": number, "replicas": [broker ids] }`)
    return { topic: p.topic as string, partition: p.partition as number, replicas: [...p.replicas] as number[] }
  })
}

export function planFile(partitions: readonly PlannedPartition[]): ReassignmentPlanFile {
  return { version: 1, partitions: partitions.map((p) => ({ topic: p.topic, partition: p.partition, replicas: [...p.replicas] })) }
}
