/**
 * `tributary acls create|list|delete`, shaped after kafka-acls.sh:
 *
 *   tributary acls create --allow-principal User:alice --operation Read --operation Describe --topic orders
 *   tributary acls list [--principal User:alice] [--topic orders]
 *   tributary acls delete --allow-principal User:alice --topic orders [--yes]
 *
 * Every principal × host × operation × resource named becomes one binding.
 * `delete` lists what its filter matches and deletes only with `--yes`.
 */
import type { Argv } from 'yargs'
import {
  AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes, CLUSTER_RESOURCE_NAME,
  aclOperationByName, aclOperationName, aclPatternTypeByName, aclPatternTypeName, aclPermissionName, aclResourceTypeName,
  type AclBinding, type AclBindingFilter, type AclOperationType, type AclPermissionType, type ResourcePatternType,
} from '@tributary/protocol'
import type { AclFilter } from '@tributary/client'
import { clientFor } from '../connect.js'
import { UsageError } from '../errors.js'
import { printJson, println } from '../io.js'
import { runCommand, type Ctx, type Runtime } from '../runtime.js'
import { formatTable } from '../table.js'

export interface AclArgs {
  allowPrincipal?: string[]
  denyPrincipal?: string[]
  principal?: string[]
  host?: string[]
  operation?: string[]
  topic?: string[]
  group?: string[]
  cluster?: boolean
  transactionalId?: string[]
  resourcePatternType?: string
  yes?: boolean
}

/** What the command needs of the admin client (Admin has it; tests fake it). */
export interface AclPort {
  createAcls(args: { acl: AclBinding[] }): Promise<boolean>
  describeAcls(filter: AclFilter): Promise<{ resources: Array<{ resourceType: number; resourceName: string; resourcePatternType: number; acls: Array<{ principal: string; host: string; operation: number; permissionType: number }> }> }>
  deleteAcls(args: { filters: AclFilter[] }): Promise<{ filterResponses: Array<{ matchingAcls: AclBinding[] }> }>
}

const resourceOptions = (c: Argv) =>
  c
    .option('topic', { type: 'string', array: true, describe: 'a topic (or, with --resource-pattern-type prefixed, a name prefix)' })
    .option('group', { type: 'string', array: true, describe: 'a consumer group (or prefix)' })
    .option('cluster', { type: 'boolean', describe: 'the cluster itself' })
    .option('transactional-id', { type: 'string', array: true, describe: 'a transactional id (reserved)' })
    .option('operation', { type: 'string', array: true, describe: 'Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite or All (repeatable)' })
    .option('allow-principal', { type: 'string', array: true, describe: 'User:name or User:* to allow (repeatable)' })
    .option('deny-principal', { type: 'string', array: true, describe: 'User:name or User:* to deny (repeatable)' })
    .option('host', { type: 'string', array: true, describe: 'client address the binding applies to (default *)' })

export function aclsCommand(y: Argv, rt: Runtime): Argv {
  const port = (ctx: Ctx): AclPort => clientFor(ctx).admin()
  return y.command('acls', 'create, list and delete ACLs (needs brokers started with --authorizer acl)', (g) =>
    g
      .command('create', 'add ACL bindings', (c) => resourceOptions(c).option('resource-pattern-type', { type: 'string', default: 'literal', describe: 'literal or prefixed' }),
        runCommand<AclArgs>(rt, (a, ctx) => createCommand(a, ctx, port(ctx))))
      .command('list', 'list ACL bindings (all, or those matching the options)', (c) => resourceOptions(c)
        .option('principal', { type: 'string', array: true, describe: 'only this principal\'s bindings' })
        .option('resource-pattern-type', { type: 'string', describe: 'literal (default with a resource), prefixed, any or match' }),
      runCommand<AclArgs>(rt, (a, ctx) => listCommand(a, ctx, port(ctx))))
      .command('delete', 'delete the ACL bindings matching the options (shows them; deletes with --yes)', (c) => resourceOptions(c)
        .option('principal', { type: 'string', array: true, describe: 'only this principal\'s bindings' })
        .option('resource-pattern-type', { type: 'string', describe: 'literal (default with a resource), prefixed, any or match' })
        .option('yes', { type: 'boolean', default: false, describe: 'delete what the filter matches (otherwise only show it)' }),
      runCommand<AclArgs>(rt, (a, ctx) => deleteCommand(a, ctx, port(ctx))))
      .demandCommand(1, 'give an acls subcommand: create, list or delete'),
  )
}

