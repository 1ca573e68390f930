/**
 * The Jepsen kafka-workload style checker: given what producers were told
 * (acknowledged writes), what consumers received, what a final full read
 * returned, what each replica holds and what the group committed, list every
 * anomaly. Safety only: how long things were unavailable is reported by the
 * caller, never judged here.
 *
 * The topic under test is not compacted and keeps everything, so a partition's
 * offsets run without gaps from its log start to its high watermark, on the
 * leader and on every replica.
 */
export interface AckedWrite { partition: number; offset: number; value: string }
export interface ReadRecord { partition: number; offset: number; value: string }
/** One consumer's deliveries of one partition during one ownership (assignment to revocation), in delivery order. */
export interface DeliveryRun {
  consumer: number
  partition: number
  offsets: number[]
  /** when the consumer was told it owns the partition (same clock as the commits' `at`) */
  assignedAt?: number
}
/** One partition's log bounds on the node read: records run from logStartOffset up to (not including) highWatermark. */
export interface LogBounds { partition: number; logStartOffset: number; highWatermark: number }
/** What one replica holds of one partition below its own high watermark. */
export interface ReplicaRead extends LogBounds { nodeId: number; records: ReadRecord[] }

export interface CheckInput {
  /** every write a producer saw acknowledged (acks=all) */
  acked: AckedWrite[]
  /**
   * values whose send failed or timed out: may or may not be present, never
   * twice. When given, acked and indeterminate together are every value ever
   * sent, so no log or consumer may hold any other.
   */
  indeterminate?: string[]
  /** the final full read of every partition from the leaders, below the high watermark, in the order read */
  finalRead: ReadRecord[]
  /** the leaders' bounds at the final read: finalRead must hold every offset in them */
  bounds?: LogBounds[]
  /** every replica's read (debug reads, below that replica's own HW) */
  replicas?: ReplicaRead[]
  /** reads that failed or stopped early (what they lack is then also reported as missing) */
  incompleteReads?: string[]
  /** acknowledged group commits (next offset to read) in the order they were acknowledged, then the final committed offsets */
  commits?: Array<{ partition: number; offset: number; at?: number }>
  /** records the group's consumers delivered (any order; redelivery after a rebalance is allowed) */
  delivered?: ReadRecord[]
  /** the consumers' delivery runs, for order and skip checks */
  runs?: DeliveryRun[]
  /** liveness after healing: what did not converge (e.g. "p2: replica 3 at HW 10, leader at 12") */
  unconverged?: string[]
  /** the metadata quorum's leaders seen in each term (faults/leader-watch.ts) */
  raftTerms?: Array<{ term: number; leaders: number[] }>
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
  /** records the final read returned at or below an offset it had already returned (overlapping or backwards batches) */
  nonMonotonic: Array<{ partition: number; offset: number }>
  /** offsets the leader's log should hold (between its log start and HW) that the final read lacks: [from, to] */
  offsetGaps: Array<{ partition: number; from: number; to: number }>
  ackedAtWrongOffset: Array<{ value: string; ackedOffset: number; foundOffset: number }>
  /** a delivered value the final read holds, but at another offset than delivered */
  deliveredAtWrongOffset: Array<{ value: string; partition: number; deliveredOffset: number; foundOffset: number }>
  /** values in a log or delivered that no producer ever sent (only checked when indeterminate is given) */
  unknownValues: string[]
  /** a replica's record below its HW that differs from the leader's, is absent there, is missing on the replica, or came back out of order */
  divergentReplicas: Array<{ nodeId: number; partition: number; offset: number; why: 'differs' | 'extra' | 'missing' | 'out-of-order' }>
  committedBackwards: Array<{ partition: number; from: number; to: number }>
  /** a commit past the leader's high watermark */
  committedBeyondLog: Array<{ partition: number; offset: number; highWatermark: number }>
  /** a commit past a record the group never delivered: a consumer starting there skips it */
  committedUndelivered: Array<{ partition: number; offset: number; firstUndelivered: number }>
  /** acknowledged values no consumer of the group received */
  undelivered: string[]
  /** a consumer delivered an offset not above the one before it, within one ownership */
  nonMonotonicDelivery: Array<{ consumer: number; partition: number; from: number; to: number }>
  /** a consumer jumped over records the log holds, within one ownership */
  skippedDelivery: Array<{ consumer: number; partition: number; from: number; to: number }>
  /** an ownership that began below a commit acknowledged before it was assigned: the commit was not durable */
  startedBelowCommit: Array<{ consumer: number; partition: number; first: number; committed: number }>
  incompleteReads: string[]
  unconverged: string[]
  /** a Raft term with more than one leader: a split brain */
  twoLeadersInATerm: Array<{ term: number; leaders: number[] }>
  valid: boolean
}

