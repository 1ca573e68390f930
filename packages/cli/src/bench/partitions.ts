/**
 * `bench cluster --scenario partitions` (issue #25): 3 brokers, RF 3, many
 * partitions (default 10,000 = 500 topics × 20). Measures, in order:
 *
 * 1. the time to create every topic (CreateTopics of 50 topics at a time, each
 *    waiting for leaders in metadata);
 * 2. the time to restart one broker (not the controller; SIGTERM, then spawn)
 *    until its /readyz answers 200;
 * 3. the time for a group of 3 consumers subscribed to all of them to be assigned
 *    every partition and to have read a record from each (one seeded per partition);
 * 4. optionally (`loadRate` > 0) an acks=all idempotent producer at up to
 *    `loadRate` rec/s over every partition for `loadSeconds` while the group reads
 *    (at most LOAD_SENDS_IN_FLIGHT_MAX sends in flight: a slow cluster gets fewer).
 *
 * Over the whole run it reports what issue #25 found breaking at scale: Raft
 * elections (term changes), fencings, the worst Raft tick delay, controller
 * heartbeat gap and event-loop delay (from each broker's /metrics), warning lines
 * per broker, and peak broker RSS.
 */
import type { Batch, Consumer, Tributary } from '@tributary/client'
import { ErrorCode } from '@tributary/protocol'
import { sleep } from '../runtime.js'
import { InFlight } from './in-flight.js'
import type { LocalCluster } from './local-cluster.js'
import type { Env, ScenarioResult } from './scenarios.js'
import { newBenchClient, payload } from './workloads.js'

export const PARTITIONS_PER_TOPIC = 20
export const PARTITIONS_DEFAULT = 10_000
/** Topics per CreateTopics request: 1,000 partitions, one metadata entry of ~130 kB. */
const TOPICS_PER_REQUEST = 50
const CONSUMERS = 3
const GROUP_DEADLINE_MS = 180_000
const VALUE_BYTES = 100
/** Sends in flight at once in the load phase. */
const LOAD_SENDS_IN_FLIGHT_MAX = 256

export interface PartitionsOptions {
  partitions: number
  loadRate: number
  loadSeconds: number
}

/** Figures scraped from one broker's /metrics. */
export interface ControlPlaneSample {
  raftTerm: number
  fencedBrokers: number
  /** ticks that ran later than 0.25 s / 0.5 s after they were due */
  ticksLate250ms: number
  ticksLate500ms: number
  /** of those late by 0.25 s, the ones where this process was busy (not waiting for a CPU) */
  ticksLate250msBusy: number
  ticks: number
  /** heartbeat gaps on the controller over 1 s / 2 s */
  heartbeatGapsOver1s: number
  heartbeatGapsOver2s: number
  /** event-loop delay max since the previous scrape, ms */
  eventLoopMaxMs: number
  raftPersistOver100ms: number
  /** sessions that looked expired on the controller but had a heartbeat read in the next event-loop turn */
  sessionReprieves: number
}

export const topicName = (i: number): string => `bench-p-${String(i).padStart(5, '0')}`
const secs = (ms: number): number => Math.round(ms) / 1000

/**
 * `count` consumers of `groupId` subscribed to every bench topic from the beginning,
 * each batch handed to `eachBatch`. They join `consumers` as they start, so the
 * caller disconnects the ones started even when a later one fails.
 */
export async function startGroupConsumers(client: Tributary, groupId: string, count: number, consumers: Consumer[], eachBatch: (batch: Batch) => void): Promise<void> {
  for (let i = 0; i < count; i++) {
    const c = client.consumer({ groupId })
    consumers.push(c)
    await c.subscribe({ topics: [/bench-p-\d+/], fromBeginning: true })
    void c.run({ eachBatch: ({ batch }) => eachBatch(batch) })
  }
}