function operations(a: AclArgs, fallback: AclOperationType | undefined): AclOperationType[] {
  if (!a.operation || a.operation.length === 0) {
    if (fallback === undefined) throw new UsageError('give at least one --operation (e.g. --operation Read)')
    return [fallback]
  }
  return a.operation.map((name) => {
    const op = aclOperationByName(name)
    if (op === undefined || op === AclOperationTypes.ANY || op === AclOperationTypes.UNKNOWN) throw new UsageError(`--operation ${name} is not one of Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite, All`)
    return op
  })
}

function resources(a: AclArgs): Array<{ resourceType: number; resourceName: string }> {
  const out: Array<{ resourceType: number; resourceName: string }> = []
  for (const t of a.topic ?? []) out.push({ resourceType: AclResourceTypes.TOPIC, resourceName: t })
  for (const g of a.group ?? []) out.push({ resourceType: AclResourceTypes.GROUP, resourceName: g })
  for (const t of a.transactionalId ?? []) out.push({ resourceType: AclResourceTypes.TRANSACTIONAL_ID, resourceName: t })
  if (a.cluster) out.push({ resourceType: AclResourceTypes.CLUSTER, resourceName: CLUSTER_RESOURCE_NAME })
  return out
}

function patternType(a: AclArgs, allowFilters: boolean, fallback: ResourcePatternType): ResourcePatternType {
  if (a.resourcePatternType === undefined) return fallback
  const t = aclPatternTypeByName(a.resourcePatternType)
  const allowed: number[] = allowFilters ? [1, 2, 3, 4] : [3, 4]
  if (t === undefined || !allowed.includes(t)) throw new UsageError(`--resource-pattern-type ${a.resourcePatternType} is not one of ${allowFilters ? 'literal, prefixed, any, match' : 'literal, prefixed'}`)
  return t
}

const principals = (a: AclArgs): Array<{ principal: string; permissionType: AclPermissionType }> => [
  ...(a.allowPrincipal ?? []).map((principal) => ({ principal, permissionType: AclPermissionTypes.ALLOW as AclPermissionType })),
  ...(a.denyPrincipal ?? []).map((principal) => ({ principal, permissionType: AclPermissionTypes.DENY as AclPermissionType })),
]

/** Every principal × host × operation × resource named, as bindings. */
export function bindingsFrom(a: AclArgs): AclBinding[] {
  const who = principals(a)
  if (who.length === 0) throw new UsageError('give --allow-principal or --deny-principal (e.g. User:alice, or User:* for everyone)')
  const what = resources(a)
  if (what.length === 0) throw new UsageError('give a resource: --topic, --group, --cluster or --transactional-id')
  const resourcePatternType = patternType(a, false, ResourcePatternTypes.LITERAL)
  const hosts = a.host && a.host.length > 0 ? a.host : ['*']
  const out: AclBinding[] = []
  for (const p of who) for (const host of hosts) for (const operation of operations(a, undefined)) for (const r of what) {
    out.push({ ...r, resourceType: r.resourceType as AclBinding['resourceType'], resourcePatternType, principal: p.principal, host, operation, permissionType: p.permissionType })
  }
  return out
}

