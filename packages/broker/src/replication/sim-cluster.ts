/**
 * An in-process cluster of ReplicaManagers for tests (and, later, simulation):
 * one shared metadata image driven by the test, per-node MetadataViews that hear
 * every change, peers that call the other node's handlers through a msgpack round
 * trip (as on the wire), a controller that commits AlterPartition into the image,
 * and links that can be cut. No ports, no disks: MemoryLogStore per node.
 */
import { ApiKey, ErrorCode, packValue, TributaryError, unpackValue, type RpcResponse } from '@tributary/protocol'
import { MemoryLogStore } from '@tributary/storage'
import type { BrokerRegistration, MetadataChange, MetadataListener, MetadataView, PartitionState, TopicState } from '../metadata/image-types.js'
import { editableImage, type EditableImage } from '../testing/editable-image.js'
import { systemClock, type Clock, type ControllerChannel, type HandlerResult, type PeerClients, type RequestHandler } from '../seams.js'
import type { ReplicaConfig } from './config.js'
import { ReplicaManagerImpl } from './replica-manager.js'
import { anonymousSession } from '../security/session.js'

type Listener = MetadataListener

const quietLogger = { info() {}, warn() {}, error() {}, debug() {} }

export const SIM_REPLICA_CONFIG: ReplicaConfig = {
  replicaLagTimeMaxMs: 10_000,
  replicaFetchWaitMaxMs: 200,
  replicaFetchMaxBytes: 1024 * 1024,
  messageMaxBytes: 1024 * 1024,
  requestTimeoutMsMax: 30_000,
  logCleanerIntervalMs: 3_600_000,
  replicaFetchBackoffMs: 20,
}

export class SimNode {
  readonly handlers = new Map<number, RequestHandler>()
  manager!: ReplicaManagerImpl
  readonly listeners = new Set<Listener>()
  running = false

  constructor(
    readonly nodeId: number,
    readonly logStore: MemoryLogStore,
  ) {}

  /** Call one of this node's handlers as a client would, through a msgpack round trip. */
  async call(apiKey: number, body: unknown, signal?: AbortSignal): Promise<HandlerResult> {
    const handler = this.handlers.get(apiKey)
    if (!handler || !this.running) throw new TributaryError(ErrorCode.NETWORK_EXCEPTION, `node ${this.nodeId} is down`)
    const decoded = unpackValue(packValue(body))
    if (!decoded.ok) throw new Error(decoded.message)
    const ctx = { connectionId: 0, remoteAddress: 'sim', apiKey, apiVersion: 0, correlationId: 0, signal: signal ?? new AbortController().signal, session: anonymousSession(), tls: false, clusterAccess: true }
    const result = await handler(decoded.value, ctx)
    if (result === undefined) return undefined
    const back = unpackValue(packValue(result.body))
    if (!back.ok) throw new Error(back.message)
    return { errorCode: result.errorCode, body: back.value }
  }
}

export class SimCluster {
  readonly image: EditableImage = editableImage('sim')
  readonly nodes = new Map<number, SimNode>()
  /** "a->b" links that drop requests */
  private readonly cut = new Set<string>()
  /** "a->b" connections: their abort signal is the connection's (fetch sessions belong to it); a stopped node's close */
  private readonly connections = new Map<string, AbortController>()
  /** AlterPartition requests answered with this error instead of committing (null = commit) */
  alterPartitionError: number | null = null
  alterPartitionCount = 0
  /** Invariant violations throw (the default under jest); false: counted in metricsSnapshot() for a test to read. */
  strictInvariants = true
  private nextTopicId = 1

  constructor(
    nodeIds: number[],
    private readonly config: ReplicaConfig = SIM_REPLICA_CONFIG,
    readonly clock: Clock = systemClock,
  ) {
    for (const id of nodeIds) {
      this.image.brokers.set(id, { nodeId: id, endpoint: `sim://${id}`, incarnationId: `i${id}`, brokerEpoch: 100 + id, rack: null, fenced: false, inControlledShutdown: false })
      this.nodes.set(id, new SimNode(id, new MemoryLogStore()))
    }
  }

  node(id: number): SimNode {
    const n = this.nodes.get(id)
    if (!n) throw new Error(`no node ${id}`)
    return n
  }

  manager(id: number): ReplicaManagerImpl {
    return this.node(id).manager
  }

  async startAll(): Promise<void> {
    for (const id of this.nodes.keys()) await this.start(id)
  }

