/**
 * Appends coordinator records to one `__consumer_offsets` partition, in order,
 * with acks=all. One batch is in flight at a time; what arrives meanwhile is
 * grouped into the next batch (group commit), so many commits share one
 * replication round trip. A write resolves once all its records are durable.
 *
 * After a failed append nothing queued behind it is written: those writes were
 * validated against state that may not be in the log. They all fail with the
 * same code, the writer closes, and the owner resynchronizes from the log.
 */
import { encodeRecordBatch, ErrorCode, type RecordInput } from '@tributary/protocol'
import type { Clock } from '../seams.js'

export interface WriterBounds {
  /** Records waiting (not yet in a batch) beyond which writes are refused at once. */
  writeQueueRecordsMax: number
  writeBatchRecordsMax: number
  /** Estimated (keys + values) bytes per batch: keeps it under the topic's max.message.bytes. */
  writeBatchBytesMax: number
  /** An append not acknowledged by then fails with REQUEST_TIMED_OUT. */
  writeTimeoutMs: number
}

export type AppendFn = (batch: Uint8Array) => Promise<{ errorCode: number; baseOffset: number }>

interface Entry {
  records: RecordInput[]
  /** index of the next record not yet put in a batch */
  next: number
  /** batches holding its records that have not completed */
  inFlight: number
  resolve(errorCode: number): void
}

const RECORD_OVERHEAD_BYTES = 24

export class PartitionWriter {
  private readonly queue: Entry[] = []
  private queuedRecords = 0
  private running = false
  private closedCode: number | null = null

  constructor(
    private readonly append: AppendFn,
    private readonly clock: Clock,
    private readonly bounds: WriterBounds,
    private readonly onFailure: (errorCode: number) => void,
  ) {}

  /** Resolves with NONE once every record is durable, else with the error code. Never rejects. */
  write(records: RecordInput[]): Promise<number> {
    if (records.length === 0) return Promise.resolve(ErrorCode.NONE)
    if (this.closedCode !== null) return Promise.resolve(this.closedCode)
    if (this.queuedRecords + records.length > this.bounds.writeQueueRecordsMax && this.queuedRecords > 0) {
      return Promise.resolve(ErrorCode.REQUEST_TIMED_OUT)
    }
    return new Promise<number>((resolve) => {
      this.queue.push({ records, next: 0, inFlight: 0, resolve })
      this.queuedRecords += records.length
      void this.pump()
    })
  }

  /** Fails everything queued; later writes fail at once. */
  close(errorCode: number): void {
    if (this.closedCode !== null) return
    this.closedCode = errorCode
    for (const e of this.queue.splice(0)) e.resolve(errorCode)
    this.queuedRecords = 0
  }

  private async pump(): Promise<void> {
    if (this.running) return
    this.running = true
    try {
      while (this.queue.length > 0 && this.closedCode === null) {
        const { records, entries } = this.takeBatch()
        const code = await this.appendWithTimeout(encodeRecordBatch(records))
        if (code !== ErrorCode.NONE) {
          for (const e of entries) e.inFlight--
          this.close(code)
          this.onFailure(code)
          return
        }
        for (const e of entries) {
          e.inFlight--
          if (e.inFlight === 0 && e.next === e.records.length) {
            this.queue.splice(this.queue.indexOf(e), 1)
            e.resolve(ErrorCode.NONE)
          }
        }
      }
    } finally {
      this.running = false
    }
  }

  /** Records from the head of the queue, up to the batch bounds (at least one record). */
  private takeBatch(): { records: RecordInput[]; entries: Entry[] } {
    const records: RecordInput[] = []
    const entries: Entry[] = []
    let bytes = 0
    for (const e of this.queue) {
      if (e.next === e.records.length) continue
      let took = false
      while (e.next < e.records.length) {
        const size = recordBytes(e.records[e.next])
        if (records.length > 0 && (records.length >= this.bounds.writeBatchRecordsMax || bytes + size > this.bounds.writeBatchBytesMax)) break
        records.push(e.records[e.next++])
        this.queuedRecords--
        bytes += size
        took = true
      }
      if (took) {
        e.inFlight++
        entries.push(e)
      }
      if (e.next < e.records.length) break
    }
    return { records, entries }
  }

  private appendWithTimeout(batch: Uint8Array): Promise<number> {
    return new Promise<number>((resolve) => {
      let done = false
      const finish = (code: number) => {
        if (done) return
        done = true
        cancel()
        resolve(code)
      }
      const cancel = this.clock.setTimeout(() => finish(ErrorCode.REQUEST_TIMED_OUT), this.bounds.writeTimeoutMs)
      this.append(batch).then(
        (r) => finish(r.errorCode),
        (err: unknown) => finish(typeof (err as { code?: unknown })?.code === 'number' ? (err as { code: number }).code : ErrorCode.UNKNOWN_SERVER_ERROR),
      )
    })
  }
}

function recordBytes(r: RecordInput): number {
  const len = (v: RecordInput['key']) => (v == null ? 0 : typeof v === 'string' ? v.length * 3 : v.length)
  return len(r.key) + len(r.value) + RECORD_OVERHEAD_BYTES
}

/** A failed __consumer_offsets write, as the client should see it: find the coordinator again, or retry. */
export function coordinatorError(code: number): number {
  switch (code) {
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.FENCED_LEADER_EPOCH:
    case ErrorCode.NOT_COORDINATOR:
      return ErrorCode.NOT_COORDINATOR
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.REQUEST_TIMED_OUT
    default:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE
  }
}
