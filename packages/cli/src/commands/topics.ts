/** `tributary topics create|list|describe|alter|delete|delete-records`, shaped after kafka-topics.sh (and kafka-delete-records.sh). */
import type { Argv } from 'yargs'
import type { TopicMetadata } from '@tributary/protocol'
import { intFlag, nonNegativeInt, parseKeyValues, positiveInt } from '../args.js'
import { args, partitionsOption, REQUIRED } from '../command-args.js'
import { openPort } from '../connect.js'
import { UsageError } from '../errors.js'
import { printJson, println } from '../io.js'
import type { ClusterPort, PartitionOffsets } from '../port.js'
import { runCommand, type Ctx, type Runtime } from '../runtime.js'
import { formatKeyValues, formatTable } from '../table.js'

interface CreateArgs { topic: string; partitions?: string; replicationFactor?: string; config?: string[] }
interface TopicArg { topic: string }
interface DescribeArgs { topic?: string; internal: boolean }
interface AlterArgs { topic: string; partitions?: string; config?: string[]; deleteConfig?: string[] }
interface DeleteRecordsArgs { topic: string; offset: string; partition?: string[] }

export function topicsCommand(y: Argv, rt: Runtime): Argv {
  return y.command('topics', 'create, list, describe, alter and delete topics', (t) =>
    t
      .command('create <topic>', 'create a topic', args({ topic: REQUIRED }, {
        partitions: { type: 'string', describe: 'partition count (default: the broker\'s num-partitions)' },
        'replication-factor': { alias: 'r', type: 'string', describe: 'replicas per partition (default: the broker\'s default-replication-factor)' },
        config: { alias: 'c', type: 'string', array: true, describe: 'topic config key=value (repeatable, or comma-separated)' },
      }), runCommand<CreateArgs>(rt, create))
      .command('list', 'list topic names', args({}, {
        internal: { type: 'boolean', default: false, describe: 'include internal topics (__consumer_offsets)' },
      }), runCommand<DescribeArgs>(rt, list))
      .command('describe [topic]', 'describe one topic, or all', args({ topic: { type: 'string' } }, {
        internal: { type: 'boolean', default: false, describe: 'with no topic: include internal topics' },
      }), runCommand<DescribeArgs>(rt, describe))
      .command('alter <topic>', 'add partitions or change configs', args({ topic: REQUIRED }, {
        partitions: { type: 'string', describe: 'new (larger) partition count' },
        config: { alias: 'c', type: 'string', array: true, describe: 'set key=value (repeatable)' },
        'delete-config': { type: 'string', array: true, describe: 'remove a config override (repeatable)' },
      }), runCommand<AlterArgs>(rt, alter))
      .command('delete <topic>', 'delete a topic', args({ topic: REQUIRED }), runCommand<TopicArg>(rt, remove))
      .command('delete-records <topic>', 'delete the records below an offset (each partition\'s log start moves there)', args({ topic: REQUIRED }, {
        offset: { type: 'string', demandOption: true, describe: 'the new log start; -1: the high watermark (everything committed)' },
        partition: partitionsOption('every partition'),
      }), runCommand<DeleteRecordsArgs>(rt, deleteRecords))
      .demandCommand(1, 'give a topics subcommand: create, list, describe, alter, delete or delete-records'),
  )
}

async function create(a: CreateArgs, ctx: Ctx): Promise<void> {
  const partitions = a.partitions === undefined ? -1 : positiveInt('partitions', a.partitions)
  const replicationFactor = a.replicationFactor === undefined ? -1 : positiveInt('replication-factor', a.replicationFactor)
  const config = parseKeyValues('config', a.config)
  const port = await openPort(ctx)
  const { topicId } = await port.createTopic({ topic: a.topic, partitions, replicationFactor, config })
  if (ctx.json) {
    // The counts the cluster chose when the flags left them to its defaults (-1).
    const t = partitions < 0 || replicationFactor < 0 ? await port.describeTopic(a.topic) : undefined
    const partitionCount = t ? t.partitions.length : partitions
    printJson(ctx.io, { topic: a.topic, topicId, partitionCount, replicationFactor: t ? t.partitions[0]?.replicas.length ?? 0 : replicationFactor, configs: config })
  } else println(ctx.io, `Created topic ${a.topic}${topicId ? ` (${topicId})` : ''}.`)
}

async function list(a: DescribeArgs, ctx: Ctx): Promise<void> {
  const port = await openPort(ctx)
  const names = (await port.listTopics(a.internal)).map((t) => t.name).sort()
  if (ctx.json) printJson(ctx.io, names)
  else for (const n of names) println(ctx.io, n)
}

export interface TopicDescription {
  topic: string
  topicId: string
  internal: boolean
  partitionCount: number
  replicationFactor: number
  configs: Record<string, string>
  partitions: Array<{
    partition: number; leader: number; replicas: number[]; isr: number[]; leaderEpoch: number; logStartOffset: number | null; highWatermark: number | null
    /** during a reassignment (empty otherwise) */
    addingReplicas: number[]; removingReplicas: number[]
  }>
}

