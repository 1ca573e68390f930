/**
 * Reading a partition without a group (the SDK's assign()): a page of records
 * from an offset, and a live tail that keeps only the newest records. The tail
 * may receive far more than a page can draw (10,000 records a second): it
 * counts everything and keeps a bounded ring of the newest, and the page draws
 * that ring on its own clock, so the browser stays responsive.
 */
import type { ConsumedMessage, Tributary } from '@tributary/client'

/** How long a page read waits for records that the high watermark says exist. */
const READ_WAIT_MS = 5000

/** Up to `limit` records from `offset`, stopping at the high watermark. */
export async function readPage(client: Tributary, topic: string, partition: number, offset: number, limit: number, highWatermark: number): Promise<ConsumedMessage[]> {
  const out: ConsumedMessage[] = []
  const end = Math.min(highWatermark, offset + limit)
  if (offset >= end) return out
  const consumer = client.consumer({ maxWaitTimeInMs: 200, maxBytesPerPartition: 1024 * 1024 })
  consumer.assign([{ topic, partition, offset }])
  let done: () => void = () => {}
  let failed: (err: unknown) => void = () => {}
  const finished = new Promise<void>((resolve, reject) => { done = resolve; failed = reject })
  const timer = setTimeout(done, READ_WAIT_MS)
  // A refused or failed read is the page's error to show, not an empty page.
  consumer.on('crash', ({ error }) => failed(error))
  try {
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) if (m.offset >= offset && m.offset < end && out.length < limit) out.push(m)
        if (out.length >= limit || batch.lastOffset() >= end - 1) done()
      },
    })
    await finished
  } finally {
    clearTimeout(timer)
    await consumer.disconnect()
  }
  return out
}

export interface TailStats { received: number; ratePerSec: number }

/** A live tail of partitions from their ends: `recent` holds the newest `keep` records. */
export class Tail {
  received = 0
  readonly recent: ConsumedMessage[] = []
  private readonly consumer
  private windowStart = Date.now()
  private windowCount = 0
  private rate = 0

  constructor(client: Tributary, private readonly keep: number) {
    this.consumer = client.consumer({ maxWaitTimeInMs: 250, fromBeginning: false })
  }

  /** Start reading; `onError` hears why the tail stopped (a refusal, a partition gone). */
  async start(topic: string, from: Array<{ partition: number; offset: number }>, onError: (err: unknown) => void): Promise<void> {
    this.consumer.on('crash', ({ error }) => onError(error))
    this.consumer.assign(from.map((f) => ({ topic, partition: f.partition, offset: f.offset })))
    await this.consumer.run({
      eachBatch: async ({ batch }) => {
        const n = batch.messages.length
        this.received += n
        this.windowCount += n
        // Only the newest `keep` of a batch can survive: never copy more than that.
        const tail = n > this.keep ? batch.messages.slice(n - this.keep) : batch.messages
        this.recent.push(...tail)
        if (this.recent.length > this.keep) this.recent.splice(0, this.recent.length - this.keep)
      },
    })
  }

  stats(now = Date.now()): TailStats {
    const s = (now - this.windowStart) / 1000
    if (s >= 1) {
      this.rate = this.windowCount / s
      this.windowStart = now
      this.windowCount = 0
    }
    return { received: this.received, ratePerSec: this.rate }
  }

  stop(): Promise<void> {
    return this.consumer.disconnect()
  }
}
