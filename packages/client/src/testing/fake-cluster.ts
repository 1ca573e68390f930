/**
 * An in-process fake of a Tributary cluster for the client's unit tests: each
 * "node" answers the wire protocol over memoryTransportPair, so the client runs
 * its real connection, batching, retry and group code against it. Faults are
 * injected per request with `intercept`, and nodes can be killed and revived.
 * It is deliberately simple (one log per partition, no replication).
 */
import {
  API_VERSIONS,
  ApiKey,
  ErrorCode,
  TributaryError,
  operationsBitfield,
  TOPIC_OPERATIONS,
  decodeRequest,
  encodeResponse,
  decodeRecordBatch,
  type DecodedRecord,
  memoryTransportPair,
  type Connector,
  type Transport,
} from '@tributary/protocol'
import { FakeGroups } from './fake-groups.js'
import { appendToPartition, deleteBefore, offsetForTime, readPartition, type FakePartition } from './fake-partition.js'

export type { FakePartition } from './fake-partition.js'

export interface FakeTopic { topicId: string; partitions: FakePartition[]; config: Record<string, string> }

export interface Intercepted { nodeId: number; apiKey: number; apiVersion: number; body: any }
/**
 * Return an error code to answer with it, 'drop' to never answer, 'close' to close the
 * connection unserved, 'lose' to serve the request but close instead of answering,
 * 'hold' to serve it only at releaseHeld(), or undefined to serve normally.
 */
export type Interceptor = (req: Intercepted) => number | 'drop' | 'close' | 'lose' | 'hold' | undefined

export const fakeUrl = (nodeId: number): string => `ws://node${nodeId}.fake:9092`

export class FakeCluster {
  readonly nodes = new Map<number, { alive: boolean; transports: Set<Transport> }>()
  readonly topics = new Map<string, FakeTopic>()
  readonly groups = new FakeGroups(this)
  readonly requests: Intercepted[] = []
  controllerId: number
  metadataOffset = 1
  nextProducerId = 1000
  intercept: Interceptor = () => undefined
  /** Answer full fetches asking for a session (sessionEpoch 0) with this session id (0: keep no sessions, as before). */
  fetchSessionId = 0
  /** Topics this client may not Describe, as a broker with ACLs answers: left out of a listing, TOPIC_AUTHORIZATION_FAILED by name. */
  readonly refusedTopics = new Set<string>()
  /** Per topic, the authorized-operations bitfield Metadata answers when asked (absent: every topic operation). */
  readonly topicOperations = new Map<string, number>()
  /** What ApiVersions advertises (a test may narrow or widen it); requests outside it get UNSUPPORTED_VERSION. */
  apiVersions: Record<number, readonly [number, number]> = { ...API_VERSIONS }
  /**
   * Require SASL: one mechanism whose single client message must equal `token`
   * (a stand-in for SCRAM and friends). Requests before it get SASL_AUTHENTICATION_FAILED.
   */
  sasl?: { mechanism: string; token: string }
  private readonly authenticated = new WeakSet<Transport>()
  /** Connections attempted per URL (including refused ones). */
  readonly connects = new Map<string, number>()
  private waiters: Array<() => void> = []
  private held: Array<() => Promise<void>> = []

  /** Serve every request held so far (in arrival order). */
  async releaseHeld(): Promise<void> {
    for (const serve of this.held.splice(0)) await serve()
  }

  get heldCount(): number {
    return this.held.length
  }

  constructor(nodeCount = 3) {
    for (let i = 1; i <= nodeCount; i++) this.nodes.set(i, { alive: true, transports: new Set() })
    this.controllerId = 1
  }

  readonly connector: Connector = async (url) => {
    this.connects.set(url, (this.connects.get(url) ?? 0) + 1)
    const nodeId = [...this.nodes.keys()].find((id) => fakeUrl(id) === url)
    const node = nodeId === undefined ? undefined : this.nodes.get(nodeId)
    if (!node || !node.alive) throw new TributaryError(ErrorCode.NETWORK_EXCEPTION, `cannot connect to ${url}: ECONNREFUSED`)
    const [client, server] = memoryTransportPair()
    node.transports.add(server)
    server.onClose = () => node.transports.delete(server)
    server.onFrame = (frame) => void this.serve(nodeId!, server, frame)
    return client
  }

  createTopic(name: string, partitions: number, opts: { leaders?: number[]; config?: Record<string, string> } = {}): FakeTopic {
    const ids = [...this.nodes.keys()]
    const t: FakeTopic = {
      topicId: `id-${name}`,
      config: opts.config ?? {},
      partitions: Array.from({ length: partitions }, (_, p) => ({
        leader: opts.leaders?.[p] ?? ids[p % ids.length],
        leaderEpoch: 0,
        replicas: ids,
        batches: [],
        logStart: 0,
        logEnd: 0,
        producers: new Map(),
      })),
    }
    this.topics.set(name, t)
    this.metadataOffset++
    return t
  }

