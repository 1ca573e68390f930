/** `tributary groups list|describe|delete|delete-offsets|reset-offsets`, shaped after kafka-consumer-groups.sh. */
import type { Argv } from 'yargs'
import { ErrorCode } from '@tributary/protocol'
import { nonNegativeInt, parseDateTime } from '../args.js'
import { args, partitionsOption, REQUIRED } from '../command-args.js'
import { openPort } from '../connect.js'
import { CliError, UsageError } from '../errors.js'
import { printJson, println } from '../io.js'
import type { ClusterPort, CommittedOffset, GroupDescription } from '../port.js'
import { runCommand, type Ctx, type Runtime } from '../runtime.js'
import { formatTable } from '../table.js'

interface GroupArg { group: string }
interface DeleteOffsetsArgs extends GroupArg { topic: string; partition?: string[] }
interface ResetArgs extends GroupArg {
  topic?: string[]
  toEarliest: boolean
  toLatest: boolean
  toOffset?: string
  toDatetime?: string
  execute: boolean
}

export function groupsCommand(y: Argv, rt: Runtime): Argv {
  return y.command('groups', 'list, describe, delete consumer groups and reset their offsets', (g) =>
    g
      .command('list', 'list consumer groups', (c) => c, runCommand<object>(rt, list))
      .command('describe <group>', 'committed offsets, log end offsets and lag per partition', args({ group: REQUIRED }), runCommand<GroupArg>(rt, describe))
      .command('delete <group>', 'delete an empty group and its offsets', args({ group: REQUIRED }), runCommand<GroupArg>(rt, remove))
      .command('delete-offsets <group>', 'forget the group\'s committed offsets of a topic its members do not consume', args({ group: REQUIRED }, {
        topic: { type: 'string', demandOption: true, describe: 'the topic whose offsets go' },
        partition: partitionsOption('every committed one'),
      }), runCommand<DeleteOffsetsArgs>(rt, deleteOffsets))
      .command('reset-offsets <group>', 'move committed offsets (a dry run unless --execute)', args({ group: REQUIRED }, {
        topic: { type: 'string', array: true, describe: 'topics to reset (default: every topic the group committed)' },
        'to-earliest': { type: 'boolean', default: false, describe: 'to each partition\'s log start' },
        'to-latest': { type: 'boolean', default: false, describe: 'to each partition\'s high watermark' },
        'to-offset': { type: 'string', describe: 'to this offset (clamped to the log)' },
        'to-datetime': { type: 'string', describe: 'to the first offset at or after this ISO-8601 time (or epoch ms)' },
        execute: { type: 'boolean', default: false, describe: 'commit the new offsets (otherwise only print them)' },
      }), runCommand<ResetArgs>(rt, reset))
      .demandCommand(1, 'give a groups subcommand: list, describe, delete, delete-offsets or reset-offsets'),
  )
}

async function list(_a: object, ctx: Ctx): Promise<void> {
  const port = await openPort(ctx)
  const groups = (await port.listGroups()).sort((a, b) => (a.groupId < b.groupId ? -1 : 1))
  if (ctx.json) printJson(ctx.io, groups)
  else if (groups.length === 0) println(ctx.io, 'no groups')
  else println(ctx.io, formatTable(['GROUP', 'STATE'], groups.map((g) => [g.groupId, g.state])))
}

export interface LagRow {
  groupId: string
  topic: string
  partition: number
  currentOffset: number | null
  logEndOffset: number | null
  lag: number | null
  memberId: string | null
}

/** Partitions the group committed or is assigned, with lag = high watermark - committed. */
export async function groupLag(port: ClusterPort, groupId: string, desc: GroupDescription): Promise<LagRow[]> {
  const committed = await port.committedOffsets(groupId)
  const owner = new Map<string, string>()
  for (const m of desc.members) for (const tp of m.assignment) for (const p of tp.partitions) owner.set(`${tp.topic}\0${p}`, m.memberId)
  const keys = new Map<string, { topic: string; partition: number }>()
  for (const c of committed) keys.set(`${c.topic}\0${c.partition}`, c)
  for (const k of owner.keys()) {
    const [topic, p] = k.split('\0') as [string, string]
    keys.set(k, { topic, partition: Number(p) })
  }
  const topics = [...new Set([...keys.values()].map((k) => k.topic))]
  const ends = new Map<string, number>()
  await Promise.all(
    topics.map(async (t) => {
      for (const o of await port.partitionOffsets(t).catch(() => [])) ends.set(`${t}\0${o.partition}`, o.highWatermark)
    }),
  )
  const commits = new Map(committed.map((c) => [`${c.topic}\0${c.partition}`, c.offset]))
  return [...keys.entries()]
    .map(([k, { topic, partition }]) => {
      const cur = commits.get(k)
      const end = ends.get(k)
      const currentOffset = cur === undefined || cur < 0 ? null : cur
      return {
        groupId,
        topic,
        partition,
        currentOffset,
        logEndOffset: end ?? null,
        lag: currentOffset !== null && end !== undefined ? Math.max(0, end - currentOffset) : null,
        memberId: owner.get(k) ?? null,
      }
    })
    .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1))
}

