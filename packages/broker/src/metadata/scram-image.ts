/**
 * SCRAM credentials in the metadata image: applying the credential records,
 * carrying them in snapshots, and the redacted shape every inspection output
 * uses (MetadataImage / MetadataLog APIs, `metadata image|log`, live and
 * --offline): names, mechanisms and iteration counts only; salts, stored keys
 * and server keys never leave the node.
 */
import type { ScramCredentialState, UserCredentials } from './image-types.js'

/** The users map while an entry is applied (metadata-delta.ts copies the image's first). */
type WritableUsers = Map<string, ReadonlyMap<string, ScramCredentialState>>
import type { MetadataRecord, RemoveUserScramCredentialRecord, UserScramCredentialRecord } from './records.js'

/** What inspection shows in place of credential bytes. */
export const REDACTED = '<redacted>'

const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array && v.byteLength > 0

/** Apply one credential record; false when it is malformed (skipped the same way on every node). */
export function applyUserRecord(users: WritableUsers, r: UserScramCredentialRecord | RemoveUserScramCredentialRecord): boolean {
  if (typeof r.name !== 'string' || r.name === '' || typeof r.mechanism !== 'string') return false
  const current = users.get(r.name)
  if (r.type === 'RemoveUserScramCredential') {
    if (!current?.has(r.mechanism)) return false
    const next = new Map(current)
    next.delete(r.mechanism)
    if (next.size === 0) users.delete(r.name)
    else users.set(r.name, next)
    return true
  }
  if (!isBytes(r.salt) || !isBytes(r.storedKey) || !isBytes(r.serverKey) || !Number.isSafeInteger(r.iterations)) return false
  const credential: ScramCredentialState = { salt: copy(r.salt), iterations: r.iterations, storedKey: copy(r.storedKey), serverKey: copy(r.serverKey) }
  users.set(r.name, new Map(current ?? []).set(r.mechanism, credential))
  return true
}

/** A plain Uint8Array (msgpack may hand back a Buffer view of the whole entry). */
const copy = (b: Uint8Array): Uint8Array => new Uint8Array(b)

/** Snapshot form: every credential, bytes included (snapshots stay on the nodes' disks). */
export interface UserSnapshot { name: string; mechanism: string; salt: Uint8Array; iterations: number; storedKey: Uint8Array; serverKey: Uint8Array }

export function usersToSnapshot(users: UserCredentials): UserSnapshot[] {
  const out: UserSnapshot[] = []
  for (const name of [...users.keys()].sort()) {
    for (const [mechanism, c] of [...users.get(name)!].sort(([a], [b]) => (a < b ? -1 : 1))) out.push({ name, mechanism, ...c })
  }
  return out
}

export function usersFromSnapshot(rows: unknown): UserCredentials {
  const users: WritableUsers = new Map()
  if (!Array.isArray(rows)) return users
  for (const row of rows as UserSnapshot[]) applyUserRecord(users, { type: 'UserScramCredential', version: 0, ...row } as UserScramCredentialRecord)
  return users
}

/** Inspection form: who has which mechanisms, nothing that helps a login. */
export interface UserView { name: string; credentials: Array<{ mechanism: string; iterations: number }> }

export function usersForInspection(users: UserCredentials): UserView[] {
  return [...users.keys()].sort().map((name) => ({
    name,
    credentials: [...users.get(name)!].map(([mechanism, c]) => ({ mechanism, iterations: c.iterations })).sort((a, b) => (a.mechanism < b.mechanism ? -1 : 1)),
  }))
}

/** A record as the MetadataLog API and `metadata log` show it: credential bytes replaced by REDACTED. */
export function redactRecord(r: MetadataRecord): object {
  if (r.type !== 'UserScramCredential') return r
  const { salt: _s, storedKey: _k, serverKey: _v, ...shown } = r
  return { ...shown, salt: REDACTED, storedKey: REDACTED, serverKey: REDACTED }
}

export function sameUsers(a: ReadonlyMap<string, ScramCredentialState> | undefined, b: ReadonlyMap<string, ScramCredentialState> | undefined): boolean {
  if (a === b) return true
  if (!a || !b || a.size !== b.size) return false
  for (const [m, c] of a) {
    const d = b.get(m)
    if (!d || d.iterations !== c.iterations || !eq(d.salt, c.salt) || !eq(d.storedKey, c.storedKey) || !eq(d.serverKey, c.serverKey)) return false
  }
  return true
}

const eq = (x: Uint8Array, y: Uint8Array): boolean => x.length === y.length && x.every((v, i) => v === y[i])
