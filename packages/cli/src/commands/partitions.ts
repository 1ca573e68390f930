/**
 * `tributary partitions elect-leaders|reassign`, shaped after kafka-leader-election.sh
 * and kafka-reassign-partitions.sh:
 *
 *   tributary partitions elect-leaders [--topic T [--partition P]] [--unclean]
 *   tributary partitions reassign --generate --brokers 1,2,3,4 --topics orders   (prints a plan)
 *   tributary partitions reassign --execute plan.json [--throttle 50MB]
 *   tributary partitions reassign --verify [plan.json]   (removes the throttle once complete)
 *   tributary partitions reassign --cancel [plan.json]   (removes the throttle)
 */
import { readFile } from 'node:fs/promises'
import type { Argv } from 'yargs'
import type { Admin, PartitionDescription } from '@tributary/client'
import { ErrorCode, errorName } from '@tributary/protocol'
import { args } from '../command-args.js'
import { clientFor } from '../connect.js'
import { UsageError } from '../errors.js'
import { printJson, println } from '../io.js'
import { changedOnly, parsePlanFile, planFile, planReassignment, type PlannedPartition } from '../reassign-plan.js'
import { clearThrottles, setThrottle } from '../reassign-throttle.js'
import { parseBytes } from '../args.js'
import { runCommand, type Ctx, type Runtime } from '../runtime.js'
import { formatTable } from '../table.js'

interface ElectArgs { topic?: string; partition?: number; preferred?: boolean; unclean?: boolean }
interface ReassignArgs {
  generate?: boolean; brokers?: string; topics?: string[]; execute?: string; verify?: string; cancel?: string
  throttle?: string; preserveThrottles?: boolean
}

export function partitionsCommand(y: Argv, rt: Runtime): Argv {
  return y.command('partitions', 'elect leaders and reassign partitions', (g) =>
    g
      .command('elect-leaders', 'move leadership to each partition\'s preferred (first) replica, or elect any live replica of a leaderless one (--unclean)', args({}, {
        topic: { type: 'string', describe: 'only this topic (default: every partition of every topic)' },
        partition: { type: 'number', describe: 'only this partition of --topic' },
        preferred: { type: 'boolean', describe: 'preferred election (the default)' },
        unclean: { type: 'boolean', describe: 'unclean election of leaderless partitions: may lose acknowledged records' },
      }), runCommand<ElectArgs>(rt, electLeaders))
      .command('reassign', 'move partition replicas between brokers (KIP-455)', args({}, {
        generate: { type: 'boolean', describe: 'print a balanced plan for --topics over --brokers (nothing changes)' },
        brokers: { type: 'string', describe: 'with --generate: broker ids to spread over, e.g. 1,2,3,4' },
        topics: { type: 'string', array: true, describe: 'with --generate: topics to plan (repeatable or comma-separated)' },
        execute: { type: 'string', describe: 'start the reassignments of a plan file' },
        verify: { type: 'string', describe: 'report each partition of a plan file as complete or in progress (no file: every reassignment in progress)' },
        cancel: { type: 'string', describe: 'cancel the reassignments of a plan file (no file: every one in progress), restoring the original replicas' },
        throttle: { type: 'string', describe: 'with --execute: bytes/s (e.g. 50MB) each broker a moving partition is on or moves to may copy, set as leader/follower.replication.throttled.rate' },
        'preserve-throttles': { type: 'boolean', describe: 'with --verify or --cancel: leave the throttle set' },
      }), runCommand<ReassignArgs>(rt, reassign))
      .demandCommand(1, 'give a partitions subcommand: elect-leaders or reassign'),
  )
}

