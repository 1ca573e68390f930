/**
 * The secured clusters of `bench cluster --secure`: TLS with the bench's
 * certificates (brokers prove themselves to each other with their broker-N
 * certificates, --tls-client-auth requested) and a SCRAM-SHA-512 login required
 * of every client.
 */
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { LocalCluster } from './local-cluster.js'

export type Scram = { mechanism: 'scram-sha-512'; username: string; password: string }

export interface SecureSetup {
  label: string
  certsDir: string
  brokerArgs: string[]
  /** the bench's own login */
  sasl: Scram
  /** Run on the started cluster before the scenarios (the ACLs). */
  prepare?: (cluster: LocalCluster) => Promise<void>
}

/**
 * Without `authorizer` the bench user is a super user and no authorizer runs.
 * With it, the brokers run `--authorizer acl`, `admin` is the super user, and
 * `authorizer.prepare` gets admin's login to set the cluster up (its ACLs); the
 * bench logs in as a user holding only what it is given there.
 */
export async function secureSetup(certsDir: string, authorizer?: { label: string; prepare: (cluster: LocalCluster, admin: Scram, bench: Scram) => Promise<void> }): Promise<SecureSetup> {
  const user = (username: string): Scram => ({ mechanism: 'scram-sha-512', username, password: randomBytes(16).toString('hex') })
  const [sasl, admin] = [user('bench'), user('admin')]
  // One users file per cluster: two clusters may run at once.
  const users = join(certsDir, `scram-users-${randomBytes(4).toString('hex')}`)
  await writeFile(users, [sasl, admin].map((u) => `${u.username}:scram-sha-512:${u.password}\n`).join(''), { mode: 0o600 })
  const brokerArgs = ['--sasl-mechanisms', 'scram-sha-512', '--bootstrap-scram-users', users]
  if (!authorizer) return { label: 'TLS + SCRAM', certsDir, sasl, brokerArgs: [...brokerArgs, '--super-users', `User:${sasl.username}`] }
  return {
    label: `TLS + SCRAM + ${authorizer.label}`, certsDir, sasl,
    brokerArgs: [...brokerArgs, '--super-users', `User:${admin.username}`, '--authorizer', 'acl'],
    prepare: (cluster) => authorizer.prepare(cluster, admin, sasl),
  }
}
