/**
 * Certificates for `bench cluster --secure`, made for the run by the
 * repository's scripts/make-certs.sh (openssl) in a temp dir the caller removes.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { CliError } from '../errors.js'

const MAKE_CERTS = fileURLToPath(new URL('../../../../scripts/make-certs.sh', import.meta.url))

export async function makeBenchCerts(nodes: number): Promise<string> {
  if (!existsSync(MAKE_CERTS)) throw new CliError(`bench cluster --secure needs ${MAKE_CERTS} (run it from a checkout of the repository)`)
  const dir = await mkdtemp(join(tmpdir(), 'tributary-bench-certs-'))
  try {
    await promisify(execFile)('sh', [MAKE_CERTS, dir, String(nodes), 'client'])
  } catch (err) {
    throw new CliError(`bench cluster --secure: making test certificates with openssl failed: ${(err as Error).message.split('\n')[0]}`)
  }
  return dir
}
