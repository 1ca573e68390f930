/**
 * The soak scenario's exactly-once check, in the spirit of the fault suite's
 * checker (e2e/src/checker.ts) but sized for millions of records: every record
 * carries its id (its send order) in its first 8 bytes and goes to partition
 * slot `id % partitions`, so two Float64Arrays indexed by id hold what the
 * producer was told (the acknowledged offset) and where the group delivered it.
 * 16 bytes a record: 36 M records (30 min at 20,000 rec/s) take 576 MB here.
 *
 * Anomalies, as the fault suite names them:
 * - lost: acknowledged, never delivered, and not in the log either (a final read
 *   of the partitions of every record the group did not deliver);
 * - undelivered: acknowledged and in the log, but the group did not deliver it
 *   before the deadline (liveness, not safety);
 * - inconsistent: delivered at another offset than the one acknowledged;
 * - duplicated: delivered at two different offsets (a redelivery of the same
 *   offset after a rebalance is allowed, as Kafka's at-least-once group allows it);
 * - misplaced: delivered from another partition than the one it was sent to;
 * - unknown: a delivered id that was never sent.
 */

/** Bytes of a record value that hold its id. */
export const ID_BYTES = 8

export interface SoakCheck {
  sent: number
  acked: number
  failed: number
  delivered: number
  lost: number
  undelivered: number
  inconsistent: number
  duplicated: number
  misplaced: number
  unknown: number
}

const INITIAL_CAPACITY = 1 << 16

export class SoakLedger {
  private ackedAt = new Float64Array(INITIAL_CAPACITY).fill(Number.NaN)
  private deliveredAt = new Float64Array(INITIAL_CAPACITY).fill(Number.NaN)
  private sentCount = 0
  private ackedCount = 0
  private failedCount = 0
  private deliveredCount = 0
  private duplicated = 0
  private misplaced = 0
  private unknown = 0
  private readonly failures = new Map<string, number>()
  /** ids the final read found in the log, at their offset */
  private readonly readBack = new Map<number, number>()

  constructor(readonly partitions: number) {}

  get sent(): number {
    return this.sentCount
  }

  /** A new record id; its partition slot is `id % partitions`. */
  next(): number {
    if (this.sentCount === this.ackedAt.length) this.grow()
    return this.sentCount++
  }

  slot(id: number): number {
    return id % this.partitions
  }

  acked(id: number, offset: number): void {
    if (Number.isNaN(this.ackedAt[id]!)) this.ackedCount++
    this.ackedAt[id] = offset
  }

  /** A send that failed; `reason` (an error code name or message) is counted. */
  failed(reason = 'unknown'): void {
    this.failedCount++
    this.failures.set(reason, (this.failures.get(reason) ?? 0) + 1)
  }

  /** Failed sends by reason, most frequent first: "NOT_LEADER_OR_FOLLOWER x3, ...". */
  failureReasons(): string {
    return [...this.failures].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} x${n}`).join(', ')
  }

  /** A record the group delivered from partition `slot` at `offset`. */
  delivered(slot: number, offset: number, id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.sentCount) {
      this.unknown++
      return
    }
    if (slot !== this.slot(id)) this.misplaced++
    const at = this.deliveredAt[id]!
    if (Number.isNaN(at)) {
      this.deliveredAt[id] = offset
      this.deliveredCount++
    } else if (at !== offset) this.duplicated++
  }

  /** Acknowledged records not delivered yet. */
  pending(): number {
    return this.pendingIds().length
  }

  pendingIds(): number[] {
    const out: number[] = []
    for (let id = 0; id < this.sentCount; id++) if (!Number.isNaN(this.ackedAt[id]!) && Number.isNaN(this.deliveredAt[id]!)) out.push(id)
    return out
  }

  ackedOffset(id: number): number {
    return this.ackedAt[id]!
  }

  /** The final read found `id` in partition `slot` at `offset`. */
  foundInLog(slot: number, offset: number, id: number): void {
    if (Number.isInteger(id) && id >= 0 && id < this.sentCount && slot === this.slot(id)) this.readBack.set(id, offset)
  }

  check(): SoakCheck {
    let lost = 0
    let undelivered = 0
    let inconsistent = 0
    for (let id = 0; id < this.sentCount; id++) {
      const acked = this.ackedAt[id]!
      if (Number.isNaN(acked)) continue
      const at = this.deliveredAt[id]! // else where the final read found it
      const found = Number.isNaN(at) ? (this.readBack.get(id) ?? Number.NaN) : at
      if (Number.isNaN(found)) lost++
      else if (found !== acked) inconsistent++
      else if (Number.isNaN(at)) undelivered++
    }
    return {
      sent: this.sentCount, acked: this.ackedCount, failed: this.failedCount, delivered: this.deliveredCount,
      lost, undelivered, inconsistent, duplicated: this.duplicated, misplaced: this.misplaced, unknown: this.unknown,
    }
  }

  private grow(): void {
    const grown = (a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => {
      const b = new Float64Array(a.length * 2).fill(Number.NaN)
      b.set(a)
      return b
    }
    this.ackedAt = grown(this.ackedAt)
    this.deliveredAt = grown(this.deliveredAt)
  }
}

/** A record value of `bytes` (>= ID_BYTES) carrying `id`. */
export function encodeId(id: number, bytes: number): Uint8Array {
  const b = new Uint8Array(Math.max(bytes, ID_BYTES)).fill(65)
  new DataView(b.buffer).setFloat64(0, id, true)
  return b
}

/** The id in a value; NaN when it carries none. */
export function decodeId(value: Uint8Array | null): number {
  if (value === null || value.byteLength < ID_BYTES) return Number.NaN
  return new DataView(value.buffer, value.byteOffset, ID_BYTES).getFloat64(0, true)
}
