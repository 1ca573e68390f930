import type { RaftMessage } from '../message.js'

/**
 * The last `limit` events of a run, kept cheaply (message objects are stored, not
 * formatted) and rendered only when a seed fails or a full trace is asked for.
 */
interface TraceEvent {
  time: number
  node: number
  kind: string
  detail: string | RaftMessage | undefined
}

export class Trace {
  // Parallel arrays used as a ring: no allocation per event on the hot path.
  private readonly times: number[] = []
  private readonly nodes: number[] = []
  private readonly kinds: string[] = []
  private readonly details: (string | RaftMessage | undefined)[] = []
  private next = 0
  private total = 0

  constructor(
    private readonly limit: number,
    /** Stream every event as it happens (sim --trace). */
    private readonly sink?: (line: string) => void,
  ) {}

  add(time: number, node: number, kind: string, detail?: string | RaftMessage): void {
    this.total++
    if (this.sink) this.sink(formatEvent({ time, node, kind, detail }))
    if (this.limit === 0) return
    const k = this.next
    this.times[k] = time
    this.nodes[k] = node
    this.kinds[k] = kind
    this.details[k] = detail
    this.next = k + 1 === this.limit ? 0 : k + 1
  }

  lines(): string[] {
    const n = Math.min(this.total, this.limit)
    const start = this.total <= this.limit ? 0 : this.next
    const out: string[] = []
    if (this.total > n) out.push(`... ${this.total - n} earlier events omitted ...`)
    for (let j = 0; j < n; j++) {
      const k = (start + j) % this.limit
      out.push(formatEvent({ time: this.times[k]!, node: this.nodes[k]!, kind: this.kinds[k]!, detail: this.details[k] }))
    }
    return out
  }
}

function formatEvent(e: TraceEvent): string {
  const t = `${Math.floor(e.time / 10)}.${e.time % 10}`.padStart(7)
  const d = e.detail === undefined ? '' : typeof e.detail === 'string' ? e.detail : formatMessage(e.detail)
  return `${t}  n${e.node}  ${e.kind.padEnd(9)} ${d}`
}

export function formatMessage(m: RaftMessage): string {
  let s = `${m.type} ${m.from}->${m.to} t${m.term}`
  switch (m.type) {
    case 'App':
      s += ` prev=${m.index}/t${m.logTerm} n=${m.entries.length}`
      if (m.entries.length > 0) s += ` [${m.entries[0]!.index}..${m.entries[m.entries.length - 1]!.index}]`
      s += ` commit=${m.commit}`
      break
    case 'AppResp':
      s += m.reject ? ` REJECT idx=${m.index} hint=${m.hint}/t${m.logTerm}` : ` ok idx=${m.index}`
      break
    case 'Vote':
    case 'PreVote':
      s += ` last=${m.index}/t${m.logTerm}${m.transfer ? ' transfer' : ''}`
      break
    case 'VoteResp':
    case 'PreVoteResp':
      s += m.reject ? ' REJECT' : ' grant'
      break
    case 'Heartbeat':
      s += ` commit=${m.commit}${m.ctx.length ? ' read' : ''}`
      break
    case 'Snap':
      s += ` snap=${m.snapshot!.index}/t${m.snapshot!.term}`
      break
    case 'ReadIndexResp':
      s += ` index=${m.index}`
      break
  }
  return s
}
