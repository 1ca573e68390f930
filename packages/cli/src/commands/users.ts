/**
 * `tributary users create|alter|delete|list`: SCRAM users, as Kafka's
 * `kafka-configs --alter --add-config 'SCRAM-SHA-256=[password=...]' --entity-type users`.
 * The SDK salts and hashes the password (PBKDF2); only the salted password
 * reaches the broker, which keeps only the keys derived from it. `list` shows
 * names and mechanisms, never key material.
 *
 * The new user's password comes from --new-password-file, --new-password, or is
 * typed at the prompt (stdin's first line when stdin is not a terminal). The
 * global --password / --password-file are the credentials this command logs in
 * with, as for every other command.
 */
import type { Argv } from 'yargs'
import { ErrorCode, SCRAM_ITERATIONS_MAX, SCRAM_ITERATIONS_MIN, TributaryError } from '@tributary/protocol'
import { intFlag } from '../args.js'
import type { Admin, ScramMechanismOption, UserDescription } from '@tributary/client'
import { clientFor } from '../connect.js'
import { CliError, UsageError } from '../errors.js'
import { printJson, println } from '../io.js'
import { runCommand, type Ctx, type Runtime } from '../runtime.js'
import { readSecretFile, readSecretLine } from '../secret-input.js'
import { formatTable } from '../table.js'

const MECHANISMS = ['scram-sha-256', 'scram-sha-512'] as const

interface UserArgs { name: string }
interface SetArgs extends UserArgs { mechanism: string; newPasswordFile?: string; newPassword?: string; iterations?: string }
interface DeleteArgs extends UserArgs { mechanism?: string }

function mechanismOf(v: unknown): ScramMechanismOption {
  const m = String(v).toLowerCase()
  if (!(MECHANISMS as readonly string[]).includes(m)) throw new UsageError(`--mechanism: '${String(v)}' is not one of ${MECHANISMS.join(', ')}`)
  return m as ScramMechanismOption
}

export function usersCommand(y: Argv, rt: Runtime): Argv {
  const credential = (c: Argv): Argv =>
    c
      .positional('name', { type: 'string', demandOption: true, describe: 'user name (the principal is User:<name>)' })
      .option('mechanism', { type: 'string', default: 'scram-sha-256', describe: 'scram-sha-256 or scram-sha-512' })
      .option('new-password-file', { type: 'string', describe: 'file whose first line is the new user\'s password' })
      .option('new-password', { type: 'string', describe: 'the new user\'s password (visible in the process list: prefer the file or the prompt)' })
      .option('iterations', { type: 'string', describe: 'PBKDF2 iterations, 4096..16384 [default: 4096]' })
  return y.command('users', 'SCRAM users: create, alter (change password), delete, list', (u) =>
    u
      .command('create <name>', 'create a user with a SCRAM credential', credential, runCommand<SetArgs>(rt, (a, ctx) => setCredential(a, ctx, 'create')))
      .command('alter <name>', 'change a user\'s password (a new salt and keys)', credential, runCommand<SetArgs>(rt, (a, ctx) => setCredential(a, ctx, 'alter')))
      .command(
        'delete <name>',
        'delete a user\'s credentials (all mechanisms unless --mechanism)',
        (c) => c.positional('name', { type: 'string', demandOption: true }).option('mechanism', { type: 'string', describe: 'only this mechanism' }),
        runCommand<DeleteArgs>(rt, remove),
      )
      .command('list', 'user names and their mechanisms (never any key material)', (c) => c, runCommand<object>(rt, list))
      .demandCommand(1, 'give a users subcommand: create, alter, delete or list'),
  )
}

async function newPassword(a: SetArgs, ctx: Ctx): Promise<string> {
  if (a.newPasswordFile !== undefined && a.newPassword !== undefined) throw new UsageError('give --new-password-file or --new-password, not both')
  if (a.newPasswordFile !== undefined) return readSecretFile('new-password-file', a.newPasswordFile)
  if (a.newPassword !== undefined) {
    if (a.newPassword === '') throw new UsageError('--new-password: must not be empty')
    return a.newPassword
  }
  const first = await readSecretLine(ctx.io, `Password for ${a.name}: `)
  if (first === '') throw new UsageError('the password must not be empty')
  if (ctx.io.stdin.isTTY) {
    const again = await readSecretLine(ctx.io, 'Again: ')
    if (again !== first) throw new CliError('the passwords do not match')
  }
  return first
}

async function existing(admin: Admin, name: string): Promise<UserDescription | undefined> {
  try {
    return (await admin.describeUsers([name]))[0]
  } catch (err) {
    if (err instanceof TributaryError && err.code === ErrorCode.RESOURCE_NOT_FOUND) return undefined
    throw err
  }
}

async function setCredential(a: SetArgs, ctx: Ctx, verb: 'create' | 'alter'): Promise<void> {
  const mechanism = mechanismOf(a.mechanism)
  const iterations = a.iterations === undefined ? undefined : intFlag('iterations', a.iterations, SCRAM_ITERATIONS_MIN, SCRAM_ITERATIONS_MAX)
  const password = await newPassword(a, ctx)
  const admin = clientFor(ctx).admin()
  const has = (await existing(admin, a.name))?.credentials.some((c) => c.mechanism === mechanism.toUpperCase()) ?? false
  if (verb === 'create' && has) throw new CliError(`user ${a.name} already has a ${mechanism.toUpperCase()} credential (use users alter to change its password)`)
  if (verb === 'alter' && !has) throw new CliError(`user ${a.name} has no ${mechanism.toUpperCase()} credential (use users create)`)
  await admin.upsertScramCredentials([{ user: a.name, mechanism, password, iterations }])
  if (ctx.json) printJson(ctx.io, verb === 'create' ? { user: a.name, mechanism: mechanism.toUpperCase(), created: true } : { user: a.name, mechanism: mechanism.toUpperCase(), altered: true })
  else println(ctx.io, `${verb === 'create' ? 'created' : 'altered'} user ${a.name} (${mechanism.toUpperCase()})`)
}

async function remove(a: DeleteArgs, ctx: Ctx): Promise<void> {
  const admin = clientFor(ctx).admin()
  const user = await existing(admin, a.name)
  if (!user) throw new CliError(`user ${a.name} does not exist`)
  const mechanisms = a.mechanism !== undefined ? [mechanismOf(a.mechanism).toUpperCase()] : user.credentials.map((c) => c.mechanism)
  await admin.deleteScramCredentials(mechanisms.map((m) => ({ user: a.name, mechanism: m as ScramMechanismOption })))
  if (ctx.json) printJson(ctx.io, { user: a.name, mechanisms, deleted: true })
  else println(ctx.io, `deleted ${mechanisms.join(', ')} for user ${a.name}`)
}

async function list(_a: object, ctx: Ctx): Promise<void> {
  const users = await clientFor(ctx).admin().describeUsers()
  if (ctx.json) printJson(ctx.io, users.map((u) => ({ user: u.user, mechanisms: u.credentials.map((c) => c.mechanism) })))
  else if (users.length === 0) println(ctx.io, 'no users')
  else println(ctx.io, formatTable(['USER', 'MECHANISMS'], users.map((u) => [u.user, u.credentials.map((c) => c.mechanism).join(',')])))
}
