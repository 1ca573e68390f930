/**
 * How long control-plane work waits behind everything else on the event loop
 * (issue #25: the controller lost Raft leadership under data-plane load alone).
 * Four measures on the node's registry:
 *
 * - `tributary_event_loop_delay_seconds`: perf_hooks.monitorEventLoopDelay,
 *   summarised per scrape (max and p99 since the previous one);
 * - `tributary_raft_tick_delay_seconds`: from a Raft tick being due to it running
 *   (a leader's heartbeats go out on ticks: a follower elects after
 *   electionTimeoutTicks of silence);
 * - `tributary_raft_persist_seconds`: one Ready's synced write of the Raft log
 *   (LevelDB's writes share libuv's thread pool with the partition logs);
 * - `tributary_controller_heartbeat_gap_seconds`: on the controller, the time
 *   between two heartbeats of a broker (past brokerSessionTimeoutMs it is fenced);
 * - `tributary_controller_session_reprieves_total`: on the controller, sessions
 *   that looked expired when the check ran but had a heartbeat read in the next
 *   event-loop turn (it was waiting in a socket while this process stalled):
 *   each one a fencing that load alone would have caused.
 *
 * A tick late by more than `TICK_DELAY_LOG_MS` is also logged, rate-limited.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { RateLimitedLog } from './log-limit.js'

/** monitorEventLoopDelay's sampling resolution. */
export const EVENT_LOOP_RESOLUTION_MS = 10
/** A Raft tick this late is worth a (rate-limited) log line: it is half the default election timeout. */
export const TICK_DELAY_LOG_MS = 250

/** CPU time over wall time between two ticks from which a late tick counts as our own work (cpuUsage counts every thread: GC helpers and the libuv pool too). */
const BUSY_CPU_SHARE = 0.5
const DELAY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5]

export class ControlPlaneTimings {
  /**
   * `cause`: `busy` when this process used at least half a core's CPU time since
   * the previous tick (our own work held the loop), `starved` when it did not (the
   * process waited for a CPU: a shared machine, or GC threads).
   */
  readonly tickDelay = new Histogram({ name: 'tributary_raft_tick_delay_seconds', help: 'time from a Raft tick being due to it running', labelNames: ['cause'], buckets: DELAY_BUCKETS_S, registers: [] })
  readonly persist = new Histogram({ name: 'tributary_raft_persist_seconds', help: 'synced write of one Raft Ready (entries, hard state)', buckets: DELAY_BUCKETS_S, registers: [] })
  readonly heartbeatGap = new Histogram({
    name: 'tributary_controller_heartbeat_gap_seconds', help: 'on the controller: time between two heartbeats of one broker',
    buckets: [0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10], registers: [],
  })
  readonly sessionReprieves = new Counter({
    name: 'tributary_controller_session_reprieves_total', help: 'on the controller: sessions that looked expired but had a heartbeat read in the next event-loop turn (not fenced)', registers: [],
  })
  private readonly loop: IntervalHistogram
  private lastTickAt = performance.now()
  private lastCpuMicros = 0

  constructor(private readonly log: RateLimitedLog | null = null) {
    this.loop = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS })
  }

  start(): void {
    const cpu = process.cpuUsage()
    this.lastCpuMicros = cpu.user + cpu.system
    this.lastTickAt = performance.now()
    this.loop.enable()
  }

  stop(): void {
    this.loop.disable()
  }

  /** Adds the histograms and the event-loop gauges to a node's registry. */
  register(registry: Registry): void {
    for (const m of [this.tickDelay, this.persist, this.heartbeatGap, this.sessionReprieves]) registry.registerMetric(m)
    const loop = this.loop
    new Gauge({
      name: 'tributary_event_loop_delay_seconds', help: 'event-loop delay since the previous scrape (perf_hooks.monitorEventLoopDelay)',
      labelNames: ['quantile'], registers: [registry],
      collect() {
        if (loop.count === 0) return
        this.set({ quantile: '0.5' }, loop.percentile(50) / 1e9)
        this.set({ quantile: '0.99' }, loop.percentile(99) / 1e9)
        this.set({ quantile: '1' }, loop.max / 1e9)
        loop.reset()
      },
    })
  }

  tickRan(lateMs: number): void {
    const now = performance.now()
    const cpu = process.cpuUsage()
    const cpuMs = (cpu.user + cpu.system - this.lastCpuMicros) / 1000
    const wallMs = now - this.lastTickAt
    this.lastCpuMicros = cpu.user + cpu.system
    this.lastTickAt = now
    const cause = cpuMs >= wallMs * BUSY_CPU_SHARE ? 'busy' : 'starved'
    this.tickDelay.observe({ cause }, Math.max(0, lateMs) / 1000)
    if (lateMs > TICK_DELAY_LOG_MS) this.log?.info(`raft tick late:${cause}`, { lateMs: Math.round(lateMs), cpuMs: Math.round(cpuMs), cause }, 'Raft tick ran late')
  }

  persisted(ms: number): void {
    this.persist.observe(ms / 1000)
  }

  heartbeat(gapMs: number): void {
    this.heartbeatGap.observe(gapMs / 1000)
  }

  sessionReprieved(): void {
    this.sessionReprieves.inc()
  }
}
