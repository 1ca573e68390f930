/**
 * The `reassign` scenario of `bench cluster` (issue #19): four brokers started
 * with `--reassignment-throttle-bytes`; a topic on brokers 1-3 holds `bytes` of
 * log; then every partition moves its replica on broker 3 to broker 4 while an
 * acks=all idempotent producer sends at a steady rate. Figures: how long the move
 * took (the throttle bounds it from below: the issue's 1 GiB at 20 MB/s takes
 * >= 45 s) and the producer's p99 during the move against its p99 just before
 * (within 2x: the move must not take the clients' latency). The details say
 * where the slow sends fell (the copy, or the last seconds: the handoff of the
 * partitions whose leader leaves), the p99 of the same probe after the move (how
 * far the machine's own load moves it) and the load average.
 */
import os from 'node:os'
import type { Producer } from '@tributary/client'
import { LatencyRecorder } from '../bench-stats.js'
import { sleep } from '../runtime.js'
import type { Env, ScenarioResult } from './scenarios.js'
import { createTopic, payload, produceFast } from './workloads.js'

export interface ReassignOptions {
  /** log bytes to move (on broker 3, one replica of every partition) */
  bytes: number
  /** the brokers' --reassignment-throttle-bytes */
  throttleBytes: number
}

const TOPIC = 'reassign'
const PARTITIONS = 6
/** Records of the fill: large, so filling a GiB is quick; the move copies bytes, not records. */
const FILL_VALUE_BYTES = 16 * 1024
/** The latency probe: acks=all sends per second, small records. */
const PROBE_RATE = 200
const PROBE_VALUE_BYTES = 100
const BASELINE_SECONDS = 10
/** How often the scenario asks whether the move is over. */
const POLL_MS = 250
/** The last stretch of the move (ms before it was seen complete) counted as the leaders' handoff in the details. */
const HANDOFF_WINDOW_MS = 3000
/** Slowest sends listed in the details. */
const SLOWEST_SHOWN = 12
/** p99 during the move may be this many times the p99 before it. */
const P99_RATIO_MAX = 2

/** One probe send: when it started (ms since the probe began), its partition, and its send → ack latency. */
interface Sample { atMs: number; partition: number; ms: number }

/** Send PROBE_RATE records/s (each awaited on its own) until `until` resolves; the send → ack latency of each. */
async function probe(producer: Producer, until: Promise<unknown>, signal: AbortSignal): Promise<{ latency: LatencyRecorder; samples: Sample[] }> {
  const latency = new LatencyRecorder()
  const samples: Sample[] = []
  let done = false
  void until.finally(() => { done = true })
  const sends: Promise<void>[] = []
  const start = performance.now()
  for (let i = 0; !done && !signal.aborted; i++) {
    const t = performance.now()
    const partition = i % PARTITIONS
    sends.push(producer.send({ topic: TOPIC, messages: [{ value: payload(PROBE_VALUE_BYTES), partition }] }).then(() => {
      const ms = performance.now() - t
      latency.recordMs(ms)
      samples.push({ atMs: t - start, partition, ms })
    }))
    await sleep(Math.max(0, ((i + 1) * 1000) / PROBE_RATE - (performance.now() - start)))
  }
  await Promise.all(sends)
  return { latency, samples }
}

/**
 * Where the slow sends of the move fell: the p99 of the sends that started in
 * the last HANDOFF_WINDOW_MS before the move was seen complete (the handoff of
 * the partitions whose leader left) and of the rest (the copy), and the slowest
 * sends with when they started and their partition.
 */