export async function describeTopic(port: ClusterPort, t: TopicMetadata): Promise<TopicDescription> {
  const [configs, offsets] = await Promise.all([
    port.topicConfigs(t.name),
    // A partition without a leader has no offsets to report; show the rest anyway.
    port.partitionOffsets(t.name).catch((): PartitionOffsets[] => []),
  ])
  const byPartition = new Map(offsets.map((o) => [o.partition, o]))
  const partitions = [...t.partitions].sort((x, y) => x.partition - y.partition)
  return {
    topic: t.name,
    topicId: t.topicId,
    internal: t.internal,
    partitionCount: partitions.length,
    replicationFactor: partitions[0]?.replicas.length ?? 0,
    configs: Object.fromEntries(configs.filter((c) => !c.isDefault && c.value !== null).map((c) => [c.name, c.value as string])),
    partitions: partitions.map((p) => ({
      partition: p.partition,
      leader: p.leader,
      replicas: p.replicas,
      isr: p.isr,
      leaderEpoch: p.leaderEpoch,
      logStartOffset: byPartition.get(p.partition)?.logStartOffset ?? null,
      highWatermark: byPartition.get(p.partition)?.highWatermark ?? null,
      addingReplicas: p.addingReplicas ?? [],
      removingReplicas: p.removingReplicas ?? [],
    })),
  }
}

export function renderTopic(d: TopicDescription): string {
  const configs = Object.entries(d.configs).map(([k, v]) => `${k}=${v}`).join(',')
  const head = formatKeyValues([
    ['Topic', d.topic],
    ['TopicId', d.topicId],
    ['PartitionCount', d.partitionCount],
    ['ReplicationFactor', d.replicationFactor],
    ['Configs', configs],
  ])
  // Kafka's describe shows Adding/Removing Replicas only while a reassignment runs
  const moving = d.partitions.some((p) => p.addingReplicas.length > 0 || p.removingReplicas.length > 0)
  const table = formatTable(
    ['Partition', 'Leader', 'Replicas', 'Isr', 'LeaderEpoch', 'LogStart', 'HighWatermark', ...(moving ? ['AddingReplicas', 'RemovingReplicas'] : [])],
    d.partitions.map((p) => [
      p.partition, p.leader < 0 ? 'none' : p.leader, p.replicas.join(','), p.isr.join(','), p.leaderEpoch, p.logStartOffset, p.highWatermark,
      ...(moving ? [p.addingReplicas.join(','), p.removingReplicas.join(',')] : []),
    ]),
  )
  return `${head}\n${table}`
}

async function describe(a: DescribeArgs, ctx: Ctx): Promise<void> {
  const port = await openPort(ctx)
  const topics = a.topic ? [await port.describeTopic(a.topic)] : (await port.listTopics(a.internal)).sort((x, y) => (x.name < y.name ? -1 : 1))
  const described = await Promise.all(topics.map((t) => describeTopic(port, t)))
  if (ctx.json) printJson(ctx.io, a.topic ? described[0] : described)
  else println(ctx.io, described.map(renderTopic).join('\n\n'))
}

async function alter(a: AlterArgs, ctx: Ctx): Promise<void> {
  const set = parseKeyValues('config', a.config)
  const remove = (a.deleteConfig ?? []).flatMap((s) => String(s).split(',')).map((s) => s.trim()).filter(Boolean)
  const count = a.partitions === undefined ? undefined : positiveInt('partitions', a.partitions)
  if (count === undefined && Object.keys(set).length === 0 && remove.length === 0) {
    throw new UsageError('topics alter: give --partitions, --config or --delete-config')
  }
  const port = await openPort(ctx)
  const before = await port.describeTopic(a.topic)
  if (count !== undefined && count !== before.partitions.length) {
    if (count < before.partitions.length) throw new UsageError(`--partitions: ${a.topic} has ${before.partitions.length} partitions; the count can only grow`)
    await port.createPartitions(a.topic, count)
  }
  if (Object.keys(set).length > 0 || remove.length > 0) await port.alterTopicConfigs(a.topic, set, remove)
  if (ctx.json) printJson(ctx.io, { topic: a.topic, partitionCount: count ?? before.partitions.length, configs: set, deletedConfigs: remove })
  else println(ctx.io, `Altered topic ${a.topic}.`)
}

async function remove(a: TopicArg, ctx: Ctx): Promise<void> {
  const port = await openPort(ctx)
  await port.deleteTopic(a.topic)
  if (ctx.json) printJson(ctx.io, { topic: a.topic, deleted: true })
  else println(ctx.io, `Deleted topic ${a.topic}.`)
}

async function deleteRecords(a: DeleteRecordsArgs, ctx: Ctx): Promise<void> {
  const offset = intFlag('offset', a.offset, -1)
  const named = (a.partition ?? []).flatMap((s) => String(s).split(',')).map((s) => s.trim()).filter(Boolean).map((s) => nonNegativeInt('partition', s))
  const port = await openPort(ctx)
  const partitions = named.length > 0 ? named : (await port.describeTopic(a.topic)).partitions.map((p) => p.partition).sort((x, y) => x - y)
  const lows = await port.deleteRecords(a.topic, partitions.map((partition) => ({ partition, offset })))
  if (ctx.json) printJson(ctx.io, { topic: a.topic, partitions: lows })
  else println(ctx.io, formatTable(['Partition', 'LogStart'], lows.map((l) => [l.partition, l.lowWatermark])))
}