/** The filters `list` and `delete` use: one per resource named (or one for any resource) × principal × operation. */
export function filtersFrom(a: AclArgs): AclBindingFilter[] {
  const named = resources(a)
  const pattern = patternType(a, true, named.length > 0 ? ResourcePatternTypes.LITERAL : ResourcePatternTypes.ANY)
  const what = named.length > 0 ? named : [{ resourceType: AclResourceTypes.ANY, resourceName: null as string | null }]
  const who: Array<{ principal: string | null; permissionType: AclPermissionType }> = [
    ...principals(a),
    ...(a.principal ?? []).map((principal) => ({ principal, permissionType: AclPermissionTypes.ANY as AclPermissionType })),
  ]
  if (who.length === 0) who.push({ principal: null, permissionType: AclPermissionTypes.ANY })
  const ops = a.operation && a.operation.length > 0 ? operations(a, undefined) : [AclOperationTypes.ANY as AclOperationType]
  const hosts: Array<string | null> = a.host && a.host.length > 0 ? a.host : [null]
  const out: AclBindingFilter[] = []
  for (const r of what) for (const p of who) for (const operation of ops) for (const host of hosts) {
    out.push({ resourceType: r.resourceType as AclBindingFilter['resourceType'], resourceName: r.resourceName, resourcePatternType: pattern, principal: p.principal, host, operation, permissionType: p.permissionType })
  }
  return out
}

const HEADERS = ['PRINCIPAL', 'HOST', 'PERMISSION', 'OPERATION', 'RESOURCE', 'PATTERN', 'NAME']
const row = (b: AclBinding): string[] => [b.principal, b.host, aclPermissionName(b.permissionType), aclOperationName(b.operation), aclResourceTypeName(b.resourceType), aclPatternTypeName(b.resourcePatternType).toUpperCase(), b.resourceName]
const key = (b: AclBinding) => row(b).join('\n')
const unique = (bs: AclBinding[]) => [...new Map(bs.map((b) => [key(b), b])).values()]

function print(ctx: Ctx, bindings: AclBinding[], empty: string): void {
  if (ctx.json) printJson(ctx.io, bindings)
  else if (bindings.length === 0) println(ctx.io, empty)
  else println(ctx.io, formatTable(HEADERS, bindings.map(row)))
}

export async function createCommand(a: AclArgs, ctx: Ctx, port: AclPort): Promise<void> {
  const bindings = bindingsFrom(a)
  await port.createAcls({ acl: bindings })
  if (ctx.json) printJson(ctx.io, { created: bindings })
  else println(ctx.io, `created ${bindings.length} ACL binding${bindings.length === 1 ? '' : 's'}:\n${formatTable(HEADERS, bindings.map(row))}`)
}

async function matching(port: AclPort, filters: AclBindingFilter[]): Promise<AclBinding[]> {
  const found: AclBinding[] = []
  for (const f of filters) {
    const r = await port.describeAcls(f)
    for (const res of r.resources) for (const acl of res.acls) {
      found.push({ resourceType: res.resourceType, resourceName: res.resourceName, resourcePatternType: res.resourcePatternType, ...acl } as AclBinding)
    }
  }
  return unique(found)
}

export async function listCommand(a: AclArgs, ctx: Ctx, port: AclPort): Promise<void> {
  print(ctx, await matching(port, filtersFrom(a)), 'no ACLs match')
}

export async function deleteCommand(a: AclArgs, ctx: Ctx, port: AclPort): Promise<void> {
  const filters = filtersFrom(a)
  if (!a.yes) {
    const found = await matching(port, filters)
    if (ctx.json) printJson(ctx.io, { wouldDelete: found, deleted: false })
    else if (found.length === 0) println(ctx.io, 'no ACLs match: nothing to delete')
    else println(ctx.io, `${formatTable(HEADERS, found.map(row))}\n${found.length} ACL binding${found.length === 1 ? '' : 's'} match; run again with --yes to delete ${found.length === 1 ? 'it' : 'them'}`)
    return
  }
  const r = await port.deleteAcls({ filters })
  const deleted = unique(r.filterResponses.flatMap((f) => f.matchingAcls))
  if (ctx.json) printJson(ctx.io, { deleted })
  else if (deleted.length === 0) println(ctx.io, 'no ACLs matched: nothing deleted')
  else println(ctx.io, `deleted ${deleted.length} ACL binding${deleted.length === 1 ? '' : 's'}:\n${formatTable(HEADERS, deleted.map(row))}`)
}