type Anomalies = Omit<CheckResult, 'ops' | 'acked' | 'valid'>

const offsetKey = (p: number, o: number): string => `${p}/${o}`

/** The final read, indexed: where each value is, what each offset holds, each partition's sorted distinct offsets. */
interface Log {
  where: Map<string, ReadRecord[]>
  truth: Map<string, string>
  offsetsOf: Map<number, number[]>
  nonMonotonic: CheckResult['nonMonotonic']
}

function indexLog(finalRead: readonly ReadRecord[]): Log {
  const log: Log = { where: new Map(), truth: new Map(), offsetsOf: new Map(), nonMonotonic: [] }
  const lastOffset = new Map<number, number>()
  for (const r of finalRead) {
    const list = log.where.get(r.value) ?? []
    list.push(r)
    log.where.set(r.value, list)
    const k = offsetKey(r.partition, r.offset)
    if (!log.truth.has(k)) {
      log.truth.set(k, r.value)
      const offsets = log.offsetsOf.get(r.partition) ?? []
      offsets.push(r.offset)
      log.offsetsOf.set(r.partition, offsets)
    }
    const prev = lastOffset.get(r.partition)
    if (prev !== undefined && r.offset <= prev) log.nonMonotonic.push({ partition: r.partition, offset: r.offset })
    lastOffset.set(r.partition, Math.max(prev ?? -Infinity, r.offset))
  }
  for (const offsets of log.offsetsOf.values()) offsets.sort((a, b) => a - b)
  return log
}

/** Offsets in [logStartOffset, highWatermark) that `sorted` (distinct, ascending) lacks, as ranges. */
function gapsIn(sorted: readonly number[], b: LogBounds): CheckResult['offsetGaps'] {
  const gaps: CheckResult['offsetGaps'] = []
  let next = b.logStartOffset
  for (const o of sorted) {
    if (o < next) continue
    if (o >= b.highWatermark) break
    if (o > next) gaps.push({ partition: b.partition, from: next, to: o - 1 })
    next = o + 1
  }
  if (next < b.highWatermark) gaps.push({ partition: b.partition, from: next, to: b.highWatermark - 1 })
  return gaps
}

function checkInconsistent(input: CheckInput): CheckResult['inconsistent'] {
  // every observation of an offset: the final read, acknowledgments, deliveries
  const seen = new Map<string, Set<string>>()
  for (const r of [...input.finalRead, ...input.acked, ...(input.delivered ?? [])]) {
    const k = offsetKey(r.partition, r.offset)
    const vals = seen.get(k) ?? new Set<string>()
    vals.add(r.value)
    seen.set(k, vals)
  }
  return [...seen].filter(([, vs]) => vs.size > 1).map(([k, vs]) => {
    const [p, o] = k.split('/').map(Number)
    return { partition: p!, offset: o!, values: [...vs] }
  })
}

function checkAcked(input: CheckInput, log: Log): Pick<Anomalies, 'lost' | 'ackedAtWrongOffset'> {
  const lost: string[] = []
  const ackedAtWrongOffset: CheckResult['ackedAtWrongOffset'] = []
  for (const w of input.acked) {
    const found = log.where.get(w.value)
    if (!found || found.length === 0) lost.push(w.value)
    else if (!found.some((f) => f.partition === w.partition && f.offset === w.offset)) {
      ackedAtWrongOffset.push({ value: w.value, ackedOffset: w.offset, foundOffset: found[0]!.offset })
    }
  }
  return { lost, ackedAtWrongOffset }
}