async function electLeaders(a: ElectArgs, ctx: Ctx): Promise<void> {
  if (a.preferred && a.unclean) throw new UsageError('give --preferred or --unclean, not both')
  if (a.partition !== undefined && a.topic === undefined) throw new UsageError('--partition needs --topic')
  if (a.partition !== undefined && (!Number.isSafeInteger(a.partition) || a.partition < 0)) throw new UsageError('--partition must be a partition number')
  const admin = clientFor(ctx).admin()
  let topicPartitions: Array<{ topic: string; partitions: number[] }> | undefined
  if (a.topic !== undefined) {
    const partitions = a.partition !== undefined ? [a.partition] : (await admin.describeTopic(a.topic)).partitions.map((p) => p.partition)
    topicPartitions = [{ topic: a.topic, partitions }]
  }
  const type = a.unclean ? 'unclean' : 'preferred'
  const results = await admin.electLeaders({ electionType: type, topicPartitions, timeoutMs: ctx.timeoutMs })
  const failed = results.filter((r) => r.errorCode !== ErrorCode.NONE && r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED)
  if (failed.length > 0) ctx.setExitCode(1)
  if (ctx.json) {
    printJson(ctx.io, results.map((r) => ({ topic: r.topic, partition: r.partition, result: r.errorCode === ErrorCode.NONE ? 'elected' : errorName(r.errorCode), error: r.error })))
    return
  }
  const names = (code: number) => results.filter((r) => r.errorCode === code).map((r) => `${r.topic}-${r.partition}`).join(', ')
  const elected = names(ErrorCode.NONE)
  const already = names(ErrorCode.ELECTION_NOT_NEEDED)
  if (elected) println(ctx.io, `Successfully completed leader election (${type.toUpperCase()}) for partitions ${elected}`)
  if (already) println(ctx.io, `Valid replica already elected for partitions ${already}`)
  for (const f of failed) println(ctx.io, `Error completing leader election (${type.toUpperCase()}) for partition ${f.topic}-${f.partition}: ${errorName(f.errorCode)}${f.error ? `: ${f.error}` : ''}`)
  if (!elected && !already && failed.length === 0) println(ctx.io, 'No partition needed an election')
}

async function reassign(a: ReassignArgs, ctx: Ctx): Promise<void> {
  const modes = [a.generate ? 'generate' : null, a.execute !== undefined ? 'execute' : null, a.verify !== undefined ? 'verify' : null, a.cancel !== undefined ? 'cancel' : null].filter(Boolean)
  if (modes.length !== 1) throw new UsageError('give exactly one of --generate, --execute FILE, --verify [FILE], --cancel [FILE]')
  if (a.throttle !== undefined && a.execute === undefined) throw new UsageError('--throttle goes with --execute')
  if (a.preserveThrottles && a.verify === undefined && a.cancel === undefined) throw new UsageError('--preserve-throttles goes with --verify or --cancel')
  const throttle = a.throttle === undefined ? undefined : parseBytes('throttle', a.throttle)
  if (throttle === 0) throw new UsageError('--throttle must be positive (leave it out to copy unthrottled)')
  const admin = clientFor(ctx).admin()
  if (a.generate) return generate(admin, a, ctx)
  if (a.execute !== undefined) return execute(admin, await readPlan(a.execute, '--execute'), throttle, ctx)
  const clear = a.preserveThrottles !== true
  if (a.verify !== undefined) return verify(admin, a.verify ? await readPlan(a.verify, '--verify') : null, clear, ctx)
  return cancel(admin, a.cancel ? await readPlan(a.cancel, '--cancel') : null, clear, ctx)
}

