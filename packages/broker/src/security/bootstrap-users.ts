/**
 * --bootstrap-scram-users FILE: the first users of a cluster that requires SASL
 * from its first start (Kafka's `kafka-storage format --add-scram`). Lines are
 * `name:mechanism:password` (mechanism scram-sha-256 or scram-sha-512; the
 * password is everything after the second colon; `#` starts a comment). The
 * first controller of a new cluster commits them with the cluster id, once;
 * later starts ignore the file (change users with `tributary users`).
 *
 * Errors name the line number, never its content (it holds a password).
 */
import { randomBytes } from 'node:crypto'
import { SCRAM_ITERATIONS_DEFAULT, SCRAM_SALT_BYTES, scramByName } from '@tributary/protocol'
import type { UserScramCredentialRecord } from '../metadata/records.js'
import { saltedPassword, scramKeys, type ScramHash } from './scram-crypto.js'

export async function bootstrapUserRecords(content: string, source: string): Promise<UserScramCredentialRecord[]> {
  const out: UserScramCredentialRecord[] = []
  const seen = new Set<string>()
  const lines = content.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue
    const first = line.indexOf(':')
    const second = first < 0 ? -1 : line.indexOf(':', first + 1)
    const where = `${source} line ${i + 1}`
    if (first <= 0 || second < 0) throw new Error(`${where}: expected name:mechanism:password`)
    const name = line.slice(0, first).trim()
    const m = scramByName(line.slice(first + 1, second).trim())
    const password = line.slice(second + 1)
    if (!m) throw new Error(`${where}: the mechanism must be scram-sha-256 or scram-sha-512`)
    if (password === '') throw new Error(`${where}: the password is empty`)
    if (seen.has(`${name}/${m.name}`)) throw new Error(`${where}: ${name} ${m.name} is listed twice`)
    seen.add(`${name}/${m.name}`)
    const salt = new Uint8Array(randomBytes(SCRAM_SALT_BYTES))
    const keys = scramKeys(m.nodeHash as ScramHash, await saltedPassword(m.nodeHash as ScramHash, password, salt, SCRAM_ITERATIONS_DEFAULT))
    out.push({ type: 'UserScramCredential', version: 0, name, mechanism: m.name, salt, iterations: SCRAM_ITERATIONS_DEFAULT, ...keys })
  }
  return out
}
