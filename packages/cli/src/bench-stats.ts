/**
 * Benchmark bookkeeping: an HDR histogram of latencies (recorded in
 * microseconds, reported in milliseconds) and the one result object every
 * `bench ... --json` prints.
 */
import hdr from 'hdr-histogram-js'
import cliProgress from 'cli-progress'
import type { Writable } from 'node:stream'

export interface BenchResult {
  records: number
  bytes: number
  seconds: number
  recordsPerSec: number
  mbPerSec: number
  latencyMs: { p50: number; p95: number; p99: number; p999: number; max: number }
}

const RESOLVED = Promise.resolve()

/**
 * performance.now() for a loop that times every record: a reading costs about a tenth of a
 * one-record send, so it is shared by up to `reuse` consecutive calls within one synchronous
 * run (the next turn of the event loop reads afresh). Calls of one run are microseconds
 * apart, latencies milliseconds: the error is far below what the histogram shows.
 */
export class SharedReading {
  private reading = 0
  private uses = 0
  private readonly expire = (): void => {
    this.uses = 0
  }

  constructor(private readonly reuse: number) {}

  /** True when the last now() read the clock (not a shared reading). */
  fresh = false

  now(): number {
    if (this.uses > 0) {
      this.uses--
      this.fresh = false
      return this.reading
    }
    this.reading = performance.now()
    this.uses = this.reuse - 1
    this.fresh = true
    void RESOLVED.then(this.expire)
    return this.reading
  }
}

/** Latencies above this are clamped (µs): an hour is beyond any sane benchmark. */
const LATENCY_US_MAX = 3_600_000_000

export class LatencyRecorder {
  private readonly h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: LATENCY_US_MAX, numberOfSignificantValueDigits: 3, autoResize: false })
  /**
   * A run of equal values not yet in the histogram: records timed with one SharedReading
   * (sent together, acknowledged together) have the same latency, and recording it once
   * with their count costs a fraction of a histogram update each.
   */
  private runUs = 0
  private runCount = 0

  recordMs(ms: number): void {
    const us = Math.min(LATENCY_US_MAX, Math.max(1, Math.round(ms * 1000)))
    if (us === this.runUs) {
      this.runCount++
      return
    }
    this.flush()
    this.runUs = us
    this.runCount = 1
  }

  private flush(): void {
    if (this.runCount > 0) this.h.recordValueWithCount(this.runUs, this.runCount)
    this.runCount = 0
  }

  get count(): number {
    this.flush()
    return this.h.totalCount
  }

  summaryMs(): BenchResult['latencyMs'] {
    this.flush()
    const at = (p: number): number => (this.h.totalCount === 0 ? 0 : round3(this.h.getValueAtPercentile(p) / 1000))
    return { p50: at(50), p95: at(95), p99: at(99), p999: at(99.9), max: this.h.totalCount === 0 ? 0 : round3(this.h.maxValue / 1000) }
  }
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000

export function result(records: number, bytes: number, seconds: number, latency: LatencyRecorder): BenchResult {
  const s = Math.max(seconds, 1e-9)
  return {
    records,
    bytes,
    seconds: round3(seconds),
    recordsPerSec: Math.round(records / s),
    mbPerSec: round3(bytes / s / (1024 * 1024)),
    latencyMs: latency.summaryMs(),
  }
}

export function renderResult(kind: string, r: BenchResult): string {
  const l = r.latencyMs
  return (
    `${kind}: ${r.records} records, ${r.bytes} bytes in ${r.seconds.toFixed(3)} s: ` +
    `${r.recordsPerSec} records/s, ${r.mbPerSec.toFixed(2)} MB/s\n` +
    `latency ms: p50 ${l.p50}  p95 ${l.p95}  p99 ${l.p99}  p99.9 ${l.p999}  max ${l.max}`
  )
}

export interface Progress {
  update(n: number): void
  stop(): void
}

/** A progress bar on a terminal, nothing otherwise (pipes and CI logs stay clean). */
/** A progress bar on `stream` when it is a terminal; `null` (--json output) or a pipe: none. */
export function progress(stream: (Writable & { isTTY?: boolean }) | null, total: number, label: string): Progress {
  if (stream === null || !stream.isTTY) return { update() {}, stop() {} }
  const bar = new cliProgress.SingleBar(
    { stream: stream as NodeJS.WritableStream, format: `${label} [{bar}] {percentage}% | {value}/{total} | {rate} rec/s | eta {eta}s`, hideCursor: true, clearOnComplete: true, fps: 10 },
    cliProgress.Presets.shades_classic,
  )
  const start = Date.now()
  bar.start(total, 0, { rate: 0 })
  return {
    update(n) {
      bar.update(n, { rate: Math.round(n / Math.max(0.001, (Date.now() - start) / 1000)) })
    },
    stop() {
      bar.stop()
    },
  }
}