  /** Close every connection of a node and refuse new ones; its partitions move to the next live node. */
  kill(nodeId: number): void {
    const node = this.nodes.get(nodeId)!
    node.alive = false
    for (const t of [...node.transports]) t.close(1006, 'killed')
    this.moveLeadership(nodeId)
  }

  revive(nodeId: number): void {
    this.nodes.get(nodeId)!.alive = true
    this.metadataOffset++
  }

  moveLeadership(from: number): void {
    const live = [...this.nodes].filter(([, n]) => n.alive).map(([id]) => id)
    for (const t of this.topics.values()) {
      for (const p of t.partitions) {
        if (p.leader === from) {
          p.leader = live.find((id) => id !== from) ?? -1
          p.leaderEpoch++
        }
      }
    }
    if (this.controllerId === from) this.controllerId = live.find((id) => id !== from) ?? -1
    this.metadataOffset++
  }

  private async serve(nodeId: number, t: Transport, frame: Uint8Array): Promise<void> {
    const r = decodeRequest(frame)
    if (!r.ok) return
    const { apiKey, apiVersion, correlationId, body } = r.value
    const req = { nodeId, apiKey, apiVersion, body }
    this.requests.push(req)
    const verdict = this.intercept(req)
    if (verdict === 'drop') return
    if (verdict === 'close') return t.close(1006, 'intercepted')
    if (typeof verdict === 'number') return t.send(encodeResponse(correlationId, verdict, { errorMessage: 'injected' }))
    const range = this.apiVersions[apiKey]
    if (apiKey !== ApiKey.ApiVersions && (!range || apiVersion < range[0] || apiVersion > range[1])) {
      return t.send(encodeResponse(correlationId, ErrorCode.UNSUPPORTED_VERSION, { errorMessage: `api ${apiKey} v${apiVersion} is not supported` }))
    }
    if (this.sasl) {
      const answer = this.saslAnswer(t, apiKey, body)
      if (answer) return t.send(encodeResponse(correlationId, answer[0], answer[1]))
    }
    const serve = async (): Promise<void> => {
      if (apiKey === ApiKey.Produce && (body as any).acks === 0) {
        this.produce(nodeId, body)
        return
      }
      const [code, answer] = await this.handle(nodeId, apiKey, body)
      if (verdict === 'lose') t.close(1006, 'answer lost')
      else if (this.nodes.get(nodeId)!.alive) t.send(encodeResponse(correlationId, code, answer))
    }
    if (verdict === 'hold') this.held.push(serve)
    else await serve()
  }

  /** The SASL APIs, and the refusal of anything else before authentication; undefined = serve as usual. */
  private saslAnswer(t: Transport, apiKey: number, body: any): [number, unknown] | undefined {
    const { mechanism, token } = this.sasl!
    if (apiKey === ApiKey.SaslHandshake) {
      return body.mechanism === mechanism ? [0, { mechanisms: [mechanism] }] : [ErrorCode.UNSUPPORTED_SASL_MECHANISM, { errorMessage: `${body.mechanism} is not enabled`, mechanisms: [mechanism] }]
    }
    if (apiKey === ApiKey.SaslAuthenticate) {
      if (new TextDecoder().decode(body.authBytes) !== token) return [ErrorCode.SASL_AUTHENTICATION_FAILED, { errorMessage: 'invalid credentials' }]
      this.authenticated.add(t)
      return [0, { authBytes: new Uint8Array(0), sessionLifetimeMs: 60_000 }]
    }
    if (apiKey === ApiKey.ApiVersions || this.authenticated.has(t)) return undefined
    return [ErrorCode.SASL_AUTHENTICATION_FAILED, { errorMessage: 'authenticate first' }]
  }

