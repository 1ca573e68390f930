/**
 * Every code block of README.md and packages/*\/README.md marked runnable
 * (```ts runnable) type-checks against the SDK's declarations (strict) and runs
 * against a real 3-node cluster, compiled with esbuild and importing
 * @tributary/client from the built package, as a reader would run it:
 * it must exit 0 within the deadline (a snippet that waits for its own message
 * hangs if the message never comes), also when run a second time, and print the
 * partitions its comments claim.
 */
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import { transform } from 'esbuild'
import { REPO_ROOT, startCluster, type TestCluster } from './cluster.js'
import { extractSnippets, readmeFiles, type Snippet } from './readme-snippets.js'

const exec = promisify(execFile)
const SNIPPET_TIMEOUT_MS = 60_000

let cluster: TestCluster | undefined
let dir: string | undefined

afterAll(async () => {
  await cluster?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
}, 30_000)

test('the marker: ```ts runnable fences are extracted with their line and partition claims; other fences are not', () => {
  const md = ['# x', '```ts', 'not me', '```', '', '```ts runnable', "console.log(meta) // { partition: 5, offset: 0 }", '```', '```sh runnable', 'echo no', '```', '```js runnable', 'let a = 1', '```'].join('\n')
  expect(extractSnippets('X.md', md)).toEqual([
    { file: 'X.md', line: 6, lang: 'ts', code: "console.log(meta) // { partition: 5, offset: 0 }\n", partitionClaims: [5] },
    { file: 'X.md', line: 12, lang: 'js', code: 'let a = 1\n', partitionClaims: [] },
  ])
})

test('every runnable README snippet type-checks and runs against a real cluster', async () => {
  const snippets: Snippet[] = []
  for (const f of await readmeFiles(REPO_ROOT)) snippets.push(...extractSnippets(f, await readFile(path.join(REPO_ROOT, f), 'utf8')))
  // Never green by finding nothing: the root README's SDK snippet and the client's are marked.
  expect(snippets.map((s) => s.file)).toEqual(expect.arrayContaining(['README.md', path.join('packages', 'client', 'README.md')]))

  cluster = await startCluster({ nodes: 3, logLevel: 'warn' })
  // Under node_modules, so `@tributary/client` resolves to the workspace's built package.
  const cache = path.join(REPO_ROOT, 'node_modules', '.cache')
  await mkdir(cache, { recursive: true })
  dir = await mkdtemp(path.join(cache, 'tributary-snippets-'))
  const base = (s: Snippet): string => path.join(dir!, `${s.file.replace(/[/.]/g, '_')}-${s.line}`)

  // Types first: an option renamed in the SDK would otherwise be ignored silently at run time.
  const typed = snippets.filter((s) => s.lang === 'ts')
  for (const s of typed) await writeFile(`${base(s)}.mts`, s.code)
  const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  const tscArgs = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--types', 'node']
  await exec(process.execPath, [tsc, ...tscArgs, ...typed.map((s) => `${base(s)}.mts`)], { cwd: REPO_ROOT, timeout: 120_000 }).catch((e: { stdout: string }) => {
    throw new Error(`README snippets do not type-check (files are <readme>-<line of the fence>, lines count from the fence):\n${e.stdout}`)
  })

  for (const s of snippets) {
    const where = `${s.file}:${s.line}`
    const { code } = await transform(s.code, { loader: s.lang, format: 'esm', target: 'node20', sourcefile: where })
    const file = `${base(s)}.mjs`
    await writeFile(file, code)
    // Twice: a reader runs a snippet again (or after "Try it"), and it must still work.
    for (const attempt of ['first run', 'second run']) {
      const run = await exec(process.execPath, [file], { cwd: REPO_ROOT, timeout: SNIPPET_TIMEOUT_MS, env: { ...process.env, TRIBUTARY_BOOTSTRAP: cluster.bootstrap.join(',') } }).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code: number | null; signal: string | null; stdout: string; stderr: string }) => ({ code: e.code ?? e.signal, stdout: e.stdout, stderr: e.stderr }),
      )
      expect({ where, attempt, ...run }).toMatchObject({ where, attempt, code: 0 })
      for (const p of s.partitionClaims) expect({ where, attempt, stdout: run.stdout }).toEqual({ where, attempt, stdout: expect.stringContaining(`partition: ${p}`) })
    }
  }
}, 240_000)