async function describe(a: GroupArg, ctx: Ctx): Promise<void> {
  const port = await openPort(ctx)
  const desc = await port.describeGroup(a.group)
  const rows = await groupLag(port, a.group, desc)
  if (ctx.json) {
    printJson(ctx.io, { groupId: a.group, state: desc.state, groupEpoch: desc.groupEpoch, members: desc.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, memberEpoch: m.memberEpoch, assignment: m.assignment })), partitions: rows })
    return
  }
  if (rows.length === 0) {
    println(ctx.io, `group ${a.group} (${desc.state}) has no committed offsets and no assigned partitions`)
    return
  }
  println(ctx.io, formatTable(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'MEMBER'], rows.map((r) => [r.groupId, r.topic, r.partition, r.currentOffset, r.logEndOffset, r.lag, r.memberId])))
}

async function remove(a: GroupArg, ctx: Ctx): Promise<void> {
  const port = await openPort(ctx)
  await port.deleteGroup(a.group).catch(async (err: { code?: number }) => {
    if (err?.code !== ErrorCode.NON_EMPTY_GROUP) throw err
    // Say what to do, as reset-offsets does: the group's members must leave first.
    const members = await port.describeGroup(a.group).then((d) => d.members.length, () => 0)
    throw new CliError(`group ${a.group} has ${members > 0 ? `${members} active member(s)` : 'active members'}; stop its consumers, then delete it`)
  })
  if (ctx.json) printJson(ctx.io, { groupId: a.group, deleted: true })
  else println(ctx.io, `Deleted group ${a.group}.`)
}

async function deleteOffsets(a: DeleteOffsetsArgs, ctx: Ctx): Promise<void> {
  const partitions = (a.partition ?? []).flatMap((s) => String(s).split(',')).map((s) => s.trim()).filter(Boolean).map((s) => nonNegativeInt('partition', s))
  const port = await openPort(ctx)
  await port.deleteGroupOffsets(a.group, a.topic, partitions.length > 0 ? partitions : undefined).catch((err: { code?: number }) => {
    if (err?.code !== ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC) throw err
    throw new CliError(`group ${a.group} has members consuming ${a.topic}; stop them (or change their subscription), then delete its offsets`)
  })
  if (ctx.json) printJson(ctx.io, { groupId: a.group, topic: a.topic, deleted: true })
  else println(ctx.io, `Deleted the offsets of ${a.topic} for group ${a.group}.`)
}

type Target = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'offset'; offset: number } | { kind: 'datetime'; ms: number }

export function resetTarget(a: Pick<ResetArgs, 'toEarliest' | 'toLatest' | 'toOffset' | 'toDatetime'>): Target {
  const chosen: Target[] = []
  if (a.toEarliest) chosen.push({ kind: 'earliest' })
  if (a.toLatest) chosen.push({ kind: 'latest' })
  if (a.toOffset !== undefined) chosen.push({ kind: 'offset', offset: nonNegativeInt('to-offset', a.toOffset) })
  if (a.toDatetime !== undefined) chosen.push({ kind: 'datetime', ms: parseDateTime('to-datetime', a.toDatetime) })
  if (chosen.length !== 1) throw new UsageError('reset-offsets: give exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime')
  return chosen[0]!
}

async function reset(a: ResetArgs, ctx: Ctx): Promise<void> {
  const target = resetTarget(a)
  const port = await openPort(ctx)
  const desc = await port.describeGroup(a.group).catch((err: { code?: number }) => {
    // Resetting a group that never committed is how offsets get seeded: treat "unknown" as empty.
    if (err?.code === ErrorCode.GROUP_ID_NOT_FOUND) return null
    throw err
  })
  if (a.execute && desc && desc.members.length > 0) {
    throw new CliError(`group ${a.group} has ${desc.members.length} active member(s); stop its consumers before resetting offsets`)
  }
  const explicit = (a.topic ?? []).flatMap((t) => String(t).split(',')).map((t) => t.trim()).filter(Boolean)
  const committed = await port.committedOffsets(a.group)
  const topics = explicit.length ? explicit : [...new Set(committed.map((c) => c.topic))]
  if (topics.length === 0) throw new UsageError(`reset-offsets: group ${a.group} has no committed offsets; name topics with --topic`)
  const plan: Array<CommittedOffset & { previous: number | null }> = []
  for (const topic of topics) {
    const offsets = await port.partitionOffsets(topic)
    const atTime = target.kind === 'datetime' ? await port.offsetsForTime(topic, target.ms) : undefined
    for (const o of offsets.sort((x, y) => x.partition - y.partition)) {
      const next =
        target.kind === 'earliest' ? o.logStartOffset
        : target.kind === 'latest' ? o.highWatermark
        : target.kind === 'offset' ? Math.min(Math.max(target.offset, o.logStartOffset), o.highWatermark)
        : atTime!.get(o.partition) ?? o.highWatermark
      const prev = committed.find((c) => c.topic === topic && c.partition === o.partition)
      plan.push({ topic, partition: o.partition, offset: next, previous: prev && prev.offset >= 0 ? prev.offset : null })
    }
  }
  if (a.execute) await port.commitOffsets(a.group, plan.map(({ topic, partition, offset }) => ({ topic, partition, offset })))
  if (ctx.json) {
    printJson(ctx.io, { groupId: a.group, executed: a.execute, offsets: plan.map((p) => ({ topic: p.topic, partition: p.partition, previousOffset: p.previous, newOffset: p.offset })) })
    return
  }
  println(ctx.io, formatTable(['GROUP', 'TOPIC', 'PARTITION', 'PREVIOUS-OFFSET', 'NEW-OFFSET'], plan.map((p) => [a.group, p.topic, p.partition, p.previous, p.offset])))
  if (!a.execute) println(ctx.io, 'Dry run: nothing committed. Add --execute to apply.')
}
