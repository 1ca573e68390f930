/**
 * The Jepsen kafka-style workload: idempotent acks=all producers write unique
 * values (each producer its own client, each with a few concurrent senders,
 * partitions in turn), and consumers in one group read and auto-commit. It
 * records what clients were told: acknowledged writes with their offsets and
 * times, sends that failed (indeterminate), every delivered record, each
 * consumer's delivery runs per partition ownership, and acknowledged commits.
 */
import { Tributary, text, type ClientConfig, type Consumer, type Producer, type TributaryError } from '@tributary/client'
import { systemClock, type Clock } from '@tributary/protocol'
import type { AckedWrite, DeliveryRun, ReadRecord } from '../checker.js'
import type { TlsMaterial } from '../cluster.js'

export interface WorkloadOptions {
  /** client bootstrap URLs (the client proxies) */
  bootstrap: string[]
  /** for wss:// brokers */
  tls?: TlsMaterial
  /** SCRAM (or other) credentials the producers log in with (with an authorizer: Write on the topic, IdempotentWrite) */
  producerSasl?: ClientConfig['sasl']
  /** ... and the consumers (with an authorizer: Read on the topic and the group) */
  consumerSasl?: ClientConfig['sasl']
  topic: string
  partitions: number
  groupId: string
  producers?: number
  sendersPerProducer?: number
  consumers?: number
  /** pause between one sender's sends (a rate bound, not synchronisation) */
  sendGapMs?: number
  /** the time of acknowledgments, pauses and drains (the simulation's; default the system clock) */
  clock?: Clock
  /** more settings for the client of each producer and consumer (the simulation's connector, clock and random) */
  clientConfig?: (clientId: string) => Partial<ClientConfig>
}

/** Client-side timeouts: short enough that a blackholed request fails and is retried within a fault's hold. */
export const CLIENT_REQUEST_TIMEOUT_MS = 5000
export const PRODUCER_ACK_TIMEOUT_MS = 4000
/** Replacement consumers started after crashes, at most. */
export const CONSUMER_RESTARTS_MAX = 20

export class Workload {
  /** acknowledged writes, with when the acknowledgment arrived */
  readonly acked: Array<AckedWrite & { at: number }> = []
  readonly ackTimes: number[] = []
  readonly indeterminate: string[] = []
  readonly delivered: ReadRecord[] = []
  readonly runs: DeliveryRun[] = []
  /** acknowledged commits in acknowledgment order (consumer and time for failure reports) */
  readonly commits: Array<{ partition: number; offset: number; consumer: number; at: number }> = []
  readonly sendErrors = new Map<string, number>()
  consumerCrashes = 0
  /** Members that left the group on purpose (group churn); a leave whose answer is lost leaves a member until its session expires. */
  membersLeft = 0
  private readonly pending = new Set<string>()
  private readonly clients: Tributary[] = []
  private readonly consumers = new Set<Consumer>()
  private senders: Promise<void>[] = []
  private producing = false
  /** set once producers stopped: a late answer can no longer count as acknowledged (the final read may have happened) */
  private frozen = false
  private consuming = false
  private consumerSeq = 0
  private readonly clock: Clock

  constructor(private readonly o: WorkloadOptions) {
    this.clock = o.clock ?? systemClock
  }

  private client(id: string, sasl: ClientConfig['sasl']): Tributary {
    const t = new Tributary({
      brokers: this.o.bootstrap, clientId: id, requestTimeoutMs: CLIENT_REQUEST_TIMEOUT_MS, tls: this.o.tls, sasl,
      retry: { retries: 8, initialRetryTimeMs: 100, maxRetryTimeMs: 1000 },
      ...this.o.clientConfig?.(id),
    })
    this.clients.push(t)
    return t
  }

  async startConsumers(): Promise<void> {
    this.consuming = true
    for (let i = 0; i < (this.o.consumers ?? 2); i++) await this.startConsumer()
  }

  private async startConsumer(): Promise<void> {
    const id = this.consumerSeq++
    const c = this.client(`faults-consumer-${id}`, this.o.consumerSasl).consumer({ groupId: this.o.groupId, fromBeginning: true, maxWaitTimeInMs: 200, autoCommitIntervalMs: 500 })
    this.consumers.add(c)
    const open = new Map<number, DeliveryRun>()
    const assignedAt = new Map<number, number>()
    const runFor = (partition: number): DeliveryRun => {
      let run = open.get(partition)
      if (!run) {
        run = { consumer: id, partition, offsets: [], assignedAt: assignedAt.get(partition) }
        open.set(partition, run)
        this.runs.push(run)
      }
      return run
    }
    // a new ownership starts a new run; the previous owner's end is what it read
    const close = (p: { partitions: Array<{ partition: number }> }) => { for (const tp of p.partitions) open.delete(tp.partition) }
    c.on('assigned', (p: { partitions: Array<{ partition: number }> }) => {
      close(p)
      for (const tp of p.partitions) assignedAt.set(tp.partition, this.clock.now())
    })
    c.on('revoked', close)
    c.on('lost', close)
    c.on('commit', (p: { offsets: Array<{ partition: number; offset: number }> }) => {
      for (const o of p.offsets) this.commits.push({ partition: o.partition, offset: o.offset, consumer: id, at: this.clock.now() })
    })
    c.on('crash', (p: { error: TributaryError }) => {
      this.consumerCrashes++
      this.count(`consumer crash: ${p.error.type ?? p.error.code}`)
      this.consumers.delete(c)
      if (this.consuming && this.consumerSeq < (this.o.consumers ?? 2) + CONSUMER_RESTARTS_MAX) void this.startConsumer().catch(() => {})
    })
    await c.subscribe({ topics: [this.o.topic] })
    await c.run({
      eachMessage: async ({ partition, message }) => {
        const value = text(message.value) ?? ''
        this.delivered.push({ partition, offset: message.offset, value })
        runFor(partition).offsets.push(message.offset)
      },
    })
  }

