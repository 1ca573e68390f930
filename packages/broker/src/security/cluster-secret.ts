/**
 * The cluster secret: a file every node of one cluster holds (`--cluster-secret-file`).
 * Brokers prove to each other that they hold it (TRIBUTARY-BROKER) without
 * ever sending it. Its bytes never reach a log line, a metric or an error
 * message: errors name the file, not what is in it.
 */
import { readFile, stat } from 'node:fs/promises'
import { ErrorCode, fail, ok, type Result } from '@tributary/protocol'

/** Below this a secret can be guessed offline from one recorded exchange; `openssl rand -hex 32` gives 64. */
export const CLUSTER_SECRET_BYTES_MIN = 16

export interface ClusterSecret {
  /** the file's bytes, surrounding whitespace trimmed (a trailing newline is not part of the secret) */
  readonly bytes: Uint8Array
  /** whether group or others may read the file (worth a warning, not a refusal) */
  readonly readableByOthers: boolean
}

export async function readClusterSecret(file: string): Promise<Result<ClusterSecret>> {
  let raw: Buffer
  let mode: number
  try {
    raw = await readFile(file)
    mode = (await stat(file)).mode
  } catch (err) {
    return fail(ErrorCode.INVALID_CONFIG, `--cluster-secret-file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'cannot be read'}`)
  }
  const bytes = new TextEncoder().encode(raw.toString('utf8').trim())
  raw.fill(0)
  if (bytes.byteLength < CLUSTER_SECRET_BYTES_MIN) {
    return fail(ErrorCode.INVALID_CONFIG, `--cluster-secret-file ${file}: the secret must be at least ${CLUSTER_SECRET_BYTES_MIN} bytes (make one with: openssl rand -hex 32 > ${file})`)
  }
  return ok({ bytes, readableByOthers: (mode & 0o077) !== 0 })
}
