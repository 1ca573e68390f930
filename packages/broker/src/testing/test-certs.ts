/**
 * Certificates for tests, made at test time by the repository's own
 * scripts/make-certs.sh (openssl): nothing private is committed, and the script
 * users run is the one the tests exercise.
 */
import { execFile } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const MAKE_CERTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'scripts', 'make-certs.sh')

/** Run make-certs.sh into `dir` (a fresh temp dir by default); an existing CA there is kept, leaves are reissued. */
export async function makeTestCerts(opts: { dir?: string; nodes?: number; clients?: string[] } = {}): Promise<string> {
  const dir = opts.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'tributary-certs-')))
  await promisify(execFile)('sh', [MAKE_CERTS, dir, String(opts.nodes ?? 3), (opts.clients ?? ['client']).join(',')])
  return dir
}
