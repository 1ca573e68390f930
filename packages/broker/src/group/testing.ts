/**
 * In-memory stand-ins for the coordinator's collaborators, for unit tests (no
 * ports, no disks, no real time: the clock is testing/manual-clock.ts): a
 * metadata view the test edits, a ReplicaManager whose `__consumer_offsets` partitions are arrays
 * of batches (shared between coordinators to simulate failover), a handler
 * registry that calls handlers directly, and a controller that records requests.
 */
import { ErrorCode, patchBaseOffset, splitBatches, lastOffsetOf, type RpcResponse } from '@tributary/protocol'
import type { BrokerRegistration, MetadataChange, MetadataImage, MetadataListener, MetadataView, PartitionState, TopicState } from '../metadata/image-types.js'
import { editableImage, type EditableImage } from '../testing/editable-image.js'
import type { LeadershipChange } from '../replication/index.js'
import type { ControllerChannel, HandlerRegistry, HandlerResult, RequestContext, RequestHandler } from '../seams.js'
import { OFFSETS_TOPIC } from './offsets-topic.js'
import type { GroupReplicas } from './types.js'
import type { PartLogger } from '../seams.js'
import { anonymousSession } from '../security/session.js'

export class FakeMetadata implements MetadataView {
  private readonly img: EditableImage = editableImage('test')
  private readonly listeners = new Set<MetadataListener>()
  private topicSeq = 0

  constructor(readonly nodeId: number, brokerIds: number[] = [nodeId]) {
    for (const id of brokerIds) this.setBroker(id, { fenced: false })
  }

  /** Registers a broker (or re-registers it, fenced or not). */
  setBroker(id: number, opts: { fenced: boolean }): void {
    const b: BrokerRegistration = { nodeId: id, endpoint: `ws://127.0.0.1:${9091 + id}`, incarnationId: `inc-${id}`, brokerEpoch: id, rack: null, fenced: opts.fenced, inControlledShutdown: false }
    this.img.brokers.set(id, b)
    this.emit({ type: 'broker', broker: b })
  }

  image(): MetadataImage {
    return this.img
  }

  onPublish(listener: MetadataListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  brokerEpoch(): number {
    return this.nodeId
  }

  /** Creates a topic, or grows it to `partitions`; every partition led by `leader`. */
  setTopic(name: string, partitions: number, opts: { internal?: boolean; leader?: number } = {}): void {
    const old = this.img.topicsByName.get(name)
    const topicId = old?.topicId ?? `id-${name}-${++this.topicSeq}`
    const parts: PartitionState[] = [...(old?.partitions ?? [])]
    const added: PartitionState[] = []
    for (let p = parts.length; p < partitions; p++) {
      const leader = opts.leader ?? this.nodeId
      const ps: PartitionState = { topicId, topic: name, partition: p, replicas: [leader], isr: [leader], leader, leaderEpoch: 0, partitionEpoch: 0 }
      parts.push(ps)
      added.push(ps)
    }
    const t: TopicState = { name, topicId, internal: opts.internal ?? old?.internal ?? false, configs: {}, partitions: parts }
    this.img.topicsByName.set(name, t)
    this.img.topicsById.set(topicId, t)
    for (const ps of added) this.emit({ type: 'partition', partition: ps, previous: null })
  }

  removeTopic(name: string): void {
    const t = this.img.topicsByName.get(name)
    if (!t) return
    this.img.topicsByName.delete(name)
    this.img.topicsById.delete(t.topicId)
    this.emit({ type: 'topic-removed', topic: t })
  }

  private emit(change: MetadataChange): void {
    for (const l of this.listeners) l(this.img, { changes: [change] })
  }
}

/** The `__consumer_offsets` partitions: batches with their offsets assigned. Outlives coordinators. */
export class MemoryOffsetsLog {
  readonly batches = new Map<number, Uint8Array[]>()
  readonly ends = new Map<number, number>()

  append(partition: number, bytes: Uint8Array): number {
    const copy = bytes.slice()
    const slices = splitBatches(copy)
    if (!slices.ok) throw new Error(slices.message)
    const base = this.ends.get(partition) ?? 0
    let next = base
    const list = this.batches.get(partition) ?? []
    for (const s of slices.value) {
      patchBaseOffset(copy, s.at, next)
      next += s.header.lastOffsetDelta + 1
      list.push(s.bytes)
    }
    this.batches.set(partition, list)
    this.ends.set(partition, next)
    return base
  }

