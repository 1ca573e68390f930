/**
 * What a new user types right after `npm ci` and `npm run build`: `npx tributary`
 * from the repository root runs the CLI through the committed bin shim
 * (packages/cli/bin/tributary.js), and the shim says what to do when the CLI is
 * not built yet.
 */
import { execFile } from 'node:child_process'
import { copyFile, mkdtemp, readlink, rm, mkdir } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { REPO_ROOT } from './cluster.js'

const run = promisify(execFile)

test('npm links node_modules/.bin/tributary to the committed shim, and `npx tributary` runs the built CLI', async () => {
  expect(await readlink(path.join(REPO_ROOT, 'node_modules', '.bin', 'tributary'))).toBe('../@tributary/cli/bin/tributary.js')
  const { stdout } = await run('npx', ['--no-install', 'tributary', 'topics', '--help'], { cwd: REPO_ROOT, timeout: 30_000 })
  expect(stdout).toMatch(/create, list, describe, alter and delete topics/)
}, 60_000)

test('the shim without a build says to run npm run build, and exits 1', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-shim-'))
  try {
    await mkdir(path.join(dir, 'bin'))
    await copyFile(path.join(REPO_ROOT, 'packages', 'cli', 'bin', 'tributary.js'), path.join(dir, 'bin', 'tributary.js'))
    const err = await run(process.execPath, [path.join(dir, 'bin', 'tributary.js'), '--help'], { timeout: 30_000 }).then(() => undefined, (e: { code: number; stderr: string }) => e)
    expect(err).toMatchObject({ code: 1 })
    expect(err!.stderr).toContain(`the CLI is not built yet (${path.join(dir, 'dist', 'bin.js')} is missing): run \`npm run build\` in the repository root first`)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