async function readPlan(file: string, flag: string): Promise<PlannedPartition[]> {
  if (!file) throw new UsageError(`${flag} needs a plan file (from --generate)`)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new UsageError(`${flag}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  try {
    return parsePlanFile(text)
  } catch (err) {
    throw new UsageError(`${flag} ${file}: ${(err as Error).message}`)
  }
}

function brokerIds(s: string | undefined): number[] {
  const ids = String(s ?? '').split(',').map((x) => x.trim()).filter(Boolean).map(Number)
  if (ids.length === 0 || !ids.every((id) => Number.isSafeInteger(id) && id > 0)) throw new UsageError('--brokers must list broker ids, e.g. 1,2,3,4')
  return ids
}

async function assignmentOf(admin: Admin, topics: string[]): Promise<PlannedPartition[]> {
  const out: PlannedPartition[] = []
  for (const topic of topics) {
    const d = await admin.describeTopic(topic)
    for (const p of d.partitions) out.push({ topic, partition: p.partition, replicas: p.replicas.filter((r) => !p.addingReplicas.includes(r)) })
  }
  return out
}

/** broker → rack when every one of `brokers` has a --rack (the planner is then rack-aware), else undefined. */
export async function racksOf(admin: Admin, brokers: readonly number[]): Promise<Map<number, string> | undefined> {
  const known = new Map((await admin.describeCluster()).brokers.map((b) => [b.nodeId, b.rack ?? null]))
  const racks = new Map<number, string>()
  for (const id of brokers) {
    const rack = known.get(id)
    if (typeof rack !== 'string') return undefined
    racks.set(id, rack)
  }
  return racks
}

async function generate(admin: Admin, a: ReassignArgs, ctx: Ctx): Promise<void> {
  const brokers = brokerIds(a.brokers)
  const topics = (a.topics ?? []).flatMap((t) => String(t).split(',')).map((t) => t.trim()).filter(Boolean)
  if (topics.length === 0) throw new UsageError('--generate needs --topics')
  const current = await assignmentOf(admin, topics)
  let proposed: PlannedPartition[]
  try {
    proposed = planReassignment(current, brokers, await racksOf(admin, brokers))
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const changed = changedOnly(current, proposed)
  const rollback = current.filter((c) => changed.some((p) => p.topic === c.topic && p.partition === c.partition))
  if (ctx.json) {
    printJson(ctx.io, { current: planFile(rollback), proposed: planFile(changed) })
    return
  }
  println(ctx.io, `Current partition replica assignment (save it to roll back)\n${JSON.stringify(planFile(rollback))}\n`)
  println(ctx.io, `Proposed partition reassignment configuration (${changed.length} of ${current.length} partitions change)\n${JSON.stringify(planFile(changed))}`)
}

async function execute(admin: Admin, plan: PlannedPartition[], throttle: number | undefined, ctx: Ctx): Promise<void> {
  const before = await assignmentOf(admin, [...new Set(plan.map((p) => p.topic))])
  const rollback = before.filter((c) => plan.some((p) => p.topic === c.topic && p.partition === c.partition))
  // The throttle first, so the copying starts throttled: on every broker that sends or receives a moving partition.
  const throttled = [...new Set([...rollback, ...plan].flatMap((p) => p.replicas))].sort((x, y) => x - y)
  if (throttle !== undefined) await setThrottle(admin, throttled, throttle)
  await admin.alterPartitionReassignments({ topics: byTopic(plan, (p) => p.replicas), timeoutMs: ctx.timeoutMs })
  if (ctx.json) {
    printJson(ctx.io, { started: plan.length, rollback: planFile(rollback), ...(throttle !== undefined ? { throttle: { bytesPerSec: throttle, brokers: throttled } } : {}) })
    return
  }
  println(ctx.io, `Current partition replica assignment\n${JSON.stringify(planFile(rollback))}\n\nSave this to use as the --execute file to roll back`)
  if (throttle !== undefined) {
    println(ctx.io, `Warning: You must run --verify periodically, until the reassignment completes, to ensure the throttle is removed.`)
    println(ctx.io, `The inter-broker throttle limit was set to ${throttle} B/s on brokers ${throttled.join(',')}`)
  }
  println(ctx.io, `Successfully started partition reassignment${plan.length === 1 ? '' : 's'} for ${plan.map((p) => `${p.topic}-${p.partition}`).join(',')}`)
}

function byTopic<T>(plan: PlannedPartition[], value: (p: PlannedPartition) => T): Array<{ topic: string; partitions: Array<{ partition: number; replicas: T }> }> {
  const topics = new Map<string, Array<{ partition: number; replicas: T }>>()
  for (const p of plan) {
    const list = topics.get(p.topic) ?? []
    list.push({ partition: p.partition, replicas: value(p) })
    topics.set(p.topic, list)
  }
  return [...topics].map(([topic, partitions]) => ({ topic, partitions }))
}

type Status = 'complete' | 'in progress' | 'differs'

async function verify(admin: Admin, plan: PlannedPartition[] | null, clear: boolean, ctx: Ctx): Promise<void> {
  const rows: Array<{ topic: string; partition: number; status: Status; replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }> = []
  if (plan === null) {
    for (const r of await admin.listPartitionReassignments({ timeoutMs: ctx.timeoutMs })) rows.push({ ...r, status: 'in progress' })
  } else {
    const described = new Map<string, PartitionDescription[]>()
    for (const topic of new Set(plan.map((p) => p.topic))) described.set(topic, (await admin.describeTopic(topic)).partitions)
    for (const want of plan) {
      const p = described.get(want.topic)?.find((x) => x.partition === want.partition)
      if (!p) throw new UsageError(`${want.topic}-${want.partition} does not exist`)
      const moving = p.addingReplicas.length > 0 || p.removingReplicas.length > 0
      const status: Status = moving ? 'in progress' : p.replicas.join(',') === want.replicas.join(',') ? 'complete' : 'differs'
      rows.push({ topic: want.topic, partition: want.partition, status, replicas: p.replicas, addingReplicas: p.addingReplicas, removingReplicas: p.removingReplicas })
    }
  }
  const complete = plan === null ? rows.length === 0 : rows.every((r) => r.status === 'complete')
  if (!complete) ctx.setExitCode(1)
  // As kafka-reassign-partitions: once every move is complete, the throttle goes.
  const cleared = complete && clear ? await clearThrottles(admin) : null
  if (ctx.json) {
    printJson(ctx.io, { partitions: rows, throttleRemoved: cleared !== null })
    return
  }
  if (rows.length === 0) println(ctx.io, 'No partition reassignment is in progress')
  else {
    println(ctx.io, formatTable(['Topic', 'Partition', 'Status', 'Replicas', 'Adding', 'Removing'],
      rows.map((r) => [r.topic, r.partition, r.status, r.replicas.join(','), r.addingReplicas.join(','), r.removingReplicas.join(',')])))
  }
  if (cleared !== null) println(ctx.io, 'Throttle was removed.')
}

async function cancel(admin: Admin, plan: PlannedPartition[] | null, clear: boolean, ctx: Ctx): Promise<void> {
  const ongoing = await admin.listPartitionReassignments({ timeoutMs: ctx.timeoutMs })
  const named = plan ?? ongoing.map((r) => ({ topic: r.topic, partition: r.partition, replicas: r.replicas }))
  // Only partitions still moving: the ones already complete cannot be cancelled (Kafka answers NO_REASSIGNMENT_IN_PROGRESS).
  const targets = named.filter((p) => ongoing.some((r) => r.topic === p.topic && r.partition === p.partition))
  if (targets.length > 0) await admin.alterPartitionReassignments({ topics: byTopic(targets, () => null), timeoutMs: ctx.timeoutMs })
  const done = named.filter((p) => !targets.includes(p))
  const cleared = clear ? await clearThrottles(admin) : null
  if (ctx.json) {
    printJson(ctx.io, { cancelled: targets.map((p) => ({ topic: p.topic, partition: p.partition })), notInProgress: done.map((p) => ({ topic: p.topic, partition: p.partition })), throttleRemoved: cleared !== null })
    return
  }
  if (cleared !== null) println(ctx.io, 'Throttle was removed.')
  println(ctx.io, targets.length > 0 ? `Successfully cancelled partition reassignments for ${targets.map((p) => `${p.topic}-${p.partition}`).join(',')}` : 'No partition reassignment to cancel')
  if (done.length > 0) println(ctx.io, `Not in progress (left as they are): ${done.map((p) => `${p.topic}-${p.partition}`).join(',')}`)
}