  private async handle(nodeId: number, apiKey: number, body: any): Promise<[number, unknown]> {
    switch (apiKey) {
      case ApiKey.ApiVersions:
        return [0, { apiKeys: Object.entries(this.apiVersions).map(([k, [min, max]]) => ({ apiKey: Number(k), minVersion: min, maxVersion: max })), nodeId, clusterId: 'fake' }]
      case ApiKey.Metadata:
        return [0, this.metadata(body)]
      case ApiKey.Produce:
        return [0, this.produce(nodeId, body)]
      case ApiKey.Fetch:
        return [0, await this.fetch(nodeId, body)]
      case ApiKey.ListOffsets:
        return [0, this.listOffsets(nodeId, body)]
      case ApiKey.DeleteRecords:
        return [0, { topics: body.topics.map((t: any) => ({ topic: t.topic, partitions: t.partitions.map((q: any) => this.deleteRecords(nodeId, t.topic, q)) })) }]
      case ApiKey.InitProducerId:
        return [0, { producerId: this.nextProducerId++, producerEpoch: 0 }]
      case ApiKey.CreateTopics:
        if (nodeId !== this.controllerId) return [ErrorCode.NOT_CONTROLLER, { errorMessage: 'not the controller' }]
        return [0, { topics: body.topics.map((t: any) => this.createFromRequest(t, body.validateOnly === true)) }]
      case ApiKey.DeleteTopics:
        if (nodeId !== this.controllerId) return [ErrorCode.NOT_CONTROLLER, {}]
        return [0, { topics: body.topics.map((name: string) => ({ name, errorCode: this.topics.delete(name) ? (this.metadataOffset++, 0) : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })) }]
      case ApiKey.CreatePartitions:
        return [0, { topics: body.topics.map((x: any) => this.addPartitions(x.name, x.count)) }]
      case ApiKey.DescribeConfigs:
        return [0, { resources: body.resources.map((r: any) => ({ ...r, errorCode: this.topics.has(r.name) ? 0 : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, configs: Object.entries(this.topics.get(r.name)?.config ?? {}).map(([name, value]) => ({ name, value, isDefault: false, readOnly: false, source: 'topic' })) })) }]
      case ApiKey.AlterConfigs:
        for (const r of body.resources) for (const c of r.configs) {
          const cfg = this.topics.get(r.name)?.config
          if (cfg && c.op === 'set') cfg[c.name] = c.value
          else if (cfg) delete cfg[c.name]
        }
        return [0, { resources: body.resources.map((r: any) => ({ type: r.type, name: r.name, errorCode: 0 })) }]
      case ApiKey.DescribeQuorum:
        return [0, { clusterId: 'fake', leaderId: this.controllerId, leaderEpoch: 1, highWatermark: this.metadataOffset, voters: [], observers: [] }]
      case ApiKey.DescribeCluster:
        return [0, { clusterId: 'fake', controllerId: this.controllerId, brokers: [] }]
      case ApiKey.MetadataLog:
        return [0, { logStartIndex: 0, commitIndex: this.metadataOffset, entries: [{ index: 1, term: 1, type: 'Topic', record: { nodeId } }] }]
      default:
        return this.groups.handle(nodeId, apiKey, body)
    }
  }

  private metadata(body: { topics?: string[] | null; includeTopicAuthorizedOperations?: boolean }): unknown {
    const names = body.topics ?? [...this.topics.keys()].filter((name) => !this.refusedTopics.has(name))
    return {
      clusterId: 'fake',
      controllerId: this.controllerId,
      metadataOffset: this.metadataOffset,
      brokers: [...this.nodes].map(([id, n]) => ({ nodeId: id, endpoint: fakeUrl(id), fenced: !n.alive })),
      topics: names.map((name) => {
        const t = this.topics.get(name)
        if (this.refusedTopics.has(name)) return { name, topicId: '', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, internal: false, partitions: [] }
        if (!t) return { name, topicId: '', errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, internal: false, partitions: [] }
        return {
          name,
          topicId: t.topicId,
          errorCode: 0,
          internal: false,
          partitions: t.partitions.map((p, i) => ({ partition: i, errorCode: 0, leader: p.leader, leaderEpoch: p.leaderEpoch, replicas: p.replicas, isr: p.replicas })),
          ...(body.includeTopicAuthorizedOperations ? { authorizedOperations: this.topicOperations.get(name) ?? operationsBitfield(TOPIC_OPERATIONS) } : {}),
        }
      }),
    }
  }

  private createFromRequest(t: any, validateOnly: boolean): unknown {
    if (this.topics.has(t.name)) return { name: t.name, topicId: null, errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, errorMessage: `topic ${t.name} already exists`, numPartitions: -1, replicationFactor: -1 }
    if (t.replicationFactor > this.nodes.size) return { name: t.name, topicId: null, errorCode: ErrorCode.INVALID_REPLICATION_FACTOR, errorMessage: 'too few brokers', numPartitions: -1, replicationFactor: -1 }
    if (validateOnly) return { name: t.name, topicId: null, errorCode: 0, numPartitions: t.numPartitions, replicationFactor: t.replicationFactor }
    const topic = this.createTopic(t.name, t.numPartitions, { config: t.configs })
    return { name: t.name, topicId: topic.topicId, errorCode: 0, numPartitions: t.numPartitions, replicationFactor: t.replicationFactor }
  }

  private addPartitions(name: string, count: number): unknown {
    const t = this.topics.get(name)
    if (!t) return { name, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }
    if (count <= t.partitions.length) return { name, errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: 'can only grow' }
    const more = this.createTopic(`${name}.tmp`, count - t.partitions.length)
    this.topics.delete(`${name}.tmp`)
    t.partitions.push(...more.partitions)
    this.metadataOffset++
    return { name, errorCode: 0 }
  }