export async function partitions(env: Env, opts: PartitionsOptions): Promise<ScenarioResult> {
  const topics = Math.ceil(opts.partitions / PARTITIONS_PER_TOPIC)
  const total = topics * PARTITIONS_PER_TOPIC
  const names = Array.from({ length: topics }, (_, i) => topicName(i))
  const before = await scrapeAll(env.cluster)
  const eventLoopMaxMs = new Map<number, number>()
  const sampler = setInterval(() => void scrapeAll(env.cluster).then((s) => mergeLoopMax(eventLoopMaxMs, s)), 2_000)
  env.rss.take()
  try {
    const { ms: createMs, retries: createRetries } = await createAll(env, names)
    await seed(env, names)
    const restart = await restartOne(env.cluster)
    const group = await groupReads(env, names, total, opts)
    const after = await scrapeAll(env.cluster)
    mergeLoopMax(eventLoopMaxMs, after)
    const cp = controlPlane(before, after, eventLoopMaxMs)
    const warnings = env.cluster.nodes.map((n) => n.warnings)
    const fencings = env.cluster.nodes.reduce((a, n) => a + n.fencings, 0)
    const rss = env.rss.take()
    const met = createMs <= 10_000 && restart.readyMs <= 5_000 && group.readingMs <= 10_000
    return {
      name: 'partitions',
      target: `${total.toLocaleString('en-US')} partitions RF 3: create <= 10 s, restart to /readyz <= 5 s, group of 3 reading <= 10 s`,
      measured: `create ${secs(createMs)} s, restart ${secs(restart.readyMs)} s, group assigned ${secs(group.assignedMs)} s / reading ${secs(group.readingMs)} s`,
      met,
      seconds: secs(createMs + restart.readyMs + group.readingMs),
      records: total + group.loadAcked,
      details: {
        partitions: total, topics,
        createS: secs(createMs), createRetries, restartReadyS: secs(restart.readyMs), restartedNode: restart.node,
        groupAssignedS: secs(group.assignedMs), groupReadingS: secs(group.readingMs),
        loadRate: opts.loadRate, loadSeconds: opts.loadSeconds, loadAcked: group.loadAcked, loadFailed: group.loadFailed,
        ...cp,
        fencings, warningLines: warnings.join('/'),
        brokerRssPeakMiB: rss.total, brokerRssAnonPeakMiB: rss.anon,
      },
    }
  } finally {
    clearInterval(sampler)
  }
}

/**
 * A broker fenced meanwhile makes the controller refuse RF 3 (INVALID_REPLICATION_FACTOR), a
 * controller change refuses the batch (NOT_CONTROLLER): it is tried again (counted in
 * `createRetries`, while elections are counted on their own), for at most this long.
 */
const CREATE_RETRY_MS_MAX = 120_000
/** Refusals a batch is tried again after (only its topics not created yet): a fenced broker, a controller change mid-batch. */
const CREATE_RETRIABLE: ReadonlySet<number> = new Set([ErrorCode.INVALID_REPLICATION_FACTOR, ErrorCode.TOPIC_ALREADY_EXISTS, ErrorCode.NOT_CONTROLLER, ErrorCode.REQUEST_TIMED_OUT])

export async function createAll(env: Env, names: string[]): Promise<{ ms: number; retries: number }> {
  const admin = env.client.admin()
  const start = performance.now()
  let retries = 0
  for (let i = 0; i < names.length && !env.signal.aborted; i += TOPICS_PER_REQUEST) {
    let batch = names.slice(i, i + TOPICS_PER_REQUEST)
    for (const deadline = performance.now() + CREATE_RETRY_MS_MAX; ;) {
      try {
        await admin.createTopics({ topics: batch.map((topic) => ({ topic, partitions: PARTITIONS_PER_TOPIC, replicationFactor: 3 })), timeoutMs: 60_000 })
        break
      } catch (err) {
        const code = (err as { code?: number }).code
        if (!CREATE_RETRIABLE.has(code ?? 0) || performance.now() > deadline) throw err
        retries++
        await sleep(500, env.signal)
        const existing = new Set(await admin.listTopics())
        batch = batch.filter((t) => !existing.has(t))
        if (batch.length === 0) break
      }
    }
  }
  return { ms: performance.now() - start, retries }
}