function checkDelivered(input: CheckInput, log: Log): Pick<Anomalies, 'lostDelivered' | 'deliveredAtWrongOffset' | 'undelivered'> {
  const delivered = input.delivered ?? []
  const lostDelivered = [...new Set(delivered.map((r) => r.value))].filter((v) => !log.where.has(v))
  const deliveredAtWrongOffset: CheckResult['deliveredAtWrongOffset'] = []
  const reported = new Set<string>()
  for (const d of delivered) {
    const found = log.where.get(d.value)
    if (!found || found.some((f) => f.partition === d.partition && f.offset === d.offset) || reported.has(d.value)) continue
    reported.add(d.value)
    deliveredAtWrongOffset.push({ value: d.value, partition: d.partition, deliveredOffset: d.offset, foundOffset: found[0]!.offset })
  }
  let undelivered: string[] = []
  if (input.delivered) {
    const got = new Set(input.delivered.map((r) => r.value))
    undelivered = input.acked.filter((w) => !got.has(w.value)).map((w) => w.value)
  }
  return { lostDelivered, deliveredAtWrongOffset, undelivered }
}

function checkUnknown(input: CheckInput): string[] {
  if (input.indeterminate === undefined) return []
  const sent = new Set([...input.acked.map((w) => w.value), ...input.indeterminate])
  const held = [...input.finalRead, ...(input.delivered ?? []), ...(input.replicas ?? []).flatMap((r) => r.records)]
  return [...new Set(held.map((r) => r.value))].filter((v) => !sent.has(v))
}

/** Each replica, below its own HW, holds exactly what the leader's read holds there, in offset order: no record differs, none is extra, none is missing. */
function checkReplicas(replicas: readonly ReplicaRead[], log: Log): CheckResult['divergentReplicas'] {
  const out: CheckResult['divergentReplicas'] = []
  for (const rep of replicas) {
    const { nodeId, partition } = rep
    const held = new Set<number>()
    let prev = -Infinity
    for (const r of rep.records) {
      if (r.offset <= prev) out.push({ nodeId, partition, offset: r.offset, why: 'out-of-order' })
      prev = Math.max(prev, r.offset)
      held.add(r.offset)
      const want = log.truth.get(offsetKey(partition, r.offset))
      if (want !== r.value) out.push({ nodeId, partition, offset: r.offset, why: want === undefined ? 'extra' : 'differs' })
    }
    for (const o of log.offsetsOf.get(partition) ?? []) {
      if (o >= rep.highWatermark) break
      if (!held.has(o)) out.push({ nodeId, partition, offset: o, why: 'missing' })
    }
  }
  return out
}

function checkCommits(input: CheckInput, log: Log): Pick<Anomalies, 'committedBackwards' | 'committedBeyondLog' | 'committedUndelivered'> {
  const committedBackwards: CheckResult['committedBackwards'] = []
  const committedBeyondLog: CheckResult['committedBeyondLog'] = []
  const committedUndelivered: CheckResult['committedUndelivered'] = []
  const hwOf = new Map((input.bounds ?? []).map((b) => [b.partition, b.highWatermark]))
  const firstUndelivered = new Map<number, number>()
  if (input.delivered) {
    const got = new Set(input.delivered.map((r) => offsetKey(r.partition, r.offset)))
    for (const [p, offsets] of log.offsetsOf) firstUndelivered.set(p, offsets.find((o) => !got.has(offsetKey(p, o))) ?? Infinity)
  }
  const lastCommit = new Map<number, number>()
  for (const c of input.commits ?? []) {
    const prev = lastCommit.get(c.partition)
    if (prev !== undefined && c.offset < prev) committedBackwards.push({ partition: c.partition, from: prev, to: c.offset })
    lastCommit.set(c.partition, Math.max(prev ?? -1, c.offset))
    const hw = hwOf.get(c.partition)
    if (hw !== undefined && c.offset > hw) committedBeyondLog.push({ partition: c.partition, offset: c.offset, highWatermark: hw })
    const first = firstUndelivered.get(c.partition) ?? Infinity
    if (c.offset > first) committedUndelivered.push({ partition: c.partition, offset: c.offset, firstUndelivered: first })
  }
  return { committedBackwards, committedBeyondLog, committedUndelivered }
}

