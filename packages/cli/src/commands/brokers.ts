/**
 * `tributary brokers list|drain <id>`:
 *
 *   tributary brokers list          registered brokers with their replica and leader counts
 *   tributary brokers drain 4       move every replica (and so every leadership) off broker 4,
 *                                   with the reassignment planner; then it can be stopped
 *   tributary brokers unregister 4  forget stopped (fenced) broker 4 for good (kafka-cluster.sh unregister)
 */
import type { Argv, PositionalOptions } from 'yargs'
import type { Admin } from '@tributary/client'
import { args } from '../command-args.js'
import { clientFor } from '../connect.js'
import { UsageError } from '../errors.js'
import { printJson, println } from '../io.js'
import { changedOnly, planReassignment, type PlannedPartition } from '../reassign-plan.js'
import { runCommand, type Ctx, type Runtime } from '../runtime.js'
import { racksOf } from './partitions.js'
import { formatTable } from '../table.js'

interface DrainArgs { id: number; wait: boolean; waitMs: number }

/** The `<id>` of the broker a subcommand acts on. */
const BROKER_ID: PositionalOptions = { type: 'number', demandOption: true }

/** How often a waiting drain looks at the reassignments in progress. */
const DRAIN_POLL_MS = 500

export function brokersCommand(y: Argv, rt: Runtime): Argv {
  return y.command('brokers', 'list brokers and drain one before removing it', (g) =>
    g
      .command('list', 'registered brokers with their replica and leader counts', (c) => c, runCommand<object>(rt, list))
      .command('drain <id>', 'move every replica off a broker (a balanced plan over the other live brokers), so it can be stopped', args({ id: BROKER_ID }, {
        wait: { type: 'boolean', default: true, describe: 'wait until the moves complete (--no-wait: return once started)' },
        'wait-ms': { type: 'number', default: 600_000, describe: 'give up waiting after this many ms (the moves go on)' },
      }), runCommand<DrainArgs>(rt, drain))
      .command(
        'unregister <id>',
        'forget a stopped (fenced) broker for good: it leaves every ISR and the broker list; its data dir is no longer needed',
        args({ id: BROKER_ID }),
        runCommand<{ id: number }>(rt, unregister),
      )
      .demandCommand(1, 'give a brokers subcommand: list, drain or unregister'),
  )
}

async function allPartitions(admin: Admin): Promise<Array<PlannedPartition & { leader: number }>> {
  const out: Array<PlannedPartition & { leader: number }> = []
  for (const topic of await admin.listTopics({ includeInternal: true })) {
    for (const p of (await admin.describeTopic(topic)).partitions) {
      out.push({ topic, partition: p.partition, leader: p.leader, replicas: p.replicas.filter((r) => !p.addingReplicas.includes(r)) })
    }
  }
  return out
}

async function list(_a: object, ctx: Ctx): Promise<void> {
  const admin = clientFor(ctx).admin()
  const [cluster, partitions] = await Promise.all([admin.describeCluster(), allPartitions(admin)])
  const rows = [...cluster.brokers].sort((a, b) => a.nodeId - b.nodeId).map((b) => ({
    nodeId: b.nodeId,
    endpoint: b.endpoint,
    rack: b.rack ?? null,
    fenced: b.fenced,
    replicas: partitions.filter((p) => p.replicas.includes(b.nodeId)).length,
    leaders: partitions.filter((p) => p.leader === b.nodeId).length,
    preferredLeaders: partitions.filter((p) => p.replicas[0] === b.nodeId).length,
  }))
  if (ctx.json) {
    printJson(ctx.io, rows)
    return
  }
  println(ctx.io, formatTable(['NodeId', 'Endpoint', 'Rack', 'Fenced', 'Replicas', 'Leaders', 'PreferredLeaders'],
    rows.map((r) => [r.nodeId, r.endpoint, r.rack ?? '', r.fenced, r.replicas, r.leaders, r.preferredLeaders])))
}

async function drain(a: DrainArgs, ctx: Ctx): Promise<void> {
  if (!Number.isSafeInteger(a.id) || a.id < 1) throw new UsageError('give the broker id to drain')
  const admin = clientFor(ctx).admin()
  const cluster = await admin.describeCluster()
  if (!cluster.brokers.some((b) => b.nodeId === a.id)) throw new UsageError(`broker ${a.id} is not registered`)
  const others = cluster.brokers.filter((b) => b.nodeId !== a.id && !b.fenced).map((b) => b.nodeId)
  const current = await allPartitions(admin)
  let proposed: PlannedPartition[]
  try {
    proposed = planReassignment(current, others, await racksOf(admin, others))
  } catch (err) {
    throw new UsageError(`cannot drain broker ${a.id}: ${(err as Error).message}`)
  }
  // Only partitions the broker holds move: the rest of the cluster is not rebalanced by a drain.
  const moves = changedOnly(current, proposed).filter((p) => current.some((c) => c.topic === p.topic && c.partition === p.partition && c.replicas.includes(a.id)))
  if (moves.length > 0) {
    const topics = [...new Set(moves.map((m) => m.topic))].map((topic) => ({ topic, partitions: moves.filter((m) => m.topic === topic).map((m) => ({ partition: m.partition, replicas: m.replicas })) }))
    await admin.alterPartitionReassignments({ topics, timeoutMs: ctx.timeoutMs })
  }
  const remaining = a.wait ? await waitDrained(admin, a.id, a.waitMs, ctx) : null
  if (ctx.json) {
    printJson(ctx.io, { broker: a.id, moved: moves.map((m) => ({ topic: m.topic, partition: m.partition, replicas: m.replicas })), drained: remaining === null ? null : remaining === 0 })
    return
  }
  println(ctx.io, moves.length === 0 ? `Broker ${a.id} holds no replicas.` : `Moving ${moves.length} partition${moves.length === 1 ? '' : 's'} off broker ${a.id}.`)
  if (remaining === 0) println(ctx.io, `Broker ${a.id} is drained: it holds no replica and leads nothing; it can be stopped.`)
  else if (remaining !== null) {
    ctx.setExitCode(1)
    println(ctx.io, `Broker ${a.id} still holds ${remaining} replica${remaining === 1 ? '' : 's'} after ${a.waitMs} ms; see \`tributary partitions reassign --verify\`.`)
  }
}

async function unregister(a: { id: number }, ctx: Ctx): Promise<void> {
  if (!Number.isSafeInteger(a.id) || a.id < 1) throw new UsageError('give the broker id to unregister')
  await clientFor(ctx).admin().unregisterBroker(a.id)
  if (ctx.json) printJson(ctx.io, { broker: a.id, unregistered: true })
  else println(ctx.io, `Broker ${a.id} is unregistered.`)
}

/** Replicas still on `id` once the moves completed or the wait ran out (0 = drained). */
async function waitDrained(admin: Admin, id: number, waitMs: number, ctx: Ctx): Promise<number> {
  const deadline = Date.now() + waitMs
  for (;;) {
    const held = (await allPartitions(admin)).filter((p) => p.replicas.includes(id) || p.leader === id).length
    const moving = (await admin.listPartitionReassignments({ timeoutMs: ctx.timeoutMs })).length
    if ((held === 0 && moving === 0) || Date.now() >= deadline || ctx.signal.aborted) return held
    await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS))
  }
}
