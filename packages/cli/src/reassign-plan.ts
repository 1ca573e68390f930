/**
 * The reassignment planner behind `tributary partitions reassign --generate`
 * (kafka-reassign-partitions.sh --generate): given the partitions of some topics
 * and the brokers that should hold them, propose replica lists that spread
 * replicas and preferred leaders evenly while moving as few replicas as it can.
 *
 * 1. Each partition keeps its replicas that are on target brokers; the rest
 *    are refilled from the least-loaded target brokers.
 * 2. While the most and least loaded brokers differ by more than one replica,
 *    one replica moves from the most to the least loaded (from a partition that
 *    lacks the latter). Each step moves one replica's data; no step undoes another.
 * 3. Preferred leaders (first replicas) are spread by reordering each
 *    partition's replicas, which moves no data.
 */

/** Kafka's plan file shape (`log_dirs` left out: Tributary has one data directory per broker). */
export interface ReassignmentPlanFile { version: 1; partitions: Array<{ topic: string; partition: number; replicas: number[] }> }

export interface PlannedPartition { topic: string; partition: number; replicas: number[] }

/** Replica moves one plan may make at most: bounds the balancing loop. */
const BALANCE_STEPS_MAX = 1_000_000

export function planReassignment(current: readonly PlannedPartition[], brokers: readonly number[]): PlannedPartition[] {
  const targets = [...new Set(brokers)].sort((a, b) => a - b)
  if (targets.length === 0) throw new Error('--brokers names no broker')
  for (const p of current) {
    if (p.replicas.length > targets.length) throw new Error(`${p.topic}-${p.partition} has ${p.replicas.length} replicas but only ${targets.length} brokers were given`)
  }
  const load = new Map<number, number>(targets.map((b) => [b, 0]))
  const plan = current.map((p) => ({ ...p, replicas: p.replicas.filter((r) => load.has(r)) }))
  for (const p of plan) for (const r of p.replicas) load.set(r, load.get(r)! + 1)
  const leastLoaded = (exclude: readonly number[]) => targets.filter((b) => !exclude.includes(b)).sort((a, b) => load.get(a)! - load.get(b)! || a - b)[0]!
  plan.forEach((p, i) => {
    while (p.replicas.length < current[i]!.replicas.length) {
      const b = leastLoaded(p.replicas)
      p.replicas.push(b)
      load.set(b, load.get(b)! + 1)
    }
  })
  balanceReplicas(plan, targets, load)
  spreadLeaders(plan, current, targets)
  return plan
}

function balanceReplicas(plan: PlannedPartition[], targets: number[], load: Map<number, number>): void {
  for (let step = 0; step < BALANCE_STEPS_MAX; step++) {
    const byLoad = [...targets].sort((a, b) => load.get(b)! - load.get(a)! || a - b)
    const moved = tryMove(plan, byLoad, load)
    if (!moved) return
  }
}

/** Move one replica from a heavier to a lighter broker (differing by 2 or more); false when none can move. */
function tryMove(plan: PlannedPartition[], byLoad: number[], load: Map<number, number>): boolean {
  for (const hi of byLoad) {
    for (const lo of [...byLoad].reverse()) {
      if (load.get(hi)! - load.get(lo)! < 2) break
      // prefer moving a follower: a leader's move also moves its clients
      const candidates = plan.filter((p) => p.replicas.includes(hi) && !p.replicas.includes(lo))
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