function checkRuns(runs: readonly DeliveryRun[], log: Log): Pick<Anomalies, 'nonMonotonicDelivery' | 'skippedDelivery'> {
  const nonMonotonicDelivery: CheckResult['nonMonotonicDelivery'] = []
  const skippedDelivery: CheckResult['skippedDelivery'] = []
  for (const run of runs) {
    const present = log.offsetsOf.get(run.partition) ?? []
    for (let i = 1; i < run.offsets.length; i++) {
      const from = run.offsets[i - 1]!
      const to = run.offsets[i]!
      if (to <= from) nonMonotonicDelivery.push({ consumer: run.consumer, partition: run.partition, from, to })
      else if (firstAbove(present, from) < to) skippedDelivery.push({ consumer: run.consumer, partition: run.partition, from, to })
    }
  }
  return { nonMonotonicDelivery, skippedDelivery }
}

/** Each ownership starts at or after every commit of its partition acknowledged before it was assigned. */
function checkRunStarts(input: CheckInput): Anomalies['startedBelowCommit'] {
  const out: Anomalies['startedBelowCommit'] = []
  for (const run of input.runs ?? []) {
    const first = run.offsets[0]
    if (run.assignedAt === undefined || first === undefined) continue
    let committed = -1
    for (const c of input.commits ?? []) if (c.partition === run.partition && c.at !== undefined && c.at < run.assignedAt) committed = Math.max(committed, c.offset)
    if (first < committed) out.push({ consumer: run.consumer, partition: run.partition, first, committed })
  }
  return out
}

export function check(input: CheckInput): CheckResult {
  const log = indexLog(input.finalRead)
  const anomalies: Anomalies = {
    ...checkAcked(input, log),
    ...checkDelivered(input, log),
    duplicated: [...log.where].filter(([, rs]) => new Set(rs.map((r) => offsetKey(r.partition, r.offset))).size > 1).map(([v]) => v),
    inconsistent: checkInconsistent(input),
    nonMonotonic: log.nonMonotonic,
    offsetGaps: (input.bounds ?? []).flatMap((b) => gapsIn(log.offsetsOf.get(b.partition) ?? [], b)),
    unknownValues: checkUnknown(input),
    divergentReplicas: checkReplicas(input.replicas ?? [], log),
    ...checkCommits(input, log),
    ...checkRuns(input.runs ?? [], log),
    startedBelowCommit: checkRunStarts(input),
    incompleteReads: input.incompleteReads ?? [],
    unconverged: input.unconverged ?? [],
    twoLeadersInATerm: (input.raftTerms ?? []).filter((t) => t.leaders.length > 1),
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
    ['offset-gaps', r.offsetGaps.length], ['acked-at-wrong-offset', r.ackedAtWrongOffset.length],
    ['delivered-at-wrong-offset', r.deliveredAtWrongOffset.length], ['unknown-values', r.unknownValues.length],
    ['divergent-replicas', r.divergentReplicas.length], ['committed-backwards', r.committedBackwards.length],
    ['committed-beyond-log', r.committedBeyondLog.length], ['committed-undelivered', r.committedUndelivered.length],
    ['undelivered', r.undelivered.length], ['non-monotonic-delivery', r.nonMonotonicDelivery.length],
    ['skipped-delivery', r.skippedDelivery.length], ['started-below-commit', r.startedBelowCommit.length], ['incomplete-reads', r.incompleteReads.length],
    ['unconverged', r.unconverged.length], ['two-leaders-in-a-term', r.twoLeadersInATerm.length],
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
