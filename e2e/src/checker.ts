/**
 * The Jepsen kafka-workload style checker: given what producers were told
 * (acknowledged writes), what a final full read returned, what each replica
 * holds and what the group committed and delivered, list every anomaly.
 */
export interface AckedWrite { partition: number; offset: number; value: string }
export interface ReadRecord { partition: number; offset: number; value: string }

export interface CheckInput {
  /** every write a producer saw acknowledged (acks=all) */
  acked: AckedWrite[]
  /** values whose send failed or timed out: may or may not be present, never twice */
  indeterminate?: string[]
  /** the final full read of every partition from the leaders, below the high watermark */
  finalRead: ReadRecord[]
  /** per replica (node id): what it holds below the high watermark, per partition */
  replicas?: Map<number, ReadRecord[]>
  /** group commits in the order the checker observed them, per partition */
  commits?: Array<{ partition: number; offset: number }>
  /** values the group's consumers delivered (any order, duplicates allowed up to the uncommitted window) */
  delivered?: string[]
}

export interface CheckResult {
  ops: number
  acked: number
  lost: string[]
  duplicated: string[]
  inconsistent: Array<{ partition: number; offset: number; values: string[] }>
  nonMonotonic: Array<{ partition: number; offset: number }>
  ackedAtWrongOffset: Array<{ value: string; ackedOffset: number; foundOffset: number }>
  divergentReplicas: Array<{ nodeId: number; partition: number; offset: number }>
  committedBackwards: Array<{ partition: number; from: number; to: number }>
  undelivered: string[]
  valid: boolean
}

export function check(input: CheckInput): CheckResult {
  const where = new Map<string, ReadRecord[]>()
  const atOffset = new Map<string, Set<string>>()
  const nonMonotonic: CheckResult['nonMonotonic'] = []
  const lastOffset = new Map<number, number>()
  for (const r of input.finalRead) {
    const list = where.get(r.value) ?? []
    list.push(r)
    where.set(r.value, list)
    const key = `${r.partition}/${r.offset}`
    const vals = atOffset.get(key) ?? new Set<string>()
    vals.add(r.value)
    atOffset.set(key, vals)
    const prev = lastOffset.get(r.partition)
    if (prev !== undefined && r.offset <= prev) nonMonotonic.push({ partition: r.partition, offset: r.offset })
    lastOffset.set(r.partition, r.offset)
  }

  const lost: string[] = []
  const ackedAtWrongOffset: CheckResult['ackedAtWrongOffset'] = []
  for (const w of input.acked) {
    const found = where.get(w.value)
    if (!found || found.length === 0) lost.push(w.value)
    else if (!found.some((f) => f.partition === w.partition && f.offset === w.offset)) {
      ackedAtWrongOffset.push({ value: w.value, ackedOffset: w.offset, foundOffset: found[0].offset })
    }
  }
  const duplicated = [...where].filter(([, rs]) => rs.length > 1).map(([v]) => v)
  const inconsistent = [...atOffset]
    .filter(([, vs]) => vs.size > 1)
    .map(([k, vs]) => {
      const [p, o] = k.split('/').map(Number)
      return { partition: p, offset: o, values: [...vs] }
    })

  const divergentReplicas: CheckResult['divergentReplicas'] = []
  if (input.replicas) {
    const truth = new Map(input.finalRead.map((r) => [`${r.partition}/${r.offset}`, r.value]))
    for (const [nodeId, records] of input.replicas) {
      for (const r of records) {
        const expected = truth.get(`${r.partition}/${r.offset}`)
        if (expected !== undefined && expected !== r.value) divergentReplicas.push({ nodeId, partition: r.partition, offset: r.offset })
      }
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
    const got = new Set(input.delivered)
    undelivered = input.acked.filter((w) => !got.has(w.value)).map((w) => w.value)
  }

  const result = {
    ops: input.acked.length + (input.indeterminate?.length ?? 0),
    acked: input.acked.length,
    lost,
    duplicated,
    inconsistent,
    nonMonotonic,
    ackedAtWrongOffset,
    divergentReplicas,
    committedBackwards,
    undelivered,
  }
  const valid = Object.values(result).every((v) => !Array.isArray(v) || v.length === 0)
  return { ...result, valid }
}

/** One line per figure, for the test log and `npm run e2e:long`. */
export function summarize(r: CheckResult, extra: Record<string, string | number> = {}): string {
  const rows: Array<[string, string | number]> = [
    ['ops', r.ops], ['acked', r.acked], ['lost', r.lost.length], ['duplicated', r.duplicated.length],
    ['inconsistent', r.inconsistent.length], ['non-monotonic', r.nonMonotonic.length],
    ['acked-at-wrong-offset', r.ackedAtWrongOffset.length], ['divergent-replicas', r.divergentReplicas.length],
    ['committed-backwards', r.committedBackwards.length], ['undelivered', r.undelivered.length],
    ...Object.entries(extra),
    ['valid', String(r.valid)],
  ]
  const w = Math.max(...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n')
}
