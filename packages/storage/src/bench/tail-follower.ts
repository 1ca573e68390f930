import type { PartitionLog } from '../index.js'

/**
 * Wall time during which at least one read was outstanding, shared by the followers of
 * one run: concurrent reads are not counted twice, and what a read waits for (the
 * LevelDB thread pool behind the writes) counts, as it would for a real consumer.
 */
export class BusyClock {
  ms = 0
  private active = 0
  private since = 0

  enter(): void {
    if (this.active++ === 0) this.since = performance.now()
  }

  leave(): void {
    if (--this.active === 0) this.ms += performance.now() - this.since
  }
}

/**
 * A consumer at the tail of one partition: told where the acknowledged log ends after
 * each append, it reads what is new from where it stopped, so every batch is read
 * exactly once, right after its append resolved. One read at a time.
 */
export class TailFollower {
  bytesRead = 0
  reads = 0
  private next: number
  /** End of the acknowledged log (exclusive): reads never go past it. */
  private end: number
  private reading: Promise<void> | null = null

  constructor(
    private readonly log: PartitionLog,
    private readonly readBytesMax: number,
    private readonly clock: BusyClock,
  ) {
    this.next = log.logStartOffset()
    this.end = this.next
  }

  /** An append resolved; the acknowledged log now ends at `end`. */
  appended(end: number): void {
    if (end > this.end) this.end = end
    this.reading ??= this.readToEnd().finally(() => (this.reading = null))
  }

  /** Resolves once everything acknowledged so far has been read. */
  async idle(): Promise<void> {
    while (this.reading) await this.reading
  }

  private async readToEnd(): Promise<void> {
    while (this.next < this.end) {
      this.clock.enter()
      const r = await this.log.read(this.next, this.readBytesMax, this.end).finally(() => this.clock.leave())
      if (!r.ok) throw new Error(`tail read at ${this.next}: ${r.message}`)
      if (r.value.nextOffset <= this.next) throw new Error(`tail read at ${this.next} made no progress`)
      this.bytesRead += r.value.records.length
      this.reads++
      this.next = r.value.nextOffset
    }
  }
}
