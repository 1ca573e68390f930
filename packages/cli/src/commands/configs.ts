/**
 * `tributary configs describe|alter`, shaped after kafka-configs.sh: a broker's
 * configs (its static flags and the dynamic ones), the cluster-wide broker
 * defaults, or a topic's.
 *
 *   tributary configs describe --broker 2
 *   tributary configs alter --broker 2 --add-config follower.replication.throttled.rate=50000000
 *   tributary configs alter --broker-defaults --delete-config leader.replication.throttled.rate
 *   tributary configs describe --topic orders
 */
import type { Argv } from 'yargs'
import type { ConfigEntry, ConfigResourceType } from '@tributary/protocol'
import { parseKeyValues, positiveInt } from '../args.js'
import { clientFor } from '../connect.js'
import { UsageError } from '../errors.js'
import { printJson, println } from '../io.js'
import { runCommand, type Ctx, type Runtime } from '../runtime.js'
import { formatTable } from '../table.js'

interface EntityArgs { broker?: string; brokerDefaults?: boolean; topic?: string }
interface AlterArgs extends EntityArgs { addConfig?: string[]; deleteConfig?: string[] }

const entityOptions = (c: Argv): Argv =>
  c
    .option('broker', { type: 'string', describe: 'a broker, by id' })
    .option('broker-defaults', { type: 'boolean', describe: 'the cluster-wide default of every broker\'s dynamic configs' })
    .option('topic', { type: 'string', describe: 'a topic' })

export function configsCommand(y: Argv, rt: Runtime): Argv {
  return y.command('configs', 'describe and alter broker and topic configs (dynamic broker configs: the replication throttle)', (g) =>
    g
      .command('describe', 'a broker\'s configs (static and dynamic), the broker defaults, or a topic\'s', entityOptions, runCommand<EntityArgs>(rt, describe))
      .command(
        'alter',
        'set or delete dynamic configs of a broker, of every broker (--broker-defaults), or of a topic',
        (c) =>
          entityOptions(c)
            .option('add-config', { type: 'string', array: true, describe: 'key=value to set (repeatable, or comma-separated)' })
            .option('delete-config', { type: 'string', array: true, describe: 'a key to delete (repeatable, or comma-separated)' }),
        runCommand<AlterArgs>(rt, alter),
      )
      .demandCommand(1, 'give a configs subcommand: describe or alter'),
  )
}

/** The one resource the flags name. */
function entity(a: EntityArgs): { type: ConfigResourceType; name: string } {
  const given = [a.broker !== undefined, a.brokerDefaults === true, a.topic !== undefined].filter(Boolean).length
  if (given !== 1) throw new UsageError('give --broker ID, --broker-defaults or --topic NAME (one of them)')
  if (a.broker !== undefined) return { type: 'broker', name: String(positiveInt('broker', a.broker)) }
  if (a.brokerDefaults) return { type: 'broker', name: '' }
  return { type: 'topic', name: String(a.topic) }
}

const label = (e: { type: ConfigResourceType; name: string }): string =>
  e.type === 'topic' ? `topic ${e.name}` : e.name === '' ? 'the broker defaults' : `broker ${e.name}`

async function describe(a: EntityArgs, ctx: Ctx): Promise<void> {
  const e = entity(a)
  const [r] = await clientFor(ctx).admin().describeConfigs({ resources: [e] })
  const configs: ConfigEntry[] = r?.configs ?? []
  if (ctx.json) {
    printJson(ctx.io, { type: e.type, name: e.name, configs })
    return
  }
  println(ctx.io, `Configs of ${label(e)}:`)
  println(ctx.io, formatTable(['Name', 'Value', 'Source', 'ReadOnly'], configs.map((c) => [c.name, c.value ?? '', c.source, c.readOnly])))
}

async function alter(a: AlterArgs, ctx: Ctx): Promise<void> {
  const e = entity(a)
  const set = parseKeyValues('add-config', a.addConfig)
  const remove = (a.deleteConfig ?? []).flatMap((s) => String(s).split(',')).map((s) => s.trim()).filter(Boolean)
  if (Object.keys(set).length === 0 && remove.length === 0) throw new UsageError('configs alter: give --add-config or --delete-config')
  const configs = [...Object.entries(set).map(([name, value]) => ({ name, value })), ...remove.map((name) => ({ name, op: 'delete' as const }))]
  await clientFor(ctx).admin().alterConfigs({ resources: [{ ...e, configs }] })
  if (ctx.json) printJson(ctx.io, { type: e.type, name: e.name, set, deleted: remove })
  else println(ctx.io, `Completed updating config for ${label(e)}.`)
}
