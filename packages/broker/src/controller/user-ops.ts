/**
 * AlterUserScramCredentials as the controller plans it (Kafka's rules, KIP-554):
 * one result per user named; a user named twice in one request is refused
 * (DUPLICATE_RESOURCE) and nothing of it applies; each upsertion's salted
 * password becomes a StoredKey and a ServerKey here and is then dropped, so
 * the metadata log never holds anything that logs in.
 */
import {
  ErrorCode, SCRAM_ITERATIONS_MAX, SCRAM_ITERATIONS_MIN, SCRAM_USERNAME_CHARS_MAX, scramByType,
  type AlterUserScramCredentialsRequest, type AlterUserScramCredentialsResponse, type ScramCredentialUpsertion,
} from '@tributary/protocol'
import type { MetadataImage } from '../metadata/image-types.js'
import type { MetadataRecord } from '../metadata/records.js'
import { scramKeys, type ScramHash } from '../security/scram-crypto.js'

/** Salt bounds: Kafka asks for a non-empty salt; more than this is not a salt. */
const SALT_BYTES_MAX = 1024

type Result = AlterUserScramCredentialsResponse['results'][number]

export interface UserPlan { records: MetadataRecord[]; results: Result[] }

type Op = { op: ScramCredentialUpsertion; upsert: true } | { op: AlterUserScramCredentialsRequest['deletions'][number]; upsert: false }

function check({ op, upsert }: Op): { errorCode: number; errorMessage: string } | undefined {
  if (op.name === '') return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'user name must not be empty' }
  if (op.name.length > SCRAM_USERNAME_CHARS_MAX) return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: `user name is longer than ${SCRAM_USERNAME_CHARS_MAX} characters` }
  const m = scramByType(op.mechanism)
  if (!m) return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, errorMessage: `unknown SCRAM mechanism ${JSON.stringify(op.mechanism ?? null)} (1 = SCRAM-SHA-256, 2 = SCRAM-SHA-512)` }
  if (!upsert) return undefined
  if (op.iterations < SCRAM_ITERATIONS_MIN || op.iterations > SCRAM_ITERATIONS_MAX) {
    return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: `iterations must be ${SCRAM_ITERATIONS_MIN}..${SCRAM_ITERATIONS_MAX}` }
  }
  if (op.salt.length === 0 || op.salt.length > SALT_BYTES_MAX) return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: `salt must be 1..${SALT_BYTES_MAX} bytes` }
  if (op.saltedPassword.length !== m.keyBytes) return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: `saltedPassword must be ${m.keyBytes} bytes for ${m.name}` }
  return undefined
}

export function planAlterUsers(image: MetadataImage, req: AlterUserScramCredentialsRequest): UserPlan {
  const ops: Op[] = [...req.deletions.map((op) => ({ op, upsert: false as const })), ...req.upsertions.map((op) => ({ op, upsert: true as const }))]
  const count = new Map<string, number>()
  for (const { op } of ops) count.set(op.name, (count.get(op.name) ?? 0) + 1)
  const failed = new Map<string, { errorCode: number; errorMessage: string }>()
  for (const [name, n] of count) if (n > 1) failed.set(name, { errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: `user ${name} appears more than once in the request` })
  const records: MetadataRecord[] = []
  for (const o of ops) {
    const { op } = o
    const name = op.name
    if (failed.has(name)) continue
    const problem = check(o)
    if (problem) { failed.set(name, problem); continue }
    const m = scramByType(op.mechanism)!
    if (!o.upsert) {
      if (!image.users.get(name)?.has(m.name)) { failed.set(name, { errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: `user ${name} has no ${m.name} credential` }); continue }
      records.push({ type: 'RemoveUserScramCredential', version: 0, name, mechanism: m.name })
      continue
    }
    const { storedKey, serverKey } = scramKeys(m.nodeHash as ScramHash, o.op.saltedPassword)
    records.push({ type: 'UserScramCredential', version: 0, name, mechanism: m.name, salt: new Uint8Array(o.op.salt), iterations: o.op.iterations, storedKey, serverKey })
  }
  const names = [...new Set(ops.map(({ op }) => op.name))]
  const results = names.map((user) => ({ user, errorCode: failed.get(user)?.errorCode ?? ErrorCode.NONE, errorMessage: failed.get(user)?.errorMessage ?? null }))
  return { records, results }
}

/** For the log: names and mechanisms only, never the records' key material. */
export function userChangeSummary(records: MetadataRecord[]): string[] {
  return records.map((r) => (r.type === 'UserScramCredential' || r.type === 'RemoveUserScramCredential'
    ? `${r.type === 'UserScramCredential' ? 'set' : 'removed'} ${r.name} ${r.mechanism}`
    : r.type))
}