  /** (Re)start a node's ReplicaManager over its existing log store. */
  async start(id: number): Promise<void> {
    const node = this.node(id)
    node.handlers.clear()
    node.listeners.clear()
    node.manager = new ReplicaManagerImpl({
      nodeId: id,
      clock: this.clock,
      metadata: this.viewFor(node),
      logStore: node.logStore,
      peers: this.peersFor(id),
      controller: this.controllerFor(id),
      config: this.config,
      logger: quietLogger,
      strictInvariants: this.strictInvariants,
    })
    node.manager.register({ register: (k, h) => void node.handlers.set(k, h) })
    node.running = true
    await node.manager.start()
  }

  async stop(id: number): Promise<void> {
    const node = this.node(id)
    node.running = false
    for (const [link, c] of this.connections) {
      const [a, b] = link.split('->').map(Number)
      if (a === id || b === id) {
        c.abort()
        this.connections.delete(link)
      }
    }
    await node.manager.stop()
  }

  async stopAll(): Promise<void> {
    for (const [id, n] of this.nodes) if (n.running) await this.stop(id)
  }

  /** Drop requests from `a` to `b` (both directions unless oneWay). */
  partition(a: number, b: number, oneWay = false): void {
    this.cut.add(`${a}->${b}`)
    if (!oneWay) this.cut.add(`${b}->${a}`)
  }

  heal(): void {
    this.cut.clear()
  }

  /** Create a topic: leader = first replica, ISR = all replicas, epoch 0. */
  createTopic(name: string, assignments: number[][], configs: Record<string, string> = {}): TopicState {
    const topicId = `t${this.nextTopicId++}`
    const topic: TopicState = { name, topicId, internal: false, configs: { ...configs }, partitions: [] }
    this.image.topicsByName.set(name, topic)
    this.image.topicsById.set(topicId, topic)
    assignments.forEach((replicas, partition) => {
      const ps: PartitionState = { topicId, topic: name, partition, replicas: [...replicas], isr: [...replicas], leader: replicas[0], leaderEpoch: 0, partitionEpoch: 0 }
      topic.partitions.push(ps)
      this.publish({ type: 'partition', partition: ps, previous: null })
    })
    return topic
  }

  partitionState(topic: string, partition: number): PartitionState {
    const ps = this.image.topicsByName.get(topic)?.partitions[partition]
    if (!ps) throw new Error(`no partition ${topic}-${partition}`)
    return ps
  }

  /** Commit a PartitionChange: a new leader bumps the leader epoch; every change bumps the partition epoch. */
  changePartition(topic: string, partition: number, patch: { leader?: number; isr?: number[] }): PartitionState {
    const t = this.image.topicsByName.get(topic)!
    const previous = t.partitions[partition]
    const next: PartitionState = { ...previous, replicas: [...previous.replicas], isr: [...(patch.isr ?? previous.isr)], partitionEpoch: previous.partitionEpoch + 1 }
    if (patch.leader !== undefined && patch.leader !== previous.leader) {
      next.leader = patch.leader
      next.leaderEpoch = previous.leaderEpoch + 1
    }
    t.partitions[partition] = next
    this.publish({ type: 'partition', partition: next, previous })
    return next
  }

  /** Commit a reassignment step as the controller would, in one change: new replicas with the adding / removing sets (KIP-455), and a new leader / ISR when it completes. */
  reassign(topic: string, partition: number, set: { replicas: number[]; addingReplicas?: number[]; removingReplicas?: number[]; leader?: number; isr?: number[] }): PartitionState {
    const t = this.image.topicsByName.get(topic)!
    const previous = t.partitions[partition]
    const { addingReplicas: _a, removingReplicas: _r, ...rest } = previous
    const leader = set.leader ?? previous.leader
    const next: PartitionState = {
      ...rest, replicas: [...set.replicas], isr: set.isr ?? previous.isr.filter((r) => set.replicas.includes(r)), partitionEpoch: previous.partitionEpoch + 1,
      leader, leaderEpoch: leader === previous.leader ? previous.leaderEpoch : previous.leaderEpoch + 1,
      ...(set.addingReplicas?.length ? { addingReplicas: [...set.addingReplicas] } : {}),
      ...(set.removingReplicas?.length ? { removingReplicas: [...set.removingReplicas] } : {}),
    }
    t.partitions[partition] = next
    this.publish({ type: 'partition', partition: next, previous })
    return next
  }

  setTopicConfig(topic: string, configs: Record<string, string>): void {
    const t = this.image.topicsByName.get(topic)!
    Object.assign(t.configs, configs)
    this.publish({ type: 'topic-config', topic: t })
  }

