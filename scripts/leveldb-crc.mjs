#!/usr/bin/env node
/**
 * Build classic-level's LevelDB with the CPU's CRC-32C instruction (SSE4.2), once
 * per install, as part of `npm run build`.
 *
 * classic-level's prebuilt Linux x64 binary leaves LevelDB's accelerated CRC-32C a
 * stub, so LevelDB checksums every byte it writes (log record and table block) with
 * its table-driven loop: a quarter of all CPU time when appending (perf, storage
 * bench, 1 GiB over 32 partitions), half of it on the single writer thread. Built
 * with SSE4.2 the same bench appends 256-302 MB/s instead of 224-230. The checksums
 * are the same values, so data written by either binary reads with the other.
 *
 * Anything missing (not Linux x64, no compiler, no local Node headers, a failed
 * build) keeps the prebuilt binary and says so in one line: nothing else depends on
 * this. A failed build is not retried on every build of the same install (delete
 * node_modules/classic-level/.tributary-sse42-failed to retry);
 * TRIBUTARY_LEVELDB_PREBUILT=1 skips it altogether.
 */
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const BUILD_TIMEOUT_MS = 10 * 60 * 1000
const MARKER = '.tributary-sse42'
const FAILED = '.tributary-sse42-failed'

const require = createRequire(join(ROOT, 'package.json'))
const say = (line) => console.error(`leveldb-crc: ${line}`)

function main() {
  if (process.env.TRIBUTARY_LEVELDB_PREBUILT === '1') return
  if (process.platform !== 'linux' || process.arch !== 'x64') return
  const pkgDir = dirname(require.resolve('classic-level/package.json'))
  const version = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version
  const release = join(pkgDir, 'build', 'Release')
  const marker = join(release, MARKER)
  if (existsSync(marker) && readFileSync(marker, 'utf8') === version && existsSync(join(release, 'classic_level.node'))) return
  const failed = join(pkgDir, FAILED)
  if (existsSync(failed) && readFileSync(failed, 'utf8') === version) return
  const keepPrebuilt = (why) => {
    writeFileSync(failed, version)
    say(`kept the prebuilt LevelDB (software CRC-32C): ${why}`)
  }

  const gyp = findNodeGyp()
  if (!gyp) return keepPrebuilt('node-gyp not found')
  // Without local headers node-gyp would download them: no network at build time.
  const nodedir = findNodeHeaders()
  if (!nodedir) return keepPrebuilt(`no Node headers under ${resolve(dirname(process.execPath), '..', 'include', 'node')}`)
  const work = mkdtempSync(join(tmpdir(), 'tributary-leveldb-'))
  try {
    const src = join(work, 'classic-level')
    cpSync(pkgDir, src, { recursive: true, filter: (p) => !p.startsWith(join(pkgDir, 'build')) && !p.startsWith(join(pkgDir, 'prebuilds')) })
    say(`building classic-level ${version} with SSE4.2 CRC-32C (once per install, about 20-60 s)`)
    const args = [gyp, 'rebuild', '-j', 'max', `--nodedir=${nodedir}`]
    const r = spawnSync(process.execPath, args, {
      cwd: src,
      env: {
        ...process.env,
        // Resolves classic-level's build-time requires (napi-macros) from our install.
        NODE_PATH: join(ROOT, 'node_modules'),
        CFLAGS: `${process.env.CFLAGS ?? ''} -msse4.2`,
        CXXFLAGS: `${process.env.CXXFLAGS ?? ''} -msse4.2 -DLEVELDB_PLATFORM_POSIX_SSE`,
      },
      encoding: 'utf8',
      timeout: BUILD_TIMEOUT_MS,
    })
    const built = join(src, 'build', 'Release', 'classic_level.node')
    if (r.status !== 0 || !existsSync(built)) {
      const why = (r.error?.message ?? `${r.stderr}`.split('\n').filter((l) => /error/i.test(l)).slice(0, 2).join(' | ')) || `exit ${r.status}`
      return keepPrebuilt(`the build failed: ${why}`)
    }
    const check = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(built)})`], { encoding: 'utf8' })
    if (check.status !== 0) return keepPrebuilt(`the built binary does not load: ${check.stderr.split('\n')[0]}`)
    mkdirSync(release, { recursive: true })
    cpSync(built, join(release, 'classic_level.node'))
    writeFileSync(marker, version)
    say('done: LevelDB checksums with the CPU instruction')
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

/** npm ships node-gyp; under `npm run` npm_execpath points into that npm. */
function findNodeGyp() {
  const candidates = []
  if (process.env.npm_execpath) candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'))
  candidates.push(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'))
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'))
  } catch {
    // not installed locally
  }
  return candidates.find((p) => existsSync(p))
}

/** Headers installed with Node (distribution packages): no download needed. */
function findNodeHeaders() {
  const prefix = resolve(dirname(process.execPath), '..')
  return existsSync(join(prefix, 'include', 'node', 'node.h')) ? prefix : undefined
}

try {
  main()
} catch (err) {
  say(`kept the prebuilt LevelDB (software CRC-32C): ${err instanceof Error ? err.message : String(err)}`)
}