/** One record in every partition, so "reading" means a record from each arrived. */
async function seed(env: Env, names: string[]): Promise<void> {
  // acks=all: an acks=1 record may be truncated away by a leader change, and "reading" would then wait for it forever
  const producer = env.client.producer({ acks: 'all', idempotent: true })
  try {
    await producer.connect()
    const value = payload(VALUE_BYTES)
    const sends = names.map((topic) => producer.send({ topic, messages: Array.from({ length: PARTITIONS_PER_TOPIC }, (_, partition) => ({ value, partition })) }))
    await Promise.all(sends)
  } finally {
    await producer.close()
  }
}

/** SIGTERM a broker that is not the controller, start it again, time spawn → /readyz. */
async function restartOne(cluster: LocalCluster): Promise<{ node: number; readyMs: number }> {
  const samples = await scrapeAll(cluster)
  const controller = [...samples.values()].map((s) => s.leaderId).find((id) => id > 0) ?? 1
  const node = cluster.nodes.find((n) => n.id !== controller)!
  await cluster.kill(node.id, 'SIGTERM')
  const start = performance.now()
  await cluster.spawn(node)
  await cluster.waitReady(node.id, 60_000)
  return { node: node.id, readyMs: performance.now() - start }
}

interface GroupRun { assignedMs: number; readingMs: number; loadAcked: number; loadFailed: number }

async function groupReads(env: Env, names: string[], total: number, opts: PartitionsOptions): Promise<GroupRun> {
  const client = newBenchClient(env.cluster.bootstrap, 'bench-partitions')
  const consumers: Consumer[] = []
  const seen = new Set<string>()
  try {
    const start = performance.now()
    let assignedMs = -1
    let readingMs = -1
    await startGroupConsumers(client, 'bench-partitions', CONSUMERS, consumers, (batch) => {
      if (batch.messages.length > 0) seen.add(`${batch.topic}/${batch.partition}`)
    })
    const deadline = start + GROUP_DEADLINE_MS
    while ((assignedMs < 0 || readingMs < 0) && performance.now() < deadline && !env.signal.aborted) {
      const owned = consumers.map((c) => c.assignment().length)
      if (assignedMs < 0 && owned.every((n) => n > 0) && owned.reduce((a, b) => a + b, 0) === total) assignedMs = performance.now() - start
      if (readingMs < 0 && seen.size === total) readingMs = performance.now() - start
      await sleep(50)
    }
    const load = opts.loadRate > 0 ? await produceLoad(env, names, opts) : { acked: 0, failed: 0 }
    return { assignedMs: assignedMs < 0 ? Number.NaN : assignedMs, readingMs: readingMs < 0 ? Number.NaN : readingMs, loadAcked: load.acked, loadFailed: load.failed }
  } finally {
    await Promise.all(consumers.map((c) => c.disconnect().catch(() => {})))
    await client.close()
  }
}

/** An acks=all idempotent producer at `loadRate` rec/s, one record per send, round robin over every partition. */
async function produceLoad(env: Env, names: string[], opts: PartitionsOptions): Promise<{ acked: number; failed: number }> {
  const producer = env.client.producer({ acks: 'all', idempotent: true })
  let acked = 0
  let failed = 0
  try {
    await producer.connect()
    const value = payload(VALUE_BYTES)
    const limit = new InFlight(LOAD_SENDS_IN_FLIGHT_MAX)
    const start = performance.now()
    const endAt = start + opts.loadSeconds * 1000
    // bounded by time, not count: a cluster slower than the rate gets fewer records, not a longer run
    for (let i = 0; performance.now() < endAt && !env.signal.aborted; i++) {
      const due = (i * 1000) / opts.loadRate - (performance.now() - start)
      if (due > 1) await sleep(due)
      const slot = i % (names.length * PARTITIONS_PER_TOPIC)
      await limit.add(producer
        .send({ topic: names[Math.floor(slot / PARTITIONS_PER_TOPIC)]!, messages: [{ value, partition: slot % PARTITIONS_PER_TOPIC }] })
        .then(() => void acked++, () => void failed++))
    }
    await limit.idle()
  } finally {
    await producer.close().catch(() => {})
  }
  return { acked, failed }
}

// ------------------------------------------------------------------ /metrics

export type Scraped = ControlPlaneSample & { leaderId: number; underReplicated: number }