  private produce(nodeId: number, body: any): unknown {
    return {
      topics: body.topics.map((t: any) => ({
        topic: t.topic,
        partitions: t.partitions.map((pp: any) => ({ partition: pp.partition, logAppendTimeMs: -1, ...this.append(nodeId, t.topic, pp.partition, pp.records) })),
      })),
    }
  }

  private append(nodeId: number, topic: string, partition: number, records: Uint8Array): Record<string, unknown> {
    const p = this.topics.get(topic)?.partitions[partition]
    if (!p) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, baseOffset: -1, logStartOffset: -1 }
    if (p.leader !== nodeId) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, baseOffset: -1, logStartOffset: -1, currentLeader: { leaderId: p.leader, leaderEpoch: p.leaderEpoch } }
    const logEnd = p.logEnd
    const r = appendToPartition(p, records)
    if (p.logEnd > logEnd) for (const w of this.waiters.splice(0)) w()
    return r
  }

  private async fetch(nodeId: number, body: any): Promise<unknown> {
    const build = (): { total: number; topics: unknown[] } => {
      let total = 0
      const topics = body.topics.map((t: any) => ({
        topic: t.topic,
        partitions: t.partitions.map((fp: any) => {
          const p = this.topics.get(t.topic)?.partitions[fp.partition]
          if (!p) return { partition: fp.partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, highWatermark: -1, logStartOffset: -1, records: new Uint8Array(0) }
          const base = { partition: fp.partition, highWatermark: p.logEnd, logStartOffset: p.logStart }
          if (p.leader !== nodeId) return { ...base, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentLeader: { leaderId: p.leader, leaderEpoch: p.leaderEpoch }, records: new Uint8Array(0) }
          if (fp.fetchOffset < p.logStart || fp.fetchOffset > p.logEnd) return { ...base, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, records: new Uint8Array(0) }
          const records = readPartition(p, fp.fetchOffset, fp.partitionMaxBytes)
          total += records.length
          return { ...base, errorCode: 0, records }
        }),
      }))
      return { total, topics }
    }
    let r = build()
    if (r.total < Math.max(1, body.minBytes) && body.maxWaitMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, body.maxWaitMs)
        function done(): void {
          clearTimeout(timer)
          resolve()
        }
        this.waiters.push(done)
      })
      r = build()
    }
    return { topics: r.topics, ...(body.sessionEpoch === 0 && this.fetchSessionId > 0 ? { sessionId: this.fetchSessionId } : {}) }
  }

  private listOffsets(nodeId: number, body: any): unknown {
    return {
      topics: body.topics.map((t: any) => ({
        topic: t.topic,
        partitions: t.partitions.map((q: any) => {
          const p = this.topics.get(t.topic)?.partitions[q.partition]
          if (!p) return { partition: q.partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, timestamp: -1, offset: -1, leaderEpoch: -1 }
          if (p.leader !== nodeId) return { partition: q.partition, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, timestamp: -1, offset: -1, leaderEpoch: -1 }
          const offset = q.timestamp === -2 ? p.logStart : q.timestamp === -1 ? p.logEnd : offsetForTime(p, q.timestamp)
          return { partition: q.partition, errorCode: 0, timestamp: -1, offset, leaderEpoch: p.leaderEpoch }
        }),
      })),
    }
  }

  /** DeleteRecords on one partition, as a leader answers it (the fake's HW is its log end). */
  private deleteRecords(nodeId: number, topic: string, q: { partition: number; offset: number }): unknown {
    const p = this.topics.get(topic)?.partitions[q.partition]
    const failed = (errorCode: number) => ({ partition: q.partition, lowWatermark: -1, errorCode })
    if (!p) return failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    if (p.leader !== nodeId) return failed(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    const offset = q.offset === -1 ? p.logEnd : q.offset
    if (offset < 0 || offset > p.logEnd) return failed(ErrorCode.OFFSET_OUT_OF_RANGE)
    if (offset > p.logStart) deleteBefore(p, offset)
    return { partition: q.partition, lowWatermark: p.logStart, errorCode: 0 }
  }

  /** Drop whole batches below `offset` (retention). */
  truncateHead(topic: string, partition: number, offset: number): void {
    const p = this.topics.get(topic)!.partitions[partition]
    p.batches = p.batches.filter((b) => b.lastOffset >= offset)
    p.logStart = p.batches[0]?.baseOffset ?? p.logEnd
  }

  /** Every record of a partition, in offset order. */
  records(topic: string, partition: number): DecodedRecord[] {
    const p = this.topics.get(topic)!.partitions[partition]
    return p.batches.flatMap((b) => {
      const d = decodeRecordBatch(b.bytes)
      if (!d.ok) throw new Error(d.message)
      return d.value.records
    })
  }
}