  recordCount(partition: number): number {
    return this.ends.get(partition) ?? 0
  }
}

export class FakeReplicas implements GroupReplicas {
  private readonly leaders = new Set<number>()
  private readonly listeners = new Set<(e: LeadershipChange) => void>()
  /** When set, appends fail with this code (as a lost ISR would). */
  failAppendsWith: number | null = null
  /** When set, reads wait for this promise (a slow load). */
  readGate: Promise<void> | null = null
  appends = 0

  constructor(readonly log: MemoryOffsetsLog) {}

  setLeader(partition: number, isLeader: boolean): void {
    if (isLeader) this.leaders.add(partition)
    else this.leaders.delete(partition)
    for (const l of this.listeners) l({ topic: OFFSETS_TOPIC, partition, isLeader, leaderEpoch: 0 })
  }

  async appendAsLeader(topic: string, partition: number, batches: Uint8Array, _acks: -1 | 1): Promise<{ errorCode: number; baseOffset: number }> {
    await Promise.resolve()
    if (topic !== OFFSETS_TOPIC || !this.leaders.has(partition)) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, baseOffset: -1 }
    if (this.failAppendsWith !== null) return { errorCode: this.failAppendsWith, baseOffset: -1 }
    this.appends++
    return { errorCode: ErrorCode.NONE, baseOffset: this.log.append(partition, batches) }
  }

  async readLocal(topic: string, partition: number, fromOffset: number, maxBytes: number) {
    if (this.readGate) await this.readGate
    const end = this.log.ends.get(partition) ?? 0
    const base = { highWatermark: end, logStartOffset: 0, logEndOffset: end }
    if (topic !== OFFSETS_TOPIC || !this.leaders.has(partition)) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, records: new Uint8Array(0), ...base }
    if (fromOffset > end) return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, records: new Uint8Array(0), ...base }
    const out: Uint8Array[] = []
    let bytes = 0
    for (const b of this.log.batches.get(partition) ?? []) {
      const h = splitBatches(b)
      if (!h.ok || lastOffsetOf(h.value[0].header) < fromOffset) continue
      if (out.length > 0 && bytes + b.length > maxBytes) break
      out.push(b)
      bytes += b.length
    }
    const records = new Uint8Array(bytes)
    let at = 0
    for (const b of out) {
      records.set(b, at)
      at += b.length
    }
    return { errorCode: ErrorCode.NONE, records, ...base }
  }

  isLeader(topic: string, partition: number): boolean {
    return topic === OFFSETS_TOPIC && this.leaders.has(partition)
  }

  onLeadershipChange(listener: (e: LeadershipChange) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  highWatermark(topic: string, partition: number): number {
    return this.isLeader(topic, partition) ? this.log.ends.get(partition) ?? 0 : -1
  }
}

export class FakeRegistry implements HandlerRegistry {
  readonly handlers = new Map<number, RequestHandler>()

  register(apiKey: number, handler: RequestHandler): void {
    this.handlers.set(apiKey, handler)
  }

  async call(apiKey: number, body: unknown): Promise<NonNullable<HandlerResult>> {
    const handler = this.handlers.get(apiKey)
    if (!handler) throw new Error(`no handler for api ${apiKey}`)
    const ctx: RequestContext = { connectionId: 1, remoteAddress: 'test', apiKey, apiVersion: 0, correlationId: 1, signal: new AbortController().signal, session: anonymousSession(), tls: false, clusterAccess: true }
    const r = await handler(body, ctx)
    if (!r) throw new Error('handler sent no response')
    return r
  }
}

export class FakeController implements ControllerChannel {
  readonly requests: Array<{ apiKey: number; body: any }> = []
  async request<B = any>(apiKey: number, body: unknown): Promise<RpcResponse<B>> {
    this.requests.push({ apiKey, body })
    return { errorCode: ErrorCode.NONE, body: { topics: [] } as B }
  }
}

export const silentLogger: PartLogger = { debug() {}, info() {}, warn() {}, error() {} }
