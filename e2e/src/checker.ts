/**
 * The Jepsen kafka-workload style checker: given what producers were told
 * (acknowledged writes), what consumers received, what a final full read
 * returned, what each replica holds and what the group committed, list every
 * anomaly. Safety only: how long things were unavailable is reported by the
 * caller, never judged here.
 */
export interface AckedWrite { partition: number; offset: number; value: string }
export interface ReadRecord { partition: number; offset: number; value: string }
/** One consumer's deliveries of one partition during one ownership (assignment to revocation), in delivery order. */
export interface DeliveryRun { consumer: number; partition: number; offsets: number[] }

export interface CheckInput {
  /** every write a producer saw acknowledged (acks=all) */
  acked: AckedWrite[]
  /** values whose send failed or timed out: may or may not be present, never twice */
  indeterminate?: string[]
  /** the final full read of every partition from the leaders, below the high watermark */
  finalRead: ReadRecord[]
  /** per replica (node id): what it holds below its high watermark, per partition */
  replicas?: Map<number, ReadRecord[]>
  /** acknowledged group commits (next offset to read) in the order they were acknowledged, then the final committed offsets */
  commits?: Array<{ partition: number; offset: number }>
  /** records the group's consumers delivered (any order; redelivery after a rebalance is allowed) */
  delivered?: ReadRecord[]
  /** the consumers' delivery runs, for order and skip checks */
  runs?: DeliveryRun[]
  /** liveness after healing: what did not converge (e.g. "p2: replica 3 at HW 10, leader at 12") */
  unconverged?: string[]
}

export interface CheckResult {
  ops: number
  acked: number
  /** acknowledged values missing from the final read */
  lost: string[]
  /** values a consumer received (so they were committed) that the final read lacks */
  lostDelivered: string[]
  /** values at two or more offsets */
  duplicated: string[]
  /** offsets holding two different values (the final read, acknowledgments and deliveries together) */
  inconsistent: Array<{ partition: number; offset: number; values: string[] }>
  nonMonotonic: Array<{ partition: number; offset: number }>
  ackedAtWrongOffset: Array<{ value: string; ackedOffset: number; foundOffset: number }>
  /** a replica's record below its HW that differs from (or is absent in) the final read */
  divergentReplicas: Array<{ nodeId: number; partition: number; offset: number }>
  committedBackwards: Array<{ partition: number; from: number; to: number }>
  /** acknowledged values no consumer of the group received */
  undelivered: string[]
  /** a consumer delivered an offset not above the one before it, within one ownership */
  nonMonotonicDelivery: Array<{ consumer: number; partition: number; from: number; to: number }>
  /** a consumer jumped over records the log holds, within one ownership */
  skippedDelivery: Array<{ consumer: number; partition: number; from: number; to: number }>
  unconverged: string[]
  valid: boolean
}

type Anomalies = Omit<CheckResult, 'ops' | 'acked' | 'valid'>

const offsetKey = (p: number, o: number): string => `${p}/${o}`