  /** Set (or remove, null) a dynamic broker config of resource `name` (a broker id, '' for every broker), as a committed Config record would. */
  setBrokerConfig(name: string, key: string, value: string | null): void {
    const next = { ...this.image.brokerConfigs.get(name) }
    if (value === null) delete next[key]
    else next[key] = value
    this.image.brokerConfigs.set(name, next)
    this.publish({ type: 'broker-config', name })
  }

  removeTopic(topic: string): void {
    const t = this.image.topicsByName.get(topic)!
    this.image.topicsByName.delete(topic)
    this.image.topicsById.delete(t.topicId)
    this.publish({ type: 'topic-removed', topic: t })
  }

  setFenced(nodeId: number, fenced: boolean): void {
    const b = this.image.brokers.get(nodeId)!
    const next: BrokerRegistration = { ...b, fenced }
    this.image.brokers.set(nodeId, next)
    this.publish({ type: 'broker', broker: next })
  }

  private publish(change: MetadataChange): void {
    this.image.offset++
    for (const n of this.nodes.values()) for (const l of [...n.listeners]) l(this.image, { changes: [change] })
  }

  private viewFor(node: SimNode): MetadataView {
    return {
      nodeId: node.nodeId,
      image: () => this.image,
      onPublish: (l) => {
        node.listeners.add(l)
        return () => node.listeners.delete(l)
      },
      brokerEpoch: () => this.image.brokers.get(node.nodeId)?.brokerEpoch ?? -1,
    }
  }

  private peersFor(from: number): PeerClients {
    const request = async <B>(to: number, apiKey: number, body: unknown): Promise<RpcResponse<B>> => {
      if (this.cut.has(`${from}->${to}`) || !this.node(from).running) throw new TributaryError(ErrorCode.NETWORK_EXCEPTION, `link ${from}->${to} is cut`)
      const link = `${from}->${to}`
      let conn = this.connections.get(link)
      if (conn === undefined) this.connections.set(link, (conn = new AbortController()))
      const r = await this.node(to).call(apiKey, body, conn.signal)
      if (this.cut.has(`${to}->${from}`)) throw new TributaryError(ErrorCode.NETWORK_EXCEPTION, `link ${to}->${from} is cut`)
      return (r ?? { errorCode: 0, body: {} }) as RpcResponse<B>
    }
    return {
      request,
      send: (to, apiKey, body) => void request(to, apiKey, body).catch(() => {}),
    }
  }

  private controllerFor(from: number): ControllerChannel {
    return {
      request: async <B>(apiKey: number, body: any): Promise<RpcResponse<B>> => {
        if (apiKey !== ApiKey.AlterPartition) return { errorCode: ErrorCode.INVALID_REQUEST, body: {} as B }
        this.alterPartitionCount++
        if (this.alterPartitionError !== null) return { errorCode: this.alterPartitionError, body: {} as B }
        const t = body.topics[0]
        const req = t.partitions[0]
        const topic = this.image.topicsById.get(t.topicId)
        const ps = topic?.partitions[req.partition]
        let errorCode: number = ErrorCode.NONE
        if (!ps) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        else if (ps.leader !== from || ps.leaderEpoch !== req.leaderEpoch) errorCode = ErrorCode.FENCED_LEADER_EPOCH
        else if (ps.partitionEpoch !== req.partitionEpoch) errorCode = ErrorCode.INVALID_UPDATE_VERSION ?? ErrorCode.INVALID_REQUEST
        const next = errorCode === ErrorCode.NONE ? this.changePartition(topic!.name, req.partition, { isr: req.newIsr }) : ps
        return {
          errorCode: 0,
          body: {
            topics: [{ topicId: t.topicId, partitions: [{ partition: req.partition, errorCode, leader: next?.leader ?? -1, leaderEpoch: next?.leaderEpoch ?? -1, partitionEpoch: next?.partitionEpoch ?? -1, isr: next?.isr ?? [] }] }],
          } as B,
        }
      },
    }
  }
}

/** Wait for a condition with a deadline (never a bare sleep). */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await cond()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

/**
 * Three managers (nodes 1, 2, 3) hosting topic 't' with one partition led by
 * node 1, started and waited on: the common world of the replication tests.
 * `track` receives the cluster before anything can fail, so afterEach stops it.
 */
export async function startThreeNodes(track: (c: SimCluster) => void, topicConfigs: Record<string, string> = {}, clock: Clock = systemClock): Promise<SimCluster> {
  const cluster = new SimCluster([1, 2, 3], SIM_REPLICA_CONFIG, clock)
  track(cluster)
  await cluster.startAll()
  cluster.createTopic('t', [[1, 2, 3]], topicConfigs)
  await waitFor(() => cluster.manager(1).isLeader('t', 0), 2000, 'leader')
  return cluster
}
