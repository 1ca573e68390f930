/**
 * The admin client's user methods (KIP-554's Admin calls under Tributary names):
 * upsertScramCredentials, deleteScramCredentials, describeUsers. The salted
 * password is computed here (PBKDF2 on WebCrypto, a fresh random salt per
 * upsertion), so the password itself never leaves the SDK.
 */
import {
  ApiKey, ErrorCode, SCRAM_ITERATIONS_DEFAULT, SCRAM_ITERATIONS_MAX, SCRAM_ITERATIONS_MIN, SCRAM_SALT_BYTES, scramByName, scramByType,
  type AlterUserScramCredentialsRequest, type ScramParams,
} from '@tributary/protocol'
import type { Cluster } from './cluster.js'
import { ArgumentError, assertArg, responseError } from './errors.js'
import { scramSaltedPassword } from './sasl/scram.js'
import { randomBytes } from './sasl/web-crypto.js'

export type ScramMechanismOption = 'scram-sha-256' | 'scram-sha-512' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'
export interface ScramCredentialUpsert { user: string; mechanism: ScramMechanismOption; password: string; iterations?: number }
export interface ScramCredentialDelete { user: string; mechanism: ScramMechanismOption }
export interface UserDescription { user: string; credentials: Array<{ mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; iterations: number }> }

const TIMEOUT_MS_DEFAULT = 30_000

function mechanism(what: string, v: unknown): ScramParams {
  const m = typeof v === 'string' ? scramByName(v) : undefined
  if (!m) throw new ArgumentError(`${what}.mechanism must be scram-sha-256 or scram-sha-512, got ${JSON.stringify(v)}`)
  return m
}

function user(what: string, v: unknown): string {
  if (typeof v !== 'string' || v === '') throw new ArgumentError(`${what}.user must be a non-empty string`)
  return v
}

async function alter(cluster: Cluster, body: AlterUserScramCredentialsRequest): Promise<void> {
  const r = await cluster.controllerCall(ApiKey.AlterUserScramCredentials, { ...body, timeoutMs: TIMEOUT_MS_DEFAULT }, { timeoutMs: TIMEOUT_MS_DEFAULT + 5_000 })
  const failed = r.results.filter((x) => x.errorCode !== ErrorCode.NONE)
  if (failed.length > 0) throw responseError(failed[0]!.errorCode, failed.map((x) => `${x.user}: ${x.errorMessage ?? ''}`.trim()).join('; '), 'alter users')
}

/** Create or replace each user's credential for the mechanism. */
export async function upsertScramCredentials(cluster: Cluster, credentials: ScramCredentialUpsert[]): Promise<void> {
  assertArg(Array.isArray(credentials) && credentials.length > 0, 'upsertScramCredentials expects [{ user, mechanism, password, iterations? }]')
  const upsertions = await Promise.all(credentials.map(async (c, i) => {
    const m = mechanism(`credentials[${i}]`, c?.mechanism)
    const name = user(`credentials[${i}]`, c.user)
    if (typeof c.password !== 'string' || c.password === '') throw new ArgumentError(`credentials[${i}].password must be a non-empty string`)
    const iterations = c.iterations ?? SCRAM_ITERATIONS_DEFAULT
    assertArg(Number.isInteger(iterations) && iterations >= SCRAM_ITERATIONS_MIN && iterations <= SCRAM_ITERATIONS_MAX, `credentials[${i}].iterations must be ${SCRAM_ITERATIONS_MIN}..${SCRAM_ITERATIONS_MAX}`)
    const salt = randomBytes(SCRAM_SALT_BYTES)
    const saltedPassword = await scramSaltedPassword(m.webHash, c.password, salt, iterations)
    return { name, mechanism: m.type, iterations, salt, saltedPassword }
  }))
  await alter(cluster, { deletions: [], upsertions })
}

export async function deleteScramCredentials(cluster: Cluster, credentials: ScramCredentialDelete[]): Promise<void> {
  assertArg(Array.isArray(credentials) && credentials.length > 0, 'deleteScramCredentials expects [{ user, mechanism }]')
  const deletions = credentials.map((c, i) => ({ name: user(`credentials[${i}]`, c?.user), mechanism: mechanism(`credentials[${i}]`, c.mechanism).type }))
  await alter(cluster, { deletions, upsertions: [] })
}

/** Users with their SCRAM mechanisms and iteration counts (all users when none are named). */
export async function describeUsers(cluster: Cluster, users?: string[]): Promise<UserDescription[]> {
  if (users !== undefined) users.forEach((u, i) => user(`users[${i}]`, u))
  const r = await cluster.callAny(ApiKey.DescribeUserScramCredentials, { users: users ? users.map((name) => ({ name })) : null })
  if (r.errorCode !== ErrorCode.NONE) throw responseError(r.errorCode, r.errorMessage, 'describe users')
  const missing = r.results.find((x) => x.errorCode !== ErrorCode.NONE)
  if (missing) throw responseError(missing.errorCode, missing.errorMessage, `describe user ${missing.user}`)
  return r.results.map((x) => ({
    user: x.user,
    credentials: x.credentialInfos.map((c) => ({ mechanism: scramByType(c.mechanism)?.name ?? ('SCRAM-SHA-256' as const), iterations: c.iterations })),
  }))
}