export function check(input: CheckInput): CheckResult {
  const where = new Map<string, ReadRecord[]>()
  const truth = new Map<string, string>()
  const nonMonotonic: CheckResult['nonMonotonic'] = []
  const lastOffset = new Map<number, number>()
  const offsetsOf = new Map<number, number[]>()
  for (const r of input.finalRead) {
    const list = where.get(r.value) ?? []
    list.push(r)
    where.set(r.value, list)
    if (!truth.has(offsetKey(r.partition, r.offset))) truth.set(offsetKey(r.partition, r.offset), r.value)
    const prev = lastOffset.get(r.partition)
    if (prev !== undefined && r.offset <= prev) nonMonotonic.push({ partition: r.partition, offset: r.offset })
    lastOffset.set(r.partition, r.offset)
    const offsets = offsetsOf.get(r.partition) ?? []
    offsets.push(r.offset)
    offsetsOf.set(r.partition, offsets)
  }
  for (const offsets of offsetsOf.values()) offsets.sort((a, b) => a - b)

  // every observation of an offset: the final read, acknowledgments, deliveries
  const seen = new Map<string, Set<string>>()
  const observe = (r: ReadRecord) => {
    const k = offsetKey(r.partition, r.offset)
    const vals = seen.get(k) ?? new Set<string>()
    vals.add(r.value)
    seen.set(k, vals)
  }
  input.finalRead.forEach(observe)
  input.acked.forEach(observe)
  input.delivered?.forEach(observe)

  const lost: string[] = []
  const ackedAtWrongOffset: CheckResult['ackedAtWrongOffset'] = []
  for (const w of input.acked) {
    const found = where.get(w.value)
    if (!found || found.length === 0) lost.push(w.value)
    else if (!found.some((f) => f.partition === w.partition && f.offset === w.offset)) {
      ackedAtWrongOffset.push({ value: w.value, ackedOffset: w.offset, foundOffset: found[0]!.offset })
    }
  }
  const lostDelivered = [...new Set((input.delivered ?? []).map((r) => r.value))].filter((v) => !where.has(v))
  const duplicated = [...where].filter(([, rs]) => rs.length > 1).map(([v]) => v)
  const inconsistent = [...seen]
    .filter(([, vs]) => vs.size > 1)
    .map(([k, vs]) => {
      const [p, o] = k.split('/').map(Number)
      return { partition: p!, offset: o!, values: [...vs] }
    })

  const divergentReplicas: CheckResult['divergentReplicas'] = []
  for (const [nodeId, records] of input.replicas ?? []) {
    for (const r of records) {
      if (truth.get(offsetKey(r.partition, r.offset)) !== r.value) divergentReplicas.push({ nodeId, partition: r.partition, offset: r.offset })
    }
  }

  const committedBackwards: CheckResult['committedBackwards'] = []
  const lastCommit = new Map<number, number>()
  for (const c of input.commits ?? []) {
    const prev = lastCommit.get(c.partition)
    if (prev !== undefined && c.offset < prev) committedBackwards.push({ partition: c.partition, from: prev, to: c.offset })
    lastCommit.set(c.partition, Math.max(prev ?? -1, c.offset))
  }

  let undelivered: string[] = []
  if (input.delivered) {
    const got = new Set(input.delivered.map((r) => r.value))
    undelivered = input.acked.filter((w) => !got.has(w.value)).map((w) => w.value)
  }

  const nonMonotonicDelivery: CheckResult['nonMonotonicDelivery'] = []
  const skippedDelivery: CheckResult['skippedDelivery'] = []
  for (const run of input.runs ?? []) {
    const present = offsetsOf.get(run.partition) ?? []
    for (let i = 1; i < run.offsets.length; i++) {
      const from = run.offsets[i - 1]!
      const to = run.offsets[i]!
      if (to <= from) nonMonotonicDelivery.push({ consumer: run.consumer, partition: run.partition, from, to })
      else if (firstAbove(present, from) < to) skippedDelivery.push({ consumer: run.consumer, partition: run.partition, from, to })
    }
  }

  const anomalies: Anomalies = {
    lost, lostDelivered, duplicated, inconsistent, nonMonotonic, ackedAtWrongOffset, divergentReplicas,
    committedBackwards, undelivered, nonMonotonicDelivery, skippedDelivery, unconverged: input.unconverged ?? [],
  }
  const valid = Object.values(anomalies).every((v) => v.length === 0)
  return { ops: input.acked.length + (input.indeterminate?.length ?? 0), acked: input.acked.length, ...anomalies, valid }
}

/** The smallest element of sorted `xs` above `x` (Infinity if none). */
function firstAbove(xs: readonly number[], x: number): number {
  let lo = 0
  let hi = xs.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (xs[mid]! <= x) lo = mid + 1
    else hi = mid
  }
  return lo < xs.length ? xs[lo]! : Infinity
}

/** One line per figure, for the test log and `npm run e2e:long`. */
export function summarize(r: CheckResult, extra: Record<string, string | number> = {}): string {
  const rows: Array<[string, string | number]> = [
    ['ops', r.ops], ['acked', r.acked], ['lost', r.lost.length], ['lost-delivered', r.lostDelivered.length],
    ['duplicated', r.duplicated.length], ['inconsistent', r.inconsistent.length], ['non-monotonic', r.nonMonotonic.length],
    ['acked-at-wrong-offset', r.ackedAtWrongOffset.length], ['divergent-replicas', r.divergentReplicas.length],
    ['committed-backwards', r.committedBackwards.length], ['undelivered', r.undelivered.length],
    ['non-monotonic-delivery', r.nonMonotonicDelivery.length], ['skipped-delivery', r.skippedDelivery.length],
    ['unconverged', r.unconverged.length],
    ...Object.entries(extra),
    ['valid', String(r.valid)],
  ]
  const w = Math.max(...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n')
}

/** The first few examples of each anomaly, for a failure report. */
export function examples(r: CheckResult, max = 5): string {
  const out: string[] = []
  for (const [k, v] of Object.entries(r)) {
    if (Array.isArray(v) && v.length > 0) out.push(`${k} (${v.length}): ${v.slice(0, max).map((x) => JSON.stringify(x)).join(' ')}`)
  }
  return out.join('\n')
}
