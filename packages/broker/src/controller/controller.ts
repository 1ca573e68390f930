/**
 * The controller: active on whichever node leads the Raft quorum. It alone turns
 * requests into metadata records, commits them, and answers once they are
 * committed and applied here.
 *
 * Writes run one at a time through a bounded queue, each validated against the
 * image that already holds every earlier write: two CreateTopics for one name can
 * never both pass. Heartbeats update liveness without queueing; they queue only
 * when they must write (unfence, controlled shutdown).
 *
 * Failure detection: a broker silent for brokerSessionTimeoutMs is fenced and
 * leaves every ISR it can; each partition it led moves to another live ISR member
 * (see partition-election.ts).
 */
import {
  ApiKey, ErrorCode, TributaryError,
  type AlterPartitionRequest, type AlterUserScramCredentialsRequest, type BrokerHeartbeatRequest, type BrokerHeartbeatResponse,
  type BrokerRegistrationRequest, type CreatePartitionsRequest, type CreateTopicsRequest, type Result,
} from '@tributary/protocol'
import type { Logger } from 'pino'
import type { BrokerConfig } from '../config.js'
import type { BrokerRegistration, MetadataImage } from '../metadata/image-types.js'
import type { MetadataRecord } from '../metadata/records.js'
import type { Clock, HandlerResult } from '../seams.js'
import { errorFields, RateLimitedLog } from '../log-limit.js'
import { SerialExecutor } from '../serial-executor.js'
import { BrokerSessions } from './broker-sessions.js'
import { changesForBrokerLeaving, changesForOfflinePartitions, isLive } from './partition-election.js'
import { planElectLeaders } from './leader-balance.js'
import { LeaderRebalancer } from './leader-rebalancer.js'
import { planAlterPartition } from './isr-ops.js'
import { listReassignments, planAlterReassignments } from './reassignment.js'
import {
  parseAlterConfigs, parseAlterPartition, parseAlterPartitionReassignments, parseAlterUserScramCredentials, parseBrokerHeartbeat,
  parseBrokerRegistration, parseCreateAcls, parseCreatePartitions, parseCreateTopics, parseDeleteAcls, parseDeleteTopics,
  parseElectLeaders, parseInitProducerId, parseListPartitionReassignments, parseUnregisterBroker, type ParsedUnregisterBroker,
} from './requests.js'
import { planCreateAcls, planDeleteAcls } from './acl-ops.js'
import { planAlterConfigs, planCreatePartitions, planCreateTopics, planDeleteTopics } from './topic-ops.js'
import { planAlterUsers, userChangeSummary } from './user-ops.js'

/** Writes waiting for their turn; beyond it requests fail fast (retriable). */
export const CONTROLLER_QUEUE_MAX = 10_000
/** Producer ids reserved per ProducerIds record. */
export const PRODUCER_ID_BLOCK_SIZE = 1000

export interface ControllerQuorum {
  /**
   * Commit one entry of records; resolves with its index once it is committed and
   * applied to this node's image. Rejects with NOT_CONTROLLER when leadership is
   * lost first (the entry may still commit later).
   */
  commit(records: MetadataRecord[]): Promise<number>
}

export interface ControllerDeps {
  nodeId: number
  clock: Clock
  image(): MetadataImage
  quorum: ControllerQuorum
  config: Pick<BrokerConfig, 'brokerSessionTimeoutMs' | 'brokerHeartbeatIntervalMs' | 'defaultReplicationFactor' | 'numPartitions'>
    & Partial<Pick<BrokerConfig, 'autoLeaderRebalance' | 'leaderImbalancePerBrokerPercentage' | 'leaderImbalanceCheckIntervalMs'>>
  logger: Logger
  newTopicId(): string
  newClusterId(): string
  /** Told the time between two heartbeats of a broker, and of a session that looked expired until the next event-loop turn (control-plane-timings.ts). */
  timings?: { heartbeat(gapMs: number): void; sessionReprieved?(): void }
  /** Records the first controller of a new cluster commits with its ClusterId (--bootstrap-scram-users). */
  bootstrapRecords?: MetadataRecord[]
}