  /** Group churn: one more member joins the group (the simulation's nemesis). */
  async joinConsumer(): Promise<void> {
    if (this.consuming) await this.startConsumer()
  }

  /** Group churn: one member leaves the group cleanly, unless it is the last one. */
  async leaveConsumer(): Promise<boolean> {
    const c = [...this.consumers][0]
    if (!c || this.consumers.size <= 1) return false
    this.consumers.delete(c)
    this.membersLeft++
    await c.disconnect().catch(() => {})
    return true
  }

  startProducers(): void {
    this.producing = true
    for (let p = 0; p < (this.o.producers ?? 2); p++) {
      const producer = this.client(`faults-producer-${p}`, this.o.producerSasl).producer({
        acks: 'all', idempotent: true, lingerMs: 2, ackTimeoutMs: PRODUCER_ACK_TIMEOUT_MS,
        retry: { retries: 8, initialRetryTimeMs: 100, maxRetryTimeMs: 1000 },
      })
      for (let s = 0; s < (this.o.sendersPerProducer ?? 3); s++) this.senders.push(this.sender(producer, `p${p}s${s}`, p + s))
    }
  }

  private async sender(producer: Producer, prefix: string, firstPartition: number): Promise<void> {
    let n = 0
    let partition = firstPartition % this.o.partitions
    while (this.producing) {
      const count = 1 + (n % 3 === 0 ? 1 : 0)
      const values = Array.from({ length: count }, () => `${prefix}-${n++}`)
      for (const v of values) this.pending.add(v)
      try {
        const meta = await producer.send({ topic: this.o.topic, messages: values.map((value) => ({ value, partition })) })
        const now = this.clock.now()
        if (!this.frozen) {
          meta.forEach((m, i) => {
            this.acked.push({ partition: m.partition, offset: m.offset, value: values[i]!, at: now })
            this.ackTimes.push(now)
          })
        }
      } catch (err) {
        this.count((err as TributaryError).type ?? String((err as Error).message).slice(0, 60))
        if (!this.frozen) this.indeterminate.push(...values) // once frozen, stopProducers already counted them
      } finally {
        for (const v of values) this.pending.delete(v)
      }
      partition = (partition + 1) % this.o.partitions
      await new Promise((resolve) => this.clock.setTimeout(() => resolve(undefined), this.o.sendGapMs ?? 10))
    }
  }

  private count(what: string): void {
    this.sendErrors.set(what, (this.sendErrors.get(what) ?? 0) + 1)
  }

  /** Stop starting sends; wait (up to drainMs) for the ones in flight. Unanswered ones count as indeterminate. */
  async stopProducers(drainMs: number): Promise<void> {
    this.producing = false
    let cancel = (): void => {}
    const timeout = new Promise<void>((resolve) => { cancel = this.clock.setTimeout(resolve, drainMs) })
    await Promise.race([Promise.all(this.senders), timeout])
    cancel()
    this.frozen = true
    this.indeterminate.push(...this.pending)
    this.pending.clear()
  }

  get partitionCount(): number {
    return this.o.partitions
  }

  /** Values sent and not yet answered (acknowledged or failed). */
  inFlight(): string[] {
    return [...this.pending]
  }

  /** Acknowledged values no consumer has delivered yet. */
  undelivered(): number {
    const got = new Set(this.delivered.map((r) => r.value))
    return this.acked.filter((w) => !got.has(w.value)).length
  }

  /** Consumers commit and leave; then every client closes. */
  async close(): Promise<void> {
    this.consuming = false
    this.producing = false
    await Promise.allSettled([...this.consumers].map((c) => c.disconnect()))
    this.consumers.clear()
    await Promise.allSettled(this.clients.map((t) => t.close()))
    this.clients.length = 0
  }
}

/** Gaps between consecutive acknowledgments longer than `minGapMs` within [from, to]: when producers got nothing through. */
export function unavailableWindows(ackTimes: readonly number[], from: number, to: number, minGapMs: number): number[] {
  const times = [from, ...ackTimes.filter((t) => t >= from && t <= to).sort((a, b) => a - b), to]
  const gaps: number[] = []
  for (let i = 1; i < times.length; i++) if (times[i]! - times[i - 1]! > minGapMs) gaps.push(times[i]! - times[i - 1]!)
  return gaps
}
