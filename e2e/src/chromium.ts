/**
 * The Chromium every browser test drives, found the same way everywhere:
 *
 * - Debian's `/usr/bin/chromium` when the machine has one;
 * - otherwise the Chromium inside `@sparticuz/chromium` (an npm devDependency:
 *   the binary ships in the package and is unpacked to the OS temp dir on first
 *   use, about 2 s), so `npm ci && npm test` needs nothing but Node.
 *
 * `TRIBUTARY_CHROMIUM` overrides the choice: `npm` forces the npm Chromium (to
 * prove that path on a machine that has Debian's), `system` insists on
 * /usr/bin/chromium, and an absolute path names a binary to use.
 */
import { existsSync } from 'node:fs'
import { mkdir, rmdir, stat } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'

export const SYSTEM_CHROMIUM = '/usr/bin/chromium'
/** Flags for a system Chromium: headless, no sandbox (tests may run as root), nothing phoning home. */
const SYSTEM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

export interface ChromiumBinary {
  executablePath: string
  args: string[]
  /** Where it came from, for test output and failure messages. */
  source: 'system' | 'npm' | 'path'
}

/** Pick the Chromium per TRIBUTARY_CHROMIUM (default: system when present, else npm). */
export async function findChromium(choice = process.env.TRIBUTARY_CHROMIUM ?? 'auto'): Promise<ChromiumBinary> {
  if (choice === 'npm') return npmChromium()
  if (choice === 'system') {
    if (!existsSync(SYSTEM_CHROMIUM)) throw new Error(`TRIBUTARY_CHROMIUM=system but ${SYSTEM_CHROMIUM} does not exist`)
    return { executablePath: SYSTEM_CHROMIUM, args: SYSTEM_FLAGS, source: 'system' }
  }
  if (choice.startsWith('/')) {
    if (!existsSync(choice)) throw new Error(`TRIBUTARY_CHROMIUM=${choice} does not exist`)
    return { executablePath: choice, args: SYSTEM_FLAGS, source: 'path' }
  }
  if (choice !== 'auto') throw new Error(`TRIBUTARY_CHROMIUM must be npm, system, auto or an absolute path, got ${JSON.stringify(choice)}`)
  return existsSync(SYSTEM_CHROMIUM) ? { executablePath: SYSTEM_CHROMIUM, args: SYSTEM_FLAGS, source: 'system' } : npmChromium()
}

/** How long one unpacking may hold the lock (it takes ~2 s; beyond this the holder is taken for dead). */
const UNPACK_LOCK_STALE_MS = 120_000
const UNPACK_LOCK_WAIT_MS = 150_000

async function npmChromium(): Promise<ChromiumBinary> {
  const { default: packaged } = await import('@sparticuz/chromium')
  // It unpacks into os.tmpdir() unless a binary is already there: two test files (or
  // worktrees) doing that at once would write the same files, so one unpacks at a time.
  const executablePath = await withUnpackLock(() => packaged.executablePath())
  return { executablePath, args: packaged.args, source: 'npm' }
}

async function withUnpackLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = path.join(os.tmpdir(), 'tributary-chromium-unpack.lock')
  const deadline = Date.now() + UNPACK_LOCK_WAIT_MS
  for (;;) {
    try {
      await mkdir(lock) // atomic: exactly one process creates it
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const since = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0)
      if (since > UNPACK_LOCK_STALE_MS) await rmdir(lock).catch(() => {})
      else if (Date.now() > deadline) throw new Error(`waited ${UNPACK_LOCK_WAIT_MS} ms for ${lock} (another process unpacking Chromium)`, { cause: err })
      else await new Promise((r) => setTimeout(r, 100))
    }
  }
  try {
    return await fn()
  } finally {
    await rmdir(lock).catch(() => {})
  }
}

/** Headless Chromium on a fresh profile directory (the caller removes it), driven by playwright-core. */
export async function launchChromium(profileDir: string, binary?: ChromiumBinary): Promise<{ context: BrowserContext; binary: ChromiumBinary }> {
  const b = binary ?? (await findChromium())
  const context = await chromium.launchPersistentContext(profileDir, { executablePath: b.executablePath, headless: true, args: b.args })
  return { context, binary: b }
}

export interface ScriptPage {
  page: Page
  /** Uncaught errors of the page, as they happen. */
  errors: string[]
  /** Close the browser and the page's server. */
  close(): Promise<void>
}

/**
 * A page whose one module script is `js` (a browser bundle), served from a loopback
 * port and opened in headless Chromium on `profileDir`; resolves once the script set
 * `window.ready`. The caller calls close(), also when the test fails.
 */
export async function openScriptPage(js: string, profileDir: string, title: string): Promise<ScriptPage> {
  const server = http.createServer((req, res) => {
    if (req.url === '/bundle.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js)
    else res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>${title}</title><script type="module" src="/bundle.js"></script>`)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  let context: BrowserContext | undefined
  const close = async (): Promise<void> => {
    await context?.close().catch(() => {})
    await new Promise((r) => server.close(r))
  }
  try {
    context = (await launchChromium(profileDir)).context
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true, undefined, { timeout: 10_000 })
    return { page, errors, close }
  } catch (err) {
    await close()
    throw err
  }
}

interface PageRun { done?: boolean; ok?: boolean; value?: unknown; message?: string }

/**
 * Call the page's `window[fn](...args)` (an async function) and return what it
 * resolves to, or throw with its error's message. The run's promise is kept on
 * `window`, and the test waits for a result the page stores there: handing the
 * promise itself to `page.evaluate` lets Chromium's inspector report "Resulting
 * promise was garbage collected" for a run that is waiting on the network and
 * does finish (seen under load, after the flow had completed). If the run does
 * not finish within `timeoutMs`, the error names `window.step`, where the page's
 * script says it is.
 */
export async function runPageFunction(page: Page, fn: string, args: unknown[], timeoutMs = 90_000): Promise<any> {
  await page.evaluate(([name, a]) => {
    const w = window as unknown as Record<string, unknown> & { pageRun: PageRun; pageRunPromise: Promise<unknown> }
    const run: PageRun = {}
    w.pageRun = run
    w.pageRunPromise = Promise.resolve()
      .then(() => (w[name] as (...x: unknown[]) => Promise<unknown>)(...a))
      .then((value) => Object.assign(run, { done: true, ok: true, value }), (err: unknown) => Object.assign(run, { done: true, ok: false, message: err instanceof Error ? err.message : String(err) }))
  }, [fn, args] as const)
  try {
    await page.waitForFunction(() => (window as unknown as { pageRun: PageRun }).pageRun.done === true, undefined, { timeout: timeoutMs, polling: 50 })
  } catch (err) {
    const step = await page.evaluate(() => (window as unknown as { step?: string }).step).catch(() => undefined)
    throw new Error(`${(err as Error).message} (the page's ${fn} was at: ${step ?? 'no step recorded'})`, { cause: err })
  }
  const run = await page.evaluate(() => (window as unknown as { pageRun: PageRun }).pageRun)
  if (!run.ok) throw new Error(run.message)
  return run.value
}