/** The APIs only the controller answers (other nodes forward them). */
export const CONTROLLER_APIS: readonly number[] = [
  ApiKey.CreateTopics, ApiKey.DeleteTopics, ApiKey.CreatePartitions, ApiKey.AlterConfigs,
  ApiKey.BrokerRegistration, ApiKey.BrokerHeartbeat, ApiKey.UnregisterBroker, ApiKey.AlterPartition,
  ApiKey.InitProducerId, ApiKey.AlterUserScramCredentials, ApiKey.CreateAcls, ApiKey.DeleteAcls,
  ApiKey.ElectLeaders, ApiKey.AlterPartitionReassignments, ApiKey.ListPartitionReassignments,
]

const answer = (body: unknown): HandlerResult => ({ errorCode: ErrorCode.NONE, body })
const refuse = (errorCode: number, errorMessage: string): HandlerResult => ({ errorCode, body: { errorMessage } })
/** Run `handle` on a parsed request, or answer the parse error. */
const typed = <T>(parsed: Result<T>, handle: (req: T) => Promise<HandlerResult>): Promise<HandlerResult> =>
  parsed.ok ? handle(parsed.value) : Promise.resolve(refuse(parsed.code, parsed.message))

export class Controller {
  private active = false
  /** metadata writes, one at a time: each is planned against an image holding every earlier one */
  private readonly writes = new SerialExecutor()
  private readonly sessions: BrokerSessions
  private readonly rebalancer: LeaderRebalancer
  private producerIds: { next: number; end: number } | null = null
  private readonly limitedLog: RateLimitedLog

  constructor(private readonly deps: ControllerDeps) {
    this.limitedLog = new RateLimitedLog(deps.logger, deps.clock)
    this.sessions = new BrokerSessions({
      clock: deps.clock, image: deps.image, config: deps.config,
      reprieved: () => deps.timings?.sessionReprieved?.(),
      checkDue: () => this.checkSessions(),
      expired: (b, silentMs) => this.enqueue(() => this.fence(b.nodeId, b.brokerEpoch, `no heartbeat for ${silentMs} ms`))
        .catch((err) => { this.limitedLog.warn(`fencing failed:${b.nodeId}`, { ...errorFields(err), broker: b.nodeId }, 'fencing failed') }),
    })
    this.rebalancer = new LeaderRebalancer({
      clock: deps.clock, image: deps.image, config: deps.config, logger: deps.logger, limitedLog: this.limitedLog,
      isActive: () => this.active, write: (records) => this.enqueue(async () => { await this.commitIfActive(records()) }),
    })
  }

  isActive(): boolean {
    return this.active
  }

  /**
   * This node became leader and has applied every entry of earlier terms.
   * `previous`: the last controller, known to have been silent for silentMs (it lost an election).
   */
  activate(previous?: { nodeId: number; silentMs: number }): void {
    if (this.active) return
    this.active = true
    this.producerIds = null
    this.sessions.start(previous, this.deps.nodeId)
    this.rebalancer.start()
    if (this.deps.image().clusterId === null) {
      // A new cluster: its first entry also creates the bootstrap users, once (later controllers see a cluster id).
      const first: MetadataRecord[] = [{ type: 'ClusterId', version: 0, clusterId: this.deps.newClusterId() }, ...(this.deps.bootstrapRecords ?? [])]
      void this.enqueue(() => this.commitIfActive(first)).catch(() => {})
    }
    this.deps.logger.info({ brokers: this.deps.image().brokers.size }, 'controller active')
  }

  deactivate(): void {
    if (!this.active) return
    this.active = false
    this.sessions.stop()
    this.rebalancer.stop()
    this.deps.logger.info('controller inactive')
  }

  /** Milliseconds since a broker's last heartbeat, for DescribeCluster (null when unknown). */
  heartbeatAgeMs(nodeId: number): number | null {
    return this.sessions.ageMs(nodeId)
  }

  /** Serve one controller API: its body is parsed into the typed request first (requests.ts); a bad body is INVALID_REQUEST. */
  async handle(apiKey: number, body: unknown): Promise<HandlerResult> {
    if (!this.active) return refuse(ErrorCode.NOT_CONTROLLER, `node ${this.deps.nodeId} is not the controller`)
    try {
      return await this.dispatch(apiKey, body)
    } catch (err) {
      if (err instanceof TributaryError) return refuse(err.code, err.message)
      throw err
    }
  }

