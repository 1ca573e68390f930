/**
 * The client-side workloads `bench cluster` runs against its brokers, all on the
 * public SDK: a batch-first producer (send() with many messages per call, a
 * bounded window of calls in flight), a counting consumer (eachBatch), paced
 * end-to-end latency, and one-record-at-a-time round trips.
 */
import { Tributary, type ClientConfig, type Producer, type ProducerConfig } from '@tributary/client'
import { ErrorCode } from '@tributary/protocol'
import { LatencyRecorder } from '../bench-stats.js'
import { sleep } from '../runtime.js'

/** Messages per producer.send() call in throughput runs. */
export const SEND_MESSAGES_MAX = 1_000
/** send() calls in flight at once in throughput runs (the producer's bufferBytes bounds bytes too). */
export const SENDS_IN_FLIGHT_MAX = 64
/** Records of one latency run sent in a single timer tick when the timer falls behind. */
const PACE_BURST_MAX = 1_000

export function newBenchClient(brokers: string[], clientId: string, tlsCa?: Buffer, sasl?: ClientConfig['sasl']): Tributary {
  // Default retries: failover is measured with the SDK's own defaults.
  return new Tributary({ brokers, clientId, ...(tlsCa ? { tls: { ca: tlsCa } } : {}), ...(sasl ? { sasl } : {}) })
}

export async function createTopic(client: Tributary, topic: string, partitions: number, replicationFactor: number): Promise<void> {
  try {
    await client.admin().createTopic({ topic, partitions, replicationFactor, timeoutMs: 15_000 })
  } catch (err) {
    if ((err as { code?: number }).code !== ErrorCode.TOPIC_ALREADY_EXISTS) throw err
  }
  // Leaders elected and serving: ListOffsets answers on every partition.
  const deadline = performance.now() + 15_000
  for (;;) {
    try {
      const offsets = await client.admin().fetchTopicOffsets(topic)
      if (offsets.length === partitions) return
    } catch (err) {
      if (performance.now() > deadline) throw err
    }
    await sleep(20)
  }
}

export function payload(size: number): Uint8Array {
  const b = new Uint8Array(size)
  for (let i = 0; i < size; i++) b[i] = 65 + (i % 26)
  return b
}

export interface Throughput {
  records: number
  bytes: number
  seconds: number
  /** CPU this (client) process spent per record, in microseconds: steadier than records/s on a busy machine. */
  clientCpuUsPerRecord?: number
}

/** CPU of this process since `from` (a process.cpuUsage()), in microseconds per record. */
function cpuPerRecord(from: NodeJS.CpuUsage, records: number): number {
  const used = process.cpuUsage(from)
  return Math.round(((used.user + used.system) / Math.max(1, records)) * 1000) / 1000
}

/** Send `records` values of `size` bytes, SEND_MESSAGES_MAX per call, SENDS_IN_FLIGHT_MAX calls in flight. */
export async function produceFast(client: Tributary, topic: string, records: number, size: number, config: ProducerConfig, signal: AbortSignal): Promise<Throughput> {
  const producer = client.producer(config)
  try {
    await producer.connect()
    const value = payload(size)
    const chunk = Array.from({ length: Math.min(SEND_MESSAGES_MAX, records) }, () => ({ value }))
    let sent = 0
    let acked = 0
    let failure: unknown
    const inFlight = new Set<Promise<void>>()
    const cpu = process.cpuUsage()
    const start = performance.now()
    while (sent < records && !failure && !signal.aborted) {
      const n = Math.min(chunk.length, records - sent)
      const p: Promise<void> = producer.send({ topic, messages: n === chunk.length ? chunk : chunk.slice(0, n) }).then(
        () => {
          acked += n
        },
        (err: unknown) => {
          failure ??= err
        },
      )
      sent += n
      inFlight.add(p)
      void p.finally(() => inFlight.delete(p))
      if (inFlight.size >= SENDS_IN_FLIGHT_MAX) await Promise.race(inFlight)
    }
    await Promise.all(inFlight)
    const seconds = (performance.now() - start) / 1000
    if (failure) throw failure
    return { records: acked, bytes: acked * size, seconds, clientCpuUsPerRecord: cpuPerRecord(cpu, acked) }
  } finally {
    await producer.close()
  }
}

/** Read every partition of `topic` from offset 0 until `records` have arrived. */
export async function consumeAll(client: Tributary, topic: string, partitions: number, records: number, signal: AbortSignal): Promise<Throughput> {
  // The SDK's defaults (1 MiB per partition, 16 MiB prefetch) read faster here than larger fetches.
  const consumer = client.consumer({})
  let count = 0
  let bytes = 0
  const start = performance.now()
  try {
    consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: 0 })))
    await new Promise<void>((resolve, reject) => {
      signal.addEventListener('abort', () => resolve(), { once: true })
      consumer.on('crash', (e: { error?: unknown }) => reject(e?.error ?? new Error('consumer crashed')))
      void consumer
        .run({
          eachBatch: ({ batch }) => {
            for (const m of batch.messages) bytes += m.value?.byteLength ?? 0
            count += batch.messages.length
            if (count >= records) resolve()
          },
        })
        .catch(reject)
    })
    return { records: count, bytes, seconds: (performance.now() - start) / 1000 }
  } finally {
    await consumer.disconnect()
  }
}

