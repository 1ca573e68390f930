import { assert } from './errors.js'

/**
 * Linearizable reads, ReadIndex style (Raft thesis §6.4): the leader records its
 * commit index for a read, then confirms it is still leader by a heartbeat round
 * acknowledged by a quorum. A read confirmed this way reflects every write committed
 * before the read was asked. Heartbeats carry the newest pending ctx; an ack for it
 * confirms every older pending read too (FIFO).
 */
export interface ReadState {
  index: number
  ctx: Uint8Array
}

interface PendingRead {
  key: string
  index: number
  ctx: Uint8Array
  /** Node that asked (the leader itself or a follower that forwarded it). */
  from: number
  acks: Set<number>
}

export class ReadIndexQueue {
  private queue: PendingRead[] = []
  private byKey = new Map<string, PendingRead>()

  constructor(private readonly maxPendingReads: number) {}

  get size(): number {
    return this.queue.length
  }

  isFull(): boolean {
    return this.queue.length >= this.maxPendingReads
  }

  has(ctx: Uint8Array): boolean {
    return this.byKey.has(ctxKey(ctx))
  }

  add(ctx: Uint8Array, index: number, from: number, self: number): void {
    assert(!this.isFull(), 'read queue is full')
    const r: PendingRead = { key: ctxKey(ctx), index, ctx, from, acks: new Set([self]) }
    this.queue.push(r)
    this.byKey.set(r.key, r)
  }

  /** Record a heartbeat ack for ctx; returns the ack count, or 0 if ctx is not pending. */
  ack(ctx: Uint8Array, from: number): number {
    const r = this.byKey.get(ctxKey(ctx))
    if (!r) return 0
    r.acks.add(from)
    return r.acks.size
  }

  /** Remove and return every read up to and including ctx. */
  confirm(ctx: Uint8Array): { index: number; ctx: Uint8Array; from: number }[] {
    const key = ctxKey(ctx)
    const at = this.queue.findIndex((r) => r.key === key)
    if (at < 0) return []
    const done = this.queue.splice(0, at + 1)
    for (const r of done) this.byKey.delete(r.key)
    return done.map((r) => ({ index: r.index, ctx: r.ctx, from: r.from }))
  }

  lastCtx(): Uint8Array | undefined {
    return this.queue[this.queue.length - 1]?.ctx
  }

  reset(): void {
    this.queue = []
    this.byKey.clear()
  }
}

function ctxKey(ctx: Uint8Array): string {
  let s = ''
  for (let i = 0; i < ctx.length; i++) s += String.fromCharCode(ctx[i]!)
  return s
}