function slowSends(samples: Sample[], moveMs: number, movedLeaders: ReadonlySet<number>): Record<string, number | string> {
  const p99 = (xs: Sample[]) => {
    const sorted = xs.map((x) => x.ms).sort((a, b) => a - b)
    return sorted.length === 0 ? 0 : Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]! * 10) / 10
  }
  const handoff = samples.filter((x) => x.atMs >= moveMs - HANDOFF_WINDOW_MS)
  const copy = samples.filter((x) => x.atMs < moveMs - HANDOFF_WINDOW_MS)
  return {
    p99CopyMs: p99(copy),
    p99CopyMovedLeaderMs: p99(copy.filter((x) => movedLeaders.has(x.partition))),
    p99CopyOtherMs: p99(copy.filter((x) => !movedLeaders.has(x.partition))),
    p99HandoffMs: p99(handoff),
    // "at s (partition) ms", slowest first
    slowest: [...samples].sort((a, b) => b.ms - a.ms).slice(0, SLOWEST_SHOWN).map((x) => `${(x.atMs / 1000).toFixed(1)}s (p${x.partition}) ${Math.round(x.ms)}ms`).join('; '),
  }
}

export async function reassign(env: Env, o: ReassignOptions): Promise<ScenarioResult> {
  const admin = env.client.admin()
  const assignments = Array.from({ length: PARTITIONS }, (_, p) => [1, 2, 3].map((_, i) => ((p + i) % 3) + 1))
  await admin.createTopic({ topic: TOPIC, partitions: PARTITIONS, replicationFactor: 3, assignments, timeoutMs: 15_000 })
  await createTopic(env.client, TOPIC, PARTITIONS, 3) // waits until every partition serves
  await produceFast(env.client, TOPIC, Math.ceil(o.bytes / FILL_VALUE_BYTES), FILL_VALUE_BYTES, { acks: 1, idempotent: false }, env.signal)
  const producer = env.client.producer({ acks: 'all', idempotent: true, lingerMs: 0 })
  try {
    await producer.connect()
    const before = (await probe(producer, sleep(BASELINE_SECONDS * 1000, env.signal), env.signal)).latency.summaryMs()
    const start = performance.now()
    await admin.alterPartitionReassignments({
      topics: [{ topic: TOPIC, partitions: assignments.map((replicas, partition) => ({ partition, replicas: replicas.map((r) => (r === 3 ? 4 : r)) })) }],
    })
    const moved = (async () => {
      while (!env.signal.aborted && (await admin.listPartitionReassignments()).length > 0) await sleep(POLL_MS, env.signal)
    })()
    const { latency: duringRecorder, samples } = await probe(producer, moved, env.signal)
    const during = duringRecorder.summaryMs()
    await moved
    const seconds = (performance.now() - start) / 1000
    // the same probe once more after the move: on a shared machine, how far the load alone moves the p99 (not part of the target)
    const after = (await probe(producer, sleep(BASELINE_SECONDS * 1000, env.signal), env.signal)).latency.summaryMs()
    // the partitions led by broker 3 (their first replica), whose leader leaves at the end of the move
    const movedLeaders = new Set(assignments.flatMap((replicas, partition) => (replicas[0] === 3 ? [partition] : [])))
    const floorSeconds = (o.bytes - o.throttleBytes) / o.throttleBytes
    const ratio = during.p99 / Math.max(before.p99, 0.001)
    return {
      name: 'reassign',
      target: `>= ${floorSeconds.toFixed(0)} s at ${(o.throttleBytes / 1e6).toFixed(0)} MB/s; p99 <= ${P99_RATIO_MAX}x`,
      measured: `${seconds.toFixed(1)} s (${(o.bytes / 1e6 / seconds).toFixed(1)} MB/s); p99 ${before.p99} -> ${during.p99} ms (${ratio.toFixed(2)}x)`,
      met: seconds >= floorSeconds && ratio <= P99_RATIO_MAX,
      records: duringRecorder.count,
      seconds: Math.round(seconds * 1000) / 1000,
      latencyMs: during,
      details: {
        bytes: o.bytes, throttleBytes: o.throttleBytes, p99BeforeMs: before.p99, p99DuringMs: during.p99, p50BeforeMs: before.p50, p50DuringMs: during.p50, p99AfterMs: after.p99, p50AfterMs: after.p50,
        ...slowSends(samples, seconds * 1000, movedLeaders), loadAverage: os.loadavg().map((x) => x.toFixed(1)).join(' '),
      },
    }
  } finally {
    await producer.close().catch(() => {})
  }
}