export interface LatencyRun {
  records: number
  seconds: number
  latency: LatencyRecorder
  /** Records sent that never arrived before the deadline. */
  missing: number
}

/**
 * One producer and one consumer here: send at `rate` records/s for `seconds`,
 * latency = consumer delivery - the moment send() was called for that record.
 * Values carry their sequence number in their first four bytes.
 */
export async function endToEnd(client: Tributary, topic: string, partitions: number, rate: number, seconds: number, size: number, config: ProducerConfig, signal: AbortSignal): Promise<LatencyRun> {
  const total = Math.max(1, Math.round(rate * seconds))
  const sentAt = new Float64Array(total).fill(-1)
  const latency = new LatencyRecorder()
  const ends = await client.admin().fetchTopicOffsets(topic)
  const consumer = client.consumer({})
  const producer = client.producer(config)
  let received = 0
  let allIn: () => void = () => {}
  const arrived = new Promise<void>((resolve) => (allIn = resolve))
  try {
    consumer.assign(ends.map((e) => ({ topic, partition: e.partition, offset: e.high })))
    void consumer.run({
      eachBatch: ({ batch }) => {
        const now = performance.now()
        for (const m of batch.messages) {
          const v = m.value
          if (!v || v.byteLength < 4) continue
          const seq = new DataView(v.buffer, v.byteOffset, 4).getUint32(0)
          if (seq >= total || sentAt[seq]! < 0) continue
          latency.recordMs(now - sentAt[seq]!)
          sentAt[seq] = -1
          if (++received === total) allIn()
        }
      },
    })
    await producer.connect()
    // A few records first, so connections and the fetch loop are warm before the clock starts.
    await producer.send({ topic, messages: [{ value: payload(size) }] })
    const start = performance.now()
    let i = 0
    const sends: Promise<unknown>[] = []
    while (i < total && !signal.aborted) {
      const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1, i + PACE_BURST_MAX)
      for (; i < due; i++) {
        const v = payload(size)
        new DataView(v.buffer).setUint32(0, i)
        sentAt[i] = performance.now()
        sends.push(producer.send({ topic, messages: [{ value: v, partition: i % partitions }] }))
      }
      if (i < total) await sleep(Math.max(1, (i * 1000) / rate - (performance.now() - start)))
    }
    await Promise.all(sends)
    await Promise.race([arrived, sleep(10_000, signal)])
    return { records: received, seconds: (performance.now() - start) / 1000, latency, missing: i - received }
  } finally {
    await producer.close()
    await consumer.disconnect()
  }
}

/** One record at a time, each awaited before the next: the acks round trip. */
export async function roundTrips(producer: Producer, topic: string, count: number, size: number, signal: AbortSignal): Promise<LatencyRecorder> {
  const latency = new LatencyRecorder()
  const value = payload(size)
  for (let i = 0; i < count && !signal.aborted; i++) {
    const t = performance.now()
    await producer.send({ topic, messages: [{ value, partition: 0 }] })
    latency.recordMs(performance.now() - t)
  }
  return latency
}

/**
 * Records sent and not yet acknowledged in a per-record run (the loop waits beyond it, as an
 * application bounds its backlog): the same bound as `bench produce` (BENCH_PENDING_MAX), so
 * the two measure the same thing. Each pending send holds two promises through every young
 * collection: 65,536 pending cost 2.0-2.1 us of client CPU per record against 1.2-1.4 us at
 * 4,096-16,384 (an instant in-memory broker, alternated runs).
 */
export const PER_RECORD_PENDING_MAX = 16_384

/**
 * What most applications do: one send() per record, none awaited, with a bound on how
 * many are unacknowledged. Counts in plain numbers (no Set of promises) so the loop
 * measures the producer, not itself.
 */
export async function producePerRecord(client: Tributary, topic: string, records: number, size: number, config: ProducerConfig, signal: AbortSignal): Promise<Throughput> {
  const producer = client.producer(config)
  try {
    await producer.connect()
    const value = payload(size)
    let acked = 0
    let settled = 0
    let failure: unknown
    let wake: (() => void) | undefined
    // Cleared when called: resolving a settled promise again still costs V8 a callback.
    const wakeLoop = (): void => {
      const w = wake
      wake = undefined
      w?.()
    }
    const ok = (): void => {
      acked++
      settled++
      wakeLoop()
    }
    const failed = (err: unknown): void => {
      failure ??= err
      settled++
      wakeLoop()
    }
    const room = (): Promise<void> => new Promise<void>((resolve) => (wake = resolve))
    const cpu = process.cpuUsage()
    const start = performance.now()
    let sent = 0
    while (sent < records && failure === undefined && !signal.aborted) {
      void producer.send({ topic, messages: [{ value }] }).then(ok, failed)
      sent++
      while (sent - settled >= PER_RECORD_PENDING_MAX) await room()
    }
    while (settled < sent) await room()
    const seconds = (performance.now() - start) / 1000
    if (failure) throw failure
    return { records: acked, bytes: acked * size, seconds, clientCpuUsPerRecord: cpuPerRecord(cpu, acked) }
  } finally {
    await producer.close()
  }
}
