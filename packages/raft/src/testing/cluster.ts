import { MessageType, type RaftMessage } from '../message.js'
import { seededRandom } from '../random.js'
import { RaftNode, type RaftConfig, type Ready } from '../raft-node.js'
import { MemoryRaftStorage } from '../storage.js'
import type { Entry } from '../types.js'

/**
 * A synchronous, in-memory cluster for paper tests and the throughput bench: each
 * node's storage is a MemoryRaftStorage that stands for its disk, messages go to one
 * FIFO queue, and the test decides when to tick and deliver. Delivery can be filtered
 * (partitions, drops) with `cut`/`drop`.
 */
export interface ClusterNodeOptions extends Partial<Omit<RaftConfig, 'id' | 'voters' | 'storage' | 'random'>> {
  storage?: MemoryRaftStorage
}

export class TestCluster {
  readonly nodes = new Map<number, RaftNode>()
  readonly storages = new Map<number, MemoryRaftStorage>()
  /** Entries each node applied, in order. */
  readonly applied = new Map<number, Entry[]>()
  readonly queue: RaftMessage[] = []
  /** Directed links that lose every message: "from->to". */
  private readonly cuts = new Set<string>()
  /** Message types dropped on delivery. */
  readonly dropTypes = new Set<string>()
  /** Drop any message this returns true for. */
  dropIf: ((m: RaftMessage) => boolean) | undefined
  /** Replace a message in flight (e.g. strip its entries). */
  rewrite: ((m: RaftMessage) => RaftMessage) | undefined
  readonly readStates = new Map<number, { index: number; ctx: Uint8Array }[]>()
  /** Keep applied entries (tests) or just count them (bench). */
  recordApplied = true
  appliedCount = 0

  constructor(
    readonly voters: number[],
    options: { seed?: number; perNode?: Record<number, ClusterNodeOptions>; common?: ClusterNodeOptions; observers?: number[] } = {},
  ) {
    const rng = seededRandom(options.seed ?? 1)
    for (const id of [...voters, ...(options.observers ?? [])]) {
      const o = { ...options.common, ...options.perNode?.[id] }
      const storage = o.storage ?? new MemoryRaftStorage()
      this.storages.set(id, storage)
      this.applied.set(id, [])
      this.readStates.set(id, [])
      this.nodes.set(id, new RaftNode({ ...o, id, voters, storage, random: rng.fork() }))
    }
  }

  node(id: number): RaftNode {
    return this.nodes.get(id)!
  }

  /** Persist, send, apply, advance — until the node has nothing more to say. */
  process(id: number): void {
    const n = this.nodes.get(id)
    if (!n) return
    for (let rd = n.ready(); rd; rd = n.ready()) {
      this.persist(id, rd)
      for (const m of rd.messages) this.queue.push(m)
      this.apply(id, rd)
      n.advance(rd)
    }
  }

  processAll(): void {
    for (const id of this.nodes.keys()) this.process(id)
  }

  persist(id: number, rd: Ready): void {
    const s = this.storages.get(id)!
    if (rd.snapshot) s.applySnapshot(rd.snapshot)
    s.append(rd.entries)
    if (rd.hardState) s.setHardState(rd.hardState)
  }

  private apply(id: number, rd: Ready): void {
    if (rd.snapshot && this.recordApplied) this.applied.set(id, [])
    this.appliedCount += rd.committed.length
    if (this.recordApplied) this.applied.get(id)!.push(...rd.committed)
    for (const r of rd.readStates) this.readStates.get(id)!.push(r)
  }

  /** Deliver queued messages (and what they cause) until the network is quiet. */
  deliverAll(maxMessages = 1_000_000): number {
    this.processAll()
    let delivered = 0
    while (this.queue.length > 0 && delivered < maxMessages) {
      const batch = this.queue.splice(0, this.queue.length)
      for (const m of batch) {
        if (this.deliver(m)) delivered++
      }
    }
    return delivered
  }

  /** Deliver one message unless its link is cut; then let the receiver respond. */
  deliver(m: RaftMessage): boolean {
    if (this.cuts.has(`${m.from}->${m.to}`) || this.dropTypes.has(m.type) || this.dropIf?.(m)) return false
    const n = this.nodes.get(m.to)
    if (!n) return false
    n.step(this.rewrite ? this.rewrite(m) : m)
    this.process(m.to)
    return true
  }

  tick(id: number, times = 1): void {
    for (let i = 0; i < times; i++) this.nodes.get(id)!.tick()
    this.process(id)
  }

  /** Tick a node past its election timeout so it campaigns, then settle the network. */
  campaign(id: number): void {
    const n = this.node(id)
    for (let i = 0; i < 100 && n.role !== 'precandidate' && n.role !== 'candidate' && n.role !== 'leader'; i++) n.tick()
    this.deliverAll()
  }

  elect(id: number): RaftNode {
    this.campaign(id)
    const n = this.node(id)
    if (n.role !== 'leader') throw new Error(`node ${id} did not win (role ${n.role}, term ${n.currentTerm})`)
    return n
  }

  /** Cut both directions between every node in `a` and every node in `b`. */
  partition(a: number[], b: number[]): void {
    for (const x of a) for (const y of b) {
      this.cuts.add(`${x}->${y}`)
      this.cuts.add(`${y}->${x}`)
    }
  }

  isolate(id: number): void {
    this.partition([id], [...this.nodes.keys()].filter((x) => x !== id))
  }

  cut(from: number, to: number): void {
    this.cuts.add(`${from}->${to}`)
  }

  heal(): void {
    this.cuts.clear()
    this.dropTypes.clear()
    this.dropIf = undefined
    this.rewrite = undefined
  }

  leader(): RaftNode | undefined {
    let best: RaftNode | undefined
    for (const n of this.nodes.values()) if (n.role === 'leader' && (!best || n.currentTerm > best.currentTerm)) best = n
    return best
  }

  /** Messages of a type currently queued. */
  queued(type?: MessageType): RaftMessage[] {
    return this.queue.filter((m) => !type || m.type === type)
  }
}

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
export const text = (b: Uint8Array): string => new TextDecoder().decode(b)

/** Build a log of the given terms (index = position + 1), data = "i:t". */
export function logOfTerms(terms: number[]): Entry[] {
  return terms.map((term, k) => ({ index: k + 1, term, type: 'normal' as const, data: bytes(`${k + 1}:${term}`) }))
}

/** Every message a node has to send, advancing through each Ready. */
export function drain(n: RaftNode): RaftMessage[] {
  const out: RaftMessage[] = []
  for (let rd = n.ready(); rd; rd = n.ready()) {
    out.push(...rd.messages)
    n.advance(rd)
  }
  return out
}