export async function scrapeAll(cluster: LocalCluster): Promise<Map<number, Scraped>> {
  const out = new Map<number, Scraped>()
  await Promise.all(cluster.nodes.map(async (n) => {
    if (!n.child) return
    try {
      const res = await fetch(`http://127.0.0.1:${n.port}/metrics`, { signal: AbortSignal.timeout(5_000) })
      out.set(n.id, parseMetrics(await res.text()))
    } catch {
      // a node restarting: no sample this time
    }
  }))
  return out
}

/** The figures this scenario reads from a Prometheus text exposition. */
export function parseMetrics(text: string): Scraped {
  /** The sum over every series of `name` whose labels include each of `labels`. */
  const value = (name: string, ...labels: string[]): number => {
    let sum = 0
    for (const m of text.matchAll(new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`, 'gm'))) {
      const have = (m[1] ?? '').split(',')
      if (labels.every((l) => have.includes(l))) sum += Number(m[2])
    }
    return sum
  }
  const over = (name: string, le: string, ...labels: string[]): number => value(`${name}_count`, ...labels) - value(`${name}_bucket`, `le="${le}"`, ...labels)
  const quantile = (name: string, q: string): number => {
    const m = new RegExp(`^${name}\\{[^}]*quantile="${q}"[^}]*\\} (\\S+)$`, 'm').exec(text)
    return m ? Number(m[1]) : 0
  }
  return {
    raftTerm: value('tributary_raft_term'),
    leaderId: value('tributary_raft_leader_id'),
    underReplicated: value('tributary_cluster_under_replicated_partitions'),
    fencedBrokers: value('tributary_fenced_brokers'),
    ticks: value('tributary_raft_tick_delay_seconds_count'),
    ticksLate250ms: over('tributary_raft_tick_delay_seconds', '0.25'),
    ticksLate500ms: over('tributary_raft_tick_delay_seconds', '0.5'),
    ticksLate250msBusy: over('tributary_raft_tick_delay_seconds', '0.25', 'cause="busy"'),
    heartbeatGapsOver1s: over('tributary_controller_heartbeat_gap_seconds', '1'),
    heartbeatGapsOver2s: over('tributary_controller_heartbeat_gap_seconds', '2'),
    eventLoopMaxMs: quantile('tributary_event_loop_delay_seconds', '1') * 1000,
    raftPersistOver100ms: over('tributary_raft_persist_seconds', '0.1'),
    sessionReprieves: value('tributary_controller_session_reprieves_total'),
  }
}

export function mergeLoopMax(into: Map<number, number>, samples: Map<number, Scraped>): void {
  for (const [id, s] of samples) into.set(id, Math.max(into.get(id) ?? 0, s.eventLoopMaxMs))
}

/** Run totals: the restarted broker's counters start over, so its figures cover its second life only. */
export function controlPlane(before: Map<number, Scraped>, after: Map<number, Scraped>, loopMax: Map<number, number>): Record<string, number | string> {
  const terms = [...after.values()].map((s) => s.raftTerm)
  const termsBefore = [...before.values()].map((s) => s.raftTerm)
  const sum = (f: (s: Scraped) => number): number => [...after.values()].reduce((a, s) => a + f(s), 0)
  const per = (f: (s: Scraped) => number): string => [...after.entries()].sort(([a], [b]) => a - b).map(([, s]) => Math.round(f(s))).join('/')
  return {
    raftElections: Math.max(...terms) - Math.max(...termsBefore),
    ticksLate250ms: per((s) => s.ticksLate250ms),
    ticksLate500ms: per((s) => s.ticksLate500ms),
    ticksLate250msBusy: per((s) => s.ticksLate250msBusy),
    heartbeatGapsOver1s: sum((s) => s.heartbeatGapsOver1s),
    heartbeatGapsOver2s: sum((s) => s.heartbeatGapsOver2s),
    sessionReprieves: sum((s) => s.sessionReprieves),
    raftPersistOver100ms: per((s) => s.raftPersistOver100ms),
    eventLoopMaxMs: [...loopMax.entries()].sort(([a], [b]) => a - b).map(([, v]) => Math.round(v)).join('/'),
  }
}
