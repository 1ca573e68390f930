/**
 * The group coordinator of one node: it owns the groups of every
 * `__consumer_offsets` partition this node leads (one "shard" per partition),
 * loads a shard from the log when it gains leadership, drops it when it loses
 * it, runs session and rebalance timers, and persists every state change before
 * answering (write, then respond).
 *
 * Consistency rule: memory may run ahead of the log only by writes in flight.
 * If a write fails the shard is reloaded from the log (or dropped if this node
 * no longer leads it), so memory never keeps state the log does not have.
 */
import {
  ErrorCode,
  fail,
  ok,
  type ConsumerGroupHeartbeatResponse,
  type DescribeGroupsResponse,
  type ListGroupsResponse,
  type OffsetCommitResponse,
  type OffsetDeleteRequest,
  type OffsetDeleteResponse,
  type OffsetFetchResponse,
  type Result,
} from '@tributary/protocol'
import type { MetadataChange, MetadataView } from '../metadata/image-types.js'
import type { Clock, ControllerChannel, PartLogger, Random } from '../seams.js'
import { ClassicCoordinator } from './classic-coordinator.js'
import type { ClassicGroup } from './classic-group.js'
import { ConsumerGroup } from './group-state.js'
import { heartbeat, JOIN_EPOCH, LEAVE_EPOCH, type HeartbeatInput } from './heartbeat.js'
import { dirtyRecords, groupTombstone, offsetRecord } from './offsets-store.js'
import { failWrites, fetchOffsets, planCommit, type CommitInput, type FetchInput } from './offsets.js'
import { consumerGroupTopics, planOffsetDelete } from './offset-delete.js'
import { coordinatorError, PartitionWriter } from './partition-writer.js'
import { MemberTimers, type Expiry } from './member-timers.js'
import { OffsetsTopic, OFFSETS_TOPIC } from './offsets-topic.js'
import { loadShard } from './shard-loader.js'
import type { CommittedOffsetRow } from './lag.js'
import { committedOffsetRows, describeConsumerGroup, listShardGroups } from './group-views.js'
import type { GroupReplicas, ResolvedGroupConfig } from './types.js'

export interface CoordinatorDeps {
  nodeId: number
  clock: Clock
  random: Random
  metadata: MetadataView
  replicas: GroupReplicas
  controller: ControllerChannel
  config: ResolvedGroupConfig
  logger: PartLogger
  /** Brokers the cluster is configured with (its voters), before they have all registered. */
  expectedBrokers: number
  /** An authorizer is on: a regex subscription matches only topics its member may Read. */
  authorizing?: boolean
}

interface Shard {
  partition: number
  status: 'loading' | 'active'
  groups: Map<string, ConsumerGroup>
  /** Classic (JoinGroup) groups with members: memory only (classic-group.ts). */
  classic: Map<string, ClassicGroup>
  writer: PartitionWriter | null
  timers: MemberTimers
}

type DescribedGroup = DescribeGroupsResponse['groups'][number]

const MEMBER_ID_CHARS = 22

export class GroupCoordinatorCore {
  private readonly shards = new Map<number, Shard>()
  private readonly unsubscribe: Array<() => void> = []
  private readonly offsetsTopic: OffsetsTopic
  private stopped = false
  /** JoinGroup, SyncGroup, Heartbeat, LeaveGroup: on the same shards as the consumer-protocol groups. */
  readonly classic: ClassicCoordinator

  constructor(private readonly deps: CoordinatorDeps) {
    this.offsetsTopic = new OffsetsTopic(deps.metadata, deps.controller, deps.config, deps.logger, deps.expectedBrokers)
    this.offsetsTopic.authorizing = deps.authorizing === true
    this.classic = new ClassicCoordinator({ clock: deps.clock, config: deps.config, route: (groupId) => this.route(groupId), newId: () => this.randomId() })
  }

  start(): void {
    const { replicas, metadata } = this.deps
    this.unsubscribe.push(
      replicas.onLeadershipChange((e) => {
        if (e.topic !== OFFSETS_TOPIC || this.stopped) return
        if (e.isLeader) this.load(e.partition)
        else this.unload(e.partition)
      }),
      metadata.onPublish((_image, delta) => { for (const change of delta.changes) this.onMetadataChange(change) }),
    )
    const topic = metadata.image().topicsByName.get(OFFSETS_TOPIC)
    for (const p of topic?.partitions ?? []) {
      if (replicas.isLeader(OFFSETS_TOPIC, p.partition) && !this.shards.has(p.partition)) this.load(p.partition)
    }
  }

