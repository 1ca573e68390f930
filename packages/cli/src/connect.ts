/**
 * The ClusterPort on @tributary/client. One client per command run, closed by
 * the command's cleanup. `pinned` binds every inspection call to the first
 * --bootstrap node: the client learns no other endpoints until it refreshes
 * metadata, which the metadata commands never ask for.
 */
import { Tributary, type Admin } from '@tributary/client'
import { ErrorCode } from '@tributary/protocol'
import type { ClusterPort, CommittedOffset } from './port.js'
import type { Ctx } from './runtime.js'

export function newClient(ctx: Pick<Ctx, 'bootstrap' | 'timeoutMs' | 'tls'> & Partial<Pick<Ctx, 'auth'>>, opts: { pinned?: boolean; clientId?: string } = {}): Tributary {
  return new Tributary({
    sasl: ctx.auth?.().sasl,
    brokers: opts.pinned ? ctx.bootstrap.slice(0, 1) : ctx.bootstrap,
    clientId: opts.clientId ?? 'tributary-cli',
    requestTimeoutMs: ctx.timeoutMs,
    connectTimeoutMs: Math.min(ctx.timeoutMs, 5_000),
    tls: ctx.tls,
    // A CLI talks to a person: fail within --timeout, don't retry for half a minute.
    retry: { retries: 3, maxRetryTimeMs: 500 },
  })
}

/** A client for this command, closed when it ends. */
export function clientFor(ctx: Ctx, opts: { pinned?: boolean; clientId?: string } = {}): Tributary {
  const client = newClient(ctx, opts)
  ctx.defer(() => client.close())
  return client
}

export async function openPort(ctx: Ctx, opts: { pinned?: boolean } = {}): Promise<ClusterPort> {
  const client = clientFor(ctx, opts)
  return adminPort(client.admin(), ctx.timeoutMs)
}

export function adminPort(admin: Admin, timeoutMs: number): ClusterPort {
  const topicMetadata = async (topic: string) => {
    const d = await admin.describeTopic(topic)
    return {
      name: d.name,
      topicId: d.topicId,
      errorCode: ErrorCode.NONE,
      internal: d.internal,
      partitions: d.partitions.map((p) => ({ partition: p.partition, errorCode: 0, leader: p.leader, leaderEpoch: p.leaderEpoch, replicas: p.replicas, isr: p.isr, offlineReplicas: p.offlineReplicas, addingReplicas: p.addingReplicas, removingReplicas: p.removingReplicas })),
    }
  }
  return {
    describeQuorum: () => admin.describeQuorum(),
    describeCluster: () => admin.describeCluster(),
    metadataLog: (fromIndex, maxRecords) => admin.metadataLog({ fromIndex, maxRecords }),
    metadataImage: () => admin.metadataImage(),
    metadataSnapshots: () => admin.metadataSnapshots(),

    async listTopics(includeInternal) {
      const names = await admin.listTopics({ includeInternal })
      return Promise.all(names.map(topicMetadata))
    },
    describeTopic: topicMetadata,
    async createTopic(t) {
      const r = await admin.createTopic({ topic: t.topic, partitions: t.partitions < 0 ? undefined : t.partitions, replicationFactor: t.replicationFactor, config: t.config, timeoutMs })
      return { topicId: r.topicId }
    },
    deleteTopic: (topic) => admin.deleteTopic(topic, { timeoutMs }),
    async topicConfigs(topic) {
      const [r] = await admin.describeConfigs({ resources: [{ type: 'topic', name: topic }] })
      return r?.configs ?? []
    },
    async alterTopicConfigs(topic, set, remove) {
      const configs = [...Object.entries(set).map(([name, value]) => ({ name, value, op: 'set' as const })), ...remove.map((name) => ({ name, op: 'delete' as const }))]
      await admin.alterConfigs({ resources: [{ type: 'topic', name: topic, configs }] })
    },
    createPartitions: (topic, count) => admin.createPartitions({ topicPartitions: [{ topic, count }], timeoutMs }),
    deleteRecords: (topic, partitions) => admin.deleteRecords({ topic, partitions, timeoutMs }),
    deleteGroupOffsets: (groupId, topic, partitions) => admin.deleteGroupOffsets({ groupId, topic, partitions }),
    async partitionOffsets(topic) {
      const r = await admin.fetchTopicOffsets(topic)
      return r.map((o) => ({ partition: o.partition, logStartOffset: o.low, highWatermark: o.high }))
    },
    async offsetsForTime(topic, ts) {
      const r = await admin.fetchTopicOffsetsByTimestamp(topic, ts)
      const ends = await admin.fetchTopicOffsets(topic)
      const hw = new Map(ends.map((e) => [e.partition, e.high]))
      return new Map(r.map((o) => [o.partition, o.offset >= 0 ? o.offset : hw.get(o.partition) ?? 0]))
    },
    listGroups: () => admin.listGroups() as ReturnType<ClusterPort['listGroups']>,
    async describeGroup(groupId) {
      return admin.describeGroup(groupId)
    },
    async committedOffsets(groupId) {
      return (await admin.fetchOffsets({ groupId })).map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset }))
    },
    async commitOffsets(groupId, offsets: CommittedOffset[]) {
      const byTopic = new Map<string, Array<{ partition: number; offset: number }>>()
      for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), { partition: o.partition, offset: o.offset }])
      for (const [topic, partitions] of byTopic) await admin.setOffsets({ groupId, topic, partitions })
    },
    deleteGroup: (groupId) => admin.deleteGroup(groupId),
    async close() {},
  }
}