  private dispatch(apiKey: number, body: unknown): Promise<HandlerResult> {
    const image = () => this.deps.image()
    const live = (id: number) => isLive(this.deps.image(), id)
    switch (apiKey) {
      case ApiKey.CreateTopics: return typed(parseCreateTopics(body), (r) => this.createTopics(r))
      // validateOnly (a Tributary extension): the checks and answers without the deletion, so a client can ask whether it may delete.
      case ApiKey.DeleteTopics: return typed(parseDeleteTopics(body), (r) => this.commitPlan(() => planDeleteTopics(image(), r.topics), { validateOnly: r.validateOnly === true }))
      case ApiKey.CreatePartitions: return typed(parseCreatePartitions(body), (r) => this.createPartitions(r))
      case ApiKey.AlterConfigs: return typed(parseAlterConfigs(body), (r) => this.commitPlan(() => planAlterConfigs(image(), r.resources), { validateOnly: r.validateOnly === true }))
      case ApiKey.BrokerRegistration: return typed(parseBrokerRegistration(body), (r) => this.registerBroker(r))
      case ApiKey.BrokerHeartbeat: return typed(parseBrokerHeartbeat(body), (r) => this.heartbeat(r))
      case ApiKey.UnregisterBroker: return typed(parseUnregisterBroker(body), (r) => this.unregisterBroker(r))
      case ApiKey.AlterPartition: return typed(parseAlterPartition(body), (r) => this.alterPartition(r))
      case ApiKey.InitProducerId: return typed(parseInitProducerId(body), () => this.initProducerId())
      case ApiKey.AlterUserScramCredentials: return typed(parseAlterUserScramCredentials(body), (r) => this.alterUsers(r))
      case ApiKey.CreateAcls: return typed(parseCreateAcls(body), (r) => this.commitPlan(() => planCreateAcls(image(), r, this.deps.newTopicId), { logAs: 'ACLs changed' }))
      case ApiKey.DeleteAcls: return typed(parseDeleteAcls(body), (r) => this.commitPlan(() => planDeleteAcls(image(), r), { logAs: 'ACLs changed' }))
      case ApiKey.ElectLeaders: return typed(parseElectLeaders(body), (r) => this.commitPlan(() => planElectLeaders(image(), r, live), { logAs: 'leaders elected' }))
      case ApiKey.AlterPartitionReassignments: return typed(parseAlterPartitionReassignments(body), (r) => this.commitPlan(() => planAlterReassignments(image(), r, live), { logAs: 'reassignments changed' }))
      case ApiKey.ListPartitionReassignments: return typed(parseListPartitionReassignments(body), async (r) => answer(listReassignments(image(), r)))
      default: return Promise.resolve(refuse(ErrorCode.UNSUPPORTED_VERSION, `the controller does not serve api ${apiKey}`))
    }
  }

