/** Test certificates made at test time by the repository's scripts/make-certs.sh (nothing private is committed). */
import { execFile } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { REPO_ROOT } from './cluster.js'

export const MAKE_CERTS = path.join(REPO_ROOT, 'scripts', 'make-certs.sh')

/** A CA, broker-1..N and client certificates in `dir` (a fresh temp dir by default); run again to reissue the leaves under the same CA. */
export async function makeCerts(opts: { dir?: string; nodes?: number; clients?: string[] } = {}): Promise<string> {
  const dir = opts.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'tributary-certs-')))
  await promisify(execFile)('sh', [MAKE_CERTS, dir, String(opts.nodes ?? 3), (opts.clients ?? ['client']).join(',')])
  return dir
}