  stop(): void {
    this.stopped = true
    this.offsetsTopic.stop()
    for (const u of this.unsubscribe.splice(0)) u()
    for (const p of [...this.shards.keys()]) this.unload(p)
  }

  /** Partitions this node coordinates, with their status (for tests and metrics). */
  shardStatus(): Map<number, 'loading' | 'active'> {
    return new Map([...this.shards].map(([p, s]) => [p, s.status]))
  }

  /** Committed offsets of every group this node coordinates (for /metrics). */
  committedOffsets(): CommittedOffsetRow[] {
    const active = [...this.shards.values()].filter((s) => s.status === 'active')
    return committedOffsetRows(active.flatMap((s) => [...s.groups.values()]))
  }

  // ------------------------------------------------------------ FindCoordinator

  findCoordinator(groupId: string, listener: string | null = null): Result<{ nodeId: number; endpoint: string }> {
    return this.offsetsTopic.findCoordinator(groupId, listener)
  }

  // ------------------------------------------------------------ ConsumerGroupHeartbeat

  async heartbeat(groupId: string, input: HeartbeatInput): Promise<Result<ConsumerGroupHeartbeatResponse>> {
    const routed = this.route(groupId)
    if (!routed.ok) return routed
    const shard = routed.value
    if ((shard.classic.get(groupId)?.members.size ?? 0) > 0) {
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `group ${groupId} is a classic group with members`)
    }
    let group = shard.groups.get(groupId)
    const created = group === undefined
    if (!group) {
      if (input.memberEpoch === LEAVE_EPOCH || input.memberEpoch < JOIN_EPOCH) {
        return ok({ memberId: input.memberId, memberEpoch: LEAVE_EPOCH, heartbeatIntervalMs: 0, assignment: null })
      }
      if (input.memberEpoch !== JOIN_EPOCH) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `group ${groupId} has no members`)
      group = new ConsumerGroup(groupId)
    }
    const g = group
    const out = heartbeat(g, input, {
      topics: this.offsetsTopic.topics(),
      heartbeatIntervalMs: this.deps.config.heartbeatIntervalMs,
      membersPerGroupMax: this.deps.config.membersPerGroupMax,
      newMemberId: () => this.newMemberId(g),
    })
    if (!out.ok) return out
    if (created) shard.groups.set(groupId, g)
    const member = out.value.member
    if (member) shard.timers.arm(groupId, member)
    else shard.timers.clear(groupId, input.memberId)

    const code = await shard.writer!.write(dirtyRecords(g, this.deps.clock.now()))
    if (code !== ErrorCode.NONE) {
      if (member) member.lastSent = null
      return fail(coordinatorError(code), `could not persist the group state: ${code}`)
    }
    return ok(out.value.response)
  }

  // ------------------------------------------------------------ OffsetCommit / OffsetFetch

  async commitOffsets(groupId: string, input: CommitInput): Promise<{ errorCode: number; body: OffsetCommitResponse & { errorMessage?: string } }> {
    const everyPartition = (errorCode: number, errorMessage: string) => ({
      errorCode,
      body: {
        errorMessage,
        topics: input.topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode })) })),
      },
    })
    const routed = this.route(groupId)
    if (!routed.ok) return everyPartition(routed.code, routed.message)
    const shard = routed.value
    const classic = shard.classic.get(groupId)
    if (classic) {
      // A classic member commits by generation; once it passes, the commit is the group's own, as an admin commit is.
      const allowed = classic.commitProblem(input.memberId, input.memberEpoch)
      if (!allowed.ok) return everyPartition(allowed.code, allowed.message)
      input = { ...input, memberId: '', memberEpoch: -1 }
    }
    let group = shard.groups.get(groupId)
    const now = this.deps.clock.now()
    const plan = planCommit(group, input, this.offsetsTopic.topics(), now, this.deps.config.offsetMetadataBytesMax)
    if (!plan.ok) return everyPartition(plan.code, plan.message)
    const { writes } = plan.value
    if (writes.size === 0) return { errorCode: ErrorCode.NONE, body: plan.value.response }
    if (!group) shard.groups.set(groupId, (group = new ConsumerGroup(groupId)))
    for (const [k, v] of writes) group.pendingOffsets.set(k, v)

    const records = [...writes].map(([k, v]) => offsetRecord(groupId, k, v, now))
    const code = await shard.writer!.write(records)
    if (code !== ErrorCode.NONE) {
      const mapped = coordinatorError(code)
      return { errorCode: mapped, body: { errorMessage: `commit not durable: ${code}`, ...failWrites(plan.value, mapped) } }
    }
    if (shard.groups.get(groupId) === group) {
      for (const [k, v] of writes) {
        group.offsets.set(k, v)
        if (group.pendingOffsets.get(k) === v) group.pendingOffsets.delete(k)
      }
    }
    return { errorCode: ErrorCode.NONE, body: plan.value.response }
  }

  fetchOffsets(groupId: string, input: FetchInput): Result<OffsetFetchResponse> {
    const routed = this.route(groupId)
    if (!routed.ok) return routed
    return fetchOffsets(routed.value.groups.get(groupId), input)
  }

  // ------------------------------------------------------------ ListGroups / DescribeGroups / DeleteGroups

  listGroups(statesFilter: readonly string[]): ListGroupsResponse {
    const active = [...this.shards.values()].filter((shard) => shard.status === 'active')
    return listShardGroups(active.map((shard) => ({ classic: this.classic.list(shard), groups: shard.groups.values() })), statesFilter)
  }

  describeGroup(groupId: string): DescribedGroup {
    const dead = (errorCode: number): DescribedGroup => ({ groupId, errorCode, state: 'dead', groupEpoch: -1, assignmentEpoch: -1, members: [] })
    const routed = this.route(groupId)
    if (!routed.ok) return dead(routed.code)
    const topicIds = this.offsetsTopic.topics().topicIds
    const classic = this.classic.describe(routed.value, groupId, topicIds)
    if (classic) return classic
    const g = routed.value.groups.get(groupId)
    if (!g) return dead(ErrorCode.GROUP_ID_NOT_FOUND)
    return describeConsumerGroup(g, topicIds)
  }

  /** Only empty groups; their offsets and the group record are tombstoned. */
  async deleteGroup(groupId: string): Promise<number> {
    const routed = this.route(groupId)
    if (!routed.ok) return routed.code
    const shard = routed.value
    if (this.classic.isLive(shard, groupId)) return ErrorCode.NON_EMPTY_GROUP
    const g = shard.groups.get(groupId)
    if (!g) return ErrorCode.GROUP_ID_NOT_FOUND
    if (g.members.size > 0) return ErrorCode.NON_EMPTY_GROUP
    const now = this.deps.clock.now()
    const keys = new Set([...g.offsets.keys(), ...g.pendingOffsets.keys()])
    const records = [...keys].map((k) => offsetRecord(groupId, k, null, now))
    records.push(groupTombstone(groupId, now))
    shard.groups.delete(groupId)
    const code = await shard.writer!.write(records)
    return code === ErrorCode.NONE ? ErrorCode.NONE : coordinatorError(code)
  }

  /** OffsetDelete (offset-delete.ts): the group's error is the result's; each partition's is in the response. */
  async deleteOffsets(groupId: string, asked: OffsetDeleteRequest['topics']): Promise<Result<OffsetDeleteResponse>> {
    const routed = this.route(groupId)
    if (!routed.ok) return routed
    const shard = routed.value
    const g = shard.groups.get(groupId)
    const classic = this.classic.subscribedTopics(shard, groupId)
    if (g === undefined && classic === null) return fail(ErrorCode.GROUP_ID_NOT_FOUND, `group ${groupId} does not exist`)
    if (classic === 'not-consumer') return fail(ErrorCode.NON_EMPTY_GROUP, `group ${groupId} has members of a protocol other than consumer`)
    const topics = this.offsetsTopic.topics()
    const plan = planOffsetDelete(g, classic ?? consumerGroupTopics(g, topics), topics.partitionCounts, asked)
    if (plan.keys.length === 0) return ok(plan.response)
    const now = this.deps.clock.now()
    const code = await shard.writer!.write(plan.keys.map((k) => offsetRecord(groupId, k, null, now)))
    if (code !== ErrorCode.NONE) return fail(coordinatorError(code), `offset deletion not durable: ${code}`)
    if (g !== undefined && shard.groups.get(groupId) === g) for (const k of plan.keys) g.offsets.delete(k)
    return ok(plan.response)
  }

  // ------------------------------------------------------------ shards

  private route(groupId: string): Result<Shard> {
    const p = this.offsetsTopic.partitionFor(groupId)
    if (!p.ok) return p
    const shard = this.shards.get(p.value)
    if (!shard) return fail(ErrorCode.NOT_COORDINATOR, `node ${this.deps.nodeId} does not lead ${OFFSETS_TOPIC}-${p.value}`)
    if (shard.status === 'loading') return fail(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, `${OFFSETS_TOPIC}-${p.value} is loading`)
    return ok(shard)
  }

  private load(partition: number): void {
    this.unload(partition)
    const shard: Shard = {
      partition,
      status: 'loading',
      groups: new Map(),
      classic: new Map(),
      writer: null,
      timers: new MemberTimers(this.deps.clock, (groupId, memberId, why) => this.expire(shard, groupId, memberId, why)),
    }
    this.shards.set(partition, shard)
    const current = () => !this.stopped && this.shards.get(partition) === shard && this.deps.replicas.isLeader(OFFSETS_TOPIC, partition)
    const { nodeId, replicas, clock, logger, config } = this.deps
    const loaderDeps = { nodeId, replicas, clock, logger, loadReadBytesMax: config.loadReadBytesMax, loadRetryBackoffMs: config.loadRetryBackoffMs }
    loadShard(loaderDeps, partition, this.randomId(), current).then(
      (result) => {
        if (this.shards.get(partition) !== shard) return
        if (result === null) {
          this.shards.delete(partition)
          return
        }
        shard.groups = result.groups
        shard.writer = new PartitionWriter(
          (batch) => replicas.appendAsLeader(OFFSETS_TOPIC, partition, batch, -1),
          clock,
          config,
          (code) => this.onWriteFailure(shard, code),
        )
        shard.status = 'active'
        for (const g of shard.groups.values()) for (const m of g.members.values()) shard.timers.arm(g.groupId, m)
        logger.info({ partition, groups: shard.groups.size, ...result.stats }, 'group coordinator loaded __consumer_offsets partition')
      },
      (err: unknown) => {
        logger.error({ partition, err: String(err) }, 'loading __consumer_offsets partition failed')
        if (this.shards.get(partition) === shard) this.shards.delete(partition)
      },
    )
  }

  private unload(partition: number): void {
    const shard = this.shards.get(partition)
    if (!shard) return
    this.shards.delete(partition)
    shard.timers.clearAll()
    for (const g of shard.classic.values()) g.close(ErrorCode.NOT_COORDINATOR)
    shard.classic.clear()
    shard.writer?.close(ErrorCode.NOT_COORDINATOR)
  }

  private onWriteFailure(shard: Shard, code: number): void {
    if (this.shards.get(shard.partition) !== shard || this.stopped) return
    const leader = this.deps.replicas.isLeader(OFFSETS_TOPIC, shard.partition)
    this.deps.logger.warn({ partition: shard.partition, errorCode: code, leader }, 'a __consumer_offsets write failed: reloading the partition')
    if (leader) this.load(shard.partition)
    else this.unload(shard.partition)
  }

  // ------------------------------------------------------------ expiry

  private expire(shard: Shard, groupId: string, memberId: string, why: Expiry): void {
    if (this.shards.get(shard.partition) !== shard || shard.status !== 'active') return
    const g = shard.groups.get(groupId)
    const m = g?.members.get(memberId)
    if (!g || !m) return
    if (why === 'rebalance' && m.pendingRevocation.size === 0) return
    shard.timers.clear(groupId, memberId)
    g.removeMember(memberId)
    this.deps.logger.info({ groupId, memberId, why, groupEpoch: g.groupEpoch }, 'removed a consumer group member')
    void shard.writer!.write(dirtyRecords(g, this.deps.clock.now()))
  }

  // ------------------------------------------------------------ metadata

  private onMetadataChange(change: MetadataChange): void {
    if (change.type === 'partition') this.offsetsTopic.onPartitionChange(change.partition)
    // Who may Read what changed: regex subscriptions are matched again.
    if (change.type === 'acls') this.offsetsTopic.invalidateTopics()
    if (change.type !== 'topic-removed') return
    this.offsetsTopic.invalidateTopics()
    const topic = change.topic.name
    const now = this.deps.clock.now()
    for (const shard of this.shards.values()) {
      if (shard.status !== 'active') continue
      const records = []
      for (const g of shard.groups.values()) for (const k of g.dropTopicOffsets(topic)) records.push(offsetRecord(g.groupId, k, null, now))
      if (records.length > 0) void shard.writer!.write(records)
    }
  }

  private newMemberId(g: ConsumerGroup): string {
    for (;;) {
      const id = this.randomId()
      if (!g.members.has(id)) return id
    }
  }

  private randomId(): string {
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
    let s = ''
    for (let i = 0; i < MEMBER_ID_CHARS; i++) s += alphabet[Math.floor(this.deps.random.next() * alphabet.length)]
    return s
  }
}