  // ------------------------------------------------------------------ queue

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    if (this.writes.pending >= CONTROLLER_QUEUE_MAX) {
      return Promise.reject(new TributaryError(ErrorCode.REQUEST_TIMED_OUT, `controller queue is full (${CONTROLLER_QUEUE_MAX})`))
    }
    return this.writes.run(async () => {
      this.requireActive()
      return op()
    })
  }

  private requireActive(): void {
    if (!this.active) throw new TributaryError(ErrorCode.NOT_CONTROLLER, `node ${this.deps.nodeId} is no longer the controller`)
  }

  /** Commit records, refusing with NOT_CONTROLLER once this node stopped being the controller (a plan made on a stale image must not go out). */
  private async commitIfActive(records: MetadataRecord[]): Promise<number> {
    this.requireActive()
    if (records.length === 0) return this.deps.image().offset
    return this.deps.quorum.commit(records)
  }

  // ------------------------------------------------------------------ topics

  private createTopics(req: CreateTopicsRequest): Promise<HandlerResult> {
    return this.enqueue(async () => {
      const plan = planCreateTopics(this.deps.image(), req, this.deps.config, this.deps.newTopicId)
      let e = 0
      for (const a of plan.answers) {
        if (a.errorCode !== ErrorCode.NONE || a.topicId === null) continue
        try {
          await this.commitIfActive(plan.entries[e++]!)
        } catch (err) {
          a.errorCode = err instanceof TributaryError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR
          a.errorMessage = (err as Error).message
        }
      }
      return answer({ topics: plan.answers })
    })
  }

  private createPartitions(req: CreatePartitionsRequest): Promise<HandlerResult> {
    return this.enqueue(async () => {
      const plan = planCreatePartitions(this.deps.image(), req)
      for (const entry of plan.entries) await this.commitIfActive(entry)
      return answer({ topics: plan.answers })
    })
  }

  // ------------------------------------------------------------------ users

  private alterUsers(req: AlterUserScramCredentialsRequest): Promise<HandlerResult> {
    return this.enqueue(async () => {
      const plan = planAlterUsers(this.deps.image(), req)
      await this.commitIfActive(plan.records)
      if (plan.records.length > 0) this.deps.logger.info({ changes: userChangeSummary(plan.records) }, 'user credentials changed')
      return answer({ results: plan.results })
    })
  }

  // ------------------------------------------------------------------ brokers

  private registerBroker(req: BrokerRegistrationRequest): Promise<HandlerResult> {
    const { nodeId, endpoint, endpoints, incarnationId } = req
    const rack = req.rack ?? null
    return this.enqueue(async () => {
      const image = this.deps.image()
      const existing = image.brokers.get(nodeId)
      // A retry of the same incarnation: answer with the epoch it already has.
      if (existing && existing.incarnationId === incarnationId) {
        this.sessions.heard(nodeId)
        return answer({ brokerEpoch: existing.brokerEpoch })
      }
      // A new incarnation replaces the old one, which stops serving at once.
      const leaving = existing ? changesForBrokerLeaving(image, nodeId, (id) => id !== nodeId && isLive(image, id)) : []
      this.rebalancer.brokerLeft(nodeId)
      const index = await this.commitIfActive([{ type: 'RegisterBroker', version: 0, nodeId, endpoint, ...(endpoints ? { endpoints } : {}), incarnationId, rack }, ...leaving])
      this.sessions.heard(nodeId)
      this.deps.logger.info({ broker: nodeId, brokerEpoch: index, endpoint, endpoints }, 'broker registered')
      return answer({ brokerEpoch: index })
    })
  }

  private current(nodeId: number, brokerEpoch: number): BrokerRegistration {
    const b = this.deps.image().brokers.get(nodeId)
    if (!b) throw new TributaryError(ErrorCode.BROKER_ID_NOT_REGISTERED, `broker ${nodeId} is not registered`)
    if (b.brokerEpoch !== brokerEpoch) throw new TributaryError(ErrorCode.STALE_BROKER_EPOCH, `broker ${b.nodeId} epoch ${brokerEpoch} is not ${b.brokerEpoch}`)
    return b
  }

  private async heartbeat(req: BrokerHeartbeatRequest): Promise<HandlerResult> {
    const b = this.current(req.nodeId, req.brokerEpoch)
    const gapMs = this.sessions.heard(b.nodeId)
    if (gapMs !== undefined) this.deps.timings?.heartbeat(gapMs)
    const isCaughtUp = req.currentMetadataOffset >= b.brokerEpoch
    const reply = (): HandlerResult => {
      const now = this.deps.image().brokers.get(b.nodeId)
      const shutDown = !!now && now.inControlledShutdown && now.fenced
      return answer({ isCaughtUp, isFenced: !now || now.fenced, shouldShutdown: shutDown } satisfies BrokerHeartbeatResponse)
    }
    if (req.wantShutdown) {
      await this.enqueue(() => this.controlledShutdown(b.nodeId, b.brokerEpoch))
    } else if (req.wantFence) {
      if (!b.fenced) await this.enqueue(() => this.fence(b.nodeId, b.brokerEpoch, 'broker asked'))
    } else if (b.fenced && isCaughtUp && !b.inControlledShutdown) {
      await this.enqueue(() => this.unfence(b.nodeId, b.brokerEpoch))
    }
    return reply()
  }

  private async unfence(nodeId: number, brokerEpoch: number): Promise<void> {
    const image = this.deps.image()
    const b = image.brokers.get(nodeId)
    if (!b || b.brokerEpoch !== brokerEpoch || !b.fenced) return
    const live = (id: number) => id === nodeId || isLive(image, id)
    await this.commitIfActive([{ type: 'UnfenceBroker', version: 0, nodeId, brokerEpoch }, ...changesForOfflinePartitions(image, live)])
    this.rebalancer.brokerBack(nodeId)
    this.deps.logger.info({ broker: nodeId, brokerEpoch }, 'broker unfenced')
  }

  private async fence(nodeId: number, brokerEpoch: number, reason: string): Promise<void> {
    const image = this.deps.image()
    const b = image.brokers.get(nodeId)
    if (!b || b.brokerEpoch !== brokerEpoch || b.fenced) return
    const live = (id: number) => id !== nodeId && isLive(image, id)
    const moves = changesForBrokerLeaving(image, nodeId, live)
    this.rebalancer.brokerLeft(nodeId)
    await this.commitIfActive([{ type: 'FenceBroker', version: 0, nodeId, brokerEpoch }, ...moves])
    this.deps.logger.warn({ broker: nodeId, brokerEpoch, reason, partitionsChanged: moves.length }, 'broker fenced')
  }

  /** Leadership moves away and the broker leaves every ISR it can, then it is fenced: all in one entry. */
  private async controlledShutdown(nodeId: number, brokerEpoch: number): Promise<void> {
    const image = this.deps.image()
    const b = image.brokers.get(nodeId)
    if (!b || b.brokerEpoch !== brokerEpoch || (b.inControlledShutdown && b.fenced)) return
    const live = (id: number) => id !== nodeId && isLive(image, id)
    const moves = changesForBrokerLeaving(image, nodeId, live)
    this.rebalancer.brokerLeft(nodeId)
    const records: MetadataRecord[] = [{ type: 'BrokerControlledShutdown', version: 0, nodeId, brokerEpoch }, ...moves]
    if (!b.fenced) records.push({ type: 'FenceBroker', version: 0, nodeId, brokerEpoch })
    await this.commitIfActive(records)
    this.deps.logger.info({ broker: nodeId, partitionsChanged: moves.length }, 'controlled shutdown')
  }

  private unregisterBroker({ nodeId, onlyFenced }: ParsedUnregisterBroker): Promise<HandlerResult> {
    return this.enqueue(async () => {
      const image = this.deps.image()
      const b = image.brokers.get(nodeId)
      if (!b) return refuse(ErrorCode.BROKER_ID_NOT_REGISTERED, `broker ${nodeId} is not registered`)
      // An operator's request (unregister-access.ts): only a broker that is gone for now.
      if (onlyFenced && !b.fenced) {
        return refuse(ErrorCode.INVALID_REQUEST, `broker ${b.nodeId} is live (unfenced): drain it, stop it, then unregister it once it is fenced`)
      }
      const moves = changesForBrokerLeaving(image, b.nodeId, (id) => id !== b.nodeId && isLive(image, id))
      await this.commitIfActive([...moves, { type: 'UnregisterBroker', version: 0, nodeId: b.nodeId, brokerEpoch: b.brokerEpoch }])
      this.sessions.forget(b.nodeId)
      return answer({})
    })
  }

  /** Fence every unfenced broker whose session expired (the session timer does this on its own). */
  checkSessions(): void {
    this.sessions.check()
  }

  // ------------------------------------------------------------------ partitions

  private alterPartition(req: AlterPartitionRequest): Promise<HandlerResult> {
    return this.commitPlan(() => planAlterPartition(this.deps.image(), this.current(req.brokerId, req.brokerEpoch).nodeId, req))
  }

  // ------------------------------------------------------------------ ACLs, leader balance, reassignments

  /**
   * Commit a plan made on the image of its turn (topic deletions, configs, ISR changes, ACLs, ElectLeaders,
   * AlterPartitionReassignments): one entry, answered once applied; `validateOnly` answers without committing,
   * `logAs` logs a change that committed records.
   */
  private commitPlan(plan: () => { records: MetadataRecord[]; response: unknown }, opts: { logAs?: string; validateOnly?: boolean } = {}): Promise<HandlerResult> {
    return this.enqueue(async () => {
      const p = plan()
      if (opts.validateOnly !== true) await this.commitIfActive(p.records)
      if (opts.logAs !== undefined && p.records.length > 0) this.deps.logger.info({ records: p.records.length }, opts.logAs)
      return answer(p.response)
    })
  }

  // ------------------------------------------------------------------ producer ids

  private async initProducerId(): Promise<HandlerResult> {
    return this.enqueue(async () => {
      if (!this.producerIds || this.producerIds.next >= this.producerIds.end) {
        const start = this.deps.image().nextProducerId
        const end = start + PRODUCER_ID_BLOCK_SIZE
        await this.commitIfActive([{ type: 'ProducerIds', version: 0, brokerId: this.deps.nodeId, brokerEpoch: -1, nextProducerId: end }])
        this.producerIds = { next: start, end }
      }
      return answer({ producerId: this.producerIds.next++, producerEpoch: 0 })
    })
  }
}
